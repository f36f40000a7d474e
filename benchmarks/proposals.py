"""Measured proposals for costs outside the primitives (loss bodies, validation), as ratios to native.

    python benchmarks/proposals.py [--threads 1]

Each block times the current lossport call, a candidate rewrite of the part that costs (written here with the same
namespace calls the loss body would make, or as the adapter's native function it would call), and the native
fused loss. The candidates are proposals for the files that own them; docs/performance.md lists them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lossport


def bench(fns: dict[str, Callable[[], Any]], repeat: int = 15, budget: float = 0.03) -> dict[str, float]:
    number = {}
    for k, f in fns.items():
        f()
        f()
        t = time.perf_counter()
        f()
        number[k] = max(1, int(budget / max(time.perf_counter() - t, 1e-7)))
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t = time.perf_counter()
            for _ in range(number[k]):
                f()
            samples[k].append((time.perf_counter() - t) / number[k])
    return {k: statistics.median(v) for k, v in samples.items()}


def show(title: str, times: dict[str, float], base: str) -> None:
    print(f"\n{title}")
    for k, v in times.items():
        unit = f"{v * 1e6:9.1f} µs" if v < 1e-3 else f"{v * 1e3:9.2f} ms"
        print(f"  {k:58s} {unit}  x{v / times[base]:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    for n in (1_000, 1_000_000):
        elementwise(n, rng)
    labels_check()


def elementwise(n: int, rng: np.random.Generator) -> None:
    import array_api_compat.numpy as xnp
    import array_api_compat.torch as xt
    import torch
    import torch.nn.functional as F

    if True:
        a_np, b_np = rng.normal(size=n).astype(np.float32), rng.normal(size=n).astype(np.float32)
        a, b = torch.from_numpy(a_np), torch.from_numpy(b_np)
        bits = torch.from_numpy((rng.random(n) < 0.5).astype(np.float32))
        with lossport.value_checks(False):
            # 1. MSE: mean(e * e) is 3 passes (sub, mul, mean); a dot product reads e once for both.
            def mse_vecdot(p: Any, t: Any, xp: Any) -> Any:
                e = p - t
                return xp.vecdot(e, e) / e.shape[0]

            show(f"torch mse, {n} elements", bench({
                "F.mse_loss": lambda: F.mse_loss(a, b),
                "lossport.mean_squared_error (mean(e * e))": lambda: lossport.mean_squared_error(a, b),
                "candidate: vecdot(e, e) / n (body only)": lambda: mse_vecdot(a, b, xt),
                "candidate: native squared error F.mse_loss(reduction='none'), mean":
                    lambda: xt.mean(F.mse_loss(a, b, reduction="none")),
                "body only, current: mean(e * e)": lambda: xt.mean((a - b) * (a - b)),
            }), "F.mse_loss")
            show(f"numpy mse, {n} elements", bench({
                "np.mean((a - b) ** 2)": lambda: np.mean((a_np - b_np) ** 2),
                "lossport.mean_squared_error": lambda: lossport.mean_squared_error(a_np, b_np),
                "candidate: vecdot(e, e) / n (body only)": lambda: mse_vecdot(a_np, b_np, xnp),
                "body only, current: mean(e * e)": lambda: xnp.mean((a_np - b_np) * (a_np - b_np)),
            }), "np.mean((a - b) ** 2)")

            # 2. Huber: 0.5 q² + δ(|e| − q) is q (|e| − q / 2): the same function (and gradient), two passes fewer.
            def huber_now(p: Any, t: Any, xp: Any, delta: float = 1.0) -> Any:
                ae = xp.abs(p - t)
                q = xp.clip(ae, max=delta)
                return xp.mean(0.5 * q * q + delta * (ae - q))

            def huber_candidate(p: Any, t: Any, xp: Any, delta: float = 1.0) -> Any:
                ae = xp.abs(p - t)
                q = xp.clip(ae, max=delta)
                return xp.mean(q * (ae - 0.5 * q))

            show(f"torch huber, {n} elements", bench({
                "F.huber_loss": lambda: F.huber_loss(a, b),
                "lossport.huber": lambda: lossport.huber(a, b),
                "body only, current": lambda: huber_now(a, b, xt),
                "candidate: q * (|e| - q / 2)": lambda: huber_candidate(a, b, xt),
            }), "F.huber_loss")

            # 3. BCE with logits: two softplus and two mul0 (11 kernels); a native fused primitive would be 1 + a
            #    fix-up of the infinities, where torch's own formula gives NaN.
            def bce_fused_fixed(x: Any, y: Any) -> Any:
                loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
                # x = +inf: (1 - y)·inf (0 where y == 1); x = -inf: y·inf (0 where y == 0).
                inf_value = torch.where(x > 0, 1 - y, y) * float("inf")
                inf_value = torch.where(inf_value != inf_value, 0.0, inf_value)  # 0 · inf
                return torch.where(torch.isinf(x), inf_value, loss).mean()

            # 3b. The same with the logits clamped to the finite range instead of where-fix-ups (torch.where is not
            #     vectorised on the CPU: ~4 ns per element). Exact where finite; at ±inf the loss is 0 where the
            #     coefficient is 0 and the dtype's max (3.4e38) instead of inf elsewhere.
            fmax = float(torch.finfo(torch.float32).max)

            def bce_fused_clamped(x: Any, y: Any) -> Any:
                return F.binary_cross_entropy_with_logits(x.clamp(-fmax, fmax), y, reduction="none").mean()

            show(f"torch bce_logits, {n} elements", bench({
                "candidate: fused torch BCE on logits clamped to +-finfo.max": lambda: bce_fused_clamped(a, bits),
                "F.binary_cross_entropy_with_logits": lambda: F.binary_cross_entropy_with_logits(a, bits),
                "lossport.binary_cross_entropy_with_logits": lambda: lossport.binary_cross_entropy_with_logits(
                    a, bits),
                "candidate: fused torch BCE + a where for ±inf": lambda: bce_fused_fixed(a, bits),
            }), "F.binary_cross_entropy_with_logits")


def labels_check() -> None:
    # 4. The labels' value check: 5 kernels and a sync; one aminmax and one sync would do.
    import array_api_compat.torch as xt
    import torch

    from lossport._validation import check_labels_in_range

    y = torch.randint(0, 32, (32,))

    def aminmax_check(labels: Any, num_classes: int) -> bool:
        lo, hi = torch.aminmax(labels)
        return bool(lo >= 0) and bool(hi < num_classes)

    show("torch labels value check, 32 labels", bench({
        "check_labels_in_range": lambda: check_labels_in_range("labels", y, 32, ignore_index=None, xp=xt),
        "candidate: torch.aminmax + 2 bools": lambda: aminmax_check(y, 32),
    }), "check_labels_in_range")


if __name__ == "__main__":
    main()
