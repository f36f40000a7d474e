"""Parity cases for the margin losses (lossport/margin.py): ±1 labels, index lists, integer labels.

Every case keeps its margins off the kinks: ``y·s`` away from 1 (the hinges) and from 0 (the perceptron), each
pairwise margin ``1 − (s_j − s_k)`` away from 0, and no ties for a maximum, so that the frameworks' subgradients
agree. Data are small (at most 6 × 6) and the first case of each loss is a plain call (torch.compile runs it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case, _away

__all__ = ["FACTORIES"]

GAP = 0.15  # how far every margin stays from its kink


def _signed(rng: np.random.Generator, shape: tuple[int, ...], kink: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ±1 labels with ``y·s`` at least ``GAP`` from ``kink``."""
    y = rng.choice([-1.0, 1.0], size=shape)
    margin = _away(rng.normal(kink, 1.5, size=shape), (kink,))
    return margin * y, y


def _squared_hinge(rng: np.random.Generator) -> list[Case]:
    s, y = _signed(rng, (6, 3), 1.0)
    loss = "squared_hinge"
    return [
        Case(loss, "mean", (s, y)),
        Case(loss, "none-int-labels", (s, y.astype(np.int64)), {"reduction": "none"}),
        Case(loss, "weighted", (s, y), {"weights": rng.uniform(0.5, 1.5, size=(6, 1))}),
    ]


def _soft_margin(rng: np.random.Generator) -> list[Case]:
    s = rng.normal(scale=2.0, size=(5, 4))
    y = rng.choice([-1.0, 1.0], size=(5, 4))
    # Saturation, within torch's range: it forms log1p(exp(−y·s)), which overflows to inf from −y·s ≈ 89 in
    # float32 and ≈ 710 in float64 (tests/test_margin.py pins that); lossport is exact there too.
    s_ext = np.array([80.0, -80.0, 30.0, -30.0, 17.0, -17.0])
    y_ext = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    loss = "soft_margin"
    return [
        Case(loss, "mean", (s, y)),
        Case(loss, "none-int-labels-masked", (s, y.astype(np.int64)),
             {"reduction": "none", "where": rng.uniform(size=(5, 1)) > 0.3}),
        Case(loss, "extreme", (s_ext, y_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _perceptron(rng: np.random.Generator) -> list[Case]:
    s, y = _signed(rng, (6, 3), 0.0)
    mask = rng.uniform(size=(6, 3)) > 0.3
    mask[0] = True
    loss = "perceptron"
    return [
        Case(loss, "mean", (s, y)),
        Case(loss, "none-int-labels", (s, y.astype(np.int64)), {"reduction": "none"}),
        Case(loss, "masked-sum", (s, y), {"where": mask, "reduction": "sum"}),
    ]


# -- index lists --------------------------------------------------------------------------------------------------


def _off_pair_kinks(rng: np.random.Generator, classes: int, kink: float) -> np.ndarray:
    """One row of ``classes`` scores whose pairwise differences all stay ``GAP`` away from ±``kink``."""
    while True:
        row = rng.normal(scale=1.0, size=classes)
        diff = row[:, None] - row[None, :]
        off = ~np.eye(classes, dtype=bool)
        if np.all(np.abs(np.abs(diff[off]) - kink) > GAP):
            return row


def _label_list(rng: np.random.Generator, classes: int, targets: int) -> np.ndarray:
    """torch's index list: ``targets`` distinct classes, then -1 and random entries after it (ignored)."""
    out = rng.integers(-1, classes, size=classes)
    out[:targets] = rng.permutation(classes)[:targets]
    if targets < classes:
        out[targets] = -1
    return out


def _multilabel_margin(rng: np.random.Generator) -> list[Case]:
    classes = 6
    x = np.stack([_off_pair_kinks(rng, classes, 1.0) for _ in range(5)])
    # Target counts: 2, 0 (the list starts with -1), all 6 (no -1), 1, 3.
    y = np.stack([_label_list(rng, classes, k) for k in (2, 0, 6, 1, 3)])
    loss = "multilabel_margin"
    return [
        Case(loss, "mean", (x, y)),
        Case(loss, "axis0-none", (x.T.copy(), y.T.copy()), {"axis": 0, "reduction": "none"}),
        Case(loss, "weighted", (x, y), {"weights": rng.uniform(0.5, 2.0, size=5)}),
    ]


# -- integer labels -----------------------------------------------------------------------------------------------


def _scores(rng: np.random.Generator, shape: tuple[int, ...], kink: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``(..., C)`` and labels with every ``s_c − s_y`` (c ≠ y) off ``-kink`` and no ties: rows redrawn."""
    *batch, classes = shape
    flat = []
    labels = rng.integers(0, classes, size=int(np.prod(batch)))
    for label in labels:
        while True:
            row = rng.normal(scale=1.5, size=classes)
            gaps = np.delete(row - row[label], label)
            top = np.sort(row)[::-1]
            if np.all(np.abs(gaps + kink) > GAP) and top[0] - top[1] > GAP:
                break
        flat.append(row)
    return np.reshape(flat, shape), labels.reshape(batch)


def _multiclass_hinge(rng: np.random.Generator) -> list[Case]:
    s, y = _scores(rng, (6, 5), 1.0)
    # Rows where every other class scores below 0 (Keras's variant differs there), off the null score's kink:
    # the best other score away from 0, and 1 + max(0, rival) − s_y away from 0.
    neg = -np.abs(s) - GAP
    neg[np.arange(6), y] = np.array([-2.0, 0.5, -0.5, 1.5, -1.3, 2.5])
    s3, y3 = _scores(rng, (3, 2, 4), 1.0)  # 4 classes, moved to axis 1 below
    loss = "multiclass_hinge"
    return [
        Case(loss, "mean", (s, y)),
        Case(loss, "null_score-none", (neg, y), {"null_score": 0.0, "reduction": "none"}),
        Case(loss, "axis1-weighted", (np.moveaxis(s3, -1, 1).copy(), y3),
             {"axis": 1, "weights": rng.uniform(0.5, 2.0, size=(3, 2))}),
    ]


def _multi_margin(rng: np.random.Generator) -> list[Case]:
    s, y = _scores(rng, (6, 4), 1.0)
    s_half, y_half = _scores(rng, (5, 4), 0.5)
    loss = "multi_margin"
    return [
        Case(loss, "mean", (s, y)),
        Case(loss, "p2-margin-class_weights-sum", (s_half, y_half),
             {"p": 2, "margin": 0.5, "class_weights": rng.uniform(0.2, 2.0, size=4), "reduction": "sum"}),
        Case(loss, "axis0-none", (s.T.copy(), y), {"axis": 0, "reduction": "none"}),
    ]


def _multiclass_perceptron(rng: np.random.Generator) -> list[Case]:
    s, y = _scores(rng, (6, 5), 0.0)
    loss = "multiclass_perceptron"
    return [
        Case(loss, "mean", (s, y)),
        Case(loss, "none", (s, y), {"reduction": "none"}),
        Case(loss, "axis0-weighted", (s.T.copy(), y), {"axis": 0, "weights": rng.uniform(0.5, 2.0, size=6)}),
    ]


def _hinge(rng: np.random.Generator) -> list[Case]:
    y = rng.choice([-1.0, 1.0], size=(6, 3))
    margin = _away(rng.normal(1.0, 1.5, size=(6, 3)), (1.0,))
    s = margin * y
    return [
        Case("hinge", "mean", (s, y)),
        Case("hinge", "none-int-labels", (s, y.astype(np.int64)), {"reduction": "none"}),
        Case("hinge", "weighted", (s, y), {"weights": rng.uniform(0.5, 1.5, size=(6, 1))}),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "hinge": _hinge,
    "squared_hinge": _squared_hinge,
    "soft_margin": _soft_margin,
    "perceptron": _perceptron,
    "multilabel_margin": _multilabel_margin,
    "multiclass_hinge": _multiclass_hinge,
    "multi_margin": _multi_margin,
    "multiclass_perceptron": _multiclass_perceptron,
}
