"""The stable primitives of ``lossport._numerics`` against an mpmath oracle (50 digits), on every backend.

Each primitive runs by two paths: the public function (the adapter's ``native`` version where it has one) and the
private generic Array API body (``_*_generic``). Both must be within a few ulps of the exact value over the whole
input range (tiny results included) and within an ulp or two of each other.

Errors are counted in ulps of the exact result in the dtype under test. A result below the normal range counts in
units of the smallest normal number: XLA and TensorFlow flush subnormals to zero on the CPU, a difference no loss
can see. Non-finite results must match exactly (NaN for NaN, infinities with their sign).

Inputs of the log-sum-exp family lie on a dyadic grid (multiples of 1/64 below 2^10), where ``x_j − max x`` is
exact in float32: the rounding of that difference is the same in every implementation (an input perturbation,
not an algorithmic error), and the grid keeps the tests about the algorithm.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import pytest

from lossport import _numerics as N
from lossport import backends

mpmath.mp.dps = 50

# ---------------------------------------------------------------------------------------------------------------
# Backends: numpy (array-api-compat), array-api-strict, torch, jax (x64), tensorflow (lossport's namespace), each
# when it imports. torch is imported before TensorFlow (the other order has crashed in one process).


@dataclass(frozen=True)
class Backend:
    name: str
    xp: Any
    asarray: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]


def _numpy() -> Backend:
    import array_api_compat.numpy as xp

    return Backend("numpy", xp, lambda a: a.copy(), np.asarray)


def _strict() -> Backend:
    import array_api_strict as xp

    return Backend("array_api_strict", xp, lambda a: xp.asarray(a), lambda x: np.from_dlpack(x))


def _torch() -> Backend:
    import array_api_compat.torch as xp
    import torch

    return Backend("torch", xp, lambda a: torch.from_numpy(a.copy()), lambda x: x.detach().cpu().numpy())


def _jax() -> Backend:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return Backend("jax", jnp, lambda a: jnp.asarray(a), np.asarray)


def _tensorflow() -> Backend:
    with contextlib.suppress(ImportError):
        import torch  # noqa: F401  (before TensorFlow)
    import tensorflow as tf

    adapter = importlib.import_module("lossport.backends.tensorflow")  # may not exist yet in a checkout
    return Backend("tensorflow", adapter.namespace(), lambda a: tf.constant(a), lambda x: np.asarray(x))


_FACTORIES = {
    "numpy": _numpy,
    "array_api_strict": _strict,
    "torch": _torch,
    "jax": _jax,
    "tensorflow": _tensorflow,
}
_REQUESTED = [b.strip() for b in os.environ.get("LOSSPORT_TEST_BACKENDS", "").split(",") if b.strip()]
_BACKENDS: dict[str, Backend] = {}
_MISSING: dict[str, str] = {}
for _name, _factory in _FACTORIES.items():
    if _REQUESTED and _name not in _REQUESTED:
        continue
    try:
        _BACKENDS[_name] = _factory()
    except ImportError as e:  # a backend named in LOSSPORT_TEST_BACKENDS must import (checked below)
        _MISSING[_name] = str(e)


def test_requested_backends_import():
    failed = {b: _MISSING[b] for b in _REQUESTED if b in _MISSING}
    assert not failed, f"LOSSPORT_TEST_BACKENDS names backends that fail to import: {failed}"


BACKEND_NAMES = list(_BACKENDS)
AUTODIFF = [b for b in BACKEND_NAMES if b in ("torch", "jax")]
DTYPES = ("float32", "float64")
PATHS = ("native", "generic")


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> Backend:
    return _BACKENDS[request.param]


@pytest.fixture(params=DTYPES)
def dtype(request: pytest.FixtureRequest) -> np.dtype:
    return np.dtype(request.param)


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest) -> str:
    return request.param


# ---------------------------------------------------------------------------------------------------------------
# The primitives by either path. "native" is the public function (the adapter's native version where there is
# one); "generic" the Array API body.

PUBLIC: dict[str, Callable[..., Any]] = {
    "logsumexp": lambda x, *, xp, axis=-1: N.logsumexp(x, axis=axis, xp=xp),
    "log_softmax": lambda x, *, xp, axis=-1: N.log_softmax(x, axis=axis, xp=xp),
    "log_softmax_at": lambda x, i, *, xp, axis=-1: N.log_softmax_at(x, i, axis=axis, xp=xp),
    "log_softmax_at_parts": lambda x, i, *, xp: _stacked(N.log_softmax_at_parts(x, i, xp=xp), xp=xp),
    "softplus": lambda x, *, xp: N.softplus(x, xp=xp),
    "log_sigmoid": lambda x, *, xp: N.log_sigmoid(x, xp=xp),
    "xlogy": lambda x, y, *, xp: N.xlogy(x, y, xp=xp),
    "mul0": lambda a, b, *, xp: N.mul0(a, b, xp=xp),
    "clamped_log": lambda p, *, xp: N.clamped_log(p, xp=xp),
    "log1mexp": lambda x, *, xp: N.log1mexp(x, xp=xp),
    "one_hot": lambda i, n, *, xp, dtype, axis=-1: N.one_hot(i, n, dtype=dtype, axis=axis, xp=xp),
}
GENERIC: dict[str, Callable[..., Any]] = {
    "logsumexp": lambda x, *, xp, axis=-1: N._logsumexp_generic(x, axis, False, xp=xp),
    "log_softmax": lambda x, *, xp, axis=-1: N._log_softmax_generic(x, axis, xp=xp),
    "log_softmax_at": lambda x, i, *, xp, axis=-1: N._log_softmax_at_generic(x, i, axis, xp=xp),
    "log_softmax_at_parts": lambda x, i, *, xp: _stacked(N._log_softmax_at_generic(x, i, -1, xp=xp, parts=True),
                                                         xp=xp),
    "softplus": lambda x, *, xp: N._softplus_generic(x, xp=xp),
    "log_sigmoid": lambda x, *, xp: N._log_sigmoid_generic(x, xp=xp),
    "xlogy": lambda x, y, *, xp: N._xlogy_generic(x, y, xp=xp),
    "mul0": lambda a, b, *, xp: N._mul0_generic(a, b, xp=xp),
    "clamped_log": lambda p, *, xp: N._clamped_log_generic(p, -100.0, xp=xp),
    "log1mexp": PUBLIC["log1mexp"],  # no native version
    "one_hot": lambda i, n, *, xp, dtype, axis=-1: N._one_hot_generic(i, n, dtype, axis, xp=xp),
}


def _stacked(parts: tuple[Any, Any, Any], *, xp: Any) -> Any:
    """log_softmax_at_parts's ``(value, shift, total)`` of 2-D input as one ``(3, rows)`` array."""
    value, shift, total = parts
    return xp.stack([value, xp.squeeze(shift, axis=-1), xp.squeeze(total, axis=-1)])


_jitted: dict[tuple[Any, ...], Callable[..., Any]] = {}


def run(name: str, path: str, backend: Backend, *args: Any, **kwargs: Any) -> np.ndarray:
    """``name`` by ``path`` on NumPy inputs converted to ``backend``; JAX runs it under ``jax.jit``.

    Under ``jax.jit`` XLA fuses the whole primitive, which is how JAX users run it (and its numerics may differ
    from op-by-op execution); it also compiles once per shape instead of once per operation and shape.
    """
    fn = (PUBLIC if path == "native" else GENERIC)[name]
    arrays = [backend.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    if backend.name == "jax":
        import jax

        static = tuple(i for i, a in enumerate(args) if not isinstance(a, np.ndarray))  # num_classes
        key = (name, path, len(arrays), static, tuple(sorted(kwargs.items(), key=str)))
        if key not in _jitted:
            _jitted[key] = jax.jit(lambda *a: fn(*a, xp=backend.xp, **kwargs), static_argnums=static)
        return backend.to_numpy(_jitted[key](*arrays))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on inf - inf, log(0), ...
        out = fn(*arrays, xp=backend.xp, **kwargs)
    return backend.to_numpy(out)


# ---------------------------------------------------------------------------------------------------------------
# Oracle and error measure.


def _mp(v: float) -> Any:
    return mpmath.mpf(float(v))  # exact: every float32/float64 value is a float64


def _exact_float(value: Any) -> float:
    if isinstance(value, float):
        return value
    if mpmath.isnan(value):
        return math.nan
    if mpmath.isinf(value):
        return math.inf if value > 0 else -math.inf
    return float(value)


def ulp_error(actual: np.ndarray, exact: list[Any], dtype: np.dtype) -> np.ndarray:
    """|actual − exact| in ulps of the exact value (in ``dtype``); inf where non-finite values disagree."""
    actual = np.asarray(actual, dtype=np.float64).reshape(-1)
    info = np.finfo(dtype)
    out = np.zeros(actual.shape)
    for i, (a, e) in enumerate(zip(actual, exact)):
        ef = _exact_float(e)
        if not math.isfinite(ef) or not math.isfinite(a):
            same = (math.isnan(a) and math.isnan(ef)) or a == ef
            out[i] = 0.0 if same else math.inf
            continue
        rounded = abs(float(np.asarray(ef, dtype=dtype)))
        if math.isinf(rounded):  # the exact value overflows the dtype
            out[i] = 0.0 if math.isinf(a) else math.inf
            continue
        ulp = max(float(np.spacing(np.asarray(rounded, dtype=dtype))), float(info.tiny))
        out[i] = float(abs(mpmath.mpf(a) - e) / ulp) if not isinstance(e, float) else abs(a - e) / ulp
    return out


def assert_ulps(actual: np.ndarray, exact: list[Any], dtype: np.dtype, tol: float | np.ndarray, what: str) -> None:
    err = ulp_error(actual, exact, dtype)
    tol = np.broadcast_to(np.asarray(tol, dtype=np.float64), err.shape)
    bad = np.flatnonzero(~(err <= tol))
    if bad.size:
        rows = [
            f"  [{i}] got {np.asarray(actual).reshape(-1)[i]!r}, exact {mpmath.nstr(exact[i], 17)}, "
            f"{err[i]:.3g} ulps > {tol[i]:.3g}"
            for i in bad[:8]
        ]
        pytest.fail(f"{what}: {bad.size} of {err.size} values off\n" + "\n".join(rows))


# Oracles on mpmath numbers.
def o_logsumexp(row: np.ndarray) -> Any:
    vals = [_mp(v) for v in row]
    if any(mpmath.isnan(v) for v in vals):
        return mpmath.nan
    if any(v == mpmath.inf for v in vals):
        return mpmath.inf
    finite = [v for v in vals if v != -mpmath.inf]
    if not finite:
        return -mpmath.inf
    # m + log1p(Σ_{j≠k} e^(x_j − m)), not log Σ e^x: the latter keeps only dps − 35 digits of log(1 + 1.8e-35).
    k = max(range(len(finite)), key=lambda j: finite[j])
    m = finite[k]
    return m + mpmath.log1p(mpmath.fsum(mpmath.exp(v - m) for j, v in enumerate(finite) if j != k))


def o_log_softmax(row: np.ndarray) -> list[Any]:
    """``x_i − logsumexp(x)`` as ``(x_i − m) − log1p(Σ_{j≠k} e^(x_j − m))`` in mpmath: the same value, but a
    maximal entry's tiny result (−1e-159, say) is not lost to the 50 digits of the subtraction."""
    vals = [_mp(v) for v in row]
    lse = o_logsumexp(row)
    if not mpmath.isfinite(lse):
        out = []
        for v in vals:
            if mpmath.isnan(lse) or (lse == mpmath.inf and v == mpmath.inf):
                out.append(mpmath.nan)  # NaN propagates; inf - inf at a +inf entry
            else:
                out.append(-mpmath.inf)  # a row of -inf, or a finite entry beside a +inf (probability 0)
        return out
    k = max(range(len(vals)), key=lambda j: vals[j])
    m = vals[k]
    excess = mpmath.log1p(mpmath.fsum(mpmath.exp(v - m) for j, v in enumerate(vals) if j != k))
    return [(v - m) - excess if v != -mpmath.inf else -mpmath.inf for v in vals]


def o_softplus(v: float) -> Any:
    x = _mp(v)
    if mpmath.isnan(x):
        return mpmath.nan
    if x == mpmath.inf:
        return mpmath.inf
    if x == -mpmath.inf:
        return mpmath.mpf(0)
    return mpmath.log1p(mpmath.exp(x))


# ---------------------------------------------------------------------------------------------------------------
# The log-sum-exp family: hand-picked rows, then a random sweep on the dyadic grid.

LSE_ROWS = [
    [30.0, 0.0, 0.0],  # a confident prediction: log_softmax of the max is -1.87e-13
    [0.0, -40.0],  # float64: -4.2e-18
    [0.0, -80.0, -90.0, -100.0],  # float32: -1.8e-35 (normal), float64 likewise
    [1e4, -1e4, 0.0],  # logits of +-1e4
    [-1000.0, -1000.5],  # large negative logits
    [0.5, -0.25, 2.0, 1.0],
    [-0.5, -0.5],  # logsumexp = 0.19: m + log 2 cancels a little (ill conditioned there)
    [1.0, 1.0, 0.0],  # ties at the maximum
    [0.0, 0.0, 0.0, 0.0],  # all tied: log_softmax = -log 4
    [3.0],  # one class
    [-math.inf, 0.0, 1.0],  # a masked logit
    [-math.inf, -math.inf, 2.0],
    [-math.inf, -math.inf],  # a fully masked row
    [math.inf, 1.0, 2.0],  # +inf: logsumexp inf, log_softmax NaN there and -inf beside
    [math.inf, 100.0, 2.0],  # the same, beside a logit whose e^x overflows float32
    [math.nan, 1.0, 2.0],  # NaN propagates
]


def _lse_tolerance(row: np.ndarray, dtype: np.dtype) -> float:
    """4 ulps, times the cancellation factor of ``m + log1p(s)`` where the result is near 0 (as conditioned)."""
    exact = _exact_float(o_logsumexp(row))
    finite = row[np.isfinite(row)]
    if not math.isfinite(exact) or finite.size == 0 or exact == 0:
        return 4.0
    m = float(np.max(finite))
    return 4.0 * max(1.0, (abs(m) + abs(exact - m)) / abs(exact))


def _by_length(rows: list[np.ndarray]) -> list[np.ndarray]:
    """The rows stacked into one 2-D batch per length: one call per batch keeps JAX's eager compiles few."""
    groups: dict[int, list[np.ndarray]] = {}
    for r in rows:
        groups.setdefault(r.size, []).append(r)
    return [np.stack(g) for g in groups.values()]


def check_family(batch: np.ndarray, backend: Backend, dtype: np.dtype, path: str) -> None:
    """log_softmax, log_softmax_at (at every index) and logsumexp of each row of ``batch`` against the oracle."""
    rows, n = batch.shape
    exact = [e for row in batch for e in o_log_softmax(row)]
    what = f"{backend.name} {dtype} {path}"
    # log_softmax: 4 ulps. Both terms of (x − m) − log1p(s) are ≤ 0, so nothing cancels; s sums at most 33
    # terms here, each within an ulp, and enters log1p(s) with a factor s / (1 + s) < 1.
    assert_ulps(run("log_softmax", path, backend, batch), exact, dtype, 4.0, f"log_softmax {what}\n{batch}")
    # log_softmax_at at every index: row r, index j is at r * n + j of the flattened log_softmax.
    tiled = np.repeat(batch, n, axis=0)
    idx = np.tile(np.arange(n, dtype=np.int64), rows)
    assert_ulps(run("log_softmax_at", path, backend, tiled, idx), exact, dtype, 4.0, f"log_softmax_at {what}")
    tol = np.asarray([_lse_tolerance(row, dtype) for row in batch])
    exact_lse = [o_logsumexp(row) for row in batch]
    assert_ulps(run("logsumexp", path, backend, batch), exact_lse, dtype, tol, f"logsumexp {what}\n{batch}")


def test_log_softmax_at_parts(backend: Backend, dtype: np.dtype, path: str) -> None:
    """The training forward's primitive: the value is log_softmax_at's (4 ulps of the oracle), the shift each row's
    maximum (0 where it is not finite) exactly, and the total ``Σ_j e^(x_j − shift)`` within 4 ulps of the oracle's
    sum of the same terms (positive terms: no cancellation; the rounding of ``x_j − shift`` moves a term by
    ``|x_j − shift|·eps/2`` relative, at most ``eps/(2e)`` of a total ≥ 1), on the edge rows and the sweep's."""
    width = max(len(r) for r in LSE_ROWS)
    edge = np.asarray([r + [-math.inf] * (width - len(r)) for r in LSE_ROWS], dtype=dtype)
    for batch in [edge, *_by_length(_grid_rows(np.random.default_rng(20240611), dtype))]:
        rows, n = batch.shape
        tiled = np.repeat(batch, n, axis=0)
        idx = np.tile(np.arange(n, dtype=np.int64), rows)
        value, shift, total = run("log_softmax_at_parts", path, backend, tiled, idx)
        what = f"{backend.name} {dtype} {path}"
        assert_ulps(value, [e for row in batch for e in o_log_softmax(row)], dtype, 4.0, f"value {what}")
        top = np.max(tiled, axis=-1)
        np.testing.assert_array_equal(shift, np.where(np.isfinite(top), top, 0.0), err_msg=f"shift {what}")
        exact = [mpmath.fsum(mpmath.exp(_mp(v) - _mp(s)) for v in row) for row, s in zip(tiled, shift)]
        assert_ulps(total, exact, dtype, 4.0, f"total {what}")


def test_log_softmax_family_edge_cases(backend: Backend, dtype: np.dtype, path: str) -> None:
    # One batch, the rows padded with -inf (a term of 0, which changes no value): one shape to compile for JAX.
    width = max(len(r) for r in LSE_ROWS)
    batch = np.asarray([r + [-math.inf] * (width - len(r)) for r in LSE_ROWS], dtype=dtype)
    check_family(batch, backend, dtype, path)


def _grid_rows(rng: np.random.Generator, dtype: np.dtype) -> list[np.ndarray]:
    rows = []
    for scale in (0.1, 1.0, 4.0, 16.0, 64.0, 256.0):
        for size in (2, 5, 33):
            raw = rng.normal(size=size) * scale
            rows.append(np.clip(np.round(raw * 64) / 64, -1023, 1023).astype(dtype))
    # Confident rows: one logit far above the others.
    for gap in (10.0, 20.0, 35.0, 60.0):
        raw = rng.normal(size=5)
        raw[3] += gap
        rows.append((np.round(raw * 64) / 64).astype(dtype))
    return rows


def test_log_softmax_family_sweep(backend: Backend, dtype: np.dtype, path: str) -> None:
    for batch in _by_length(_grid_rows(np.random.default_rng(20240611), dtype)):
        check_family(batch, backend, dtype, path)


def test_log_softmax_family_axes(backend: Backend, dtype: np.dtype, path: str) -> None:
    """A class axis other than the last, on 3-D input; results as along the last axis, to 2 ulps."""
    rng = np.random.default_rng(7)
    x = (np.round(rng.normal(size=(3, 5, 4)) * 256) / 64).astype(dtype)  # class axis 1 (5 classes)
    idx = rng.integers(0, 5, size=(3, 4))
    moved = np.moveaxis(x, 1, -1)
    exact_lsm = [e for row in moved.reshape(-1, 5) for e in o_log_softmax(row)]
    got = np.moveaxis(run("log_softmax", path, backend, x, axis=1), 1, -1)
    assert_ulps(got, exact_lsm, dtype, 4.0, "log_softmax axis=1")
    got = run("log_softmax_at", path, backend, x, idx, axis=-2)
    exact_at = [o_log_softmax(moved[i, j])[idx[i, j]] for i in range(3) for j in range(4)]
    assert_ulps(got, exact_at, dtype, 4.0, "log_softmax_at axis=-2")
    got = run("logsumexp", path, backend, x, axis=1)
    exact_lse = [o_logsumexp(moved[i, j]) for i in range(3) for j in range(4)]
    tol = [_lse_tolerance(moved[i, j], dtype) for i in range(3) for j in range(4)]
    assert_ulps(got, exact_lse, dtype, np.asarray(tol), "logsumexp axis=1")


def test_class_axis_moved_last(backend: Backend, dtype: np.dtype, path: str) -> None:
    """The class axis moved last by ``moveaxis`` (a strided view, as the losses pass it), then ``axis=-1``.

    NumPy's ufuncs keep a strided input's memory order in their outputs: a native version that writes through a
    reshape of its temporary must not lose the write to a copy.
    """
    rng = np.random.default_rng(11)
    x = (np.round(rng.normal(size=(3, 5, 4)) * 256) / 64).astype(dtype)
    idx = rng.integers(0, 5, size=(3, 4))
    moved = np.moveaxis(x, 1, -1)
    exact_lsm = [e for row in moved.reshape(-1, 5) for e in o_log_softmax(row)]
    exact_at = [o_log_softmax(moved[i, j])[idx[i, j]] for i in range(3) for j in range(4)]
    fns = PUBLIC if path == "native" else GENERIC
    xp, arr = backend.xp, backend.asarray(x)
    view = xp.moveaxis(arr, 1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        at = backend.to_numpy(fns["log_softmax_at"](view, backend.asarray(idx), xp=xp))
        lsm = backend.to_numpy(fns["log_softmax"](view, xp=xp))
        lse = backend.to_numpy(fns["logsumexp"](view, xp=xp))
    assert_ulps(at, exact_at, dtype, 4.0, "log_softmax_at")
    assert_ulps(lsm, exact_lsm, dtype, 4.0, "log_softmax")
    tol = np.asarray([_lse_tolerance(moved[i, j], dtype) for i in range(3) for j in range(4)])
    assert_ulps(lse, [o_logsumexp(moved[i, j]) for i in range(3) for j in range(4)], dtype, tol, "logsumexp")


def test_confident_prediction_keeps_its_loss(backend: Backend, dtype: np.dtype) -> None:
    """The design's example: logits [30, 0, 0], label 0: the loss is 1.87e-13, not 0 (torch and JAX give 0)."""
    x = np.asarray([[30.0, 0.0, 0.0]], dtype=dtype)
    got = run("log_softmax_at", "native", backend, x, np.asarray([0]))
    exact = -2 * mpmath.exp(-30) / (1 + 2 * mpmath.exp(-30))
    exact = mpmath.log1p(exact)
    assert got[0] != 0
    assert_ulps(got, [exact], dtype, 4.0, "log_softmax_at([30, 0, 0], 0)")


# ---------------------------------------------------------------------------------------------------------------
# The softplus family, xlogy, mul0, clamped_log, log1mexp, one_hot.

_MAGNITUDES = [0.0, 1e-30, 1e-8, 1e-3, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0]
_MAGNITUDES += [80.0, 88.0, 90.0, 100.0, 700.0, 710.0, 1e4, 1e30]
SOFTPLUS_X = [*sorted({s * v for v in _MAGNITUDES for s in (1.0, -1.0)}), math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("name", ["softplus", "log_sigmoid"])
def test_softplus_family(backend: Backend, dtype: np.dtype, path: str, name: str) -> None:
    x = np.asarray(SOFTPLUS_X + list(np.geomspace(1e-6, 1e3, 40) * -1) + list(np.geomspace(1e-6, 1e3, 40)))
    x = x.astype(dtype)
    exact = [o_softplus(v) if name == "softplus" else -o_softplus(-v) for v in x]
    # 4 ulps (most are within 1). softplus(-50) = 1.9e-22 keeps its relative accuracy; softplus(±1e4) is exact.
    assert_ulps(run(name, path, backend, x), exact, dtype, 4.0, name)


XLOGY_CASES = [
    (0.0, 0.0, 0.0),
    (0.0, 1.0, 0.0),
    (0.0, math.inf, 0.0),
    (0.0, math.nan, 0.0),  # 0 wherever x == 0 (torch.xlogy and JAX's give NaN: the adapters feed them 1)
    (1.0, 0.0, -math.inf),
    (2.0, 3.0, None),
    (0.5, 1e-30, None),
    (-2.0, 3.0, None),
    (3.0, 1.0 + 2.0**-20, None),  # log near 1: relative accuracy of log, not of 1 + δ
    (1e-30, 1e-30, None),
    (math.nan, 1.0, math.nan),
    (1.0, math.nan, math.nan),
]


def test_xlogy(backend: Backend, dtype: np.dtype, path: str) -> None:
    x = np.asarray([c[0] for c in XLOGY_CASES], dtype=dtype)
    y = np.asarray([c[1] for c in XLOGY_CASES], dtype=dtype)
    exact = [
        mpmath.mpf(c[2]) if c[2] is not None else _mp(a) * mpmath.log(_mp(b))
        for c, a, b in zip(XLOGY_CASES, x, y)
    ]
    assert_ulps(run("xlogy", path, backend, x, y), exact, dtype, 2.0, "xlogy")  # one log, one product


def test_mul0(backend: Backend, dtype: np.dtype, path: str) -> None:
    a = np.asarray([0.0, 0.0, 0.0, 2.0, 1.5, -3.0, 0.0], dtype=dtype)
    b = np.asarray([math.inf, -math.inf, math.nan, math.inf, 2.5, 1e-3, 7.0], dtype=dtype)
    exact = [mpmath.mpf(0), mpmath.mpf(0), mpmath.mpf(0), mpmath.inf] + [_mp(p) * _mp(q) for p, q in zip(a[4:], b[4:])]
    assert_ulps(run("mul0", path, backend, a, b), exact, dtype, 0.5, "mul0")  # one rounded product


def test_clamped_log(backend: Backend, dtype: np.dtype, path: str) -> None:
    p = [0.0, 1e-50 if dtype == np.float64 else 1e-44, 1e-30, 1e-5, 0.5, 1.0 - 2.0**-20, 1.0, -1.0, math.nan]
    p = np.asarray(p, dtype=dtype)  # not positive (-1, NaN): the floor
    exact = [max(mpmath.log(_mp(v)), mpmath.mpf(-100)) if v > 0 else mpmath.mpf(-100) for v in p]
    if dtype == np.float32:
        # 1e-44 is subnormal in float32: XLA and TensorFlow flush it to 0 (log: -100 either way, clamped).
        exact[1] = mpmath.mpf(-100)
    assert_ulps(run("clamped_log", path, backend, p), exact, dtype, 2.0, "clamped_log")


def test_log1mexp(backend: Backend, dtype: np.dtype) -> None:
    x = [0.0, -1e-20, -1e-5, -0.1, -0.5, -0.6931, -0.6932, -0.7, -1.0, -5.0, -20.0, -50.0, -80.0, -math.inf]
    if dtype == np.float64:
        x += [-700.0]
    x = np.asarray(x, dtype=dtype)

    def oracle(v: float) -> Any:
        if v == 0:
            return -mpmath.inf
        if v == -math.inf:
            return mpmath.mpf(0)
        return mpmath.log1p(-mpmath.exp(_mp(v)))

    assert_ulps(run("log1mexp", "native", backend, x), [oracle(v) for v in x], dtype, 4.0, "log1mexp")


def test_one_hot(backend: Backend, dtype: np.dtype, path: str) -> None:
    labels = np.asarray([0, 2, 1, 3, -1], dtype=np.int64)  # 3 and -1 are out of range: rows of zeros
    xdtype = getattr(backend.xp, str(dtype))
    got = run("one_hot", path, backend, labels, 3, dtype=xdtype)
    expected = np.asarray([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    got = run("one_hot", path, backend, labels[:3], 3, dtype=xdtype, axis=0)
    np.testing.assert_array_equal(got, expected[:3].T)


# ---------------------------------------------------------------------------------------------------------------
# The native path agrees with the generic one to about an ulp, on every backend that has native versions.


def _has_native(backend: Backend, name: str) -> bool:
    adapter = backends.adapter_for_namespace(backend.xp)
    return adapter is not None and name in adapter.native


@pytest.mark.parametrize(
    "name", ["logsumexp", "log_softmax", "log_softmax_at", "softplus", "log_sigmoid", "xlogy", "mul0", "clamped_log"]
)
def test_native_matches_generic(backend: Backend, dtype: np.dtype, name: str) -> None:
    """Native and generic within 2 ulps of each other: each is within an ulp of the exact value (above) on most
    inputs, and two results an ulp away on either side of it differ by 2."""
    if not _has_native(backend, name):
        pytest.skip(f"{backend.name} has no native {name}")
    rng = np.random.default_rng(3)
    rows = _grid_rows(rng, dtype) + [np.asarray(r, dtype=dtype) for r in LSE_ROWS]
    if name in ("logsumexp", "log_softmax", "log_softmax_at"):
        for batch in _by_length(rows):
            args: tuple[Any, ...] = (batch,)
            if name == "log_softmax_at":
                n = batch.shape[1]
                args = (np.repeat(batch, n, axis=0), np.tile(np.arange(n, dtype=np.int64), batch.shape[0]))
            a, b = run(name, "native", backend, *args), run(name, "generic", backend, *args)
            assert_ulps(a, [mpmath.mpf(float(v)) for v in b.reshape(-1)], dtype, 2.0, f"{name}\n{batch}")
    elif name in ("xlogy", "mul0"):
        x = np.abs(rng.normal(size=64)).astype(dtype)
        x[::5] = 0
        y = np.exp(rng.normal(size=64) * 5).astype(dtype)
        a, b = run(name, "native", backend, x, y), run(name, "generic", backend, x, y)
        assert_ulps(a, [mpmath.mpf(float(v)) for v in b], dtype, 2.0, name)
    else:
        x = np.asarray(SOFTPLUS_X, dtype=dtype)
        if name == "clamped_log":
            x = np.abs(x)
        a, b = run(name, "native", backend, x), run(name, "generic", backend, x)
        assert_ulps(a, [mpmath.mpf(float(v)) for v in b], dtype, 2.0, name)


# ---------------------------------------------------------------------------------------------------------------
# Gradients at the edges (torch and JAX autodiff, float64), by both paths.


def _grad(backend_name: str, f: Callable[..., Any], *args: np.ndarray) -> list[np.ndarray]:
    """Gradients of the scalar ``f(*arrays)`` with respect to every argument, as NumPy arrays."""
    if backend_name == "torch":
        import torch

        ts = [torch.tensor(a, requires_grad=True) for a in args]
        f(*ts).backward()
        return [t.grad.numpy() for t in ts]
    import jax
    import jax.numpy as jnp

    grads = jax.jit(jax.grad(f, argnums=tuple(range(len(args)))))(*(jnp.asarray(a) for a in args))
    return [np.asarray(g) for g in grads]


@pytest.fixture(params=AUTODIFF)
def ad_backend(request: pytest.FixtureRequest) -> Backend:
    return _BACKENDS[request.param]


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def test_gradients_at_the_edges(ad_backend: Backend, path: str) -> None:
    b, xp = ad_backend, ad_backend.xp
    fns = PUBLIC if path == "native" else GENERIC
    # log_softmax with a -inf entry: gradient of log p_0 is onehot - softmax, finite (0 at the -inf entry).
    x = np.asarray([0.0, -np.inf, 1.0])
    (g,) = _grad(b.name, lambda t: fns["log_softmax"](t, xp=xp)[0], x)
    np.testing.assert_allclose(g, np.eye(3)[0] - _softmax(x), rtol=1e-14, atol=0)
    (g,) = _grad(b.name, lambda t: fns["log_softmax_at"](t[None, :], xp.asarray([0]), xp=xp)[0], x)
    np.testing.assert_allclose(g, np.eye(3)[0] - _softmax(x), rtol=1e-14, atol=0)
    (g,) = _grad(b.name, lambda t: fns["logsumexp"](t, xp=xp), x)
    np.testing.assert_allclose(g, _softmax(x), rtol=1e-14, atol=0)
    # The confident prediction: the gradient at the max, s / (1 + s) = 1.87e-13. log_softmax_at keeps its relative
    # accuracy (the picked entry's two paths share one rounded cotangent, whose error cancels). The full
    # log_softmax's autodiff adds 1 (the direct path) to -1 + s / (1 + s) (the path through the max): within an
    # ulp of 1 in absolute terms, as torch's and JAX's own log_softmax gradients are, not relatively.
    x = np.asarray([30.0, 0.0, 0.0])
    s = 2 * math.exp(-30)
    expected = np.asarray([s / (1 + s), -math.exp(-30) / (1 + s), -math.exp(-30) / (1 + s)])
    (g,) = _grad(b.name, lambda t: fns["log_softmax_at"](t[None, :], xp.asarray([0]), xp=xp)[0], x)
    np.testing.assert_allclose(g, expected, rtol=1e-14, atol=0)
    (g,) = _grad(b.name, lambda t: fns["log_softmax"](t, xp=xp)[0], x)
    np.testing.assert_allclose(g, expected, rtol=1e-14, atol=2.0**-52)
    # Ties: the gradient is onehot - softmax whichever tied entry max() routes to.
    x = np.asarray([1.0, 1.0, 0.0])
    (g,) = _grad(b.name, lambda t: fns["log_softmax"](t, xp=xp)[1], x)
    np.testing.assert_allclose(g, np.eye(3)[1] - _softmax(x), rtol=1e-14, atol=1e-16)
    (g,) = _grad(b.name, lambda t: fns["logsumexp"](t, xp=xp), x)
    np.testing.assert_allclose(g, _softmax(x), rtol=1e-14, atol=1e-16)
    # xlogy at x = 0 (y = 0 and y = 1): zero gradients, not NaN or -inf.
    gx, gy = _grad(b.name, lambda p, q: xp.sum(fns["xlogy"](p, q, xp=xp)), np.zeros(2), np.asarray([0.0, 1.0]))
    np.testing.assert_array_equal(gx, [0.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0])
    # clamped_log at p = 0: zero gradient (clamped); 1/p elsewhere.
    (g,) = _grad(b.name, lambda p: xp.sum(fns["clamped_log"](p, xp=xp)), np.asarray([0.0, 0.5]))
    np.testing.assert_array_equal(g, [0.0, 2.0])
    # mul0 with an infinite factor: zero gradients where a == 0.
    ga, gb = _grad(b.name, lambda p, q: xp.sum(fns["mul0"](p, q, xp=xp)), np.zeros(1), np.asarray([np.inf]))
    np.testing.assert_array_equal(ga, [0.0])
    np.testing.assert_array_equal(gb, [0.0])
    # softplus / log_sigmoid at large |x|: the sigmoid, finite.
    (g,) = _grad(b.name, lambda t: xp.sum(fns["softplus"](t, xp=xp)), np.asarray([-1e4, 0.0, 1e4]))
    np.testing.assert_allclose(g, [0.0, 0.5, 1.0], atol=1e-300)
    (g,) = _grad(b.name, lambda t: xp.sum(fns["log_sigmoid"](t, xp=xp)), np.asarray([-1e4, 0.0, 1e4]))
    np.testing.assert_allclose(g, [1.0, 0.5, 0.0], atol=1e-300)


# ---------------------------------------------------------------------------------------------------------------
# Compiled: jax.jit (and grad), torch.compile(fullgraph=True) with no graph break.

_COMPILE_CASES = {
    "logsumexp": lambda x, i, *, xp: PUBLIC["logsumexp"](x, xp=xp),
    "log_softmax": lambda x, i, *, xp: PUBLIC["log_softmax"](x, xp=xp),
    "log_softmax_at": lambda x, i, *, xp: PUBLIC["log_softmax_at"](x, i, xp=xp),
    "softplus": lambda x, i, *, xp: PUBLIC["softplus"](x, xp=xp),
    "log_sigmoid": lambda x, i, *, xp: PUBLIC["log_sigmoid"](x, xp=xp),
    "xlogy": lambda x, i, *, xp: PUBLIC["xlogy"](xp.abs(x), xp.exp(x), xp=xp),
    "clamped_log": lambda x, i, *, xp: PUBLIC["clamped_log"](xp.abs(x), xp=xp),
    "mul0": lambda x, i, *, xp: PUBLIC["mul0"](xp.abs(x) - 1.0, x, xp=xp),
    "one_hot": lambda x, i, *, xp: PUBLIC["one_hot"](i, 4, dtype=x.dtype, xp=xp),
}
_X = np.asarray([[30.0, 0.0, 0.0, -np.inf], [1.0, 1.0, 0.5, -2.0], [0.0, -40.0, 3.0, 3.0]])
_I = np.asarray([0, 1, 3])


@pytest.mark.skipif("jax" not in _BACKENDS, reason="JAX is not installed")
@pytest.mark.parametrize("name", list(_COMPILE_CASES))
def test_jax_jit_and_grad(name: str) -> None:
    import jax
    import jax.numpy as jnp

    fn = _COMPILE_CASES[name]
    x, i = jnp.asarray(_X), jnp.asarray(_I)
    eager = np.asarray(fn(x, i, xp=jnp))
    jitted = np.asarray(jax.jit(lambda a, b: fn(a, b, xp=jnp))(x, i))
    np.testing.assert_array_equal(jitted, eager)
    if name != "one_hot":
        xs = jnp.where(jnp.isfinite(x), x, -50.0)  # gradients at finite inputs
        g = jax.jit(jax.grad(lambda a: jnp.sum(fn(a, i, xp=jnp))))(xs)
        assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.skipif("torch" not in _BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("name", list(_COMPILE_CASES))
def test_torch_compile_fullgraph(name: str) -> None:
    """No graph break (fullgraph=True), and the compiled branch of the native functions gives the eager values.

    The ``eager`` backend traces with Dynamo (which is what finds graph breaks, and what makes
    ``torch.compiler.is_compiling()`` true) without inductor's code generation, which takes seconds per graph.
    """
    import array_api_compat.torch as xp
    import torch

    torch._dynamo.reset()
    fn = _COMPILE_CASES[name]
    x = torch.tensor(_X, requires_grad=name != "one_hot")
    i = torch.tensor(_I)
    compiled = torch.compile(lambda a, b: fn(a, b, xp=xp), fullgraph=True, backend="eager")
    got = compiled(x, i)
    eager = fn(x, i, xp=xp)
    if name in ("logsumexp", "log_softmax", "log_softmax_at"):
        # The compiled branch is the generic form: within an ulp of the eager branch.
        np.testing.assert_allclose(got.detach().numpy(), eager.detach().numpy(), rtol=4e-16, atol=0)
    else:
        np.testing.assert_array_equal(got.detach().numpy(), eager.detach().numpy())
    if name != "one_hot":
        xs = torch.where(torch.isfinite(x), x, -50.0).detach().requires_grad_(True)
        torch.compile(lambda a: fn(a, i, xp=xp).sum(), fullgraph=True, backend="eager")(xs).backward()
        assert torch.isfinite(xs.grad).all()


def test_no_python_scalar_maximum_in_numerics() -> None:
    """``xp.maximum(x, <scalar>)`` graph-breaks torch.compile with array-api-compat; _numerics.py has none."""
    import inspect
    import re

    source = inspect.getsource(N)
    assert not re.search(r"xp\.(maximum|minimum)\([^()]*,\s*-?[\d.]+\s*\)", source)
