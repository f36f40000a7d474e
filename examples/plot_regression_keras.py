"""
Regression losses on make_regression (Keras)
============================================

A small MLP fits scikit-learn's ``make_regression`` under five lossport losses: ``mean_squared_error``,
``mean_squared_logarithmic_error`` (``clip_min=0``), ``mean_absolute_error``, ``huber`` and ``pseudo_huber``. It prints
each loss's final test MSE and saves the training curves.

The training loop (``examples/_keras.py``) is Keras's ``model.fit`` with a ``lossport.keras`` loss class, under any
Keras backend: ``KERAS_BACKEND=jax python examples/plot_regression_keras.py``.

Run it with ``python examples/plot_regression_keras.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _keras


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["regression"]
    return _common.report(demo, _keras.framework(), _keras.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
