"""
Handwritten digits with sparse softmax cross-entropy (Keras)
============================================================

A small MLP classifies scikit-learn's bundled ``load_digits`` (8×8 images, no download) under
``sparse_softmax_cross_entropy`` on integer labels. It prints the test accuracy and saves the training curves.

The training loop (``examples/_keras.py``) is Keras's ``model.fit`` with a ``lossport.keras`` loss class, under any
Keras backend: ``KERAS_BACKEND=jax python examples/plot_digits_keras.py``.

Run it with ``python examples/plot_digits_keras.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _keras


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["digits"]
    return _common.report(demo, _keras.framework(), _keras.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
