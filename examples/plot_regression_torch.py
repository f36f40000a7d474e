"""
Regression losses on make_regression (PyTorch)
==============================================

A small MLP fits scikit-learn's ``make_regression`` under five lossport losses: ``mean_squared_error``,
``mean_squared_logarithmic_error`` (``clip_min=0``), ``mean_absolute_error``, ``huber`` and ``pseudo_huber``. It prints
each loss's final test MSE and saves the training curves.

The training loop (``examples/_torch.py``) is plain PyTorch: ``nn.Sequential``, ``torch.optim.Adam``, and the
lossport function called on the network's output tensors.

Run it with ``python examples/plot_regression_torch.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _torch


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["regression"]
    return _common.report(demo, "torch", _torch.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
