"""Where a small loss call's time goes: lossport's layers timed one by one, on torch and NumPy.

    python benchmarks/overhead.py [--threads 1]

For the small inputs of bench.py (1k elements; 32 x 32 logits) the arithmetic is a few microseconds and the cost
is per call and per kernel: dispatch, the entry checks, the value checks, each namespace call (array-api-compat
wraps some), and the reduction. Each row is the best of several batches of calls (the minimum resists the
machine's load better than the median, and these are costs, not ratios), in microseconds per call.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lossport
from lossport import _numerics, _reduction, _validation
from lossport._namespace import array_namespace


def best(fn: Callable[[], Any], calls: int = 2000, batches: int = 7) -> float:
    for _ in range(100):
        fn()
    out = float("inf")
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        out = min(out, (time.perf_counter() - t) / calls)
    return out * 1e6


def rows_for(name: str, xp: Any, a: Any, b: Any, x: Any, y: Any, native: dict[str, Callable[[], Any]]) -> None:
    e = a - b
    u = xp.abs(b) / 10  # probabilities: |N(0, 1)| / 10 stays below 1 at 1k draws
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("mean_squared_error (checks on)", lambda: lossport.mean_squared_error(a, b)),
        ("  array_namespace", lambda: array_namespace(a, b, None, None)),
        ("  elementwise_inputs (dispatch, dtype, shape)", lambda: _validation.elementwise_inputs(a, b, None, None, xp=None)),
        ("  a - b; e * e", lambda: e * e),
        ("  reduce_loss(mean)", lambda: _reduction.reduce_loss(e, "mean", weights=None, where=None, out_dtype=e.dtype, xp=xp)),
        ("  xp.mean (namespace)", lambda: xp.mean(e)),
        ("huber (checks on)", lambda: lossport.huber(a, b)),
        ("  xp.clip(e, max=1.0) (namespace)", lambda: xp.clip(e, max=1.0)),
        ("binary_cross_entropy_with_logits", lambda: lossport.binary_cross_entropy_with_logits(a, b)),
        ("  softplus", lambda: _numerics.softplus(a, xp=xp)),
        ("  mul0", lambda: _numerics.mul0(a, b, xp=xp)),
        ("sparse_softmax_cross_entropy (checks on)", lambda: lossport.sparse_softmax_cross_entropy(x, y)),
        ("  class_index_inputs (dispatch, dtypes, shapes, value check)",
         lambda: _validation.class_index_inputs("logits", x, y, -1, None, None, None, None, None)),
        ("  check_labels_in_range (the value check)",
         lambda: _validation.check_labels_in_range("labels", y, x.shape[-1], ignore_index=None, xp=xp)),
        ("  check_in_unit_interval (a value check on 1k floats)",
         lambda: _validation.check_in_unit_interval("targets", u, xp=xp)),
        ("  log_softmax_at (native table)", lambda: _numerics.log_softmax_at(x, y, xp=xp)),
        ("  log_softmax_at (generic)", lambda: _numerics._log_softmax_at_generic(x, y, -1, xp=xp)),
    ]
    print(f"\n{name}")
    for label, fn in [*native.items(), *cases]:
        print(f"  {label:58s} {best(fn):8.2f} µs")
    with lossport.value_checks(False):
        print(f"  {'sparse_softmax_cross_entropy (checks off)':58s} "
              f"{best(lambda: lossport.sparse_softmax_cross_entropy(x, y)):8.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=1000).astype(np.float32), rng.normal(size=1000).astype(np.float32)
    x, y = rng.normal(size=(32, 32)).astype(np.float32), rng.integers(0, 32, 32)

    import array_api_compat.numpy as xnp

    rows_for("numpy", xnp, a, b, x, y, {
        "np.mean((a - b) ** 2) (reference)": lambda: np.mean((a - b) ** 2),
    })
    try:
        import array_api_compat.torch as xt
        import torch
        import torch.nn.functional as F
    except ImportError:
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    ta, tb, tx, ty = (torch.from_numpy(v) for v in (a, b, x, y))
    rows_for(f"torch ({torch.get_num_threads()} threads)", xt, ta, tb, tx, ty, {
        "F.mse_loss (reference)": lambda: F.mse_loss(ta, tb),
        "F.huber_loss (reference)": lambda: F.huber_loss(ta, tb),
        "F.binary_cross_entropy_with_logits (reference)": lambda: F.binary_cross_entropy_with_logits(ta, tb),
        "F.cross_entropy (reference)": lambda: F.cross_entropy(tx, ty),
        "one torch kernel: torch.mean(e)": lambda: torch.mean(ta),
        "torch.clamp(e, max=1.0)": lambda: torch.clamp(ta, max=1.0),
    })


if __name__ == "__main__":
    main()
