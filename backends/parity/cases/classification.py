"""Parity cases of the classification losses (lossport/classification.py).

The cross-entropies (binary and softmax, on probabilities and logits, and nll) come first; then at most three
cases per loss: the first a plain call (torch.compile runs it), the others the knobs and the
saturated inputs (``extreme``: logits of ±1e4, probabilities of exactly 0 and 1; compared by value only). Data keep
away from the losses' kinks: sparsemax's support changes (``z_j = τ``, ``|x| = 1`` in its binary form).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case, _away

__all__ = ["FACTORIES"]

# Logits of every saturation regime: ±1e4 (exp underflows and overflows), ±30 (the loss is ~1e-13), 0.
_X_EXTREME = np.array([1e4, -1e4, 1e4, -1e4, 30.0, -30.0, 0.0])
_Y_EXTREME = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
_Z_EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [30.0, 0.0, 0.0]])


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid_focal(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(scale=2.5, size=(6, 4))
    y = (rng.uniform(size=(6, 4)) > 0.5).astype(np.float64)
    loss = "sigmoid_focal"
    return [
        Case(loss, "mean", (x, y)),
        Case(loss, "alpha-gamma-smoothing-none", (x, y),
             {"alpha": 0.25, "gamma": 1.5, "label_smoothing": 0.1, "reduction": "none"}),
        Case(loss, "extreme", (_X_EXTREME, _Y_EXTREME), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _brier(rng: np.random.Generator) -> list[Case]:
    p = rng.uniform(0.02, 0.98, size=(6, 4))
    y = (rng.uniform(size=(6, 4)) > 0.5).astype(np.float64)
    probs = _softmax(rng.normal(scale=1.5, size=(6, 4)))
    loss = "brier_score"
    return [
        Case(loss, "binary-mean", (p, y)),
        Case(loss, "multiclass-none", (probs, rng.integers(0, 4, size=6)), {"reduction": "none"}),
        Case(loss, "soft-weighted", (p[:5, :3], rng.uniform(size=(5, 3))),
             {"weights": rng.uniform(0.5, 2.0, size=(5, 3))}),
    ]


def _multilabel_soft_margin(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(scale=2.0, size=(6, 4))
    y = (rng.uniform(size=(6, 4)) > 0.5).astype(np.float64)
    x_ext = np.array([[1e4, -1e4, 30.0, -30.0], [1e4, -1e4, 0.0, 5.0]])
    y_ext = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    loss = "multilabel_soft_margin"
    return [
        Case(loss, "mean", (x, y)),
        Case(loss, "class_weights-soft-none", (x, rng.uniform(size=(6, 4))),
             {"class_weights": rng.uniform(0.5, 2.0, size=4), "reduction": "none"}),
        Case(loss, "extreme", (x_ext, y_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _categorical_focal(rng: np.random.Generator) -> list[Case]:
    z = rng.normal(scale=2.0, size=(6, 5))
    q = rng.dirichlet(np.ones(5), size=6)
    onehot = np.eye(5)[rng.integers(0, 5, size=6)]
    loss = "categorical_focal"
    return [
        Case(loss, "mean", (z, q)),
        Case(loss, "alpha-gamma-smoothing-none", (z, onehot),
             {"alpha": rng.uniform(0.2, 1.0, size=5), "gamma": 1.5, "label_smoothing": 0.1,
              "reduction": "none"}),
        Case(loss, "extreme", (_Z_EXTREME, np.eye(3)[[0, 0, 0]]), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _poly1(rng: np.random.Generator) -> list[Case]:
    z = rng.normal(scale=2.0, size=(6, 5))
    q = rng.dirichlet(np.ones(5), size=6)
    onehot = np.eye(5)[rng.integers(0, 5, size=6)]
    loss = "poly1_cross_entropy"
    return [
        Case(loss, "mean", (z, q)),
        Case(loss, "epsilon-axis0-none", (z.T.copy(), onehot.T.copy()),
             {"epsilon": -0.5, "axis": 0, "reduction": "none"}),
        Case(loss, "extreme", (_Z_EXTREME, np.eye(3)[[0, 0, 0]]), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _generalized_ce(rng: np.random.Generator) -> list[Case]:
    p = _softmax(rng.normal(scale=2.0, size=(6, 4)))
    y = rng.integers(0, 4, size=6)
    p_ext = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    loss = "generalized_cross_entropy"
    return [
        Case(loss, "mean", (p, y)),
        Case(loss, "q-axis0-none", (p.T.copy(), y), {"q": 0.8, "axis": 0, "reduction": "none"}),
        Case(loss, "saturated", (p_ext, np.array([0, 0, 1])), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _sparsemax_tau(z: np.ndarray) -> np.ndarray:
    s = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    support = 1 + k * s > np.cumsum(s, axis=-1)
    return (np.sum(np.where(support, s, 0.0), -1) - 1) / support.sum(-1)


def _off_support_kinks(rng: np.random.Generator, shape: tuple[int, int], gap: float = 0.1) -> np.ndarray:
    """Rows whose entries all lie at least ``gap`` from the sparsemax threshold (redrawn until they do)."""
    rows = []
    while len(rows) < shape[0]:
        z = rng.normal(scale=1.0, size=shape[1])
        if np.min(np.abs(z - _sparsemax_tau(z))) > gap:
            rows.append(z)
    return np.stack(rows)


def _sparsemax(rng: np.random.Generator) -> list[Case]:
    # Two classes first: the plain case that both optax anchors express (the binary one on z1 − z0).
    d = _away(rng.normal(scale=1.5, size=8), (-1.0, 1.0))
    z0 = rng.normal(size=8)
    z2 = np.stack([z0, z0 + d], axis=-1)
    x_ext = np.array([1e4, -1e4, 1e4, -1e4, 0.3, -2.5, 3.0])
    y_ext = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    loss = "sparsemax"
    return [
        Case(loss, "two-classes", (z2, rng.integers(0, 2, size=8))),
        Case(loss, "multiclass-none", (_off_support_kinks(rng, (6, 5)), rng.integers(0, 5, size=6)),
             {"reduction": "none"}),
        Case(loss, "binary-extreme", (x_ext, y_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _ordinal(rng: np.random.Generator) -> list[Case]:
    x = np.sort(rng.normal(scale=2.0, size=(6, 4)), axis=-1)[:, ::-1].copy()  # rank-consistent thresholds
    ranks = rng.integers(0, 5, size=6)
    x_ext = np.array([[1e4, 1e4, -1e4, -1e4], [1e4, 30.0, -30.0, -1e4], [-1e4, -1e4, -1e4, -1e4]])
    loss = "ordinal"
    return [
        Case(loss, "mean", (x, ranks)),
        Case(loss, "threshold_weights-none", (rng.normal(scale=2.0, size=(6, 4)), ranks),
             {"threshold_weights": rng.uniform(0.5, 2.0, size=4), "reduction": "none"}),
        Case(loss, "extreme", (x_ext, np.array([2, 4, 3])), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _bce(rng: np.random.Generator) -> list[Case]:
    p = rng.uniform(0.02, 0.98, size=(5, 4))
    y = (rng.uniform(size=(5, 4)) > 0.5).astype(np.float64)
    soft = rng.uniform(size=(5, 4))
    p_ext = np.array([0.0, 1.0, 0.0, 1.0, 1e-12, 1 - 1e-12])
    y_ext = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    return [
        Case("binary_cross_entropy", "mean", (p, y)),
        Case("binary_cross_entropy", "soft-none", (p, soft), {"reduction": "none"}),
        Case("binary_cross_entropy", "eps", (p, y), {"eps": 1e-7}),
        Case("binary_cross_entropy", "saturated", (p_ext, y_ext), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _bce_logits(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(scale=3.0, size=(5, 4))
    y = (rng.uniform(size=(5, 4)) > 0.5).astype(np.float64)
    x_ext = np.array([1e4, -1e4, 1e4, -1e4, 30.0, -30.0, 0.0])
    y_ext = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    loss = "binary_cross_entropy_with_logits"
    return [
        Case(loss, "mean", (x, y)),
        Case(loss, "soft-none", (x, rng.uniform(size=(5, 4))), {"reduction": "none"}),
        Case(loss, "pos_weight", (x, y), {"pos_weight": 0.5, "reduction": "none"}),
        Case(loss, "pos_weight-per-class", (x, y), {"pos_weight": rng.uniform(0.5, 3.0, size=(4,))}),
        Case(loss, "label_smoothing", (x, y), {"label_smoothing": 0.2}),
        Case(loss, "extreme", (x_ext, y_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _logits(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.normal(scale=2.0, size=shape)


def _softmax_ce(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (6, 5))
    q = rng.dirichlet(np.ones(5), size=6)
    masked = z.copy()
    masked[:, 1] = -np.inf
    q_masked = q.copy()
    q_masked[:, 1] = 0.0
    q_masked /= q_masked.sum(-1, keepdims=True)
    z_ext = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    loss = "softmax_cross_entropy"
    return [
        Case(loss, "mean", (z, q)),
        Case(loss, "none", (z, q), {"reduction": "none"}),
        Case(loss, "label_smoothing", (z, q), {"label_smoothing": 0.1}),
        Case(loss, "z_loss+smoothing-none", (z, q), {"z_loss": 0.05, "label_smoothing": 0.1, "reduction": "none"}),
        Case(loss, "axis0", (z.T.copy(), q.T.copy()), {"axis": 0}),
        Case(loss, "masked-inf", (masked, q_masked), {"reduction": "none"}, grad=None, extreme=True),
        Case(loss, "extreme", (z_ext, np.eye(3)[[0, 0]]), {"reduction": "none"}, grad=None, extreme=True),
        Case(loss, "seed", (np.array([[1.0, -3.0, 10.0]]), np.array([[0.1, 0.02, 0.88]]))),
    ]


def _sparse_ce(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (8, 5))
    y = rng.integers(0, 5, size=8)
    y_ign = y.copy()
    y_ign[[1, 4]] = -100
    z3 = _logits(rng, (3, 5, 4))  # torch layout (N, C, T), class axis 1
    y3 = rng.integers(0, 5, size=(3, 4))
    cw = rng.uniform(0.2, 2.0, size=5)
    z_ext = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [30.0, 0.0, 0.0]])
    loss = "sparse_softmax_cross_entropy"
    return [
        Case(loss, "mean", (z, y)),
        Case(loss, "none", (z, y), {"reduction": "none"}),
        Case(loss, "ignore_index", (z, y_ign), {"ignore_index": -100}),
        Case(loss, "class_weights", (z, y), {"class_weights": cw}),
        Case(loss, "label_smoothing", (z, y), {"label_smoothing": 0.2}),
        Case(loss, "weights+smoothing+ignore", (z, y_ign),
             {"class_weights": cw, "label_smoothing": 0.2, "ignore_index": -100}),
        Case(loss, "axis1", (z3, y3), {"axis": 1}),
        Case(loss, "z_loss+ignore+class_weights", (z, y_ign),
             {"z_loss": 0.05, "ignore_index": -100, "class_weights": cw, "reduction": "none"}),
        Case(loss, "z_loss+smoothing", (z, y), {"z_loss": 0.05, "label_smoothing": 0.1}),
        Case(loss, "weights+where+class_weights", (z, y),
             {"weights": rng.uniform(0.5, 2.0, size=y.shape), "where": rng.uniform(size=y.shape) < 0.7,
              "class_weights": cw}),
        Case(loss, "extreme", (z_ext, np.array([1, 0, 0])), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _cce(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (6, 4))
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    y = rng.integers(0, 4, size=6)
    onehot = np.eye(4)[y]
    p_ext = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    loss = "categorical_cross_entropy"
    return [
        Case(loss, "onehot", (p, onehot)),
        Case(loss, "int-labels", (p, y)),
        Case(loss, "soft-none", (p, rng.dirichlet(np.ones(4), size=6)), {"reduction": "none"}),
        Case(loss, "eps", (p, onehot), {"eps": 1e-7}),
        Case(loss, "seed", (np.array([[0.15, 0.75, 0.1], [0.75, 0.15, 0.1]]),
                            np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))),
        Case(loss, "saturated", (p_ext, np.eye(3)[[1, 1]]), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _nll(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (7, 4))
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    y = rng.integers(0, 4, size=7)
    y_ign = y.copy()
    y_ign[2] = -100
    return [
        Case("nll", "mean", (logp, y)),
        Case("nll", "ignore+class_weights", (logp, y_ign),
             {"ignore_index": -100, "class_weights": rng.uniform(0.5, 2.0, size=4)}),
        Case("nll", "none", (logp, y), {"reduction": "none"}),
    ]


def _linear_ce(rng: np.random.Generator) -> list[Case]:
    """``linear_cross_entropy`` (lossport/linear.py): 9 classes in chunks of 4 (a ragged last chunk), 2-D and 3-D
    hidden states; the knobs of the sparse cross-entropy plus soft-capping; the weight's gradient as well as the
    hidden states'."""
    h, w = rng.normal(size=(6, 4)), rng.normal(scale=0.8, size=(9, 4))
    y = rng.integers(0, 9, size=6)
    h3, y3 = rng.normal(size=(2, 3, 4)), rng.integers(0, 9, size=(2, 3))
    y3[0, 1] = -100
    knobs = {"chunk_size": 4, "bias": rng.normal(size=9), "ignore_index": -100,
             "class_weights": rng.uniform(0.2, 2.0, size=9), "label_smoothing": 0.1, "z_loss": 0.05,
             "logit_softcap": 3.0, "weights": rng.uniform(0.5, 2.0, size=(2, 3)), "where": np.array([[1, 1, 1], [1, 0, 1]], bool)}
    loss = "linear_cross_entropy"
    return [
        Case(loss, "mean", (h, w, y), {"chunk_size": 4}),
        Case(loss, "bias-none-weight-grad", (h, w, y), {"chunk_size": 4, "bias": rng.normal(size=9),
                                                         "reduction": "none"}, grad=(1,)),
        Case(loss, "every-knob", (h3, w, y3), knobs),
        Case(loss, "every-knob-weight-grad", (h3, w, y3), {**knobs, "reduction": "sum"}, grad=(1,)),
        Case(loss, "extreme", (30.0 * h, w, y), {"reduction": "none", "chunk_size": 4}, grad=None, extreme=True),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
    "softmax_cross_entropy": _softmax_ce,
    "sparse_softmax_cross_entropy": _sparse_ce,
    "categorical_cross_entropy": _cce,
    "nll": _nll,
    "sigmoid_focal": _sigmoid_focal,
    "brier_score": _brier,
    "multilabel_soft_margin": _multilabel_soft_margin,
    "categorical_focal": _categorical_focal,
    "poly1_cross_entropy": _poly1,
    "generalized_cross_entropy": _generalized_ce,
    "sparsemax": _sparsemax,
    "ordinal": _ordinal,
    "linear_cross_entropy": _linear_ce,
}
