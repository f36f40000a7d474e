"""
Binary classification on make_circles (PyTorch)
===============================================

A small MLP separates scikit-learn's ``make_circles`` under ``binary_cross_entropy`` (on a sigmoid output),
``hinge`` and ``squared_hinge`` (on the raw score, with ±1 labels). It prints each loss's test accuracy and saves the
training curves.

The training loop (``examples/_torch.py``) is plain PyTorch: ``nn.Sequential``, ``torch.optim.Adam``, and the
lossport function called on the network's output tensors.

Run it with ``python examples/plot_circles_torch.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _torch


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["circles"]
    return _common.report(demo, "torch", _torch.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
