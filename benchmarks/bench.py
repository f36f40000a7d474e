"""lossport against each framework's native fused loss, in one process, as ratios (lossport ÷ native).

    python benchmarks/bench.py            # the full table (a few minutes on 2 cores)
    python benchmarks/bench.py --quick    # a smoke run: fewer repeats, under a minute
    python benchmarks/bench.py --json     # one JSON object per line instead of the table

Each cell is the median of repeated timings, after a warm-up (and, for torch.compile / jax.jit / tf.function, after
the compiling call). Native and lossport calls are interleaved sample by sample, so that a change in the machine's
load hits both sides of a ratio alike; each sample starts with an untimed call, so that one variant's freed
temporaries are not paid for by the next. On a shared machine pass ``--threads 1``: with two intra-op threads on two
busy cores, torch's and TensorFlow's kernels wait for a descheduled thread (4 ms scheduler quanta). lossport is timed with its value checks on (the CPU default) and off
(``lossport.value_checks(False)``, as ``LOSSPORT_CHECKS=0``); traced calls never check values, so compiled rows
have one lossport column. Frameworks that are not installed are skipped and listed.

Targets (DESIGN.md, "Performance"): small inputs ≤ 1.3 × native; large inputs ≤ 1.15 × native eager and ≤ 1.05 ×
native under torch.compile / jax.jit / tf.function.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from lossport.backends import parity

import lossport

SMALL, LARGE = "small", "large"
TARGETS = {(SMALL, False): 1.3, (SMALL, True): 1.3, (LARGE, False): 1.15, (LARGE, True): 1.05}
# Elementwise losses: 1k elements and 1e6; sparse cross-entropy: 32 x 32 and 256 x 32000.
ELEMENTS = {SMALL: 1_000, LARGE: 1_000_000}
CLASSES = {SMALL: (32, 32), LARGE: (256, 32_000)}


@dataclass
class Case:
    framework: str  # "torch", "torch.compile", "numpy", "jax.jit", "tensorflow", "tf.function"
    loss: str
    size: str
    native_name: str
    native: Callable[[], Any]
    lossport: Callable[[], Any]
    compiled: bool = False
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> float:
        return TARGETS[(self.size, self.compiled)]


# -- data --------------------------------------------------------------------------------------------------------


def _data(size: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = ELEMENTS[size]
    rows, classes = CLASSES[size]
    return {
        "a": rng.normal(size=n).astype(np.float32),
        "b": rng.normal(size=n).astype(np.float32),
        "bits": (rng.random(n) < 0.5).astype(np.float32),
        "logits": rng.normal(size=(rows, classes)).astype(np.float32),
        "labels": rng.integers(0, classes, size=rows).astype(np.int64),
    }


# -- cases per framework -------------------------------------------------------------------------------------------


def numpy_cases(sizes: list[str]) -> list[Case]:
    out = []
    for size in sizes:
        d = _data(size)
        a, b, x, y = d["a"], d["b"], d["logits"], d["labels"]

        def np_mse(a: np.ndarray = a, b: np.ndarray = b) -> Any:
            return np.mean((a - b) ** 2)

        def np_ce(x: np.ndarray = x, y: np.ndarray = y) -> Any:
            m = x.max(axis=-1, keepdims=True)
            lse = np.log(np.exp(x - m).sum(axis=-1)) + m[:, 0]
            return np.mean(lse - np.take_along_axis(x, y[:, None], axis=-1)[:, 0])

        out += [
            Case("numpy", "mse", size, "np.mean((a-b)**2)", np_mse,
                 lambda a=a, b=b: lossport.mean_squared_error(a, b)),
            Case("numpy", "sparse_ce", size, "np log-softmax CE", np_ce,
                 lambda x=x, y=y: lossport.sparse_softmax_cross_entropy(x, y)),
        ]
    return out


def torch_cases(sizes: list[str], compile_sizes: list[str]) -> list[Case]:
    import torch
    import torch.nn.functional as F

    out = []
    for size in sizes:
        d = {k: torch.from_numpy(v) for k, v in _data(size).items()}
        a, b, bits, x, y = d["a"], d["b"], d["bits"], d["logits"], d["labels"]
        out += [
            Case("torch", "mse", size, "F.mse_loss", lambda a=a, b=b: F.mse_loss(a, b),
                 lambda a=a, b=b: lossport.mean_squared_error(a, b)),
            Case("torch", "sparse_ce", size, "F.cross_entropy", lambda x=x, y=y: F.cross_entropy(x, y),
                 lambda x=x, y=y: lossport.sparse_softmax_cross_entropy(x, y)),
            Case("torch", "bce_logits", size, "F.binary_cross_entropy_with_logits",
                 lambda a=a, t=bits: F.binary_cross_entropy_with_logits(a, t),
                 lambda a=a, t=bits: lossport.binary_cross_entropy_with_logits(a, t)),
            Case("torch", "huber", size, "F.huber_loss", lambda a=a, b=b: F.huber_loss(a, b, delta=1.0),
                 lambda a=a, b=b: lossport.huber(a, b, delta=1.0)),
        ]
    for size in compile_sizes:
        d = {k: torch.from_numpy(v) for k, v in _data(size).items()}
        a, b, x, y = d["a"], d["b"], d["logits"], d["labels"]
        pairs = [
            ("mse", "F.mse_loss", F.mse_loss, lossport.mean_squared_error, (a, b)),
            ("sparse_ce", "F.cross_entropy", F.cross_entropy, lossport.sparse_softmax_cross_entropy, (x, y)),
        ]
        for loss, name, nat, lp, args in pairs:
            cn = torch.compile(nat, fullgraph=True)
            cl = torch.compile(lambda p, q, lp=lp: lp(p, q), fullgraph=True)
            out.append(Case("torch.compile", loss, size, name, lambda f=cn, args=args: f(*args),
                            lambda f=cl, args=args: f(*args), compiled=True))
    return out


def jax_cases(sizes: list[str]) -> list[Case]:
    import jax
    import jax.numpy as jnp
    import optax

    out = []
    for size in sizes:
        d = {k: jnp.asarray(v) for k, v in _data(size).items()}
        a, b, bits, x, y = d["a"], d["b"], d["bits"], d["logits"], d["labels"].astype(jnp.int32)
        pairs = [
            ("mse", "optax.squared_error(...).mean()",
             lambda p, q: optax.squared_error(p, q).mean(), lossport.mean_squared_error, (a, b)),
            ("sparse_ce", "optax.softmax_cross_entropy_with_integer_labels(...).mean()",
             lambda p, q: optax.softmax_cross_entropy_with_integer_labels(p, q).mean(),
             lossport.sparse_softmax_cross_entropy, (x, y)),
            ("bce_logits", "optax.sigmoid_binary_cross_entropy(...).mean()",
             lambda p, q: optax.sigmoid_binary_cross_entropy(p, q).mean(),
             lossport.binary_cross_entropy_with_logits, (a, bits)),
        ]
        for loss, name, nat, lp, args in pairs:
            jn, jl = jax.jit(nat), jax.jit(lambda p, q, lp=lp: lp(p, q))
            out.append(Case("jax.jit", loss, size, name,
                            lambda f=jn, args=args: f(*args).block_until_ready(),
                            lambda f=jl, args=args: f(*args).block_until_ready(), compiled=True))
    return out


def tensorflow_cases(sizes: list[str]) -> list[Case]:
    import tensorflow as tf

    out = []
    for size in sizes:
        d = _data(size)
        a, b, bits, x = (tf.constant(d[k]) for k in ("a", "b", "bits", "logits"))
        y = tf.constant(d["labels"])
        pairs = [
            ("mse", "tf.reduce_mean(tf.square(a - b))",
             lambda p, q: tf.reduce_mean(tf.square(p - q)), lossport.mean_squared_error, (a, b)),
            ("sparse_ce", "tf.nn.sparse_softmax_cross_entropy_with_logits",
             lambda p, q: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=q, logits=p)),
             lossport.sparse_softmax_cross_entropy, (x, y)),
            ("bce_logits", "tf.nn.sigmoid_cross_entropy_with_logits",
             lambda p, q: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=q, logits=p)),
             lossport.binary_cross_entropy_with_logits, (a, bits)),
        ]
        for loss, name, nat, lp, args in pairs:
            out.append(Case("tensorflow", loss, size, name, lambda f=nat, args=args: f(*args),
                            lambda f=lp, args=args: f(*args)))
            fn, fl = tf.function(nat), tf.function(lambda p, q, lp=lp: lp(p, q))
            out.append(Case("tf.function", loss, size, name, lambda f=fn, args=args: f(*args),
                            lambda f=fl, args=args: f(*args), compiled=True))
    return out


# -- timing --------------------------------------------------------------------------------------------------------


def _calibrate(fn: Callable[[], Any], budget: float) -> int:
    """Calls per sample so that one sample takes about ``budget`` seconds (at least 1)."""
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-7)
    return max(1, int(budget / once))


def _sample(fn: Callable[[], Any], number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t) / number


def measure(case: Case, *, repeat: int, budget: float, checks: bool) -> None:
    """Fill ``case.result`` with medians (seconds per call) for native, lossport (checks on) and (checks off)."""
    variants: dict[str, Callable[[], Any]] = {"native": case.native}
    variants["lossport"] = case.lossport
    if not case.compiled and checks:

        def unchecked(fn: Callable[[], Any] = case.lossport) -> Any:
            with lossport.value_checks(False):
                return fn()

        variants["lossport_nochecks"] = unchecked
    t0 = time.perf_counter()
    for fn in variants.values():  # warm-up; the first call of a compiled function compiles it
        fn()
    case.result["first_call_s"] = time.perf_counter() - t0
    for fn in variants.values():
        for _ in range(2):
            fn()
    number = {k: _calibrate(fn, budget) for k, fn in variants.items()}
    samples: dict[str, list[float]] = {k: [] for k in variants}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):  # interleaved: each round times every variant once
            for k, fn in variants.items():
                # An untimed call first: the previous variant's freed temporaries would otherwise be paid for
                # (page faults on fresh allocations) by this one's first timed call.
                fn()
                samples[k].append(_sample(fn, number[k]))
    finally:
        if gc_was:
            gc.enable()
    for k, v in samples.items():
        case.result[k] = statistics.median(v)
    nat = case.result["native"]
    case.result["ratio"] = case.result["lossport"] / nat
    if "lossport_nochecks" in case.result:
        case.result["ratio_nochecks"] = case.result["lossport_nochecks"] / nat


# -- reporting -----------------------------------------------------------------------------------------------------


def _fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:8.1f} µs"
    return f"{s * 1e3:8.2f} ms"


def print_table(cases: list[Case]) -> None:
    head = (f"{'framework':14s} {'loss':11s} {'size':6s} {'native':>11s} {'lossport':>11s} {'ratio':>6s} "
            f"{'no checks':>11s} {'ratio':>6s} {'target':>6s}  ok")
    print(head)
    print("-" * len(head))
    for c in cases:
        r = c.result
        if "error" in r:
            print(f"{c.framework:14s} {c.loss:11s} {c.size:6s} error: {r['error']}")
            continue
        best = r.get("ratio_nochecks", r["ratio"])
        ok = "yes" if r["ratio"] <= c.target else ("off" if best <= c.target else "NO")
        nochk = (f"{_fmt_time(r['lossport_nochecks'])} {r['ratio_nochecks']:6.2f}" if "ratio_nochecks" in r
                 else f"{'(traced)':>11s} {'':6s}")
        print(f"{c.framework:14s} {c.loss:11s} {c.size:6s} {_fmt_time(r['native'])} {_fmt_time(r['lossport'])} "
              f"{r['ratio']:6.2f} {nochk} {c.target:6.2f}  {ok}")
    print("ok: yes = within target with value checks on; off = only with checks off; NO = over target.")


def environment() -> dict[str, Any]:
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "lossport": lossport.__version__,
    }
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                env["cpu"] = line.split(":", 1)[1].strip()
                break
    for name in ("torch", "jax", "optax", "tensorflow"):
        mod = sys.modules.get(name)
        if mod is not None:
            env[name] = getattr(mod, "__version__", "?")
    if "torch" in sys.modules:
        env["torch_threads"] = sys.modules["torch"].get_num_threads()
    with contextlib.suppress(OSError):
        env["loadavg"] = os.getloadavg()
    return env


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds, as MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ would.

    With the defaults, a freed block of more than ~32 MB (or whatever the dynamic mmap threshold has grown to) goes
    back to the OS, and the next temporary of that size is faulted in page by page: an eager loss that makes
    several temporaries pays for each, a fused native loss for one. Returns whether mallopt was found.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's maximum on 64-bit
    libc.mallopt(m_trim_threshold, 1 << 30)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a smoke run under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object per case")
    parser.add_argument("--only", default="", help="comma-separated frameworks (numpy,torch,torch.compile,jax,tensorflow)")
    parser.add_argument("--sizes", default="small,large", help="comma-separated: small,large")
    parser.add_argument("--threads", type=int, default=0, help="torch and TensorFlow intra-op threads (0: default)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (its first build is slow)")
    parser.add_argument("--mallopt", action="store_true",
                        help="keep freed memory in the process (glibc mallopt), so that fresh temporaries do not "
                             "page-fault: isolates the cost of extra passes from the cost of allocating them")
    args = parser.parse_args(argv)
    if args.mallopt:
        keep_freed_memory()

    sizes = [s for s in args.sizes.split(",") if s]
    only = {s for s in args.only.split(",") if s}
    want = (lambda fw: not only or fw in only)  # noqa: E731
    repeat, budget = (5, 0.01) if args.quick else (15, 0.05)
    compile_sizes = [] if args.no_compile else ([LARGE] if args.quick else sizes)
    compile_sizes = [s for s in compile_sizes if s in sizes]

    cases: list[Case] = []
    skipped: dict[str, str] = {}
    if want("numpy"):
        cases += numpy_cases(sizes)
    if want("torch") or want("torch.compile"):
        try:
            import torch

            if args.threads:
                torch.set_num_threads(args.threads)
            cases += torch_cases(sizes if want("torch") else [], compile_sizes if want("torch.compile") else [])
        except ImportError as e:
            skipped["torch"] = str(e)
    if want("jax"):
        try:
            import jax

            jax.config.update("jax_enable_x64", False)
            cases += jax_cases(sizes)
        except ImportError as e:
            skipped["jax"] = str(e)
    if want("tensorflow"):
        try:
            import importlib.util

            if importlib.util.find_spec("lossport.backends.tensorflow") is None:
                raise ImportError("lossport.backends.tensorflow is not there yet")
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            parity.before_tensorflow()  # triton after TensorFlow segfaults (tensorflow/tensorflow#124205)
            import tensorflow as tf

            if args.threads:
                tf.config.threading.set_intra_op_parallelism_threads(args.threads)
            cases += tensorflow_cases(sizes)
        except ImportError as e:
            skipped["tensorflow"] = str(e)

    env = environment()
    env["mallopt"] = bool(args.mallopt)
    if not args.json:
        print("lossport benchmarks: " + ", ".join(f"{k} {v}" for k, v in env.items()))
        for k, v in skipped.items():
            print(f"skipped {k}: {v}")
    for case in cases:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                measure(case, repeat=repeat, budget=budget, checks=True)
        except Exception as e:  # report and go on: one broken case must not hide the others
            case.result["error"] = f"{type(e).__name__}: {e}"
        if args.json:
            row = {"framework": case.framework, "loss": case.loss, "size": case.size, "native": case.native_name,
                   "target": case.target, **case.result}
            print(json.dumps(row), flush=True)
    if args.json:
        print(json.dumps({"environment": env, "skipped": skipped}))
    else:
        print_table(cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
