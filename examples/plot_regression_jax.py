"""
Regression losses on make_regression (JAX + optax)
==================================================

A small MLP fits scikit-learn's ``make_regression`` under five lossport losses: ``mean_squared_error``,
``mean_squared_logarithmic_error`` (``clip_min=0``), ``mean_absolute_error``, ``huber`` and ``pseudo_huber``. It prints
each loss's final test MSE and saves the training curves.

The training loop (``examples/_jax.py``) is JAX and optax: an MLP as a list of ``(W, b)``, ``optax.adam``, and the
lossport function inside ``jax.value_and_grad`` under ``jax.jit``.

Run it with ``python examples/plot_regression_jax.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _jax


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["regression"]
    return _common.report(demo, "jax+optax", _jax.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
