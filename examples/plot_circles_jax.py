"""
Binary classification on make_circles (JAX + optax)
===================================================

A small MLP separates scikit-learn's ``make_circles`` under ``binary_cross_entropy`` (on a sigmoid output),
``hinge`` and ``squared_hinge`` (on the raw score, with ±1 labels). It prints each loss's test accuracy and saves the
training curves.

The training loop (``examples/_jax.py``) is JAX and optax: an MLP as a list of ``(W, b)``, ``optax.adam``, and the
lossport function inside ``jax.value_and_grad`` under ``jax.jit``.

Run it with ``python examples/plot_circles_jax.py`` (``--quick`` for a few epochs on a small sample, as the tests do).
"""

from __future__ import annotations

import _common
import _jax


def main(quick: bool = False, out: str | None = None) -> _common.History:
    demo = _common.DEMOS["circles"]
    return _common.report(demo, "jax+optax", _jax.train(demo, quick), out)


if __name__ == "__main__":
    main(**_common.arguments())
