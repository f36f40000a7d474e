"""
Handwritten digits with sparse softmax cross-entropy (JAX + optax)
==================================================================

A small MLP classifies scikit-learn's bundled ``load_digits`` (8×8 images, no download) under
``sparse_softmax_cross_entropy`` on integer labels. It prints the test accuracy and saves the training curves.

The training loop (``examples/_jax.py``) is JAX and optax: an MLP as a list of ``(W, b)``, ``optax.adam``, and the
lossport function inside ``jax.value_and_grad`` under ``jax.jit``.

Run it with ``python examples/plot_digits_jax.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _jax


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["digits"]
    return _common.report(demo, "jax+optax", _jax.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
