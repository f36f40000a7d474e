"""Every backend's namespace against the functions lossport uses (``USED_NAMESPACE_FUNCTIONS``).

Each namespace must (a) have every name on the list and (b) agree with NumPy, in values, dtype names and shapes, on
one probe per function: a call that hits the behaviour lossport relies on (``clip`` with a None bound,
``take_along_axis`` with negative indices, an int8 ``sum`` accumulating wide, ``logaddexp(-inf, -inf)``, ...).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

with contextlib.suppress(ImportError):  # torch before TensorFlow in one process: the other order has crashed
    import torch  # noqa: F401

from lossport.backends import load

from lossport._namespace import _FALLBACKS, USED_NAMESPACE_FUNCTIONS, _Completed

nan, inf = math.nan, math.inf
DTYPE_NAMES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
               "bfloat16", "float32", "float64", "complex64", "complex128"}


class Backend:
    """A namespace, how to turn NumPy data into its arrays, and its arrays back into NumPy."""

    def __init__(self, name: str, xp: Any, to_numpy: Callable[[Any], np.ndarray]) -> None:
        self.name, self.xp, self._to_numpy = name, xp, to_numpy

    def array(self, value: np.ndarray) -> Any:
        return self.xp.asarray(value)

    def to_numpy(self, out: Any) -> Any:
        """Arrays as NumPy arrays; Python scalars, and sequences of either, as they are."""
        if isinstance(out, (list, tuple)):
            return type(out)(self.to_numpy(o) for o in out)
        if isinstance(out, (bool, int, float, np.generic)):
            return out
        return self._to_numpy(out)


@pytest.fixture(scope="module", params=["numpy", "torch", "jax", "tensorflow", "array_api_strict", "fallbacks"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    name = request.param
    if name == "fallbacks":  # lossport's fallbacks for what a namespace lacks, forced on NumPy's namespace
        numpy = load("numpy")
        yield Backend(name, _Completed(numpy.namespace(), list(_FALLBACKS)), numpy.to_numpy)
        return
    if name == "array_api_strict":
        strict = pytest.importorskip("array_api_strict")
        with strict.ArrayAPIStrictFlags(api_version="2024.12"):
            yield Backend(name, strict, np.from_dlpack)
        return
    pytest.importorskip(name)
    if name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)  # before any array is created
    adapter = load(name)
    yield Backend(name, adapter.namespace(), adapter.to_numpy)


@pytest.fixture(scope="module")
def reference() -> Backend:
    numpy = load("numpy")
    return Backend("numpy", numpy.namespace(), numpy.to_numpy)


def test_has_every_used_name(backend: Backend) -> None:
    missing = [name for name in USED_NAMESPACE_FUNCTIONS if not hasattr(backend.xp, name)]
    assert not missing, f"{backend.name} lacks {missing}"


F = np.array([[-1.5, 0.0, 2.0], [3.0, -inf, nan]])
POSITIVE = np.array([0.0, 1e-300, 0.5, 4.0, inf])
B1 = np.array([[True, True], [False, True]])
B2 = np.array([[True, False], [False, True]])
TIES = np.array([[3.0, 5.0, 5.0], [5.0, 1.0, 5.0]])
I32 = np.array([1, 2, 3], np.int32)
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.7, -inf, nan])

# One probe per function: `(xp, a) -> result`, where `a` turns NumPy data into the backend's arrays. A name
# "function:variant" is a further probe of that function.
PROBES: dict[str, Callable[[Any, Callable[[np.ndarray], Any]], Any]] = {
    # dtypes and their queries (dtypes come back as zero-size arrays, compared by dtype name)
    "astype": lambda xp, a: xp.astype(a(I32), xp.float64),
    "can_cast": lambda xp, a: (xp.can_cast(xp.int8, xp.int16), xp.can_cast(xp.float64, xp.float32)),
    "finfo": lambda xp, a: (float(xp.finfo(xp.float32).eps), float(xp.finfo(xp.float64).max)),
    "iinfo": lambda xp, a: (int(xp.iinfo(xp.int8).max), int(xp.iinfo(xp.uint8).min)),
    "isdtype": lambda xp, a: (xp.isdtype(xp.float32, "real floating"), xp.isdtype(xp.uint8, "signed integer"),
                              xp.isdtype(xp.int16, ("bool", "integral"))),
    "result_type": lambda xp, a: xp.zeros(0, dtype=xp.result_type(a(np.zeros(2, np.float32)), 1.0)),
    "result_type:integers": lambda xp, a: xp.zeros(0, dtype=xp.result_type(xp.int8, xp.int16, xp.uint8)),
    "result_type:floats": lambda xp, a: xp.zeros(0, dtype=xp.result_type(xp.float32, xp.float64)),
    "bool": lambda xp, a: xp.zeros(0, dtype=xp.bool),
    "uint8": lambda xp, a: xp.zeros(0, dtype=xp.uint8),
    # creation
    "arange": lambda xp, a: xp.arange(5),
    "arange:float": lambda xp, a: xp.arange(1.0, 2.0, 0.25, dtype=xp.float64),
    "asarray": lambda xp, a: xp.asarray([1, 2]),
    "asarray:dtype": lambda xp, a: xp.asarray([1.5, 2.5], dtype=xp.float32),
    "full": lambda xp, a: xp.full((2,), 3.0, dtype=xp.float32),
    "full_like": lambda xp, a: xp.full_like(a(I32), 7),
    "ones": lambda xp, a: xp.ones((2, 1), dtype=xp.int16),
    "ones_like": lambda xp, a: xp.ones_like(a(F)),
    "zeros": lambda xp, a: xp.zeros(3, dtype=xp.float64),
    "zeros_like": lambda xp, a: xp.zeros_like(a(I32), dtype=xp.float32),
    "eye": lambda xp, a: xp.eye(2, 3, k=1, dtype=xp.float64),
    "linspace": lambda xp, a: xp.linspace(0.0, 1.0, 5, dtype=xp.float64),
    # elementwise
    "abs": lambda xp, a: xp.abs(a(F)),
    "add": lambda xp, a: xp.add(a(F), 1),
    "add:promotes": lambda xp, a: xp.add(a(np.array([100], np.int8)), a(np.array([100], np.int16))),
    "clip": lambda xp, a: xp.clip(a(F), min=None, max=1),
    "clip:min_only": lambda xp, a: xp.clip(a(F), min=0.0),
    "clip:both": lambda xp, a: xp.clip(a(F), -1.0, 1.0),
    "cos": lambda xp, a: xp.cos(a(F)),
    "cosh": lambda xp, a: xp.cosh(a(F)),
    "sin": lambda xp, a: xp.sin(a(F)),
    "divide": lambda xp, a: xp.divide(a(F), 2.0),
    "equal": lambda xp, a: xp.equal(a(F), 0.0),
    "exp": lambda xp, a: xp.exp(a(F)),
    "expm1": lambda xp, a: xp.expm1(a(np.array([1e-10, -1.0, inf]))),
    "greater": lambda xp, a: xp.greater(a(F), 0.0),
    "greater_equal": lambda xp, a: xp.greater_equal(a(F), 0.0),
    "hypot": lambda xp, a: xp.hypot(a(np.array([3e300, 3.0, 0.0])), a(np.array([4e300, 4.0, 0.0]))),
    "isfinite": lambda xp, a: xp.isfinite(a(F)),
    "isinf": lambda xp, a: xp.isinf(a(F)),
    "isnan": lambda xp, a: xp.isnan(a(F)),
    "less": lambda xp, a: xp.less(a(F), 0.0),
    "less_equal": lambda xp, a: xp.less_equal(a(F), 0.0),
    "log": lambda xp, a: xp.log(a(POSITIVE)),
    "log1p": lambda xp, a: xp.log1p(a(np.array([1e-20, -1.0, 1.0]))),
    "logaddexp": lambda xp, a: xp.logaddexp(a(np.array([-inf, inf, 0.0, 1.0])), a(np.array([-inf, 1.0, -40.0, 1.0]))),
    "logical_and": lambda xp, a: xp.logical_and(a(B1), a(B2)),
    "logical_not": lambda xp, a: xp.logical_not(a(B1)),
    "logical_or": lambda xp, a: xp.logical_or(a(B1), a(B2)),
    "maximum": lambda xp, a: xp.maximum(a(F), a(np.zeros(3))),
    "minimum": lambda xp, a: xp.minimum(a(F), a(np.zeros(3))),
    "multiply": lambda xp, a: xp.multiply(a(F), 2.0),
    "negative": lambda xp, a: xp.negative(a(F)),
    "not_equal": lambda xp, a: xp.not_equal(a(F), 0.0),
    "pow": lambda xp, a: xp.pow(a(F), 2),
    "sign": lambda xp, a: xp.sign(a(F)),
    "sqrt": lambda xp, a: xp.sqrt(a(POSITIVE)),
    "square": lambda xp, a: xp.square(a(F)),
    "subtract": lambda xp, a: xp.subtract(a(F), a(np.ones(3))),
    "tanh": lambda xp, a: xp.tanh(a(F)),
    "reciprocal": lambda xp, a: xp.reciprocal(a(F)),
    "ceil": lambda xp, a: xp.ceil(a(HALVES)),
    "floor": lambda xp, a: xp.floor(a(HALVES)),
    "round": lambda xp, a: xp.round(a(HALVES)),
    "trunc": lambda xp, a: xp.trunc(a(HALVES)),
    "where": lambda xp, a: xp.where(a(B1), a(F[:, :2]), 0.0),
    # reductions and searches
    "all": lambda xp, a: xp.all(a(B1), axis=0),
    "any": lambda xp, a: xp.any(a(B2), axis=1),
    "argmax": lambda xp, a: (xp.argmax(a(TIES), axis=1), xp.argmax(a(TIES))),
    "argmin": lambda xp, a: xp.argmin(a(TIES), axis=1, keepdims=True),
    "cumulative_sum": lambda xp, a: xp.cumulative_sum(a(np.array([100, 100, 100], np.int8))),
    "cumulative_sum:include_initial": lambda xp, a: xp.cumulative_sum(a(TIES), axis=1, include_initial=True),
    "max": lambda xp, a: xp.max(a(TIES), axis=0),
    "mean": lambda xp, a: xp.mean(a(TIES), axis=1, keepdims=True),
    "min": lambda xp, a: xp.min(a(TIES)),
    "prod": lambda xp, a: xp.prod(a(np.array([100, 100, 2], np.int8))),
    "sort": lambda xp, a: xp.sort(a(np.array([3.0, -inf, 1.0, 2.0])), descending=True),
    "argsort": lambda xp, a: xp.argsort(a(np.array([[3.0, 1.0, -inf, 1.0], [0.5, 2.0, 2.0, 0.5]])), axis=-1),
    "argsort:descending": lambda xp, a: xp.argsort(a(np.array([3.0, 1.0, 2.0, 1.0, 3.0])), descending=True),
    "copysign": lambda xp, a: xp.copysign(a(np.array([0.5, 2.0, 0.0, inf])), a(np.array([-0.0, 1.0, -3.0, -1.0]))),
    "signbit": lambda xp, a: xp.signbit(a(np.array([-0.0, 0.0, -2.0, inf, -inf]))),
    "sum": lambda xp, a: xp.sum(a(np.full((100, 100), 100, np.int8))),
    "sum:axes": lambda xp, a: xp.sum(a(TIES), axis=(0, 1), keepdims=True),
    # shapes and indexing
    "broadcast_arrays": lambda xp, a: xp.broadcast_arrays(a(np.array([[1.0], [2.0]])), a(I32.astype(np.float64))),
    "broadcast_to": lambda xp, a: xp.broadcast_to(a(I32), (2, 3)),
    "concat": lambda xp, a: xp.concat([a(I32), a(np.array([4], np.int64))]),
    "expand_dims": lambda xp, a: xp.expand_dims(a(I32), axis=-1),
    "flip": lambda xp, a: xp.flip(a(TIES), axis=0),
    "linalg:vector_norm": lambda xp, a: xp.linalg.vector_norm(a(TIES), axis=-1),
    "matmul": lambda xp, a: xp.matmul(a(TIES), a(TIES.T)),
    "matrix_transpose": lambda xp, a: xp.matrix_transpose(a(np.arange(6.0).reshape(2, 3))),
    "moveaxis": lambda xp, a: xp.moveaxis(a(np.zeros((2, 3, 4))), 0, -1),
    "permute_dims": lambda xp, a: xp.permute_dims(a(np.arange(24.0).reshape(2, 3, 4)), (2, 0, 1)),
    "reshape": lambda xp, a: xp.reshape(a(TIES), (-1,)),
    "squeeze": lambda xp, a: xp.squeeze(a(np.zeros((1, 3))), axis=0),
    "stack": lambda xp, a: xp.stack([a(I32), a(I32)], axis=1),
    "take": lambda xp, a: xp.take(a(np.array([10.0, 20.0, 30.0])), a(np.array([2, 0]))),
    "take_along_axis": lambda xp, a: xp.take_along_axis(a(TIES), a(np.array([[-1], [0]])), axis=-1),
    "unstack": lambda xp, a: xp.unstack(a(TIES), axis=1),
    "vecdot": lambda xp, a: xp.vecdot(a(TIES), a(np.array([1.0, 2.0, 3.0]))),
}

# Where NumPy's answer is easy to state, it is stated too (so NumPy is checked as well as compared against).
EXPECTED = {
    "result_type": np.zeros(0, np.float32),
    "result_type:integers": np.zeros(0, np.int16),
    "add:promotes": np.array([200], np.int16),
    "clip": np.array([[-1.5, 0.0, 1.0], [1.0, -inf, nan]]),
    "hypot": np.array([5e300, 5.0, 0.0]),
    "logaddexp": np.array([-inf, inf, np.log1p(np.exp(-40.0)), 1.0 + np.log(2.0)]),
    "argmax": (np.array([1, 0]), np.int64(1)),
    "round": np.array([-2.0, -2.0, -0.0, 0.0, 2.0, 3.0, -inf, nan]),
    "cumulative_sum": np.array([100, 200, 300], np.int64),
    "prod": np.int64(20000),
    "sum": np.int64(1_000_000),
    "take_along_axis": np.array([[5.0], [5.0]]),
}


def _assert_same(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), where
        for a, e in zip(actual, expected, strict=True):
            _assert_same(a, e, where)
        return
    if isinstance(expected, (bool, int, float)) and not isinstance(expected, np.generic):  # a Python scalar
        assert np.ndim(actual) == 0, where
        np.testing.assert_allclose(actual, expected, rtol=1e-6, err_msg=where)
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype.name == expected.dtype.name, f"{where}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
    if np.issubdtype(expected.dtype, np.inexact):
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=0, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=where)


def test_probes_cover_every_used_function() -> None:
    probed = {key.split(":")[0] for key in PROBES}
    functions = set(USED_NAMESPACE_FUNCTIONS) - DTYPE_NAMES
    assert not functions - probed


@pytest.mark.parametrize("name", EXPECTED)
def test_numpy_gives_the_stated_answers(name: str, reference: Backend) -> None:
    with np.errstate(all="ignore"):
        actual = reference.to_numpy(PROBES[name](reference.xp, reference.array))
    _assert_same(actual, EXPECTED[name], name)


# Known departures from the standard, outside lossport's own code (each is reported upstream or to the lead).
KNOWN = {
    ("torch", "can_cast"): "array_api_compat.torch.can_cast is torch.can_cast, which allows float64 -> float32 "
    "(the standard, NumPy, JAX and array-api-strict do not)",
}


@pytest.mark.parametrize("name", PROBES)
def test_probe_matches_numpy(
    name: str, backend: Backend, reference: Backend, request: pytest.FixtureRequest
) -> None:
    if (backend.name, name) in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[backend.name, name], strict=True))
    with np.errstate(all="ignore"):
        expected = reference.to_numpy(PROBES[name](reference.xp, reference.array))
        actual = backend.to_numpy(PROBES[name](backend.xp, backend.array))
    _assert_same(actual, expected, f"{name} on {backend.name}")
