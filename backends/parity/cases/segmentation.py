"""Parity cases of the segmentation losses of Catalog II (dice, tversky and generalized_dice keep theirs in
``cases/divergence.py``, beside the overlap anchors).

The Lovász losses sort each image's errors, and their gradient is piecewise constant in the order: the cases keep
the errors distinct (continuous random data, a few dozen pixels) and the hinge errors off 0 (logits off ±1). Each
has an empty class, the trap of ``classes="present"`` and of the empty foreground (its loss is the worst error).
focal_tversky's cases are tversky's, with the exponent ``gamma`` below and above 1; none is a perfect prediction
(its gradient is infinite there for ``gamma < 1``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case, _away

__all__ = ["FACTORIES"]


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _lovasz_hinge(rng: np.random.Generator) -> list[Case]:
    z = _away(rng.normal(scale=1.5, size=(3, 4, 5)), (-1.0, 1.0))  # hinge errors 1 ∓ z off 0
    z = z + rng.uniform(-0.01, 0.01, size=z.shape)  # and distinct: _away moves its values to the same two points
    y = (rng.uniform(size=(3, 4, 5)) > 0.6).astype(np.int64)
    y[1] = 0  # an empty foreground: the loss is the worst error
    y[2, 0] = 1
    z_ext = z.copy()
    z_ext[0, 0, :3] = [1e4, -1e4, 0.0]
    loss = "lovasz_hinge"
    return [
        Case(loss, "per-image", (z, y)),
        Case(loss, "batch-float-labels-none", (z, y.astype(np.float64)), {"per_image": False, "reduction": "none"}),
        Case(loss, "weights-sum-none", (z, y), {"weights": rng.uniform(0.5, 2.0, size=3), "reduction": "none"}),
        Case(loss, "masked-1d", (z[:, 0, 0], y[:, 0, 0]), {"where": np.array([True, False, True])}),
        Case(loss, "extreme", (z_ext, y), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _lovasz_softmax(rng: np.random.Generator) -> list[Case]:
    p = _softmax(rng.normal(scale=1.5, size=(2, 4, 5, 4)))
    y = rng.integers(0, 3, size=(2, 4, 5))  # class 3 absent from the batch: left out by classes="present"
    y[1] = np.where(y[1] == 2, 0, y[1])  # and class 2 absent from image 1 (per_image)
    p1 = np.moveaxis(_softmax(rng.normal(size=(3, 6, 3))), -1, 1)  # class axis 1 (kornia's layout)
    y1 = rng.integers(0, 3, size=(3, 6))
    y_ignore = y.copy()
    y_ignore[0, 0] = -1  # four pixels ignored
    loss = "lovasz_softmax"
    return [
        Case(loss, "present", (p, y)),
        Case(loss, "per-image-present-none", (p, y), {"per_image": True, "reduction": "none"}),
        Case(loss, "axis1-all-per-image-sum", (p1, y1),
             {"axis": 1, "classes": "all", "per_image": True, "reduction": "sum"}),
        Case(loss, "ignore-index-classes-weights", (p, y_ignore),
             {"ignore_index": -1, "classes": (0, 2, 3), "per_image": True, "weights": np.array([0.5, 2.0])}),
    ]


def _focal_tversky(rng: np.random.Generator) -> list[Case]:
    p = _softmax(rng.normal(scale=1.5, size=(2, 3, 4, 2)))
    t = np.eye(2)[rng.integers(0, 2, size=(2, 3, 4))]
    pb = 1.0 / (1.0 + np.exp(-rng.normal(scale=2.0, size=(3, 4, 4, 1))))
    tb = (rng.uniform(size=(3, 4, 4, 1)) > 0.6).astype(np.float64)
    tb[-1] = 0.0  # an empty mask
    loss = "focal_tversky"
    return [
        Case(loss, "mean", (p, t), {"alpha": 0.3, "beta": 0.7}),
        Case(loss, "binary-gamma2-none", (pb, tb), {"alpha": 0.7, "beta": 0.2, "gamma": 2.0, "smooth": 0.5,
                                                    "reduction": "none"}),
        Case(loss, "all-axes-weights", (p, t), {"axis": (0, 1, 2), "gamma": 0.5, "weights": np.array([1.0, 3.0])}),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "lovasz_hinge": _lovasz_hinge,
    "lovasz_softmax": _lovasz_softmax,
    "focal_tversky": _focal_tversky,
}
