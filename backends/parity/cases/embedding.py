"""Parity cases of the embedding, metric-learning and ranking losses (lossport/embedding.py).

Small data (at most 8 samples × 4 features). Each case keeps away from its loss's kinks: the hinge of every
margin loss (the argument of ``max(0, ·)`` at least 0.1 from 0), the distance swap's ``min`` (the two distances at
least 0.1 apart) and Circle's negative weight ``max(1 + m − d, 0)``; cases are redrawn from the same generator
until they do, so they stay reproducible from the seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case, _away

__all__ = ["FACTORIES"]

_GAP = 0.1


def _signs(rng: np.random.Generator, n: int) -> np.ndarray:
    """±1 labels with both signs present."""
    y = rng.choice([-1.0, 1.0], size=n)
    y[:2] = [1.0, -1.0]
    return rng.permutation(y)


def _cosine(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    return np.sum(x1 * x2, -1) / np.sqrt(np.sum(x1 * x1, -1) * np.sum(x2 * x2, -1))


def _cosine_embedding(rng: np.random.Generator) -> list[Case]:
    loss = "cosine_embedding"

    def pairs(margin: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = _signs(rng, n)
        while True:  # dissimilar pairs: cos away from the margin (the hinge)
            x1, x2 = rng.normal(size=(2, n, 4))
            if np.all((y > 0) | (np.abs(_cosine(x1, x2) - margin) > _GAP)):
                return x1, x2, y

    x1, x2, y = pairs(0.2, 6)
    z1, z2, yz = pairs(0.0, 5)
    zero = x1.copy()
    zero[1] = 0.0  # cos = 0: a loss of 1 for y = +1, 0 for y = -1
    yzero = y.copy()
    yzero[1] = 1.0
    return [
        Case(loss, "mean", (x1, x2, y), {"margin": 0.2}),
        Case(loss, "axis0-int-labels-none", (z1.T.copy(), z2.T.copy(), yz.astype(np.int64)),
             {"axis": 0, "reduction": "none"}),
        # The gradient at a zero vector is ~1/sqrt(eps) = 1e6: compared by value only.
        Case(loss, "zero-vector-weighted", (zero, x2, yzero),
             {"margin": 0.2, "weights": rng.uniform(0.5, 2.0, size=6)}, grad=None),
    ]


def _hinge_embedding(rng: np.random.Generator) -> list[Case]:
    loss = "hinge_embedding"
    d = _away(rng.uniform(0.0, 3.0, size=(6, 3)), (1.0,))
    y = np.stack([_signs(rng, 6) for _ in range(3)], axis=-1)
    d2 = _away(rng.uniform(0.0, 3.0, size=(8,)), (2.0,))
    mask = rng.uniform(size=(8,)) > 0.3
    mask[0] = True
    return [
        Case(loss, "mean", (d, y)),
        Case(loss, "margin2-int-labels-none", (d2, _signs(rng, 8).astype(np.int64)),
             {"margin": 2.0, "reduction": "none"}),
        Case(loss, "masked-sum", (d2, _signs(rng, 8)), {"margin": 2.0, "where": mask, "reduction": "sum"}),
    ]


def _margin_ranking(rng: np.random.Generator) -> list[Case]:
    loss = "margin_ranking"

    def triple(shape: tuple[int, ...], margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = _signs(rng, int(np.prod(shape))).reshape(shape)
        x1 = rng.normal(size=shape)
        # -y (x1 - x2) + margin away from 0: choose the hinge's argument, then x2 from it.
        h = _away(rng.normal(scale=1.0, size=shape), (0.0,))
        x2 = x1 - y * (margin - h)
        return x1, x2, y

    x1, x2, y = triple((8,), 0.1)
    z1, z2, yz = triple((4, 3), 0.0)
    return [
        Case(loss, "mean", (x1, x2, y), {"margin": 0.1}),
        Case(loss, "int-labels-none", (z1, z2, yz.astype(np.int64)), {"reduction": "none"}),
        Case(loss, "weighted", (z1, z2, yz), {"weights": rng.uniform(0.5, 2.0, size=(4, 1))}),
    ]


def _distance(d: np.ndarray, p: float, eps: float, eps_in: str) -> np.ndarray:
    if eps_in == "difference":
        return np.sum(np.abs(d + eps) ** p, -1) ** (1 / p)
    return (np.sum(np.abs(d) ** p, -1) + eps) ** (1 / p)


def _triplet_margin(rng: np.random.Generator) -> list[Case]:
    loss = "triplet_margin"

    def triplets(n: int, margin: float, p: float, swap: bool, eps_in: str = "difference") -> tuple:
        while True:
            a, pos, neg = rng.normal(size=(3, n, 4))
            d_pos = _distance(a - pos, p, 1e-6, eps_in)
            d_an = _distance(a - neg, p, 1e-6, eps_in)
            d_pn = _distance(pos - neg, p, 1e-6, eps_in)
            d_neg = np.minimum(d_an, d_pn) if swap else d_an
            hinge_ok = np.all(np.abs(margin + d_pos - d_neg) > _GAP)
            swap_ok = not swap or np.all(np.abs(d_an - d_pn) > _GAP)
            if hinge_ok and swap_ok:
                return a, pos, neg

    plain = triplets(6, 1.0, 2, False)
    swapped = triplets(5, 0.5, 1, True)
    summed = triplets(6, 0.3, 2, False, "sum")
    return [
        Case(loss, "mean", plain),
        Case(loss, "p1-swap-none", swapped, {"margin": 0.5, "p": 1, "swap": True, "reduction": "none"}),
        Case(loss, "eps_in-sum-sum", summed, {"margin": 0.3, "eps_in": "sum", "reduction": "sum"}),
    ]


def _ntxent(rng: np.random.Generator) -> list[Case]:
    loss = "ntxent"
    pairs = rng.permutation(np.array([0, 0, 1, 1, 2, 2, 3, 3]))
    groups = rng.permutation(np.array([0, 0, 0, 1, 1, 1, 2, 2]))
    return [
        Case(loss, "mean", (rng.normal(size=(8, 4)), pairs)),
        Case(loss, "groups-none", (rng.normal(size=(8, 4)), groups), {"temperature": 0.5, "reduction": "none"}),
        Case(loss, "batched-weighted", (rng.normal(size=(2, 4, 3)), np.array([[0, 0, 1, 1], [0, 1, 0, 1]])),
             {"temperature": 0.2, "weights": rng.uniform(0.5, 2.0, size=(2, 4))}),
    ]


def _unit(e: np.ndarray) -> np.ndarray:
    return e / np.linalg.norm(e, axis=-1, keepdims=True)


def _circle_embeddings(rng: np.random.Generator, labels: np.ndarray, margin: float, scale: float,
                       normalize: bool) -> np.ndarray:
    """Embeddings whose pairs keep ``d = 1 − s`` above 0.1 (Keras clips it at 0) and whose negative pairs keep
    ``1 + m − d`` at least 0.1 from 0 (Circle's weight hinge)."""
    negative = labels[:, None] != labels[None, :]
    # Normalised, the self-pairs sit at 1 − s = 0 (excluded from the pairs unless remove_diagonal=False).
    pairs = ~np.eye(labels.size, dtype=bool) if normalize else np.ones(negative.shape, dtype=bool)
    while True:
        e = scale * rng.normal(size=(labels.size, 4))
        u = _unit(e) if normalize else e
        d = 1.0 - u @ u.T
        if np.all(d[pairs] > _GAP) and np.all(np.abs(1.0 + margin - d)[negative] > _GAP):
            return e


def _circle(rng: np.random.Generator) -> list[Case]:
    loss = "circle"
    groups = rng.permutation(np.array([0, 0, 0, 1, 1, 1, 2, 2]))
    pairs = np.array([0, 0, 1, 1, 2, 2])
    reference = _circle_embeddings(rng, groups, 0.25, 0.25, False)
    # Raw (unnormalised) embeddings of norm ~0.5: |e_i · e_j| < 1, so Keras's max(1 − s, 0) never clips.
    return [
        Case(loss, "mean", (_circle_embeddings(rng, groups, 0.4, 1.0, True), groups)),
        Case(loss, "raw-none", (_circle_embeddings(rng, groups, 0.25, 0.25, False), groups),
             {"normalize": False, "gamma": 16.0, "margin": 0.25, "reduction": "none"}),
        # The self-pairs sit at d = 0, the kink of max(1 − s, 0): compared by value only.
        Case(loss, "keep-diagonal-sum", (_circle_embeddings(rng, pairs, 0.3, 1.0, True), pairs),
             {"remove_diagonal": False, "gamma": 4.0, "margin": 0.3, "reduction": "sum"}, grad=None),
        # A reference set of 8 that begins with the batch of 4 (remove_diagonal drops the pairs (i, i)).
        Case(loss, "reference-set-none", (reference[:4], groups[:4]),
             {"normalize": False, "ref_embeddings": reference, "ref_labels": groups, "gamma": 16.0,
              "margin": 0.25, "reduction": "none"}),
    ]


def _ranking_softmax(rng: np.random.Generator) -> list[Case]:
    loss = "ranking_softmax"
    scores = rng.normal(scale=2.0, size=(4, 5))
    relevance = rng.integers(0, 4, size=(4, 5)).astype(np.float64)
    relevance[2] = 0.0  # a list with no relevant item
    valid = np.ones((4, 5), dtype=bool)
    valid[0, 3:] = False  # padded items
    valid[1, 4:] = False
    return [
        Case(loss, "mean", (scores, relevance)),
        Case(loss, "where-none", (scores, relevance), {"where": valid, "reduction": "none"}),
        Case(loss, "normalize-weighted", (scores, relevance),
             {"normalize": True, "weights": rng.uniform(0.5, 2.0, size=4)}),
    ]


# -- contrastive losses (Catalog II) ------------------------------------------------------------------------------


def _info_nce(rng: np.random.Generator) -> list[Case]:
    loss = "info_nce"
    # One distinct positive key per query (pytorch-metric-learning's NTXentLoss can express it).
    positives = rng.permutation(8)[:6]
    mask = rng.uniform(size=(5, 7)) < 0.35
    mask[:, 0] = [True, False, True, False, False]
    mask[1] = False  # a query without a positive: loss 0, left out of the mean
    mask[3, 2] = True
    return [
        Case(loss, "mean", (rng.normal(size=(6, 4)), rng.normal(size=(8, 4)), positives)),
        Case(loss, "mask-none", (rng.normal(size=(5, 4)), rng.normal(size=(7, 4)), mask),
             {"temperature": 0.2, "reduction": "none"}),
        # Dot products of N(0, 0.5²) vectors at τ = 1; the gradient is the keys'.
        Case(loss, "batched-dot-weighted",
             (rng.normal(scale=0.5, size=(2, 3, 4)), rng.normal(scale=0.5, size=(2, 5, 4)),
              np.array([[4, 0, 2], [1, 1, 3]])),
             {"temperature": 1.0, "normalize": False, "weights": rng.uniform(0.5, 2.0, size=(2, 3))}, grad=(1,)),
    ]


def _supervised_contrastive(rng: np.random.Generator) -> list[Case]:
    loss = "supervised_contrastive"
    labels = rng.permutation(np.array([0, 0, 0, 1, 1, 2, 2, 3]))  # label 3: an anchor without a positive
    gathered = np.array([0, 1, 1, 2, 0, 2, 1, 3])
    bank = np.array([0, 1, 2, 0, 1, 2])
    return [
        Case(loss, "mean", (rng.normal(size=(8, 4)), labels)),
        # This device's 4 anchors are keys 4..7 of the 8 gathered ones.
        Case(loss, "gathered-none", (rng.normal(size=(4, 4)), gathered[4:]),
             {"keys": rng.normal(size=(8, 4)), "key_labels": gathered, "offset": 4, "temperature": 0.2,
              "base_temperature": 0.1, "reduction": "none"}),
        # A memory bank of other samples (offset=None): no key is an anchor.
        Case(loss, "bank-sum", (rng.normal(size=(4, 4)), np.array([0, 1, 2, 3])),
             {"keys": rng.normal(size=(6, 4)), "key_labels": bank, "offset": None, "temperature": 0.5,
              "reduction": "sum"}),
        Case(loss, "batched-dot-weighted", (rng.normal(scale=0.5, size=(2, 4, 3)), np.array([[0, 0, 1, 1],
                                                                                             [0, 1, 0, 1]])),
             {"temperature": 1.0, "normalize": False, "weights": rng.uniform(0.5, 2.0, size=(2, 4))}),
    ]


def _sigmoid_contrastive(rng: np.random.Generator) -> list[Case]:
    loss = "sigmoid_contrastive"
    return [
        Case(loss, "mean", (rng.normal(size=(6, 4)), rng.normal(size=(6, 4)))),
        # Learnable temperature and bias: 0-D arrays (traced under the compilers).
        Case(loss, "array-knobs-none", (rng.normal(size=(5, 4)), rng.normal(size=(5, 4))),
             {"temperature": np.array(3.0), "bias": np.array(-2.0), "reduction": "none"}),
        # This device's 3 images against the 6 gathered texts; the gradient is the texts'.
        Case(loss, "gathered-dot-weighted", (rng.normal(scale=0.5, size=(3, 4)), rng.normal(scale=0.5, size=(6, 4))),
             {"offset": 3, "normalize": False, "temperature": 2.0, "bias": -1.0,
              "weights": rng.uniform(0.5, 2.0, size=3)}, grad=(1,)),
    ]


# -- margin heads (Catalog II): cosine logits of unit embeddings against orthonormal class centres ----------------


def _cosines(rng: np.random.Generator, labels: np.ndarray, classes: int, *, avoid: tuple[float, ...] = (),
             targets: np.ndarray | None = None) -> np.ndarray:
    """Cosines ``u · w_c`` of unit embeddings with orthonormal class centres: each row's norm is below 1 (so the
    anchors can rebuild embeddings and centres from them); the label's cosine is ``targets`` or ``±(0.1, 0.9)``,
    redrawn until it is 0.05 away from each point of ``avoid`` (the loss's kinks). The other cosines keep their magnitudes at least ``lo`` (0.1 where the row has room), so that the finite-difference
    steps, relative to ``|c|``, are not so small that rounding swamps them at ``scale = 64``."""
    c = np.empty((labels.size, classes))
    for i, label in enumerate(labels):
        t = targets[i] if targets is not None else np.nan
        while np.isnan(t) or any(abs(t - a) <= 0.05 for a in avoid):
            t = rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 0.9)
        room = 0.98 - t * t
        lo = min(0.1, 0.5 * np.sqrt(max(room, 0.0) / (classes - 1)))
        while room > 0:
            rest = rng.choice([-1.0, 1.0], size=classes) * rng.uniform(lo, 0.6, size=classes)
            rest[label] = 0.0
            if np.sum(rest * rest) <= room:
                break
        c[i] = rest if room > 0 else 0.0  # |cos θ| = 1: the other cosines are 0
        c[i, label] = t
    return c


def _arcface(rng: np.random.Generator) -> list[Case]:
    loss = "arcface"
    y6, y5, y4 = rng.integers(0, 4, size=6), rng.integers(0, 5, size=5), np.array([0, 1, 2, 0])
    kink = (-np.cos(0.5),)  # θ = π − m: the fallback's jump
    # Rows 0 and 3 past θ + m = π: insightface's cos θ − m·sin m.
    fallback = _cosines(rng, y5, 5, avoid=kink, targets=np.array([-0.95, 0.3, -0.5, -0.94, 0.7]))
    saturated = _cosines(rng, y4, 3, targets=np.array([1.0, 0.2, -0.6, -1.0]))  # |cos θ| = 1: sin θ = 0
    return [
        Case(loss, "mean", (_cosines(rng, y6, 4, avoid=kink), y6)),
        Case(loss, "fallback-none", (fallback, y5), {"scale": 16.0, "reduction": "none"}),
        Case(loss, "easy-margin-weighted", (_cosines(rng, y6, 4, avoid=(0.0,)), y6),
             {"scale": 30.0, "margin": 0.3, "easy_margin": True, "weights": rng.uniform(0.5, 2.0, size=6)}),
        Case(loss, "saturated-none", (saturated, y4), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _cosface(rng: np.random.Generator) -> list[Case]:
    loss = "cosface"
    y6, y5 = rng.integers(0, 4, size=6), rng.integers(0, 5, size=5)
    return [
        Case(loss, "mean", (_cosines(rng, y6, 4), y6)),
        Case(loss, "none", (_cosines(rng, y5, 5), y5), {"scale": 30.0, "margin": 0.2, "reduction": "none"}),
        Case(loss, "weighted-sum", (_cosines(rng, y6, 4), y6),
             {"scale": 16.0, "weights": rng.uniform(0.5, 2.0, size=6), "reduction": "sum"}),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "cosine_embedding": _cosine_embedding,
    "hinge_embedding": _hinge_embedding,
    "margin_ranking": _margin_ranking,
    "triplet_margin": _triplet_margin,
    "ntxent": _ntxent,
    "circle": _circle,
    "ranking_softmax": _ranking_softmax,
    "info_nce": _info_nce,
    "supervised_contrastive": _supervised_contrastive,
    "sigmoid_contrastive": _sigmoid_contrastive,
    "arcface": _arcface,
    "cosface": _cosface,
}
