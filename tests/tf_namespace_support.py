"""Shared by the tests of lossport's TensorFlow namespace (tests/test_tf_namespace_*.py) and adapter
(tests/test_tf_adapter.py): the arrays they use, running a case eagerly or in a (compiled) ``tf.function``, and
comparing with NumPy.

Importing it skips the importing test module when TensorFlow is not installed. Each value case runs eagerly and
through ``tf.function(autograph=False)``; the cases where XLA differs from TF's own kernels (NaN in max/min/sort,
gathers, index wrapping, integer accumulation) also run under ``tf.function(jit_compile=True)``, which costs a
compile (~0.3 s) each.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning
from hypothesis.extra.array_api import make_strategies_namespace

with contextlib.suppress(ImportError):  # torch before TensorFlow in one process: the other order has crashed
    import torch  # noqa: F401

tf = pytest.importorskip("tensorflow")

from lossport.backends import _tensorflow as xp  # noqa: E402

nan, inf = math.nan, math.inf


def f32(*values: Any) -> np.ndarray:
    return np.array(values, np.float32)


def f64(*values: Any) -> np.ndarray:
    return np.array(values, np.float64)


SPECIAL = f32(-inf, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, inf, nan)
POSITIVE = f32(0.0, 1e-30, 0.5, 1.0, 3.0, 1e30, inf, nan)
UNIT = f32(-1.0, -0.5, 0.0, 0.25, 1.0)
MATRIX = np.array([[1.0, nan, -inf], [2.0, 3.0, 0.0]], np.float32)
RNG = np.random.default_rng(0)
NORMAL = RNG.standard_normal((3, 4)).astype(np.float32)
INT8_BIG = np.full((100, 100), 100, np.int8)  # sums to 1e6: wraps in int8 (and int16), not in int64


def run(mode: str, fn: Callable[..., Any], *args: np.ndarray) -> Any:
    """``fn`` on the arrays as tensors, eagerly or in a (compiled) ``tf.function``, as NumPy values."""
    tensors = [tf.constant(a) for a in args]
    if mode != "eager":
        fn = tf.function(fn, autograph=False, jit_compile=mode == "jit")
    return tf.nest.map_structure(lambda t: t.numpy(), fn(*tensors))


def assert_same(actual: Any, expected: Any, *, rtol: float = 2e-6) -> None:
    """Same dtype, shape and values (NaN where NaN; exact for integers and bools)."""
    if isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(a, e, rtol=rtol)
        return
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if np.issubdtype(expected.dtype, np.inexact):
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, equal_nan=True)
    else:
        np.testing.assert_array_equal(actual, expected)


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]  # on tensors, through the namespace
    ref: Callable[..., Any]  # on NumPy arrays
    args: tuple[np.ndarray, ...]
    jit: bool = False  # also under XLA
    rtol: float = 2e-6


def case_params(cases: list[Case]) -> list[Any]:
    """``(case, mode)`` parameters: every case eagerly and in ``tf.function``, and under XLA where it asks."""
    return [
        pytest.param(case, mode, id=f"{case.name}-{mode}")
        for case in cases
        for mode in ("eager", "function", *(("jit",) if case.jit else ()))
    ]


def check_case(case: Case, mode: str) -> None:
    """The case's namespace function in ``mode`` against its NumPy reference."""
    with np.errstate(all="ignore"), warnings.catch_warnings():  # NumPy warns on the cases' special values
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = case.ref(*case.args)
    assert_same(run(mode, case.fn, *case.args), expected, rtol=case.rtol)


STANDARD_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                   "float32", "float64", "complex64", "complex128"]


def outcome(fn: Callable[[], Any]) -> Any:
    """The dtype's name that ``fn`` returns, or the type of the error it raises."""
    try:
        out = fn()
    except (TypeError, ValueError, OverflowError) as e:
        return type(e)
    return str(getattr(out, "dtype", out)).rsplit(".", 1)[-1].replace("<dtype: '", "").rstrip("'>")


def gradients(fn: Callable[..., Any], *args: np.ndarray) -> list[np.ndarray]:
    tensors = [tf.constant(a) for a in args]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = xp.sum(fn(*tensors))
    return [g.numpy() for g in tape.gradient(out, tensors)]


def finite_differences(fn: Callable[..., Any], *args: np.ndarray, h: float = 1e-6) -> list[np.ndarray]:
    grads = []
    for i, a in enumerate(args):
        g = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            up, down = [x.copy() for x in args], [x.copy() for x in args]
            up[i][j] += h
            down[i][j] -= h
            g[j] = (np.sum(fn(*map(tf.constant, up)).numpy()) - np.sum(fn(*map(tf.constant, down)).numpy())) / (2 * h)
        grads.append(g)
    return grads


# -------------------------------------------------------------------------- hypothesis, as array-api-tests draws

# Strategies for this namespace's own arrays (drawn through its `asarray`), as the standard's conformance suite makes
# them. A tf.Tensor has no __array_namespace__, so hypothesis cannot confirm the namespace and warns.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Could not determine whether module", HypothesisWarning)
    xps = make_strategies_namespace(xp)

# Few examples each: the suite stays fast on two cores.
HYPOTHESIS = settings(max_examples=40, deadline=None)

# Floats that TensorFlow and NumPy treat alike: TF's CPU kernels flush subnormals to zero, so no input, sum or
# product of these is one (they are 0 or at least 2**-33 in magnitude, and float32-exact).
SAFE_FLOATS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -2.5, nan, inf, -inf]),
    st.floats(2.0**-33, 2.0**33, width=32),
    st.floats(-(2.0**33), -(2.0**-33), width=32),
)
FINITE_FLOATS = SAFE_FLOATS.filter(math.isfinite)


def operands(shape: Any) -> st.SearchStrategy[Any]:
    """Arrays of this namespace of any standard dtype and of ``shape``; floating values from ``SAFE_FLOATS``."""

    def arrays(dtype: Any) -> st.SearchStrategy[Any]:
        if dtype in (xp.float32, xp.float64):
            return xps.arrays(dtype, shape, elements=SAFE_FLOATS)
        if dtype in (xp.complex64, xp.complex128):  # finite: TF and NumPy take different paths at inf and NaN
            return xps.arrays(dtype, shape, elements=st.builds(complex, FINITE_FLOATS, FINITE_FLOATS))
        return xps.arrays(dtype, shape)

    return xps.scalar_dtypes().flatmap(arrays)


# Python scalars of every kind, some of them out of range for the small integer dtypes. A complex one given to a
# function of real numbers (`less`, `maximum`) raises TypeError here, where array-api-strict computes on.
REAL_PY_SCALARS = st.one_of(st.booleans(), st.integers(-300, 300), SAFE_FLOATS)
PY_SCALARS = st.one_of(REAL_PY_SCALARS, st.builds(complex, FINITE_FLOATS, FINITE_FLOATS))


def check_against_strict(sx: Any, fn: Callable[..., Any], *args: Any, rtol: float = 0.0) -> None:
    """``fn(namespace, *args)`` with this namespace and with array-api-strict: the same dtype and values, or the
    same error (``args`` are this namespace's arrays and Python scalars; strict gets their values)."""
    strict_args = [a if type(a) in (bool, int, float, complex) else sx.asarray(a.numpy()) for a in args]
    results = {}

    def call(ns: Any, call_args: Any) -> Any:
        results[ns] = out = fn(ns, *call_args)
        return out

    with np.errstate(all="ignore"):  # NumPy warns at inf - inf, and wraps integers as TensorFlow does
        expected = outcome(lambda: call(sx, strict_args))
    assert outcome(lambda: call(xp, args)) == expected, args
    if sx in results:
        want = np.from_dlpack(results[sx])
        if np.iscomplexobj(want) and rtol == 0.0:
            rtol = 1e-6  # complex products: TF and NumPy may round the parts differently
        assert_same(results[xp].numpy(), want, rtol=rtol)
