"""
Binary classification on make_circles (Keras)
=============================================

A small MLP separates scikit-learn's ``make_circles`` under ``binary_cross_entropy`` (on a sigmoid output),
``hinge`` and ``squared_hinge`` (on the raw score, with ±1 labels). It prints each loss's test accuracy and saves the
training curves.

The training loop (``examples/_keras.py``) is Keras's ``model.fit`` with a ``lossport.keras`` loss class, under any
Keras backend: ``KERAS_BACKEND=jax python examples/plot_circles_keras.py``.

Run it with ``python examples/plot_circles_keras.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _keras


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["circles"]
    return _common.report(demo, _keras.framework(), _keras.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
