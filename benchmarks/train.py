"""What training costs: forward + backward of lossport against each framework's native loss, time and peak memory.

    python benchmarks/train.py                         # torch eager, jax.jit, TensorFlow eager; large inputs
    python benchmarks/train.py --scale 0.25            # every size ÷ 4: a quicker run
    python benchmarks/train.py --scale 0.1 --only torch --cases mse        # a smoke run, well under a minute
    python benchmarks/train.py --torch-compile --tf-xla  # also torch.compile and tf.function(jit_compile=True)
    python benchmarks/train.py --json train.json       # the raw numbers too
    python benchmarks/train.py --composition           # lossport without its custom backward passes (before)

Each case is a scalar loss (``reduction="mean"``) of float32 inputs, differentiated with respect to the
predictions (logits, log-probabilities) only; the targets are constants. The modes: torch eager
(``loss.backward()``), ``torch.compile(fullgraph=True)`` of the loss with autograd's backward, ``jax.jit(
jax.value_and_grad(f))``, TensorFlow eager (``GradientTape``) and ``tf.function(jit_compile=True)`` around the tape.
lossport is always called through its public functions (``lossport.mean_squared_error`` ...), with its defaults
(value checks on CPU arrays; ``--no-checks`` turns them off), so custom backward passes are picked up as they land.

Time: one child process per framework. Native and lossport are interleaved sample by sample (their order
alternating), after a warm-up (the compiling call for compiled modes); a sample is a batch of calls sized to a
time budget (one call at large sizes), preceded by an untimed call when calls are short (bench.py's convention);
each cell is the median of ``--repeat`` samples. ``--threads`` (default 1) intra-op threads for torch, TensorFlow
and XLA:CPU (through ``XLA_FLAGS``, set before JAX is imported).

Peak memory over the inputs: one fresh child process per (case, mode, implementation), since a process's peak RSS
only grows. The child imports, creates the inputs, warms up on a tiny input of the same kind (code paths, kernels,
caches; uncompiled, except JAX's) — torch.compile and tf.function(jit_compile=True) compile per shape on the first
call, so they then run once at full size, and JAX compiles the full-size executable ahead of time — then collects
garbage, returns freed heap to the system (``malloc_trim``), resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``; without it the input creation's transient copies, or that full-size call, would raise
the base), reads the base, runs forward + backward once at full size and reports the rise of the peak RSS in MB
(``VmHWM`` − base ``VmRSS``, the counter ``ru_maxrss`` reads; ``ru_maxrss`` deltas where the reset is not allowed).
The gradient's own buffer is part of it on both sides. On ``--device cuda``: torch ``max_memory_allocated()`` after
``reset_peak_memory_stats()`` minus the allocated inputs; TensorFlow ``get_memory_info('GPU:0')['peak']`` after
``reset_memory_stats`` minus the current; JAX the compiled ``jax.jit(jax.grad(f))``'s ``memory_analysis()``, temp +
output bytes. That analysis, and the timed ``jax.value_and_grad``'s, are also reported on the CPU (a table of their
own) beside the RSS.

Targets (DESIGN.md, "Performance"): forward + backward on large inputs, peak memory ≤ 1.1 × native, time ≤ 1.15 ×
native eager and ≤ 1.05 × compiled.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the benchmarks folder: a sibling script

ROOT = Path(__file__).resolve().parent.parent
MARK = "@@train.py "  # prefix of a child's result lines on its stdout
FRAMEWORKS = ("torch", "jax", "tensorflow")
TIME_TARGET = {False: 1.15, True: 1.05}  # eager, compiled
MEMORY_TARGET = 1.1

# Large inputs at --scale 1: elementwise losses on 4e7 elements; class losses on 4096 x 32000 (the issue's).
# --scale multiplies the element count and the number of rows; the class count stays. Small: bench.py's 1k.
ELEMENTS = {"large": 40_000_000, "small": 1_000}
CLASSES = {"large": (4096, 32_000), "small": (32, 32)}
TINY_ELEMENTS, TINY_CLASSES = 1024, (8, 16)  # the memory children's warm-up
BLOCK_ELEMENTS, BLOCK_ROWS = 1_000_003, 61  # random values are drawn for a block this size and tiled (`inputs`)

# case -> the lossport function, and the kind of inputs (see `inputs`).
LOSSPORT = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "huber": "huber",
    "smooth_l1": "smooth_l1",
    "bce_logits": "binary_cross_entropy_with_logits",
    "sparse_ce": "sparse_softmax_cross_entropy",
    "softmax_ce": "softmax_cross_entropy",
    "kl": "kl_divergence",
    "poisson": "poisson_nll",
    "soft_margin": "soft_margin",
    "log_cosh": "log_cosh",
    "hinge": "hinge",
    "multiclass_hinge": "multiclass_hinge",
    "multi_margin": "multi_margin",
    "js": "js_divergence",
    "nll": "nll",
    "cce": "categorical_cross_entropy",
    "sigmoid_focal": "sigmoid_focal",
}
KIND = {
    "mse": "pair", "mae": "pair", "huber": "pair", "smooth_l1": "pair", "log_cosh": "pair",
    "bce_logits": "bits", "soft_margin": "signs", "hinge": "signs", "poisson": "counts",
    "sparse_ce": "labels", "multiclass_hinge": "labels", "multi_margin": "labels", "softmax_ce": "probs",
    "kl": "kl", "js": "logs", "nll": "log_labels", "cce": "probs_probs", "sigmoid_focal": "bits",
}
CLASS_KINDS = ("labels", "probs", "kl", "logs", "log_labels", "probs_probs")
NATIVE = {  # framework -> case -> what the native side calls (its callables are built in the child)
    "torch": {
        "mse": "F.mse_loss",
        "mae": "F.l1_loss",
        "huber": "F.huber_loss(delta=1)",
        "smooth_l1": "F.smooth_l1_loss(beta=1)",
        "bce_logits": "F.binary_cross_entropy_with_logits",
        "sparse_ce": "F.cross_entropy (int labels)",
        "softmax_ce": "F.cross_entropy (probabilities)",
        "kl": 'F.kl_div(log_q, p, reduction="batchmean")',
        "poisson": "F.poisson_nll_loss",
        "soft_margin": "F.soft_margin_loss",
        "hinge": "torch.clamp(1 - t * s, min=0).mean() (no native)",
        "multi_margin": "F.multi_margin_loss",
        "js": "F.kl_div of both against log m = logaddexp − log 2 (no native)",
        "nll": "F.nll_loss",
        "cce": "-(t * torch.log(p)).sum(-1).mean() (no native on probabilities)",
        "sigmoid_focal": "torchvision.ops.sigmoid_focal_loss's formula, alpha=None (no native in torch)",
    },
    "jax": {
        "mse": "optax.losses.squared_error(...).mean()",
        "huber": "optax.losses.huber_loss(..., delta=1).mean()",
        "bce_logits": "optax.losses.sigmoid_binary_cross_entropy(...).mean()",
        "sparse_ce": "optax.losses.softmax_cross_entropy_with_integer_labels(...).mean()",
        "softmax_ce": "optax.losses.softmax_cross_entropy(...).mean()",
        "log_cosh": "optax.losses.log_cosh(...).mean()",
        "hinge": "optax.losses.hinge_loss(...).mean()",
        "multiclass_hinge": "optax.losses.multiclass_hinge_loss(...).mean()",
        "kl": "optax.losses.kl_divergence(...).mean()",
        "js": "optax kl_divergence_with_log_targets against log m (no native)",
        "nll": "-take_along_axis(log_p, labels).mean() (no native)",
        "sigmoid_focal": "optax.losses.sigmoid_focal_loss(..., alpha=None).mean()",
    },
    "tensorflow": {
        "mse": "tf.reduce_mean(tf.square(a - b))",
        "bce_logits": "tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(...))",
        "sparse_ce": "tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(...))",
        "softmax_ce": "tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(...))",
        "huber": "tf.compat.v1.losses.huber_loss(delta=1)",
        "hinge": "tf.reduce_mean(keras.losses.hinge(t, s))",
        "kl": "tf.reduce_mean(tf.reduce_sum(xlogy(p, p) − p·log q, -1)) (no native on log q)",
        "cce": "tf.reduce_mean(keras.losses.categorical_crossentropy(t, p)) (clips at 1e-7, renormalises)",
        "sigmoid_focal": "tf.reduce_mean(keras.losses.binary_focal_crossentropy(t, x, from_logits=True))",
    },
}
MODES = {"torch": ("torch eager", "torch.compile"), "jax": ("jax.jit",), "tensorflow": ("tf eager", "tf xla")}
EAGER = {"torch": "torch eager", "jax": "jax.jit", "tensorflow": "tf eager"}  # the memory children's warm-up mode
COMPILED = {"torch.compile", "jax.jit", "tf xla"}


# -- inputs ----------------------------------------------------------------------------------------------------------


def _rows_in_place(x: np.ndarray, log: bool) -> np.ndarray:
    """``x`` replaced by its softmax (or log-softmax) along the last axis, block by block (no full-size temporary)."""
    for i in range(0, x.shape[0], 256):
        blk = x[i:i + 256]
        blk -= blk.max(axis=-1, keepdims=True)
        if log:
            blk -= np.log(np.exp(blk).sum(axis=-1, keepdims=True))
        else:
            np.exp(blk, out=blk)
            blk /= blk.sum(axis=-1, keepdims=True)
    return x


def _tiled(block: np.ndarray, length: int) -> np.ndarray:
    """``block`` repeated along its first axis up to ``length`` (no temporary beyond the result)."""
    if len(block) == length:
        return block
    out = np.empty((length, *block.shape[1:]), dtype=block.dtype)
    for i in range(0, length, len(block)):
        out[i:i + len(block)] = block[:length - i]
    return out


def inputs(kind: str, n: int, rows: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, targets) as float32 NumPy arrays (int64 labels), made without full-size temporaries.

    The values are drawn for a block (``BLOCK_ELEMENTS`` elements, or ``BLOCK_ROWS`` rows) and tiled: drawing
    1.3e8 normals and soft-maxing them took 4-9 s per child on the 2 shared cores, and a loss's speed and memory
    depend on its values' distribution, not on their never repeating. Labels are drawn in full.
    """
    rng = np.random.default_rng(seed)
    if kind in CLASS_KINDS:
        r = min(rows, BLOCK_ROWS)
        x = rng.standard_normal((r, classes), dtype=np.float32)
        if kind in ("labels", "log_labels"):
            if kind == "log_labels":
                _rows_in_place(x, log=True)
            return _tiled(x, rows), rng.integers(0, classes, size=rows, dtype=np.int64)
        if kind in ("kl", "logs"):
            _rows_in_place(x, log=True)
        if kind == "logs":
            return _tiled(x, rows), _tiled(_rows_in_place(rng.standard_normal((r, classes), dtype=np.float32),
                                                          log=True), rows)
        p = _rows_in_place(rng.standard_normal((r, classes), dtype=np.float32), log=False)
        if kind == "probs_probs":
            _rows_in_place(x, log=False)
        return _tiled(x, rows), _tiled(p, rows)
    m = min(n, BLOCK_ELEMENTS)
    x = rng.standard_normal(m, dtype=np.float32)
    if kind == "pair":
        t = rng.standard_normal(m, dtype=np.float32)
    elif kind == "counts":  # log-rates around 0, counts 0..4
        x *= 0.5
        t = rng.integers(0, 5, size=m, dtype=np.int8).astype(np.float32)
    else:
        t = (rng.random(m, dtype=np.float32) < 0.5).astype(np.float32)  # 0/1 labels
        if kind == "signs":
            t *= 2
            t -= 1
    return _tiled(x, n), _tiled(t, n)


def sizes_of(size: str, scale: float) -> tuple[int, int, int]:
    """(elements, rows, classes) of a size at a scale (small ignores the scale)."""
    n, (rows, classes) = ELEMENTS[size], CLASSES[size]
    if size == "large":
        n, rows = max(1, round(n * scale)), max(1, round(rows * scale))
    return n, rows, classes


def shape_label(case: str, size: str, scale: float) -> str:
    n, rows, classes = sizes_of(size, scale)
    if KIND[case] in CLASS_KINDS:
        return f"{rows}×{classes}"
    if n < 10_000:
        return str(n)
    e = len(str(n)) - 1
    m = n / 10**e
    return f"{m:.3g}e{e}"


# -- per framework (run in the children) -----------------------------------------------------------------------------


class Harness:
    """One framework's arrays, losses and forward + backward steps."""

    framework = ""

    def __init__(self, device: str, threads: int) -> None:
        self.device = device
        self.threads = threads

    def natives(self) -> dict[str, Callable[[Any, Any], Any]]:
        raise NotImplementedError

    def convert(self, p: np.ndarray, t: np.ndarray) -> tuple[Any, Any]:
        raise NotImplementedError

    def step(self, mode: str, fn: Callable[[Any, Any], Any], p: Any, t: Any) -> Callable[[], Any]:
        """A function that runs forward + backward once (synchronised) and returns what it made."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def device_peak(self) -> tuple[Callable[[], None], Callable[[], float]] | None:
        """(reset, read) of the device's peak allocation over the current one in MB, or None on the CPU."""
        return None

    def release(self, p: Any) -> None:
        """Drop what a step left on its inputs (torch's ``.grad``)."""


class TorchHarness(Harness):
    framework = "torch"

    def __init__(self, device: str, threads: int) -> None:
        super().__init__(device, threads)
        import torch

        self.torch = torch
        torch.set_num_threads(threads)
        self.dev = torch.device("cuda" if device == "cuda" else "cpu")

    def version(self) -> str:
        return self.torch.__version__

    def natives(self) -> dict[str, Callable[[Any, Any], Any]]:
        import torch
        import torch.nn.functional as F

        return {
            "mse": F.mse_loss,
            "mae": F.l1_loss,
            "huber": lambda p, t: F.huber_loss(p, t, delta=1.0),
            "smooth_l1": lambda p, t: F.smooth_l1_loss(p, t, beta=1.0),
            "bce_logits": F.binary_cross_entropy_with_logits,
            "sparse_ce": F.cross_entropy,
            "softmax_ce": F.cross_entropy,
            "kl": lambda q, p: F.kl_div(q, p, reduction="batchmean"),
            "poisson": F.poisson_nll_loss,
            "soft_margin": F.soft_margin_loss,
            "hinge": lambda s, t: torch.clamp(1.0 - t * s, min=0.0).mean(),
            "multi_margin": F.multi_margin_loss,
            "js": lambda lq, lp: _js_by_kl(lq, lp, torch.logaddexp, lambda a, b: F.kl_div(
                a, b, reduction="batchmean", log_target=True)),
            "nll": F.nll_loss,
            "cce": lambda p, t: -(t * torch.log(p)).sum(-1).mean(),
            "sigmoid_focal": _torchvision_focal,
        }

    def convert(self, p: np.ndarray, t: np.ndarray) -> tuple[Any, Any]:
        torch = self.torch
        return (torch.from_numpy(p).to(self.dev).requires_grad_(True), torch.from_numpy(t).to(self.dev))

    def _sync(self) -> None:
        if self.dev.type == "cuda":
            self.torch.cuda.synchronize()

    def step(self, mode: str, fn: Callable[[Any, Any], Any], p: Any, t: Any) -> Callable[[], Any]:
        if mode == "torch.compile":
            fn = self.torch.compile(fn, fullgraph=True, dynamic=False)

        def run(fn: Callable[[Any, Any], Any] = fn) -> Any:
            p.grad = None
            loss = fn(p, t)
            loss.backward()
            self._sync()
            return loss.detach(), p.grad

        return run

    def device_peak(self) -> tuple[Callable[[], None], Callable[[], float]] | None:
        if self.dev.type != "cuda":
            return None
        cuda = self.torch.cuda
        base = [0]

        def reset() -> None:
            cuda.synchronize()
            cuda.reset_peak_memory_stats()
            base[0] = cuda.memory_allocated()

        def read() -> float:
            cuda.synchronize()
            return (cuda.max_memory_allocated() - base[0]) / 2**20

        return reset, read

    def release(self, p: Any) -> None:
        p.grad = None


class JaxHarness(Harness):
    framework = "jax"

    def __init__(self, device: str, threads: int) -> None:
        super().__init__(device, threads)
        import jax

        self.jax = jax
        jax.config.update("jax_enable_x64", False)

    def version(self) -> str:
        return self.jax.__version__

    def natives(self) -> dict[str, Callable[[Any, Any], Any]]:
        import optax

        L = optax.losses
        return {
            "mse": lambda p, t: L.squared_error(p, t).mean(),
            "huber": lambda p, t: L.huber_loss(p, t, delta=1.0).mean(),
            "bce_logits": lambda p, t: L.sigmoid_binary_cross_entropy(p, t).mean(),
            "sparse_ce": lambda p, t: L.softmax_cross_entropy_with_integer_labels(p, t).mean(),
            "softmax_ce": lambda p, t: L.softmax_cross_entropy(p, t).mean(),
            "log_cosh": lambda p, t: L.log_cosh(p, t).mean(),
            "hinge": lambda s, t: L.hinge_loss(s, t).mean(),
            "multiclass_hinge": lambda s, t: L.multiclass_hinge_loss(s, t).mean(),
            "kl": lambda q, p: L.kl_divergence(q, p).mean(),
            "js": lambda lq, lp: _js_by_kl(lq, lp, self.jax.numpy.logaddexp,
                                           lambda a, b: L.kl_divergence_with_log_targets(a, b).mean()),
            "nll": lambda lp, t: -self.jax.numpy.take_along_axis(lp, t[:, None], axis=-1).mean(),
            "sigmoid_focal": lambda x, t: L.sigmoid_focal_loss(x, t, alpha=None).mean(),
        }

    def convert(self, p: np.ndarray, t: np.ndarray) -> tuple[Any, Any]:
        if t.dtype == np.int64:
            t = t.astype(np.int32)
        dev = self.jax.devices()[0]
        return self.jax.device_put(p, dev), self.jax.device_put(t, dev)

    def step(self, mode: str, fn: Callable[[Any, Any], Any], p: Any, t: Any) -> Callable[[], Any]:
        f = self.jax.jit(self.jax.value_and_grad(fn))
        return lambda: self.jax.block_until_ready(f(p, t))

    def device_peak(self) -> tuple[Callable[[], None], Callable[[], float]] | None:
        dev = self.jax.devices()[0]
        if dev.platform == "cpu" or not dev.memory_stats():
            return None
        base = [0]

        def reset() -> None:
            base[0] = dev.memory_stats().get("bytes_in_use", 0)

        def read() -> float:
            return (dev.memory_stats().get("peak_bytes_in_use", 0) - base[0]) / 2**20

        return reset, read

    def compiled_step(self, fn: Callable[[Any, Any], Any], p: Any, t: Any) -> Callable[[], Any]:
        """The step, compiled ahead of time for these shapes (so that running it compiles nothing)."""
        f = self.jax.jit(self.jax.value_and_grad(fn)).lower(p, t).compile()
        return lambda: self.jax.block_until_ready(f(p, t))

    def memory_analysis(self, fn: Callable[[Any, Any], Any], p: Any, t: Any) -> dict[str, dict[str, float]]:
        """XLA's memory analysis, in MB, of ``jax.jit(jax.grad(fn))`` and of the timed
        ``jax.jit(jax.value_and_grad(fn))`` (whose forward value can keep intermediates alive) at these shapes."""
        out = {}
        for name, transform in (("grad", self.jax.grad), ("value_and_grad", self.jax.value_and_grad)):
            m = self.jax.jit(transform(fn)).lower(p, t).compile().memory_analysis()
            if m is None:
                continue
            got = {k: getattr(m, f"{k}_size_in_bytes", 0) / 2**20 for k in ("temp", "output", "argument", "alias")}
            got["temp_plus_output"] = got["temp"] + got["output"]
            out[name] = got
        return out


class TensorFlowHarness(Harness):
    framework = "tensorflow"

    def __init__(self, device: str, threads: int) -> None:
        super().__init__(device, threads)
        from lossport.backends import parity

        parity.runner.before_tensorflow()  # torch and triton first: TensorFlow ≥ 2.20 then triton segfaults
        import tensorflow as tf

        self.tf = tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        self.gpu = device == "cuda" and bool(tf.config.list_physical_devices("GPU"))
        if not self.gpu:
            with contextlib.suppress(RuntimeError, ValueError):
                tf.config.set_visible_devices([], "GPU")
        self.dev = "/GPU:0" if self.gpu else "/CPU:0"

    def version(self) -> str:
        return self.tf.__version__

    def natives(self) -> dict[str, Callable[[Any, Any], Any]]:
        import keras

        tf = self.tf
        return {
            "mse": lambda p, t: tf.reduce_mean(tf.square(p - t)),
            "bce_logits": lambda p, t: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=p)),
            "sparse_ce": lambda p, t: tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=p)),
            "softmax_ce": lambda p, t: tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=p)),
            "huber": lambda p, t: tf.compat.v1.losses.huber_loss(t, p, delta=1.0),
            "hinge": lambda s, t: tf.reduce_mean(keras.losses.hinge(t, s)),
            "kl": lambda q, p: tf.reduce_mean(tf.reduce_sum(tf.math.xlogy(p, p) - p * q, axis=-1)),
            "cce": lambda p, t: tf.reduce_mean(keras.losses.categorical_crossentropy(t, p)),
            "sigmoid_focal": lambda x, t: tf.reduce_mean(keras.losses.binary_focal_crossentropy(t, x, from_logits=True)),
        }

    def convert(self, p: np.ndarray, t: np.ndarray) -> tuple[Any, Any]:
        with self.tf.device(self.dev):
            return self.tf.identity(self.tf.constant(p)), self.tf.identity(self.tf.constant(t))

    def _sync(self) -> None:
        if self.gpu:
            self.tf.test.experimental.sync_devices()

    def step(self, mode: str, fn: Callable[[Any, Any], Any], p: Any, t: Any) -> Callable[[], Any]:
        tf = self.tf

        def grad(p: Any, t: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(p)
                loss = fn(p, t)
            return loss, tape.gradient(loss, p)

        if mode == "tf xla":
            grad = tf.function(grad, jit_compile=True)

        def run() -> Any:
            with tf.device(self.dev):
                out = grad(p, t)
            self._sync()
            return out

        return run

    def device_peak(self) -> tuple[Callable[[], None], Callable[[], float]] | None:
        if not self.gpu:
            return None
        exp = self.tf.config.experimental
        base = [0]

        def reset() -> None:
            self._sync()
            exp.reset_memory_stats("GPU:0")
            base[0] = exp.get_memory_info("GPU:0")["current"]

        def read() -> float:
            self._sync()
            return (exp.get_memory_info("GPU:0")["peak"] - base[0]) / 2**20

        return reset, read


HARNESSES: dict[str, type[Harness]] = {"torch": TorchHarness, "jax": JaxHarness, "tensorflow": TensorFlowHarness}


def _torchvision_focal(x: Any, t: Any, gamma: float = 2.0) -> Any:
    """``torchvision.ops.sigmoid_focal_loss(x, t, alpha=-1, gamma, reduction="mean")``, its formula written out
    (torchvision is not a dependency; torch has no focal loss)."""
    import torch.nn.functional as F

    p = x.sigmoid()
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    return (ce * ((1 - p_t) ** gamma)).mean()


def _js_by_kl(log_q: Any, log_p: Any, logaddexp: Callable[..., Any], kl: Callable[[Any, Any], Any]) -> Any:
    """JS through a native KL: ``½ KL(P ‖ M) + ½ KL(Q ‖ M)``, ``log M = logaddexp(log p, log q) − log 2`` (no
    framework has a JS loss; this is what a user would write)."""
    log_m = logaddexp(log_p, log_q) - 0.6931471805599453
    return 0.5 * (kl(log_m, log_p) + kl(log_m, log_q))


def _lossport_fn(case: str) -> Callable[[Any, Any], Any]:
    import lossport

    fn = getattr(lossport, LOSSPORT[case])
    return lambda p, t: fn(p, t)


def _emit(row: dict[str, Any]) -> None:
    print(MARK + json.dumps(row), flush=True)


# -- the time child --------------------------------------------------------------------------------------------------


def time_pair(native: Callable[[], Any], lossport_: Callable[[], Any], *, repeat: int, budget: float,
              compiled: bool, max_case_s: float = 0.0) -> dict[str, Any]:
    """Medians (seconds per forward + backward) of native and lossport, interleaved, after a warm-up.

    ``repeat`` rounds (one sample of each), fewer (not under 3) where they would take more than ``max_case_s``.
    """
    variants = {"native": native, "lossport": lossport_}
    out: dict[str, Any] = {}
    once: dict[str, float] = {}
    for k, fn in variants.items():  # the first call (compiles, for compiled modes)
        t0 = time.perf_counter()
        fn()
        once[k] = out[f"{k}_first_call_s"] = time.perf_counter() - t0
    number = {k: max(1, int(budget / once[k])) for k in variants}
    for k, fn in variants.items():  # calibrate on a second call where the first compiled, or was quick anyway
        if compiled or once[k] < budget:
            t0 = time.perf_counter()
            number[k] = bench._calibrate(fn, budget)
            once[k] = time.perf_counter() - t0
    # An untimed call before each sample when calls are short: otherwise the previous variant's freed temporaries
    # (returned to the system) are paid for by this one's first call. Calls of more than 0.25 s allocate blocks
    # that the allocator maps afresh each time anyway.
    untimed = {k: once[k] < 0.25 for k in variants}
    one_round = sum(once[k] * (number[k] + int(untimed[k])) for k in variants)
    if max_case_s > 0:
        repeat = max(min(repeat, 3), min(repeat, int(max_case_s / one_round)))
    out["repeat"] = repeat
    samples: dict[str, list[float]] = {k: [] for k in variants}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeat):
            for k in (("native", "lossport") if r % 2 == 0 else ("lossport", "native")):
                if untimed[k]:
                    variants[k]()
                samples[k].append(bench._sample(variants[k], number[k]))
    finally:
        if gc_was:
            gc.enable()
    for k in variants:
        out[f"{k}_s"] = statistics.median(samples[k])
        out[f"{k}_samples"] = samples[k]
        out[f"{k}_number"] = number[k]
    out["time_ratio"] = out["lossport_s"] / out["native_s"]
    return out


def _unbound(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """With ``--composition``, lossport's custom backward passes unbound: autodiff of the forward (the "before")."""
    if not args.composition:
        return contextlib.nullcontext()
    from lossport import _gradients

    return _gradients.composition()


def child_time(args: argparse.Namespace) -> None:
    with _unbound(args):
        _child_time(args)


def _child_time(args: argparse.Namespace) -> None:
    h = HARNESSES[args.only](args.device, args.threads)
    natives = h.natives()
    _emit({"version": h.version()})
    for size in args.size.split(","):
        n, rows, classes = sizes_of(size, args.scale)
        for case in args.cases.split(","):
            p = t = None
            for mode in args.modes.split(","):
                row: dict[str, Any] = {"framework": h.framework, "case": case, "mode": mode, "size": size}
                try:
                    if p is None:
                        p, t = h.convert(*inputs(KIND[case], n, rows, classes))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        row.update(time_pair(h.step(mode, natives[case], p, t), h.step(mode, _lossport_fn(case), p, t),
                                             repeat=args.repeat, budget=args.budget, compiled=mode in COMPILED,
                                             max_case_s=args.max_case_s))
                except Exception as e:  # report and go on: one broken case must not hide the others
                    row["time_error"] = f"{type(e).__name__}: {e}"[:300]
                _emit(row)
            del p, t
            gc.collect()


# -- the memory child ------------------------------------------------------------------------------------------------


def _status_kb() -> dict[str, int]:
    out = {}
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


def _trim() -> None:
    """Give the heap's free pages back to the system (glibc), so that the base RSS is the live set."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):
        if name:
            ctypes.CDLL(name).malloc_trim(0)


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter to the current RSS (Linux ≥ 4.0); whether it was allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def child_memory(args: argparse.Namespace) -> None:
    with _unbound(args):
        _child_memory(args)


def _child_memory(args: argparse.Namespace) -> None:
    h = HARNESSES[args.only](args.device, args.threads)
    case, mode, impl, size = args.cases, args.modes, args.impl, args.size
    fn = h.natives()[case] if impl == "native" else _lossport_fn(case)
    n, rows, classes = sizes_of(size, args.scale)
    p, t = h.convert(*inputs(KIND[case], n, rows, classes))
    tiny = h.convert(*inputs(KIND[case], TINY_ELEMENTS, *TINY_CLASSES, seed=1))
    row: dict[str, Any] = {"framework": h.framework, "case": case, "mode": mode, "size": size, "impl": impl,
                           "version": h.version()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The tiny warm-up runs uncompiled (except JAX's): lossport builds some of its objects on a first eager call
        # (torch.compile(fullgraph=True) cannot trace that build; see the README).
        for _ in range(2):
            h.step(EAGER[h.framework], fn, *tiny)()
        if isinstance(h, JaxHarness):
            row["xla"] = h.memory_analysis(fn, p, t)
            run = h.compiled_step(fn, p, t)
            row["warmup"] = "tiny input; full size compiled ahead of time"
        else:
            run = h.step(mode, fn, p, t)
            if mode in COMPILED:  # compiles per shape on its first call: compile (and run) at full size first
                run()
                row["warmup"] = "tiny input, then one full-size call (compiles)"
            else:
                row["warmup"] = "tiny input"
        h.release(tiny[0])
        h.release(p)
        del tiny
        gc.collect()
        _trim()
        device = h.device_peak()
        if device is not None:
            reset, read = device
            reset()
            out = run()
            row["peak_mb"], row["metric"] = read(), "device allocator"
            if isinstance(h, JaxHarness) and "grad" in row["xla"]:
                # peak_bytes_in_use never goes down: XLA's own account of the executable is the reliable one
                row["device_stats_mb"] = row["peak_mb"]
                row["peak_mb"], row["metric"] = row["xla"]["grad"]["temp_plus_output"], "XLA temp + output"
        else:
            row["reset"] = _reset_peak_rss()
            base_ru, base = _maxrss_kb(), _status_kb()
            out = run()
            after_ru, after = _maxrss_kb(), _status_kb()
            row["ru_maxrss_delta_mb"] = (after_ru - base_ru) / 1024
            row["base_rss_mb"] = base.get("VmRSS", 0) / 1024
            row["slack_mb"] = (base_ru - base.get("VmRSS", base_ru)) / 1024  # what a base without reset hides
            if row["reset"] and "VmHWM" in after:
                row["peak_mb"], row["metric"] = (after["VmHWM"] - base["VmRSS"]) / 1024, "RSS"
            else:
                row["peak_mb"], row["metric"] = row["ru_maxrss_delta_mb"], "ru_maxrss"
    del out
    _emit(row)


# -- the parent ------------------------------------------------------------------------------------------------------


def _child_env(framework: str, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    if args.no_checks:
        env["LOSSPORT_CHECKS"] = "0"
    if args.device == "cpu":
        env["JAX_PLATFORMS"] = "cpu"
    if framework == "jax" and args.device == "cpu":
        flags = f"intra_op_parallelism_threads={args.threads}"
        if args.threads == 1:
            flags = "--xla_cpu_multi_thread_eigen=false " + flags
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flags).strip()
    if framework == "jax" and args.device == "cuda":
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return env


def run_child(framework: str, argv: list[str], args: argparse.Namespace) -> tuple[list[dict[str, Any]], str | None]:
    """Run ``train.py --child ...``; its result rows, and an error (exit status, stderr's tail) or None."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--only", framework, "--device", args.device,
           "--threads", str(args.threads), "--scale", str(args.scale), *argv]
    if args.composition:
        cmd.append("--composition")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.child_timeout, cwd=ROOT,
                              env=_child_env(framework, args), check=False)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        rows = [json.loads(line[len(MARK):]) for line in out.splitlines() if line.startswith(MARK)]
        return rows, f"timed out after {args.child_timeout} s"
    rows = [json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)]
    for r in rows:
        r["child_s"] = round(time.perf_counter() - t0, 2)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return rows, f"exit status {proc.returncode}: {lines[-1] if lines else ''}"[:300]
    return rows, None


def measure_memory(fw: str, case: str, mode: str, size: str, impl: str, args: argparse.Namespace) -> dict[str, Any]:
    """One memory child: ``{impl}_peak_mb`` and the child's details, or ``{impl}_memory_error``."""
    got, err = run_child(fw, ["--child", "memory", "--cases", case, "--modes", mode, "--size", size,
                              "--impl", impl], args)
    if not got:
        _log(f"{fw}: memory {case} {mode} {size} {impl}: {err or 'no result'}")
        return {f"{impl}_memory_error": err or "no result"}
    m = got[-1]
    _log(f"{fw}: memory {case} {mode} {size} {impl}: {m.get('peak_mb', float('nan')):.1f} MB "
         f"({m.get('metric')}; child {m['child_s']} s)")
    out = {f"{impl}_peak_mb": m.get("peak_mb"), f"{impl}_memory": m}
    if "xla" in m:
        out[f"{impl}_xla"] = m["xla"]
    return out


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def versions() -> dict[str, str]:
    out = {}
    for dist in ("torch", "jax", "jaxlib", "optax", "tensorflow", "tensorflow-cpu", "keras"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def _num(x: float | None, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def _ratio(a: float | None, b: float | None, floor: float = 0.0) -> float | None:
    if a is None or b is None or b <= floor:
        return None
    return a / b


def print_table(rows: list[dict[str, Any]], scale: float) -> None:
    print("| case | mode | size | native time (ms) | lossport time (ms) | time ratio | native peak MB | "
          "lossport peak MB | memory ratio | over target |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        nt, lt = r.get("native_s"), r.get("lossport_s")
        nm, lm = r.get("native_peak_mb"), r.get("lossport_peak_mb")
        tr = _ratio(lt, nt)
        mr = _ratio(lm, nm, floor=1.0)  # below 1 MB the RSS's page granularity and noise dominate
        over = []
        if tr is not None and r["size"] == "large" and tr > TIME_TARGET[r["mode"] in COMPILED]:
            over.append("time")
        if mr is not None and r["size"] == "large" and mr > MEMORY_TARGET:
            over.append("memory")
        errors = list(dict.fromkeys(r[k] for k in ("time_error", "native_memory_error", "lossport_memory_error")
                                    if k in r))
        if errors:
            over.append("error: " + "; ".join(errors).replace("|", "/").replace("\n", " "))
        print(f"| {r['case']} | {r['mode']} | {shape_label(r['case'], r['size'], scale)} | "
              f"{_num(nt and nt * 1e3, '.2f')} | {_num(lt and lt * 1e3, '.2f')} | {_num(tr, '.2f')} | "
              f"{_num(nm, '.1f')} | {_num(lm, '.1f')} | {_num(mr, '.2f')} | {', '.join(over)} |")
    xla = [r for r in rows if "native_xla" in r or "lossport_xla" in r]
    if xla:
        print()
        print("jax.jit, XLA's memory_analysis(): temp + output MB (the output is the gradient, and the value), of "
              "jax.grad(f) and of the timed jax.value_and_grad(f)")
        print()
        print("| case | size | grad: native | grad: lossport | ratio | value_and_grad: native | "
              "value_and_grad: lossport | ratio |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for r in xla:
            cells = []
            for fn in ("grad", "value_and_grad"):
                n = r.get("native_xla", {}).get(fn, {}).get("temp_plus_output")
                m = r.get("lossport_xla", {}).get(fn, {}).get("temp_plus_output")
                cells += [_num(n, ".1f"), _num(m, ".1f"), _num(_ratio(m, n, floor=1.0), ".2f")]
            print(f"| {r['case']} | {shape_label(r['case'], r['size'], scale)} | {' | '.join(cells)} |")


def parent(args: argparse.Namespace) -> int:
    only = [f for f in (args.only.split(",") if args.only else FRAMEWORKS) if f]
    bad = [f for f in only if f not in FRAMEWORKS]
    if bad:
        print(f"unknown framework(s) {bad}; choose from {FRAMEWORKS}", file=sys.stderr)
        return 2
    wanted = [c for c in args.cases.split(",") if c] if args.cases else list(LOSSPORT)
    unknown = [c for c in wanted if c not in LOSSPORT]
    if unknown:
        print(f"unknown case(s) {unknown}; choose from {list(LOSSPORT)}", file=sys.stderr)
        return 2
    sizes = [s for s in args.size.split(",") if s]
    if any(s not in ELEMENTS for s in sizes):
        print("--size takes large, small or both (comma-separated)", file=sys.stderr)
        return 2

    env = bench.environment()
    env.update(versions())
    env.update(date=datetime.datetime.now().isoformat(timespec="seconds"), device=args.device,
               threads=args.threads, scale=args.scale, repeat=args.repeat, max_case_s=args.max_case_s,
               value_checks=not args.no_checks, custom_backward=not args.composition)
    rows: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    for fw in only:
        cases = [c for c in wanted if c in NATIVE[fw]]
        modes = [m for m in MODES[fw] if (m != "torch.compile" or args.torch_compile) and (m != "tf xla" or args.tf_xla)]
        if not cases:
            continue
        _log(f"{fw}: timing {len(cases)} case(s) x {len(modes)} mode(s) x {len(sizes)} size(s) in one process")
        got, err = run_child(fw, ["--child", "time", "--cases", ",".join(cases), "--modes", ",".join(modes),
                                  "--size", ",".join(sizes), "--repeat", str(args.repeat), "--budget",
                                  str(args.budget), "--max-case-s", str(args.max_case_s)], args)
        timed = {(r["case"], r["mode"], r["size"]): r for r in got if "case" in r}
        for r in got:
            if "version" in r:
                env[fw] = r["version"]  # as the framework reports it (a +cu130 suffix ...)
        _log(f"{fw}: timed in {got[-1]['child_s'] if got else '?'} s" + (f"; {err}" if err else ""))
        for size in sizes:
            for case in cases:
                for mode in modes:
                    row = {"framework": fw, "case": case, "mode": mode, "size": size, "native": NATIVE[fw][case],
                           "lossport": f"lossport.{LOSSPORT[case]}"}
                    row.update(timed.get((case, mode, size), {"time_error": err or "no result"}))
                    if not args.no_memory:
                        for impl in ("native", "lossport"):
                            row.update(measure_memory(fw, case, mode, size, impl, args))
                    rows.append(row)
    env["wall_s"] = round(time.perf_counter() - t_start, 1)
    with contextlib.suppress(OSError):
        env["loadavg_end"] = os.getloadavg()

    keys = ["date", "device", "threads", "scale", "repeat", "max_case_s", "value_checks", "custom_backward", "lossport", "numpy", "torch", "jax",
            "jaxlib", "optax", "tensorflow", "tensorflow-cpu", "keras", "python", "cpu", "cpus", "loadavg",
            "loadavg_end", "wall_s"]
    shown = {k: (" ".join(f"{x:.1f}" for x in v) if k.startswith("loadavg") else v) for k, v in env.items()}
    print("lossport forward + backward: " + ", ".join(f"{k} {shown[k]}" for k in keys if k in shown))
    print()
    print_table(rows, args.scale)
    print()
    print("Natives: " + "; ".join(f"{fw}: " + ", ".join(f"{c} = {NATIVE[fw][c]}" for c in NATIVE[fw] if c in wanted)
                                  for fw in only))
    metrics = sorted({f"{r['framework']}: {r[k]['metric']}" for r in rows for k in ("native_memory", "lossport_memory")
                      if k in r})
    print(f"Peak memory over the inputs during one forward + backward, the gradient's buffer included, one fresh "
          f"process per cell ({'; '.join(metrics) or 'not measured'}; RSS = rise of the peak RSS). Targets (large "
          f"inputs): time ≤ {TIME_TARGET[False]} × eager, ≤ {TIME_TARGET[True]} × compiled; memory ≤ "
          f"{MEMORY_TARGET} ×. Memory ratios are left out where the native peak is under 1 MB.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "args": vars(args), "rows": rows}, f, indent=1)
        _log(f"raw numbers written to {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated frameworks: torch,jax,tensorflow (default: all)")
    parser.add_argument("--cases", default="", help=f"comma-separated cases (default: all): {','.join(LOSSPORT)}")
    parser.add_argument("--size", default="large", help="large (default), small (about 1k elements), or large,small")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the large sizes (elements; rows of the class losses): 0.25 for a quicker run")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (torch, TensorFlow, XLA:CPU)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--torch-compile", action="store_true", help="also torch.compile (slow to build)")
    parser.add_argument("--tf-xla", action="store_true", help="also tf.function(jit_compile=True) around the tape")
    parser.add_argument("--repeat", type=int, default=5, help="timed samples per implementation (the median)")
    parser.add_argument("--max-case-s", type=float, default=30.0,
                        help="fewer samples (down to 3) where --repeat of them would take longer than this; 0: never")
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per timed sample (at least one call)")
    parser.add_argument("--no-memory", action="store_true", help="time only (no memory children)")
    parser.add_argument("--no-checks", action="store_true", help="lossport's value checks off (LOSSPORT_CHECKS=0)")
    parser.add_argument("--composition", action="store_true",
                        help="lossport without its custom backward passes (autodiff of the forward): the before")
    parser.add_argument("--json", default="", metavar="FILE", help="also write the raw numbers to FILE")
    parser.add_argument("--child-timeout", type=float, default=900, help="seconds before a child is killed")
    parser.add_argument("--child", choices=("time", "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--modes", default="", help=argparse.SUPPRESS)
    parser.add_argument("--impl", choices=("native", "lossport"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "time":
        child_time(args)
        return 0
    if args.child == "memory":
        child_memory(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
