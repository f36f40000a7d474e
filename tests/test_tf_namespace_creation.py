"""The TensorFlow namespace's creation functions and astype against NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lossport.backends import tensorflow as adapter
from tf_namespace_support import (
    HYPOTHESIS,
    NORMAL,
    Case,
    assert_same,
    case_params,
    check_case,
    f32,
    nan,
    tf,
    xp,
    xps,
)

CASES = [
    Case("like", lambda a: (xp.zeros_like(a), xp.ones_like(a, dtype=xp.int8), xp.full_like(a, 7),
                            xp.full_like(a, 2.5, dtype=xp.float64), xp.empty_like(a)),
         lambda a: (np.zeros_like(a), np.ones_like(a, dtype=np.int8), np.full_like(a, 7),
                    np.full_like(a, 2.5, dtype=np.float64), np.zeros_like(a)), (NORMAL,)),
    Case("astype", lambda a: (xp.astype(a, xp.float64), xp.astype(a, xp.bool), xp.astype(a, xp.int32)),
         lambda a: (a.astype(np.float64), a.astype(bool), a.astype(np.int32)), (f32(-1.5, 0.0, -0.0, 2.7, nan)[:4],)),
]


@pytest.mark.parametrize(("case", "mode"), case_params(CASES))
def test_matches_numpy(case: Case, mode: str) -> None:
    check_case(case, mode)


@pytest.mark.parametrize(("obj", "dtype"), [
    (1.5, "float32"), (2, "int64"), (True, "bool"), (1j, "complex64"), ([1, 2], "int64"), ([[True, 2.5]], "float32"),
    ([], "float32"), (np.arange(3, dtype=np.int16), "int16"), (np.float64(2.0), "float64"),
])
def test_asarray_defaults(obj: Any, dtype: str) -> None:
    out = xp.asarray(obj)
    assert isinstance(out, tf.Tensor) and out.dtype.name == dtype
    np.testing.assert_array_equal(out.numpy(), np.asarray(obj, dtype=dtype))


def test_asarray_options() -> None:
    t = tf.constant([1.0, 2.0])
    assert xp.asarray(t) is t  # tensors are immutable: nothing to copy
    assert xp.asarray([1, 2], dtype=xp.float64).dtype == tf.float64
    assert xp.asarray(np.array([1.5, 2.5]), dtype=xp.float32).dtype == tf.float32
    assert xp.asarray([tf.constant(1.0), tf.constant(2.0)]).numpy().tolist() == [1.0, 2.0]
    assert xp.asarray(tf.Variable([1, 2]), dtype=xp.int8).dtype == tf.int8
    placed = xp.asarray([1.0], device="/CPU:0")
    assert adapter.is_cpu(placed)
    with pytest.raises(OverflowError):
        xp.asarray(2**70)


def test_creation() -> None:
    assert_same(xp.arange(5).numpy(), np.arange(5))
    assert_same(xp.arange(5, 0).numpy(), np.arange(5, 0))
    assert_same(xp.arange(5, 0, -2).numpy(), np.arange(5, 0, -2))
    assert_same(xp.arange(0, 1, 0.1).numpy(), np.arange(0, 1, 0.1, dtype=np.float32))
    assert_same(xp.arange(1.0, 2.0, 0.25, dtype=xp.float64).numpy(), np.arange(1.0, 2.0, 0.25))
    assert_same(xp.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5, dtype=np.float32))
    assert_same(xp.linspace(2.0, 3.0, 4, endpoint=False, dtype=xp.float64).numpy(),
                np.linspace(2.0, 3.0, 4, endpoint=False))
    assert_same(xp.linspace(0, 1, 0).numpy(), np.linspace(0, 1, 0, dtype=np.float32))
    assert_same(xp.eye(3, 4, k=1, dtype=xp.int32).numpy(), np.eye(3, 4, k=1, dtype=np.int32))
    assert_same(xp.full((2, 3), 1.5).numpy(), np.full((2, 3), 1.5, np.float32))
    assert_same(xp.full(2, 7).numpy(), np.full(2, 7, np.int64))
    assert_same(xp.full((), True).numpy(), np.full((), True))
    assert_same(xp.full((2,), 3, dtype=xp.float16).numpy(), np.full(2, 3, np.float16))
    assert_same(xp.zeros((2, 0)).numpy(), np.zeros((2, 0), np.float32))
    assert_same(xp.ones(3, dtype=xp.uint8).numpy(), np.ones(3, np.uint8))
    assert_same(xp.empty((1, 2)).numpy(), np.zeros((1, 2), np.float32))
    assert xp.full((1,), 2.0, device="/CPU:0").device.endswith("CPU:0")


def test_astype_keeps_a_tensor_and_gradients() -> None:
    t = tf.constant([1.0, 2.0])
    assert xp.astype(t, xp.float32) is t
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(xp.astype(v, xp.float64) ** 2)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [2.0, 4.0])


# ------------------------------------------------------------------------- arange and eye, drawn (hypothesis)


@st.composite
def integer_ranges(draw: st.DrawFn) -> tuple[int, int, int, Any]:
    """``(start, stop, step, dtype)`` of an integer dtype, whose at most 40 values all fit the dtype."""
    dtype = draw(xps.integer_dtypes() | xps.unsigned_integer_dtypes())
    info = np.iinfo(dtype.name)
    span = int(info.max) - int(info.min)
    # Steps up to 2**40, so that NumPy's count, a float quotient, is exact.
    step = draw(st.integers(1, 10) | st.integers(1, min(span, 2**40))) * draw(st.sampled_from([1, -1]))
    n = draw(st.integers(0, min(40, span // abs(step) + 1)))
    reach = (n - 1) * step if n else 0
    start = draw(st.integers(int(info.min) + max(0, -reach), int(info.max) - max(0, reach)))
    # Any stop that gives n values: within the step after the last, or for none, on the near side of start.
    back = draw(st.integers(0, abs(step) - 1)) if n else draw(st.integers(0, 3))
    stop = start + n * step - (1 if step > 0 else -1) * back
    return start, stop, step, dtype


@HYPOTHESIS
@given(integer_ranges())
@example((-128, 128, 1, xp.int8))
@example((0, 256, 3, xp.uint8))
@example((300, -301, -7, xp.int16))
@example((2**64 - 10, 2**64 + 1, 3, xp.uint64))  # past int64
@example((2**63 - 10, 2**63 + 1, 4, xp.int64))  # the end is past int64
def test_arange_of_every_integer_dtype(args: tuple[int, int, int, Any]) -> None:
    # TensorFlow's CPU Range kernel is int32/int64 only: int8, int16 and the unsigned dtypes used to fail.
    start, stop, step, dtype = args
    expected = np.arange(start, stop, step, dtype=dtype.name)
    assert_same(xp.arange(start, stop, step, dtype=dtype).numpy(), expected)
    if start == 0 and step == 1:
        assert_same(xp.arange(stop, dtype=dtype).numpy(), expected)


@HYPOTHESIS
@given(
    dtype=xps.floating_dtypes(),
    start=st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_subnormal=False),
    step=st.floats(1e-3, 1e3) | st.integers(1, 100),
    n=st.integers(0, 40),
    back=st.floats(0.0, 0.99),
    descending=st.booleans(),
)
def test_arange_of_floating_dtypes(dtype: Any, start: float, step: float, n: int, back: float,
                                   descending: bool) -> None:
    step = -step if descending else step
    stop = start + (n - back) * step
    out = xp.arange(start, stop, step, dtype=dtype).numpy()
    # NumPy's float64 values rounded once to the dtype; NumPy steps by (start + step) - start, so allow for that.
    expected = np.arange(start, stop, step, dtype=np.float64).astype(dtype.name)
    scale = max(abs(start), abs(stop), abs(step))
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=0, atol=64 * np.finfo(dtype.name).eps * scale)


@HYPOTHESIS
@given(
    n_rows=st.integers(0, 6),
    n_cols=st.none() | st.integers(0, 6),
    k=st.integers(-8, 8) | st.integers(-(2**80), 2**80),
    dtype=xps.scalar_dtypes(),
)
@example(n_rows=3, n_cols=4, k=2**70, dtype=xp.float32)
@example(n_rows=3, n_cols=None, k=-(2**70), dtype=xp.int8)
def test_eye_matches_numpy(n_rows: int, n_cols: int | None, k: int, dtype: Any) -> None:
    # The standard has no bound on k: beyond int64 it used to fail converting to a tensor. NumPy's k is an intp;
    # every k beyond the matrix gives the same matrix (no diagonal inside), so NumPy gets 2**62 for the larger ones.
    np_k = k if abs(k) <= 2**62 else int(np.sign(k)) * 2**62
    expected = np.eye(n_rows, n_cols, k=np_k, dtype=dtype.name)
    assert_same(xp.eye(n_rows, n_cols, k=k, dtype=dtype).numpy(), expected)
