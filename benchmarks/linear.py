"""linear_cross_entropy against the dense form: forward + backward time and peak memory (issue 9).

    python benchmarks/linear.py                          # CPU: N = 4096, H = 512, V = 32000, every mode
    python benchmarks/linear.py --scale 0.25             # N ÷ 4 (H and V stay): a quicker run
    python benchmarks/linear.py --modes torch,jax.jit    # some modes only
    python benchmarks/linear.py --device cuda --gemma    # Gemma-2 2B's output layer: N = 8192, H = 2304, V = 256000
    python benchmarks/linear.py --json linear.json       # the raw numbers too
    python benchmarks/linear.py --what memory            # peak memory only (--what time: time only)

The dense form materialises the logits: ``hidden @ weight.T`` then the framework's own sparse cross-entropy
(``F.cross_entropy``; ``optax.softmax_cross_entropy_with_integer_labels``; ``tf.nn.sparse_softmax_cross_entropy_
with_logits``), mean over the tokens. lossport is ``lossport.linear_cross_entropy(hidden, weight, labels)`` with its
default chunk (``lossport.linear.chunk_for``). Both are differentiated with respect to ``hidden`` and ``weight``
(float32). The modes: torch eager (``torch.autograd.grad``), ``torch.compile(fullgraph=True)`` of the loss with
autograd's backward, ``jax.jit(jax.value_and_grad(f, (0, 1)))``, TensorFlow eager (``GradientTape``) and
``tf.function(jit_compile=True)`` around the tape.

Time: one child process per mode; dense and lossport interleaved sample by sample after a warm-up (the compiling
call), medians of ``--repeat`` samples (benchmarks/train.py's ``time_pair``). Peak memory above the inputs: one
fresh child per (mode, implementation), as benchmarks/train.py measures it (warm-up on a tiny input, then
``malloc_trim``, the kernel's peak-RSS counter reset, one full-size forward + backward, ``VmHWM`` − base ``VmRSS``);
on ``--device cuda``, torch's ``max_memory_allocated()`` and JAX's compiled ``memory_analysis()`` (temp + output).
The gradients' own buffers (``d hidden``, ``d weight``: about 0.11 × the dense form's peak at the issue's sizes)
count on both sides.

Targets (issue 9): peak memory ≤ 0.25 × the dense form's, time ≤ 1.3 × the dense form's, eager and compiled.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train  # the benchmarks folder: time_pair and the peak-RSS helpers

MARK = "@@linear.py "
MODES = ("torch", "torch.compile", "jax.jit", "tensorflow", "tf.xla")
FRAMEWORK = {"torch": "torch", "torch.compile": "torch", "jax.jit": "jax", "tensorflow": "tensorflow",
             "tf.xla": "tensorflow"}
SIZES = {"issue": (4096, 512, 32_000), "gemma": (8192, 2304, 256_000)}
TINY = (16, 8, 300)
TIME_TARGET, MEMORY_TARGET = 1.3, 0.25


def inputs(n: int, h: int, v: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((n, h), dtype=np.float32)
    weight = (rng.standard_normal((v, h), dtype=np.float32) / np.float32(np.sqrt(h)))
    return hidden, weight, rng.integers(0, v, size=n)


def step(mode: str, impl: str, device: str, data: tuple[np.ndarray, ...]) -> Callable[[], Any]:
    """One forward + backward of ``impl`` ("dense" or "lossport") in ``mode``, on ``data``, as a closure that
    waits for its result."""
    import lossport

    if FRAMEWORK[mode] == "torch":
        import torch
        import torch.nn.functional as F

        dev = torch.device(device)
        h, w = (torch.from_numpy(a).to(dev).requires_grad_(True) for a in data[:2])
        y = torch.from_numpy(data[2]).to(dev)

        def loss(h: Any, w: Any) -> Any:
            if impl == "dense":
                return F.cross_entropy(h @ w.T, y)
            return lossport.linear_cross_entropy(h, w, y)

        fn = torch.compile(loss, fullgraph=True) if mode == "torch.compile" else loss

        def run() -> Any:
            out = torch.autograd.grad(fn(h, w), (h, w))
            if device == "cuda":
                torch.cuda.synchronize()
            return out

        return run
    if mode == "jax.jit":
        import jax
        import jax.numpy as jnp
        import optax

        h, w, y = (jnp.asarray(a) for a in data)

        def loss_j(h: Any, w: Any) -> Any:
            if impl == "dense":
                return optax.softmax_cross_entropy_with_integer_labels(h @ w.T, y).mean()
            return lossport.linear_cross_entropy(h, w, y)

        g = jax.jit(jax.value_and_grad(loss_j, argnums=(0, 1)))
        return lambda: jax.block_until_ready(g(h, w))
    import tensorflow as tf

    h, w, y = (tf.constant(a) for a in data)

    def tape(h: Any, w: Any) -> Any:
        with tf.GradientTape() as t:
            t.watch([h, w])
            if impl == "dense":
                logits = tf.matmul(h, w, transpose_b=True)
                out = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            else:
                out = lossport.linear_cross_entropy(h, w, y)
        return out, t.gradient(out, [h, w])

    fn = tf.function(tape, jit_compile=True) if mode == "tf.xla" else tape
    return lambda: [x.numpy() for x in tf.nest.flatten(fn(h, w))]


def _emit(row: dict[str, Any]) -> None:
    print(MARK + json.dumps(row), flush=True)


def child_time(args: argparse.Namespace) -> None:
    _set_threads(args)
    data = inputs(*args.sizes)
    dense, mine = step(args.mode, "dense", args.device, data), step(args.mode, "lossport", args.device, data)
    compiled = args.mode in ("torch.compile", "jax.jit", "tf.xla")
    out = train.time_pair(dense, mine, repeat=args.repeat, budget=0.5, compiled=compiled)
    _emit({"mode": args.mode, "dense_s": out["native_s"], "lossport_s": out["lossport_s"],
           "time_ratio": out["time_ratio"], "repeat": out["repeat"],
           "dense_first_call_s": out["native_first_call_s"], "lossport_first_call_s": out["lossport_first_call_s"]})


def child_memory(args: argparse.Namespace) -> None:
    _set_threads(args)
    step(args.mode, args.impl, args.device, inputs(*TINY))()  # code paths, kernels, caches
    data = inputs(*args.sizes)
    run = step(args.mode, args.impl, args.device, data)
    if args.device == "cuda" and FRAMEWORK[args.mode] == "torch":
        import torch

        run()  # compiles (torch.compile), then measure a second call
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        run()
        _emit({"peak_mb": (torch.cuda.max_memory_allocated() - base) / 1e6, "metric": "cuda max_memory_allocated"})
        return
    if args.mode in ("torch.compile", "tf.xla"):
        run()  # compiles per shape on the first call
    if args.mode == "jax.jit" and args.device == "cuda":
        import jax
        import jax.numpy as jnp

        import lossport

        h, w, y = (jnp.asarray(a) for a in data)

        def loss(h: Any, w: Any) -> Any:
            if args.impl == "dense":
                import optax

                return optax.softmax_cross_entropy_with_integer_labels(h @ w.T, y).mean()
            return lossport.linear_cross_entropy(h, w, y)

        analysis = jax.jit(jax.grad(loss, argnums=(0, 1))).lower(h, w).compile().memory_analysis()
        _emit({"peak_mb": (analysis.temp_size_in_bytes + analysis.output_size_in_bytes) / 1e6,
               "metric": "XLA memory_analysis temp + output"})
        return
    if args.mode == "jax.jit":
        run()  # compiles the full-size executable
    gc.collect()
    train._trim()
    reset = train._reset_peak_rss()
    base = train._status_kb().get("VmRSS", 0) if reset else train._maxrss_kb()
    run()
    peak = train._status_kb().get("VmHWM", 0) if reset else train._maxrss_kb()
    _emit({"peak_mb": (peak - base) / 1e3, "metric": "VmHWM - VmRSS" if reset else "ru_maxrss delta"})


def _set_threads(args: argparse.Namespace) -> None:
    if FRAMEWORK[args.mode] == "torch":
        import torch

        torch.set_num_threads(args.threads)
    elif FRAMEWORK[args.mode] == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)


def _env(args: argparse.Namespace, mode: str) -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if args.device == "cpu":
        env["JAX_PLATFORMS"] = "cpu"
        if FRAMEWORK[mode] == "jax":
            flags = f"intra_op_parallelism_threads={args.threads}"
            if args.threads == 1:
                flags = "--xla_cpu_multi_thread_eigen=false " + flags
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    else:
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return env


def _child(args: argparse.Namespace, mode: str, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--mode", mode, "--device", args.device, "--threads",
           str(args.threads), "--repeat", str(args.repeat), "--sizes", ",".join(map(str, args.sizes)), *extra]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.child_timeout, env=_env(args, mode),
                              check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.child_timeout} s"}
    rows = [json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if not rows:
        tail = proc.stderr.strip().splitlines()
        return {"error": f"exit {proc.returncode}: {tail[-1] if tail else ''}"[:300]}
    return {**rows[-1], "child_s": round(time.perf_counter() - t0, 1)}


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parent(args: argparse.Namespace) -> int:
    n, h, v = args.sizes
    rows = []
    for mode in args.modes:
        row: dict[str, Any] = {"mode": mode}
        if args.what in ("time", "both"):
            row.update(_child(args, mode, ["--child", "time"]))
            _log(f"{mode}: time {row}")
        for impl in ("dense", "lossport") if args.what in ("memory", "both") else ():
            got = _child(args, mode, ["--child", "memory", "--impl", impl])
            row[f"{impl}_peak_mb"] = got.get("peak_mb")
            row[f"{impl}_memory_error"] = got.get("error")
            _log(f"{mode}: memory {impl} {got}")
        rows.append(row)
    inputs_mb = (n * h + v * h) * 4 / 1e6
    print(f"\nlinear_cross_entropy vs the dense form, N = {n}, H = {h}, V = {v}, float32, device {args.device}, "
          f"{args.threads} thread(s); inputs {inputs_mb:.0f} MB, dense logits {n * v * 4 / 1e6:.0f} MB\n")
    print("| mode | dense s | lossport s | time ratio (target ≤ 1.3) | dense peak MB | lossport peak MB "
          "| memory ratio (target ≤ 0.25) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = (r["lossport_peak_mb"] / r["dense_peak_mb"]) if r.get("dense_peak_mb") and r.get(
            "lossport_peak_mb") is not None else None

        def cell(x: Any, fmt: str) -> str:
            return "n/a" if x is None else format(x, fmt)

        print(f"| {r['mode']} | {cell(r.get('dense_s'), '.3f')} | {cell(r.get('lossport_s'), '.3f')} | "
              f"{cell(r.get('time_ratio'), '.2f')} | {cell(r.get('dense_peak_mb'), '.0f')} | "
              f"{cell(r.get('lossport_peak_mb'), '.0f')} | {cell(ratio, '.2f')} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"sizes": args.sizes, "device": args.device, "rows": rows}, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--gemma", action="store_true", help="Gemma-2 2B's sizes (N = 8192, H = 2304, V = 256000)")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies N (H and V stay)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--what", default="both", choices=("time", "memory", "both"), help="what to measure")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--child-timeout", type=float, default=900.0)
    p.add_argument("--json", default=None)
    p.add_argument("--child", choices=("time", "memory"), help=argparse.SUPPRESS)
    p.add_argument("--mode", help=argparse.SUPPRESS)
    p.add_argument("--impl", help=argparse.SUPPRESS)
    p.add_argument("--sizes", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        args.sizes = tuple(int(x) for x in args.sizes.split(","))
        if FRAMEWORK[args.mode] == "tensorflow" or args.mode == "torch":
            import importlib.util

            if importlib.util.find_spec("triton") is not None:
                import triton  # noqa: F401  (before TensorFlow: the other order segfaults; README troubleshooting)
        (child_time if args.child == "time" else child_memory)(args)
        return 0
    n, h, v = SIZES["gemma" if args.gemma else "issue"]
    args.sizes = (max(1, round(n * args.scale)), h, v)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(args.modes) - set(MODES)
    if unknown:
        p.error(f"unknown modes {sorted(unknown)}")
    return parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
