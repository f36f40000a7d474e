"""The parity runner: run a case on any backend, compare with NumPy float64, and with the native anchors.

Shared by ``lossport parity`` and the test suite, so that both check the same cases with the same tolerances.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from lossport.backends.parity.cases import Case, cases_for

__all__ = [
    "BACKENDS",
    "Row",
    "available_backends",
    "before_tensorflow",
    "bind",
    "compare",
    "convert",
    "default_device",
    "dtypes_of",
    "import_backend",
    "reference",
    "relative_error",
    "resolve_device",
    "run_case",
    "run_parity",
    "to_numpy",
    "tolerance",
]

# Import order matters: torch (and triton) before TensorFlow, see `before_tensorflow`.
BACKENDS: tuple[str, ...] = ("numpy", "array_api_strict", "jax", "torch", "tensorflow")


def before_tensorflow() -> None:
    """Import, where installed, what must be loaded before TensorFlow in one process: torch, then triton.

    TensorFlow ≥ 2.20's wheels load their LLVM with ``RTLD_GLOBAL``; a triton (≥ 3.7) loaded later binds to that
    ABI-incompatible LLVM and the process dies with a segmentation fault (tensorflow/tensorflow#124205). torch
    imports triton lazily (``torch.compile``, the first optimizer), so any process that holds TensorFlow and the
    default CUDA build of torch crashes unless triton came first. Every tool of lossport's that imports TensorFlow
    (the test suite, ``lossport parity``, the anchors, the benchmarks) calls this first; the README's
    troubleshooting section tells users to do the same. Once TensorFlow is loaded it is too late: nothing is done.
    """
    if "tensorflow" in sys.modules:
        return
    for name in ("torch", "triton"):
        if name not in sys.modules and importlib.util.find_spec(name) is not None:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)


def import_backend(name: str) -> ModuleType:
    """Import a backend's framework, configured for the matrix (JAX with float64 enabled)."""
    if name == "numpy":
        return np
    if name == "array_api_strict":
        mod = importlib.import_module("array_api_strict")
        mod.set_array_api_strict_flags(api_version="2024.12")
        return mod
    if name == "jax":
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
        return importlib.import_module("jax.numpy")
    if name == "torch":
        return importlib.import_module("torch")
    if name == "tensorflow":
        before_tensorflow()
        return importlib.import_module("tensorflow")
    msg = f"`backend` must be one of {BACKENDS}; got {name!r}"
    raise ValueError(msg)


def available_backends() -> list[str]:
    """The backends whose framework imports here."""
    found = []
    for name in BACKENDS:
        try:
            import_backend(name)
        except ImportError:
            continue
        found.append(name)
    return found


def dtypes_of(name: str) -> tuple[str, ...]:
    """The floating dtypes a backend has: float32 and float64 everywhere, float16/bfloat16 where present."""
    if name == "numpy":
        return ("float32", "float64", "float16")
    if name == "array_api_strict":
        return ("float32", "float64")
    return ("float32", "float64", "float16", "bfloat16")


def default_device(name: str) -> Any:
    """The device under test: ``LOSSPORT_DEVICE`` (``cpu`` or ``cuda``) for torch and JAX."""
    want = os.environ.get("LOSSPORT_DEVICE", "cpu")
    if name == "torch":
        return want
    if name == "jax":
        import jax

        return jax.devices("gpu" if want == "cuda" else "cpu")[0]
    return None


def resolve_device(name: str, spec: str) -> Any:
    """The backend's device object for a device name, or ValueError when the backend has no such device here.

    ``spec`` is what ``lossport parity --device`` takes: ``cpu``, ``cuda`` / ``gpu`` (``cuda:1`` / ``gpu:1``),
    ``tpu``, ``mps``, or array-api-strict's own names (``CPU_DEVICE``, ``device1``, ``device2``). NumPy has the
    host only.
    """
    kind, _, index_text = spec.partition(":")
    kind = kind.lower()
    if index_text and not index_text.isdigit():
        msg = f"device {spec!r}: the index after ':' must be a number"
        raise ValueError(msg)
    index = int(index_text or 0)
    mod = import_backend(name)
    if name == "numpy":
        if kind == "cpu":
            return None
        msg = f"NumPy runs on the host only, not on {spec!r}"
        raise ValueError(msg)
    if name == "array_api_strict":
        try:
            return mod.Device("CPU_DEVICE" if kind == "cpu" else spec)
        except ValueError as e:
            msg = f"array-api-strict has no device {spec!r} (it has CPU_DEVICE, device1, device2)"
            raise ValueError(msg) from e
    if name == "torch":
        kind = "cuda" if kind == "gpu" else kind
        if kind == "meta":
            msg = "torch's meta device holds no values to compare"
            raise ValueError(msg)
        try:
            device = mod.device(kind, index) if index_text or kind != "cpu" else mod.device("cpu")
            mod.empty(0, device=device)
        except (RuntimeError, AssertionError, ValueError) as e:
            msg = f"torch has no device {spec!r} here: {e}"
            raise ValueError(msg) from e
        return device
    if name == "jax":
        import jax

        platform = "gpu" if kind == "cuda" else kind
        try:
            devices = jax.devices(platform)
        except RuntimeError as e:
            msg = f"JAX has no {platform!r} device here: {e}"
            raise ValueError(msg) from e
        if index >= len(devices):
            msg = f"JAX has {len(devices)} {platform!r} device(s); got {spec!r}"
            raise ValueError(msg)
        return devices[index]
    if name == "tensorflow":
        tf_kind = {"cuda": "GPU", "gpu": "GPU", "cpu": "CPU", "tpu": "TPU"}.get(kind)
        found = mod.config.list_logical_devices(tf_kind) if tf_kind else []
        if index >= len(found):
            msg = f"TensorFlow has no device {spec!r} here (logical devices: {mod.config.list_logical_devices()})"
            raise ValueError(msg)
        return found[index].name
    msg = f"unknown backend {name!r}"
    raise ValueError(msg)


def convert(name: str, value: Any, dtype: str, device: Any = None) -> Any:
    """A NumPy value (array, list of arrays, or Python object) as the backend's array of ``dtype``."""
    if isinstance(value, (list, tuple)):
        return type(value)(convert(name, v, dtype, device) for v in value)
    if not isinstance(value, np.ndarray):
        return value
    floating = np.issubdtype(value.dtype, np.floating)
    mod = import_backend(name)
    if name == "numpy":
        return value.astype(dtype) if floating else value.copy()
    if name == "array_api_strict":
        dev = device if device is not None else mod.Device("CPU_DEVICE")
        return mod.asarray(value.astype(dtype) if floating else value, device=dev)
    if name == "jax":
        import jax

        arr = value.astype(np.float32) if floating and dtype == "bfloat16" else value
        out = mod.asarray(arr, dtype=getattr(mod, dtype) if floating else None)
        return jax.device_put(out, device) if device is not None else out
    if name == "torch":
        t = mod.asarray(value, dtype=getattr(mod, dtype) if floating else None)
        return t.to(device) if device is not None else t
    if name == "tensorflow":
        out = mod.constant(value, dtype=getattr(mod, dtype) if floating else None)
        if device is None:
            return out
        with mod.device(device):
            return mod.identity(out)
    msg = f"unknown backend {name!r}"
    raise ValueError(msg)


def to_numpy(x: Any) -> np.ndarray:
    """A float64 NumPy copy of any backend's array."""
    module = type(x).__module__
    if module.startswith("torch"):
        x = x.detach().cpu()
        if x.dtype.is_floating_point:
            x = x.double()
        return x.numpy()
    if module.startswith("array_api_strict"):
        import array_api_strict as xps

        x = xps.asarray(x, device=xps.Device("CPU_DEVICE"))
        return np.asarray(x._array if hasattr(x, "_array") else x)
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    return arr.astype(np.float64) if np.issubdtype(arr.dtype, np.floating) or arr.dtype.kind == "V" else arr


def _rounded(value: Any, dtype: str) -> Any:
    """``value`` rounded through ``dtype`` and back to float64: the reference sees what the backend sees."""
    if isinstance(value, (list, tuple)):
        return type(value)(_rounded(v, dtype) for v in value)
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        if dtype == "bfloat16":
            import ml_dtypes

            return value.astype(ml_dtypes.bfloat16).astype(np.float64)
        return value.astype(dtype).astype(np.float64)
    return value


def reference(case: Case, dtype: str = "float64", **overrides: Any) -> np.ndarray:
    """The loss on NumPy float64, on the case's inputs rounded to ``dtype``."""
    import lossport

    args = tuple(_rounded(a, dtype) for a in case.args)
    kwargs = {k: _rounded(v, dtype) for k, v in {**case.kwargs, **overrides}.items()}
    return np.asarray(getattr(lossport, case.loss)(*args, **kwargs), dtype=np.float64)


def bind(
    case: Case, backend: str, dtype: str, device: Any = None, **overrides: Any
) -> tuple[list[Any], Callable[[Sequence[Any]], tuple[tuple[Any, ...], dict[str, Any]]]]:
    """The case's arrays as the backend's, in a flat list, and a function rebuilding ``(args, kwargs)`` from it.

    Compilers (``jax.jit``, ``tf.function``, ``torch.compile``) take the flat arrays as traced inputs and everything
    else (knobs) as constants.
    """
    leaves: list[Any] = []

    def flatten(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return type(value)(flatten(v) for v in value)
        if isinstance(value, np.ndarray):
            leaves.append(convert(backend, value, dtype, device))
            return _Leaf(len(leaves) - 1)
        return value

    template = (flatten(case.args), {k: flatten(v) for k, v in {**case.kwargs, **overrides}.items()})

    def rebuild(values: Sequence[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        def fill(t: Any) -> Any:
            if isinstance(t, _Leaf):
                return values[t.index]
            if isinstance(t, (list, tuple)):
                return type(t)(fill(v) for v in t)
            return t

        return fill(template[0]), {k: fill(v) for k, v in template[1].items()}

    return leaves, rebuild


@dataclass(frozen=True)
class _Leaf:
    index: int


def run_case(
    case: Case, backend: str, dtype: str, device: Any = None, *, jit: bool = False, **overrides: Any
) -> Any:
    """The loss on ``backend`` arrays of ``dtype`` (under ``jax.jit`` with ``jit``): the backend's own array."""
    import lossport

    loss = getattr(lossport, case.loss)
    leaves, rebuild = bind(case, backend, dtype, device, **overrides)

    def call(*values: Any) -> Any:
        args, kwargs = rebuild(values)
        return loss(*args, **kwargs)

    if jit:
        import jax

        call = jax.jit(call)
    if backend == "tensorflow" and device is not None:  # a TensorFlow tensor does not carry its placement along
        import tensorflow as tf

        with tf.device(device):
            return call(*leaves)
    return call(*leaves)


def tolerance(dtype: str) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing a loss computed in ``dtype`` with the float64 reference.

    Tighter than the 4·sqrt(eps) of DESIGN.md: a loss over a few dozen elements loses at most a few dozen ulps to
    summation order, so float32 gets ~170 ulps and float64 ~4500 ulps; float16 and bfloat16 are computed in
    float32 and lose mostly their final rounding (2 ulps of the output). The atol covers results that underflow
    to subnormals on one backend and to 0 on another.
    """
    return {
        "float64": (1e-12, 1e-300),
        "float32": (2e-5, 1e-35),
        "float16": (2e-3, 1e-7),
        "bfloat16": (1.6e-2, 1e-35),
    }[dtype]


def compare(actual: np.ndarray, expected: np.ndarray, dtype: str) -> float:
    """The worst error in units of the tolerance: <= 1 passes. NaN/inf must match exactly."""
    rtol, atol = tolerance(dtype)
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return math.inf
    same_special = (np.isnan(actual) & np.isnan(expected)) | (
        np.isinf(actual) & (actual == expected)
    )
    if np.any((~np.isfinite(actual) | ~np.isfinite(expected)) & ~same_special):
        return math.inf
    finite = np.isfinite(expected)
    if not finite.any():
        return 0.0
    err = np.abs(actual[finite] - expected[finite]) / (atol + rtol * np.abs(expected[finite]))
    return float(err.max()) if err.size else 0.0


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """The worst ``|actual − expected| / |expected|`` over the entries where both are finite (0 where equal)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return math.inf
    both = np.isfinite(actual) & np.isfinite(expected)
    diff = np.abs(actual[both] - expected[both])
    scale = np.abs(expected[both])
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / scale)
    return float(rel.max()) if rel.size else 0.0


@dataclass(frozen=True)
class Row:
    """One line of the parity report: a loss on one backend (or against one anchor)."""

    loss: str
    against: str  # "numpy-float64" for backends, or the anchor id
    backend: str
    cases: int
    worst: float  # worst error in units of the tolerance (<= 1 passes)
    error: str = ""
    rel: float = math.nan  # worst relative error |actual - expected| / |expected| over finite entries

    @property
    def ok(self) -> bool:
        return not self.error and self.worst <= 1.0


def _backend_rows(loss: str, cases: list[Case], backend: str, device: str | None = None) -> Row:
    worst, rel, count, error = 0.0, 0.0, 0, ""
    try:
        dev = default_device(backend) if device is None else resolve_device(backend, device)
    except ValueError as e:
        return Row(loss, "numpy-float64", backend, 0, math.inf, f"device: {e}")
    for case in cases:
        for dtype in ("float32", "float64"):
            try:
                # JAX runs under jax.jit, as JAX users run it: eager JAX compiles every operation apart, which
                # would take the report past a minute (the test suite checks JAX eager as well).
                actual = to_numpy(run_case(case, backend, dtype, dev, jit=backend == "jax"))
                expected = reference(case, dtype)
                worst = max(worst, compare(actual, expected, dtype))
                rel = max(rel, relative_error(actual, expected))
            except Exception as e:  # the report names the failure; the exit status says it failed
                error = f"{case.name}/{dtype}: {type(e).__name__}: {e}"
            count += 1
    return Row(loss, "numpy-float64", backend, count, worst, error, rel)


def _loss_rows(loss: str, backends: Sequence[str], anchors: bool, device: str | None = None) -> list[Row]:
    """One loss on every backend (on ``device``, by name), then against each of its installed anchors (on the host)."""
    from lossport._registry import LOSSES

    cases = cases_for(loss)
    rows = [_backend_rows(loss, cases, b, device) for b in backends]
    if anchors:
        from lossport.backends.parity import anchors as anchor_table

        for anchor_id in LOSSES[loss].anchors:
            row = anchor_table.run_anchor(anchor_id, loss, cases)
            if row is not None:
                rows.append(row)
    return rows


def _init_worker(backends: Sequence[str]) -> None:
    for name in backends:
        import_backend(name)


def run_parity(
    backends: Iterable[str] | None = None,
    *,
    anchors: bool = True,
    jobs: int = 1,
    losses: Iterable[str] | None = None,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Every loss (or ``losses``) on every (installed) backend against NumPy float64, and against every installed anchor.

    ``device`` names the device every backend runs on (see :func:`resolve_device`; default: ``LOSSPORT_DEVICE``
    for torch and JAX, the host for the rest); the reference and the anchors run on the host. ``progress`` is
    called with each loss's name once its rows are done. ``jobs > 1`` spreads the losses over that many worker
    processes (started fresh, not forked: forking after TensorFlow or torch has started its threads is unsafe);
    rows come back in the registry's order.
    """
    from lossport._registry import LOSSES

    names = list(backends) if backends is not None else available_backends()
    selected = list(LOSSES) if losses is None else list(losses)
    unknown = [loss for loss in selected if loss not in LOSSES]
    if unknown:
        msg = f"unknown loss(es) {unknown}; choose from {sorted(LOSSES)}"
        raise ValueError(msg)
    out: list[Row] = []
    if jobs <= 1:
        _init_worker(names)
        for loss in selected:
            out += _loss_rows(loss, names, anchors, device)
            if progress is not None:
                progress(loss)
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    n = len(selected)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(names,)) as pool:
        results = pool.map(_loss_rows, selected, [names] * n, [anchors] * n, [device] * n)
        for loss, rows in zip(selected, results):
            out += rows
            if progress is not None:
                progress(loss)
    return out
