"""Parity cases of the divergences (lossport/divergence.py) and the overlap losses (lossport/segmentation.py).

Divergences take log-probabilities (or log-measures) with the class axis last unless a case says ``axis``; the
extreme cases put probabilities of exactly 0 (``-inf``) and of ``e^-10000`` in the predictions, where every anchor
agrees (infinite KL, or Keras's clipped finite value), and are compared by value only. Targets of exactly 0 (where
torch and optax give NaN) are pinned in tests/test_divergence.py instead, on every backend.

Overlap losses take probability maps ``(N, *spatial, C)``: softmax probabilities (rows summing to 1, as optax's
``apply_softmax=False`` demands) against one-hot targets, or one-channel sigmoid probabilities against binary
masks. They have no kinks: every case is differentiated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case

__all__ = ["FACTORIES"]


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(z, axis=axis, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def _log_dirichlet(rng: np.random.Generator, rows: int, classes: int) -> np.ndarray:
    return np.log(rng.dirichlet(np.ones(classes), size=rows))


# -- divergences ------------------------------------------------------------------------------------------------


def _kl(rng: np.random.Generator) -> list[Case]:
    log_q = _log_softmax(rng.normal(scale=1.5, size=(6, 5)))
    p = rng.dirichlet(np.ones(5), size=6)
    log_q0 = _log_softmax(rng.normal(scale=1.5, size=(5, 4)), axis=0)  # class axis 0
    log_p0 = _log_dirichlet(rng, 4, 5).T.copy()
    z = rng.normal(size=(3, 4))
    z[0, 1] = -np.inf  # q = 0 < p: KL = inf
    z[1, 2] = -1e4  # q = e^-10000: a huge finite log-ratio (Keras clips it at 1e-7)
    log_q_ext = _log_softmax(z)
    p_ext = rng.dirichlet(np.ones(4), size=3)
    loss = "kl_divergence"
    return [
        Case(loss, "mean", (log_q, p)),
        Case(loss, "log_targets-axis0-none", (log_q0, log_p0),
             {"log_targets": True, "axis": 0, "reduction": "none"}),
        Case(loss, "extreme", (log_q_ext, p_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _generalized_kl(rng: np.random.Generator) -> list[Case]:
    p = rng.uniform(0.1, 2.0, size=(6, 5))
    log_q = np.log(rng.uniform(0.1, 2.0, size=(6, 5)))
    p0 = rng.uniform(0.1, 2.0, size=(5, 4))
    p0[[0, 3], [1, 2]] = 0.0  # absent mass: the term is q
    log_q0 = rng.normal(size=(5, 4))
    p_ext = rng.uniform(0.1, 2.0, size=(3, 4))
    log_q_ext = rng.normal(size=(3, 4))
    log_q_ext[0, 0], log_q_ext[1, 1], log_q_ext[2, 2] = -np.inf, -1e4, 10.0  # float16 holds e^10
    loss = "generalized_kl_divergence"
    return [
        Case(loss, "mean", (log_q, p)),
        Case(loss, "zeros-axis0-none", (log_q0, p0), {"axis": 0, "reduction": "none"}),
        Case(loss, "extreme", (log_q_ext, p_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _js(rng: np.random.Generator) -> list[Case]:
    log_q, log_p = _log_dirichlet(rng, 6, 5), _log_dirichlet(rng, 6, 5)
    log_q0, log_p0 = _log_dirichlet(rng, 6, 5).T.copy(), _log_dirichlet(rng, 6, 5).T.copy()
    q_zero = rng.dirichlet(np.ones(4), size=3)
    p_zero = rng.dirichlet(np.ones(4), size=3)
    q_zero[0, 0] = p_zero[0, 0] = 0.0  # both 0: contributes 0
    q_zero[1, 1] = 0.0  # only q is 0: ½ p log 2
    p_zero[2] = [0.0, 0.0, 1.0, 0.0]  # disjoint-ish supports
    q_zero[2] = [0.5, 0.5, 0.0, 0.0]
    with np.errstate(divide="ignore"):
        log_q_zero = np.log(q_zero / q_zero.sum(-1, keepdims=True))
        log_p_zero = np.log(p_zero / p_zero.sum(-1, keepdims=True))
    loss = "js_divergence"
    return [
        Case(loss, "mean", (log_q, log_p)),
        Case(loss, "axis0-weights", (log_q0, log_p0), {"axis": 0, "weights": rng.uniform(0.5, 2.0, size=6)}),
        Case(loss, "zeros-none", (log_q_zero, log_p_zero), {"reduction": "none"}, grad=None, extreme=True),
    ]


# -- overlap losses ---------------------------------------------------------------------------------------------


def _softmax_maps(
    rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.5
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities of ``shape`` and one-hot targets of the same shape (class axis last)."""
    p = np.exp(_log_softmax(rng.normal(scale=scale, size=shape)))
    t = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
    return p, t


def _binary_maps(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One-channel sigmoid probabilities and binary masks; the last sample's mask is empty."""
    p = 1.0 / (1.0 + np.exp(-rng.normal(scale=2.0, size=shape)))
    t = (rng.uniform(size=shape) > 0.6).astype(np.float64)
    t[-1] = 0.0
    return p, t


def _dice(rng: np.random.Generator) -> list[Case]:
    p, t = _softmax_maps(rng, (2, 3, 4, 2))
    pb, tb = _binary_maps(rng, (3, 4, 4, 1))
    return [
        Case("dice", "mean", (p, t)),
        Case("dice", "all-axes-none", (p, t), {"axis": None, "smooth": 0.5, "reduction": "none"}),
        Case("dice", "binary-weights-sum", (pb, tb),
             {"weights": rng.uniform(0.5, 2.0, size=(3, 1)), "reduction": "sum"}),
    ]


def _tversky(rng: np.random.Generator) -> list[Case]:
    p, t = _softmax_maps(rng, (2, 3, 4, 2))
    pb, tb = _binary_maps(rng, (3, 4, 4, 1))
    return [
        Case("tversky", "mean", (p, t), {"alpha": 0.3, "beta": 0.7}),
        Case("tversky", "binary-none", (pb, tb), {"alpha": 0.7, "beta": 0.2, "smooth": 0.5, "reduction": "none"}),
        Case("tversky", "jaccard-batch-axes", (p, t),
             {"alpha": 1.0, "beta": 1.0, "axis": (0, 1, 2), "reduction": "none"}),
    ]


def _generalized_dice(rng: np.random.Generator) -> list[Case]:
    p, t = _softmax_maps(rng, (2, 2, 4, 3))
    # Probabilities of at least ~0.1: the gradient is checked by finite differences of relative step 1e-6, and
    # the absent class's weight of 1e7 leaves gradients of 1e-9 that such a step cannot resolve near p = 0.01.
    p2, t2 = _softmax_maps(rng, (2, 2, 4, 3), scale=0.5)
    t2[1, ..., 0] = 1.0 - t2[1, ..., 1]  # class 2 absent from sample 1: its weight there is 1/weight_eps
    t2[1, ..., 2] = 0.0
    loss = "generalized_dice"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "absent-class-none", (p2, t2), {"smooth": 0.5, "reduction": "none"}),
        Case(loss, "combine-mean-batch-weights", (p2, t2),
             {"combine": "mean", "batch_weights": True, "smooth": 2.0}),
        # the background left out after the weights are normalised (optax's ignore_background)
        Case(loss, "foreground-classes", (p2, t2),
             {"combine": "mean", "batch_weights": True, "smooth": 2.0, "classes": (1, 2)}),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "kl_divergence": _kl,
    "generalized_kl_divergence": _generalized_kl,
    "js_divergence": _js,
    "dice": _dice,
    "tversky": _tversky,
    "generalized_dice": _generalized_dice,
}
