"""
Handwritten digits with sparse softmax cross-entropy (PyTorch)
==============================================================

A small MLP classifies scikit-learn's bundled ``load_digits`` (8×8 images, no download) under
``sparse_softmax_cross_entropy`` on integer labels. It prints the test accuracy and saves the training curves.

The training loop (``examples/_torch.py``) is plain PyTorch: ``nn.Sequential``, ``torch.optim.Adam``, and the
lossport function called on the network's output tensors.

Run it with ``python examples/plot_digits_torch.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _torch


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["digits"]
    return _common.report(demo, "torch", _torch.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
