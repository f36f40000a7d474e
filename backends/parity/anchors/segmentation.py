"""Native anchors of the segmentation losses of Catalog II: kornia's Lovász losses.

kornia (0.9) implements Berman et al.'s Algorithm 1 in torch, with the class (channel) axis 1 and no reduction:
``lovasz_hinge_loss(pred (B, 1, H, W), target (B, H, W))`` is the mean over images of each image's loss (lossport's
``per_image=True``); ``lovasz_softmax_loss(pred (B, C, H, W), target (B, H, W))`` takes *logits*, applies the softmax
over axis 1 itself, and averages every class of each image (Berman's ``classes="all"``) and then the images. So:

- the arrays are laid out as kornia demands: the channel axis of one added (hinge), the class axis moved to 1 and the
  spatial axes flattened to ``(S, 1)`` (kornia wants exactly four dimensions);
- the probabilities reach kornia as the logits ``log p``, whose softmax is ``p`` again (to rounding: each case's
  probabilities sum to 1);
- lossport runs with ``classes="all", per_image=True`` (the overrides) for the softmax loss;
- ``reduction="none"`` and ``"sum"`` are kornia called on one image at a time (a batch of one is that image's loss);
  ``per_image=False`` is kornia on the whole batch as one image;
- kornia has no sample weights, mask or ``ignore_index``: those cases are declined.

kornia forms the Jaccard increments as differences of ``1 − I/U``, which loses about ``log2(pixels)`` bits of each
(the gradient); the loss telescopes and keeps its accuracy. lossport's closed form keeps both (tests/
test_segmentation.py pins the gradients' difference on a large image).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import Anchor, _args, _reduction, _torch, _weighted
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


def _kornia_losses() -> Any:
    _torch()  # torch first
    return importlib.import_module("kornia.losses")


def _reduce(per_image: list[Any], case: Case) -> Any:
    torch = _torch()
    values = torch.stack(per_image)
    return {"none": values, "sum": torch.sum(values), "mean": torch.mean(values)}[_reduction(case)]


def _kornia_lovasz_hinge(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # no weights, no mask
    torch = _torch()
    z, y = _args(case, dtype)
    fn = _kornia_losses().lovasz_hinge_loss
    if not case.kwargs.get("per_image", True):  # the whole batch as one image
        value = fn(torch.from_numpy(z.reshape(1, 1, -1, 1)), torch.from_numpy(y.reshape(1, -1, 1)))
        return value if _reduction(case) != "none" else torch.reshape(value, ())
    images = [fn(torch.from_numpy(np.ascontiguousarray(zi.reshape(1, 1, -1, 1))),
                 torch.from_numpy(np.ascontiguousarray(yi.reshape(1, -1, 1)))) for zi, yi in zip(z, y)]
    return _reduce(images, case)


def _kornia_lovasz_softmax(case: Case, dtype: str) -> Any:
    if _weighted(case) or case.kwargs.get("ignore_index") is not None:
        return None  # no weights, mask or ignore_index
    torch = _torch()
    p, y = _args(case, dtype)
    p = np.moveaxis(p, case.kwargs.get("axis", -1), 1)  # (N, C, *spatial)
    with np.errstate(divide="ignore"):
        logits = np.log(p).reshape(p.shape[0], p.shape[1], -1, 1)
    labels = y.reshape(y.shape[0], -1, 1)
    fn = _kornia_losses().lovasz_softmax_loss
    images = [fn(torch.from_numpy(np.ascontiguousarray(logits[i:i + 1])), torch.from_numpy(labels[i:i + 1]))
              for i in range(logits.shape[0])]
    return _reduce(images, case)


TABLE: tuple[Anchor, ...] = (
    Anchor("kornia.lovasz_hinge_loss", "kornia", "lovasz_hinge", _kornia_lovasz_hinge),
    Anchor("kornia.lovasz_softmax_loss", "kornia", "lovasz_softmax", _kornia_lovasz_softmax,
           {"classes": "all", "per_image": True}),
)
