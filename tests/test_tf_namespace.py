"""lossport's TensorFlow namespace and adapter, against NumPy (values) and array-api-strict (promotion, errors).

Each value case runs eagerly and through ``tf.function(autograph=False)``; the cases where XLA differs from TF's
own kernels (NaN in max/min/sort, gathers, index wrapping, integer accumulation) also run under
``tf.function(jit_compile=True)``, which costs a compile (~0.3 s) each.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

with contextlib.suppress(ImportError):  # torch before TensorFlow in one process: the other order has crashed
    import torch  # noqa: F401

tf = pytest.importorskip("tensorflow")

from lossport.backends import ADAPTERS, adapter_for, adapter_for_namespace, load  # noqa: E402
from lossport.backends import _tensorflow_namespace as xp  # noqa: E402
from lossport.backends import tensorflow as adapter  # noqa: E402

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


CASES = [
    # elementwise, one array
    Case("abs", xp.abs, np.abs, (SPECIAL,)),
    Case("abs_int8_min", xp.abs, np.abs, (np.array([-128, -1, 5], np.int8),)),
    Case("abs_uint8", xp.abs, np.abs, (np.array([0, 200], np.uint8),)),
    Case("negative_uint8_wraps", xp.negative, np.negative, (np.array([0, 1, 200], np.uint8),)),
    Case("negative", xp.negative, np.negative, (SPECIAL,)),
    Case("positive", xp.positive, np.positive, (SPECIAL,)),
    Case("sign", xp.sign, np.sign, (SPECIAL,), jit=True),
    Case("sign_int_uint", lambda a, b: (xp.sign(a), xp.sign(b)), lambda a, b: (np.sign(a), np.sign(b)),
         (np.array([-3, 0, 4], np.int32), np.array([0, 7], np.uint16))),
    Case("square", xp.square, np.square, (SPECIAL,)),
    Case("square_int8_wraps", xp.square, np.square, (np.array([-3, 12], np.int8),)),
    Case("exp", xp.exp, np.exp, (SPECIAL,)),
    Case("expm1", xp.expm1, np.expm1, (f32(-inf, -1e-10, 0.0, 1e-10, 1.0, inf, nan),)),
    Case("log", xp.log, np.log, (POSITIVE,)),
    Case("log1p", xp.log1p, np.log1p, (f32(-1.0, -1e-10, 0.0, 1e-10, 1.0, inf, nan),)),
    Case("sqrt", xp.sqrt, np.sqrt, (POSITIVE,)),
    Case("tanh", xp.tanh, np.tanh, (SPECIAL,)),
    Case("cosh", xp.cosh, np.cosh, (SPECIAL,)),
    Case("sin_cos_tan", lambda a: (xp.sin(a), xp.cos(a), xp.tan(a)),
         lambda a: (np.sin(a), np.cos(a), np.tan(a)), (UNIT,)),
    Case("inverse_trig", lambda a: (xp.asin(a), xp.acos(a), xp.atan(a), xp.asinh(a), xp.atanh(a * 0.5)),
         lambda a: (np.arcsin(a), np.arccos(a), np.arctan(a), np.arcsinh(a), np.arctanh(a * 0.5)), (UNIT,)),
    Case("sinh_acosh", lambda a: (xp.sinh(a), xp.acosh(a)), lambda a: (np.sinh(a), np.arccosh(a)),
         (f32(1.0, 2.0, 10.0),)),
    Case("reciprocal", xp.reciprocal, np.reciprocal, (SPECIAL,)),
    Case("rounding", lambda a: (xp.ceil(a), xp.floor(a), xp.trunc(a), xp.round(a)),
         lambda a: (np.ceil(a), np.floor(a), np.trunc(a), np.round(a)),
         (f32(-2.5, -1.5, -0.5, -0.2, 0.5, 1.5, 2.5, 3.7, inf, nan),), jit=True),
    Case("rounding_int", lambda a: (xp.ceil(a), xp.floor(a), xp.trunc(a), xp.round(a)),
         lambda a: (a, a, a, a), (np.array([-3, 4], np.int64),)),
    Case("round_complex", xp.round, np.round, (np.array([1.5 - 2.5j, 0.4 + 3.6j], np.complex64),)),
    Case("signbit", xp.signbit, np.signbit, (SPECIAL,), jit=True),
    Case("is_special", lambda a: (xp.isnan(a), xp.isinf(a), xp.isfinite(a)),
         lambda a: (np.isnan(a), np.isinf(a), np.isfinite(a)), (SPECIAL,)),
    Case("is_special_int", lambda a: (xp.isnan(a), xp.isinf(a), xp.isfinite(a)),
         lambda a: (np.isnan(a), np.isinf(a), np.isfinite(a)), (np.array([1, -2], np.int16),)),
    Case("is_special_complex", lambda a: (xp.isnan(a), xp.isinf(a), xp.isfinite(a)),
         lambda a: (np.isnan(a), np.isinf(a), np.isfinite(a)),
         (np.array([complex(1, nan), complex(inf, 0), 1 + 1j], np.complex128),)),
    Case("complex_parts", lambda a: (xp.real(a), xp.imag(a), xp.conj(a)),
         lambda a: (np.real(a), np.imag(a), np.conj(a)), (np.array([1 + 2j, -3j], np.complex64),)),
    Case("logical_not", xp.logical_not, np.logical_not, (np.array([True, False]),)),
    # elementwise, two arrays: promotion and Python scalars
    Case("add_int8_int16", xp.add, np.add, (np.array([100, -100], np.int8), np.array([100, 30000], np.int16))),
    Case("add_uint8_int8", xp.add, np.add, (np.array([255, 0], np.uint8), np.array([-128, 1], np.int8))),
    Case("add_float32_float64", xp.add, np.add, (f32(1.0, 2.0), f64(0.5, 1e-10))),
    Case("add_python_int", lambda a: xp.add(a, 2), lambda a: a + 2, (np.array([1, 2], np.int8),)),
    Case("subtract_scalar_first", lambda a: xp.subtract(1.0, a), lambda a: 1.0 - a, (SPECIAL,)),
    Case("multiply_broadcast", xp.multiply, np.multiply, (NORMAL, f32(1.0, 2.0, 3.0, 4.0))),
    Case("multiply_complex_scalar", lambda a: xp.multiply(a, 1j), lambda a: a * np.complex64(1j), (f32(1.0, 2.0),)),
    Case("divide", xp.divide, np.divide, (f32(1.0, -1.0, 0.0, inf, 3.0), f32(0.0, 0.0, 0.0, inf, 4.0))),
    Case("pow_special", xp.pow, np.power,
         (f32(nan, 1.0, -8.0, 0.0, -0.0, -inf, 2.0, 4.0), f32(0.0, nan, 1 / 3, -1.0, -1.0, 0.5, inf, 0.5))),
    Case("pow_int", lambda a: xp.pow(a, 3), lambda a: a**3, (np.array([-2, 3, 7], np.int8),)),
    Case("pow_uint", xp.pow, np.power, (np.array([3, 2], np.uint32), np.array([4, 31], np.uint32))),
    Case("maximum_nan_both_sides", lambda a, b: (xp.maximum(a, b), xp.minimum(a, b)),
         lambda a, b: (np.maximum(a, b), np.minimum(a, b)),
         (f32(1.0, nan, 2.0, nan, -inf), f32(nan, 1.0, 3.0, nan, 0.0)), jit=True),
    Case("maximum_scalar_first_nan", lambda a: (xp.maximum(0.0, a), xp.minimum(0.0, a), xp.maximum(a, nan)),
         lambda a: (np.maximum(0.0, a), np.minimum(0.0, a), np.maximum(a, np.float32(nan))), (SPECIAL,), jit=True),
    Case("maximum_int_promotes", xp.maximum, np.maximum, (np.array([1, -5], np.int16), np.array([3, -7], np.int32))),
    Case("comparisons", lambda a, b: (xp.equal(a, b), xp.not_equal(a, b), xp.less(a, b), xp.less_equal(a, b),
                                      xp.greater(a, b), xp.greater_equal(a, b)),
         lambda a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b),
         (f32(1.0, nan, 2.0, -0.0, inf), f32(1.0, nan, 3.0, 0.0, inf))),
    Case("comparisons_mixed_ints", lambda a, b: (xp.less(a, b), xp.equal(a, 3)), lambda a, b: (a < b, a == 3),
         (np.array([1, 3, 255], np.uint8), np.array([2, 3, -1], np.int32))),
    Case("equal_bool", xp.equal, np.equal, (np.array([True, False]), np.array([True, True]))),
    Case("logical", lambda a, b: (xp.logical_and(a, b), xp.logical_or(a, b), xp.logical_xor(a, b)),
         lambda a, b: (a & b, a | b, a ^ b), (np.array([True, True, False, False]), np.array([True, False] * 2))),
    Case("hypot", xp.hypot, np.hypot,
         (f64(3e300, 3e-300, 0.0, -inf, nan, nan, 1.0, -5.0), f64(4e300, 4e-300, 0.0, nan, inf, 1.0, 0.0, 12.0)),
         jit=True, rtol=1e-15),
    Case("hypot_float32", xp.hypot, np.hypot, (f32(3e30, 1e-20, -3.0, 2.0), f32(4e30, 1e-20, 4.0, 2.0))),
    Case("logaddexp_infinities", xp.logaddexp, np.logaddexp,
         (f64(-inf, inf, inf, -inf, nan, 1.0, 0.0, -1000.0, 1e300), f64(-inf, inf, -inf, 2.0, 1.0, nan, -40.0, -1000.0,
                                                                     1e300)), jit=True, rtol=1e-15),
    Case("logaddexp_float32", lambda a: xp.logaddexp(a, 0.0), lambda a: np.logaddexp(a, np.float32(0.0)),
         (SPECIAL,)),
    Case("atan2_copysign", lambda a, b: (xp.atan2(a, b), xp.copysign(a, b)),
         lambda a, b: (np.arctan2(a, b), np.copysign(a, b)), (f32(1.0, -1.0, 0.0, 2.0), f32(-0.0, 2.0, -1.0, nan))),
    # clip and where
    Case("clip_max_only", lambda a: xp.clip(a, max=1), lambda a: np.clip(a, None, 1), (SPECIAL,), jit=True),
    Case("clip_min_only", lambda a: xp.clip(a, min=-1.0, max=None), lambda a: np.clip(a, -1.0, None), (SPECIAL,)),
    Case("clip_no_bounds", lambda a: xp.clip(a), lambda a: a, (SPECIAL,)),
    Case("clip_min_above_max", lambda a: xp.clip(a, 1.0, 0.5), lambda a: np.clip(a, 1.0, 0.5), (SPECIAL,)),
    Case("clip_array_bounds_broadcast", lambda a, lo, hi: xp.clip(a, lo, hi),
         lambda a, lo, hi: np.clip(a, lo, hi), (f32(0.0, 5.0), f32([-1.0], [1.0], [nan]), f32(2.0, 3.0)), jit=True),
    Case("clip_int_wide_python_bounds", lambda a: xp.clip(a, -1000, 3), lambda a: np.clip(a, -128, 3),
         (np.array([-128, 0, 127], np.int8),)),
    Case("clip_int_array_bound_cast", lambda a, b: xp.clip(a, min=b), lambda a, b: np.maximum(a, b).astype(a.dtype),
         (np.array([1, 50], np.int8), np.array([3, 4], np.int32))),
    Case("where_broadcast_scalar", lambda c, a: xp.where(c, a, 0.0), lambda c, a: np.where(c, a, np.float32(0.0)),
         (np.array([[True], [False]]), f32(1.0, nan, 3.0)), jit=True),
    Case("where_promotes", xp.where, np.where,
         (np.array([True, False]), np.array([1, 2], np.int8), np.array([300, 400], np.int16))),
    Case("where_scalar_first", lambda c, b: xp.where(c, 1, b), lambda c, b: np.where(c, np.int64(1), b),
         (np.array([True, False]), np.array([5, 6], np.int64))),
    Case("where_0d", xp.where, np.where, (np.array(True), f32(1.0), f32(2.0, 3.0))),
    # reductions
    Case("sum_int8_accumulates_wide", xp.sum, np.sum, (INT8_BIG,), jit=True),
    Case("sum_uint8_uint64", xp.sum, np.sum, (np.full(1000, 255, np.uint8),)),
    Case("sum_bool_int64", xp.sum, np.sum, (np.array([True, True, False]),)),
    Case("sum_axes_keepdims", lambda a: xp.sum(a, axis=(0, -1), keepdims=True),
         lambda a: np.sum(a, axis=(0, -1), keepdims=True), (RNG.standard_normal((2, 3, 4)).astype(np.float32),)),
    Case("sum_empty_axis_tuple", lambda a: xp.sum(a, axis=()), lambda a: np.sum(a, axis=()), (NORMAL,)),
    Case("sum_dtype", lambda a: xp.sum(a, axis=1, dtype=xp.float64), lambda a: np.sum(a, axis=1, dtype=np.float64),
         (NORMAL,)),
    Case("sum_int_dtype_int16", lambda a: xp.sum(a, dtype=xp.int16), lambda a: np.sum(a, dtype=np.int16),
         (np.array([100, 100, 100], np.int8),)),
    Case("sum_empty_and_0d", lambda a, b: (xp.sum(a), xp.sum(b)), lambda a, b: (np.sum(a), np.sum(b)),
         (np.zeros((0, 3), np.float32), np.array(2.5, np.float32))),
    Case("prod_int8_int64", lambda a: xp.prod(a, axis=0), lambda a: np.prod(a, axis=0),
         (np.array([[100, -3], [100, 2]], np.int8),)),
    Case("mean", lambda a: (xp.mean(a), xp.mean(a, axis=0), xp.mean(a, axis=(0, 1), keepdims=True)),
         lambda a: (np.mean(a), np.mean(a, axis=0), np.mean(a, axis=(0, 1), keepdims=True)), (NORMAL,)),
    Case("mean_empty_is_nan", xp.mean, np.mean, (np.zeros(0, np.float32),)),
    Case("mean_float16_accumulates_in_float32", xp.mean, lambda a: np.mean(a, dtype=np.float32).astype(np.float16),
         (np.full(100_000, 1.0, np.float16),)),
    Case("var_std", lambda a: (xp.var(a, axis=1), xp.std(a, correction=1), xp.var(a, axis=0, keepdims=True)),
         lambda a: (np.var(a, axis=1), np.std(a, ddof=1), np.var(a, axis=0, keepdims=True)), (NORMAL,), rtol=1e-5),
    Case("max_min_nan", lambda a: (xp.max(a, axis=1), xp.min(a, axis=1), xp.max(a), xp.min(a, axis=0)),
         lambda a: (np.max(a, axis=1), np.min(a, axis=1), np.max(a), np.min(a, axis=0)),
         (np.array([[1.0, nan, 3.0], [-inf, 2.0, 0.0]], np.float32),), jit=True),
    Case("max_int_keepdims", lambda a: xp.max(a, axis=-1, keepdims=True),
         lambda a: np.max(a, axis=-1, keepdims=True), (np.array([[1, -128], [5, 3]], np.int8),)),
    Case("all_any", lambda a: (xp.all(a, axis=0), xp.any(a, axis=1), xp.all(a), xp.any(a, keepdims=True)),
         lambda a: (np.all(a, axis=0), np.any(a, axis=1), np.all(a), np.any(a, keepdims=True)),
         (np.array([[0.0, nan, 1.0], [0.0, 0.0, -0.0]], np.float32),)),
    Case("argmax_ties_first", lambda a: (xp.argmax(a), xp.argmax(a, axis=0), xp.argmax(a, axis=-1, keepdims=True),
                                        xp.argmin(a, axis=1), xp.argmax(a, keepdims=True)),
         lambda a: (np.argmax(a), np.argmax(a, axis=0), np.argmax(a, axis=-1, keepdims=True),
                    np.argmin(a, axis=1), np.argmax(a, keepdims=True)),
         (f32([3.0, 5.0, 5.0, -inf], [5.0, 1.0, 1.0, 5.0]),), jit=True),
    Case("cumulative_sum_int8", lambda a: xp.cumulative_sum(a, include_initial=True),
         lambda a: np.cumulative_sum(a, include_initial=True), (np.array([100, 100, 100], np.int8),), jit=True),
    Case("cumulative_sum_axis", lambda a: (xp.cumulative_sum(a, axis=0), xp.cumulative_sum(a, axis=-1, dtype=xp.float64,
                                                                                          include_initial=True)),
         lambda a: (np.cumulative_sum(a, axis=0), np.cumulative_sum(a, axis=-1, dtype=np.float64,
                                                                     include_initial=True)), (NORMAL,), rtol=1e-5),
    Case("cumulative_sum_empty", lambda a: xp.cumulative_sum(a, include_initial=True),
         lambda a: np.cumulative_sum(a, include_initial=True), (np.zeros(0, np.float32),)),
    Case("cumulative_prod", lambda a: xp.cumulative_prod(a, include_initial=True),
         lambda a: np.cumulative_prod(a, include_initial=True), (np.array([2, -3, 4], np.int16),)),
    Case("sort_nan_last", lambda a: (xp.sort(a), xp.sort(a, descending=True)),
         lambda a: (np.sort(a), np.flip(np.sort(a))), (f32(3.0, nan, -inf, inf, 1.0, nan, 0.0, -2.0),), jit=True),
    Case("sort_axis0_with_nan", lambda a: xp.sort(a, axis=0), lambda a: np.sort(a, axis=0),
         (np.array([[nan, 1.0], [2.0, nan], [0.0, -1.0]], np.float32),)),
    Case("sort_ints", lambda a, b: (xp.sort(a, descending=True), xp.sort(b)),
         lambda a, b: (np.flip(np.sort(a)), np.sort(b)),
         (np.array([3, -2**31, 2**31 - 1, 0], np.int32), np.array([200, 3, 255, 0], np.uint8))),
    Case("sort_empty", xp.sort, np.sort, (np.zeros((2, 0), np.float32),)),
    # shapes and indexing
    Case("reshape", lambda a: (xp.reshape(a, (-1,)), xp.reshape(a, (2, -1, 2))),
         lambda a: (a.reshape(-1), a.reshape(2, -1, 2)), (NORMAL,)),
    Case("broadcast_to", lambda a: xp.broadcast_to(a, (2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)), (NORMAL,)),
    Case("broadcast_arrays", lambda a, b: xp.broadcast_arrays(a, b), lambda a, b: list(np.broadcast_arrays(a, b)),
         (f32([1.0], [2.0]), np.array([1, 2, 3], np.int8))),
    Case("concat_promotes", lambda a, b: (xp.concat([a, b]), xp.concat((a, b), axis=None)),
         lambda a, b: (np.concat([a, b]), np.concat([a.ravel(), b.ravel()])),
         (np.array([[1, 2]], np.int8), np.array([[3, 4], [5, 6]], np.int32))),
    Case("stack", lambda a, b: (xp.stack([a, b]), xp.stack([a, b], axis=-1)),
         lambda a, b: (np.stack([a, b]), np.stack([a, b], axis=-1)), (f32(1.0, 2.0), f32(3.0, 4.0))),
    Case("unstack", lambda a: xp.unstack(a, axis=1), lambda a: np.unstack(a, axis=1), (NORMAL,)),
    Case("expand_dims", lambda a: (xp.expand_dims(a), xp.expand_dims(a, axis=-1), xp.expand_dims(a, axis=1)),
         lambda a: (a[None], a[..., None], a[:, None]), (NORMAL,)),
    Case("squeeze", lambda a: (xp.squeeze(a, 0), xp.squeeze(a, (0, -1))),
         lambda a: (np.squeeze(a, 0), np.squeeze(a, (0, -1))), (np.zeros((1, 3, 1), np.float32),)),
    Case("flip", lambda a: (xp.flip(a), xp.flip(a, axis=1), xp.flip(a, axis=(0, -1))),
         lambda a: (np.flip(a), np.flip(a, axis=1), np.flip(a, axis=(0, -1))), (NORMAL,)),
    Case("permute_moveaxis", lambda a: (xp.permute_dims(a, (2, 0, 1)), xp.moveaxis(a, 0, -1),
                                        xp.moveaxis(a, (0, 1), (2, 0)), xp.matrix_transpose(a)),
         lambda a: (np.permute_dims(a, (2, 0, 1)), np.moveaxis(a, 0, -1), np.moveaxis(a, (0, 1), (2, 0)),
                    np.matrix_transpose(a)), (RNG.standard_normal((2, 3, 4)).astype(np.float32),)),
    Case("take_negative", lambda a, i: (xp.take(a, i, axis=1), xp.take(a[0], i)),
         lambda a, i: (np.take(a, i, axis=1), np.take(a[0], i)), (NORMAL, np.array([-1, 0, -4], np.int64)), jit=True),
    Case("take_along_axis_negative", lambda a, i: xp.take_along_axis(a, i, axis=-1),
         lambda a, i: np.take_along_axis(a, i, axis=-1), (NORMAL, np.array([[-1], [0], [-4]], np.int32)), jit=True),
    Case("take_along_axis_broadcasts", lambda a, i: xp.take_along_axis(a, i, axis=1),
         lambda a, i: np.take_along_axis(a, i, axis=1), (NORMAL, np.array([[0, -1]], np.int8)), jit=True),
    Case("take_along_axis_axis0", lambda a, i: xp.take_along_axis(a, i, axis=0),
         lambda a, i: np.take_along_axis(a, i, axis=0), (NORMAL, np.array([[2, -1, 0, 1]], np.int64))),
    Case("take_along_axis_middle_axis", lambda a, i: xp.take_along_axis(a, i, axis=1),
         lambda a, i: np.take_along_axis(a, i, axis=1),
         (RNG.standard_normal((2, 3, 4)).astype(np.float32), np.array([[[-1, 0, 1, 2]], [[0, 0, -3, 1]]], np.int64))),
    Case("take_along_axis_empty", lambda a, i: xp.take_along_axis(a, i, axis=-1),
         lambda a, i: np.take_along_axis(a, i, axis=-1), (np.zeros((0, 3), np.float32), np.zeros((0, 1), np.int64))),
    Case("matmul", lambda a, b, v: (xp.matmul(a, b), xp.matmul(v, b), xp.matmul(a, v[:3]), xp.matmul(v, v)),
         lambda a, b, v: (a @ b, v @ b, a @ v[:3], v @ v),
         (NORMAL[:2, :3], NORMAL[:3, :4] + 1, f32(1.0, 2.0, 3.0)), rtol=1e-5),
    Case("matmul_batch_broadcast", xp.matmul, np.matmul,
         (RNG.standard_normal((2, 1, 2, 3)).astype(np.float32), RNG.standard_normal((4, 3, 2)).astype(np.float32)),
         jit=True, rtol=1e-5),
    Case("matmul_int8_int16", xp.matmul, np.matmul,
         (np.array([[100, 100]], np.int8), np.array([[1], [2]], np.int16))),
    Case("matmul_int8_wraps", xp.matmul, np.matmul, (np.array([[100, 100]], np.int8), np.array([[1], [2]], np.int8))),
    Case("vecdot", lambda a, b: (xp.vecdot(a, b), xp.vecdot(a, b[0], axis=-1)),
         lambda a, b: (np.vecdot(a, b), np.vecdot(a, b[0])), (NORMAL, NORMAL[:1] * 2), rtol=1e-5),
    Case("vecdot_complex_conjugates", xp.vecdot, np.vecdot,
         (np.array([1 + 2j, 3j], np.complex128), np.array([2 - 1j, 1 + 1j], np.complex128))),
    Case("vector_norm", lambda a: (xp.linalg.vector_norm(a), xp.linalg.vector_norm(a, axis=1, ord=1),
                                   xp.linalg.vector_norm(a, axis=0, ord=inf, keepdims=True),
                                   xp.linalg.vector_norm(a, ord=-inf), xp.linalg.vector_norm(a, ord=0),
                                   xp.linalg.vector_norm(a, axis=(0, 1), ord=3)),
         lambda a: (np.linalg.vector_norm(a), np.linalg.vector_norm(a, axis=1, ord=1),
                    np.linalg.vector_norm(a, axis=0, ord=inf, keepdims=True), np.linalg.vector_norm(a, ord=-inf),
                    np.linalg.vector_norm(a, ord=0), np.linalg.vector_norm(a, axis=(0, 1), ord=3)),
         (NORMAL * (NORMAL > 0),), rtol=1e-5),
    Case("vector_norm_complex", xp.linalg.vector_norm, np.linalg.vector_norm, (np.array([3 + 4j, 0j], np.complex64),)),
    # creation from tensors
    Case("like", lambda a: (xp.zeros_like(a), xp.ones_like(a, dtype=xp.int8), xp.full_like(a, 7),
                            xp.full_like(a, 2.5, dtype=xp.float64), xp.empty_like(a)),
         lambda a: (np.zeros_like(a), np.ones_like(a, dtype=np.int8), np.full_like(a, 7),
                    np.full_like(a, 2.5, dtype=np.float64), np.zeros_like(a)), (NORMAL,)),
    Case("astype", lambda a: (xp.astype(a, xp.float64), xp.astype(a, xp.bool), xp.astype(a, xp.int32)),
         lambda a: (a.astype(np.float64), a.astype(bool), a.astype(np.int32)), (f32(-1.5, 0.0, -0.0, 2.7, nan)[:4],)),
]


PARAMS = [
    pytest.param(case, mode, id=f"{case.name}-{mode}")
    for case in CASES
    for mode in ("eager", "function", *(("jit",) if case.jit else ()))
]


@pytest.mark.parametrize(("case", "mode"), PARAMS)
def test_matches_numpy(case: Case, mode: str) -> None:
    with np.errstate(all="ignore"), warnings.catch_warnings():  # NumPy warns on the cases' special values
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = case.ref(*case.args)
    assert_same(run(mode, case.fn, *case.args), expected, rtol=case.rtol)


# ------------------------------------------------------------------------------ promotion against the standard

STANDARD_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                   "float32", "float64", "complex64", "complex128"]


@pytest.fixture(scope="module")
def sx() -> Any:
    strict = pytest.importorskip("array_api_strict")
    with strict.ArrayAPIStrictFlags(api_version="2024.12"):
        yield strict


def _outcome(fn: Callable[[], Any]) -> Any:
    """The dtype's name that ``fn`` returns, or the type of the error it raises."""
    try:
        out = fn()
    except (TypeError, ValueError, OverflowError) as e:
        return type(e)
    return str(getattr(out, "dtype", out)).rsplit(".", 1)[-1].replace("<dtype: '", "").rstrip("'>")


@pytest.mark.parametrize("a", STANDARD_DTYPES)
@pytest.mark.parametrize("b", STANDARD_DTYPES)
def test_result_type_matches_strict(sx: Any, a: str, b: str) -> None:
    expected = _outcome(lambda: sx.result_type(getattr(sx, a), getattr(sx, b)))
    assert _outcome(lambda: xp.result_type(getattr(xp, a), getattr(xp, b))) == expected
    assert xp.can_cast(getattr(xp, a), getattr(xp, b)) == sx.can_cast(getattr(sx, a), getattr(sx, b))
    # and every function of two arrays promotes (or refuses) alike
    x1, x2 = tf.zeros([2], getattr(xp, a)), tf.ones([1], getattr(xp, b))
    assert _outcome(lambda: xp.equal(x1, x2)) == _outcome(
        lambda: sx.equal(sx.zeros(2, dtype=getattr(sx, a)), sx.ones(1, dtype=getattr(sx, b))))
    assert _outcome(lambda: xp.where(tf.constant([True, False]), x1, x2)) == expected


@pytest.mark.parametrize("dtype", STANDARD_DTYPES)
@pytest.mark.parametrize("scalar", [True, 3, -1, 300, 2.5, 1j], ids=repr)
def test_python_scalars_match_strict(sx: Any, dtype: str, scalar: complex) -> None:
    x = tf.zeros([2], getattr(xp, dtype))
    sa = sx.zeros(2, dtype=getattr(sx, dtype))
    assert _outcome(lambda: xp.result_type(x, scalar)) == _outcome(lambda: sx.result_type(sa, scalar))
    assert _outcome(lambda: xp.where(tf.constant([True, False]), x, scalar)) == _outcome(
        lambda: sx.where(sx.asarray([True, False]), sa, scalar))


@pytest.mark.parametrize("dtype", STANDARD_DTYPES)
@pytest.mark.parametrize("kind", ["bool", "signed integer", "unsigned integer", "integral", "real floating",
                                  "complex floating", "numeric", ("bool", "real floating"), "float32"])
def test_isdtype_matches_strict(sx: Any, dtype: str, kind: Any) -> None:
    def resolve(ns: Any, k: Any) -> Any:
        return getattr(ns, k) if k in STANDARD_DTYPES else k

    assert xp.isdtype(getattr(xp, dtype), resolve(xp, kind)) == sx.isdtype(getattr(sx, dtype), resolve(sx, kind))


def test_half_precision_promotion() -> None:
    assert xp.result_type(xp.float16, xp.bfloat16) == xp.float32
    assert xp.result_type(xp.bfloat16, xp.float64) == xp.float64
    assert xp.result_type(xp.float16, xp.complex64) == xp.complex64
    assert xp.result_type(tf.zeros([1], xp.bfloat16), 1.5) == xp.bfloat16
    assert xp.result_type(xp.bfloat16, 1j) == xp.complex64
    assert xp.isdtype(xp.bfloat16, "real floating") and xp.isdtype(xp.float16, "numeric")
    with pytest.raises(TypeError):
        xp.result_type(xp.float16, xp.int8)


ERRORS = {
    "float_scalar_with_int_array": lambda: xp.multiply(tf.constant([1, 2]), 0.5),
    "int_with_float_arrays": lambda: xp.maximum(tf.constant([1]), tf.constant([1.0])),
    "bool_with_int": lambda: xp.add(tf.constant([True]), tf.constant([1])),
    "two_scalars": lambda: xp.add(1.0, 2.0),
    "a_list_is_not_an_array": lambda: xp.add([1.0], 2.0),
    "exp_of_int": lambda: xp.exp(tf.constant([1])),
    "mean_of_int": lambda: xp.mean(tf.constant([1, 2])),
    "divide_ints": lambda: xp.divide(tf.constant([1]), tf.constant([2])),
    "add_bools": lambda: xp.add(tf.constant([True]), tf.constant([False])),
    "logical_and_of_ints": lambda: xp.logical_and(tf.constant([1]), tf.constant([0])),
    "sort_complex": lambda: xp.sort(tf.constant([1j])),
    "maximum_complex": lambda: xp.maximum(tf.constant([1j]), tf.constant([2j])),
    "where_int_condition": lambda: xp.where(tf.constant([1]), tf.constant([1.0]), 0.0),
    "clip_float_bound_int_x": lambda: xp.clip(tf.constant([1, 2]), 0.5),
    "clip_int_array_bound_float_x": lambda: xp.clip(tf.constant([1.0]), tf.constant([0])),
    "take_float_indices": lambda: xp.take(tf.constant([1.0]), tf.constant([0.0])),
    "full_float_in_int": lambda: xp.full((2,), 0.5, dtype=xp.int32),
    "full_like_float_in_int": lambda: xp.full_like(tf.constant([1]), 0.5),
    "unknown_dtype": lambda: xp.astype(tf.constant([1]), "string"),
    "concat_of_scalars": lambda: xp.concat([1.0, tf.constant([2.0])]),
}


@pytest.mark.parametrize("name", ERRORS)
def test_kind_errors_are_type_errors(name: str) -> None:
    with pytest.raises(TypeError, match="must"):
        ERRORS[name]()


VALUE_ERRORS = {
    "squeeze_of_size_3": lambda: xp.squeeze(tf.zeros([1, 3]), 1),
    "take_needs_axis": lambda: xp.take(tf.zeros([2, 2]), tf.constant([0])),
    "cumulative_sum_needs_axis": lambda: xp.cumulative_sum(tf.zeros([2, 2])),
    "take_along_axis_ranks": lambda: xp.take_along_axis(tf.zeros([2, 2]), tf.constant([0])),
    "vecdot_positive_axis": lambda: xp.vecdot(tf.zeros([2]), tf.zeros([2]), axis=0),
    "vecdot_sizes": lambda: xp.vecdot(tf.zeros([2]), tf.zeros([3])),
    "matmul_sizes": lambda: xp.matmul(tf.zeros([2, 3]), tf.zeros([2, 3])),
    "matmul_0d": lambda: xp.matmul(tf.zeros([]), tf.zeros([2])),
    "moveaxis_lengths": lambda: xp.moveaxis(tf.zeros([2, 3]), (0, 1), 0),
    "permute_dims_short": lambda: xp.permute_dims(tf.zeros([2, 3]), (0,)),
    "flip_repeated_axis": lambda: xp.flip(tf.zeros([2, 3]), axis=(0, 0)),
    "arange_step_0": lambda: xp.arange(0, 5, 0),
    "asarray_copy_false_list": lambda: xp.asarray([1.0], copy=False),
    "asarray_copy_false_cast": lambda: xp.asarray(tf.constant([1.0]), dtype=xp.float64, copy=False),
    "result_type_of_nothing": lambda: xp.result_type(1.0),
    "isdtype_unknown_kind": lambda: xp.isdtype(xp.float32, "floating"),
}


@pytest.mark.parametrize("name", VALUE_ERRORS)
def test_value_errors(name: str) -> None:
    with pytest.raises(ValueError, match="must"):
        VALUE_ERRORS[name]()


@pytest.mark.parametrize("call", [lambda: xp.expand_dims(tf.zeros([2]), axis=2),
                                  lambda: xp.squeeze(tf.zeros([1]), axis=1), lambda: xp.sort(tf.zeros([2]), axis=1),
                                  lambda: xp.argmax(tf.zeros([2]), axis=-2)], ids=["expand_dims", "squeeze", "sort",
                                                                                     "argmax"])
def test_axis_out_of_range_is_an_index_error(call: Callable[[], Any]) -> None:
    with pytest.raises(IndexError, match="must be in"):
        call()


def test_python_int_out_of_range() -> None:
    with pytest.raises(OverflowError, match="must fit"):
        xp.add(tf.constant([1], tf.int8), 300)


# ------------------------------------------------------------------------------- dtypes, info, creation


def test_dtypes_and_constants() -> None:
    assert xp.__array_api_version__ == "2024.12"
    assert (xp.float32, xp.bfloat16, xp.uint64, xp.complex128, xp.bool) == (
        tf.float32, tf.bfloat16, tf.uint64, tf.complex128, tf.bool)
    assert (xp.e, xp.pi, xp.inf, xp.newaxis) == (math.e, math.pi, math.inf, None)
    assert math.isnan(xp.nan)
    assert sorted(xp.__all__) == sorted(set(xp.__all__))
    missing = [name for name in xp.__all__ if not hasattr(xp, name)]
    assert not missing


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"])
def test_finfo(dtype: str) -> None:
    import ml_dtypes

    info = xp.finfo(getattr(xp, dtype))
    real = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    ref = ml_dtypes.finfo(getattr(ml_dtypes, real) if real == "bfloat16" else np.dtype(real))
    assert (info.bits, info.eps, info.max, info.min, info.smallest_normal) == (
        ref.bits, float(ref.eps), float(ref.max), float(ref.min), float(ref.smallest_normal))
    assert info.dtype == getattr(xp, real)
    assert xp.finfo(tf.zeros([1], getattr(xp, dtype))) == info
    assert type(info.eps) is float


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"])
def test_iinfo(dtype: str) -> None:
    info = xp.iinfo(getattr(xp, dtype))
    ref = np.iinfo(dtype)
    assert (info.bits, info.max, info.min, info.dtype) == (ref.bits, ref.max, ref.min, getattr(xp, dtype))
    with pytest.raises(TypeError, match="must"):
        xp.iinfo(xp.float32)
    with pytest.raises(TypeError, match="must"):
        xp.finfo(getattr(xp, dtype))


def test_inspection() -> None:
    info = xp.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == xp.float32
    assert info.default_dtypes()["indexing"] == xp.int64
    assert info.default_device() in info.devices()
    assert set(info.dtypes(kind="real floating").values()) == {xp.float32, xp.float64}
    assert info.capabilities()["boolean indexing"] is False


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


# ------------------------------------------------------------------------------ graphs, shapes, gradients


def _composite(logits: Any, labels: Any) -> Any:
    """A loss-like chain of namespace calls whose shapes depend on the (maybe unknown) input shape."""
    picked = xp.take_along_axis(logits, xp.expand_dims(labels, axis=-1), axis=-1)
    m = xp.max(logits, axis=-1, keepdims=True)
    lse = m + xp.log(xp.sum(xp.exp(logits - m), axis=-1, keepdims=True))
    loss = xp.squeeze(lse - picked, axis=-1)
    zeros = xp.zeros_like(loss)
    clipped = xp.clip(xp.where(labels >= 0, loss, zeros), min=0.0, max=None)
    cum = xp.cumulative_sum(xp.sort(clipped, descending=True), include_initial=True)
    flat = xp.reshape(logits, (-1,))
    grid = xp.broadcast_to(xp.full_like(loss, 0.5)[:, None], tf.shape(logits))
    a, b = xp.broadcast_arrays(logits, xp.ones_like(logits[:1]))
    return (xp.mean(clipped), cum, xp.sum(flat), xp.mean(grid), xp.vecdot(a, b), xp.concat([loss, cum], axis=0),
            xp.logaddexp(loss, xp.full_like(loss, -inf)), xp.argmax(logits, axis=-1), xp.matmul(logits, logits[0]))


def _composite_numpy(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    picked = np.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    lse = np.log(np.sum(np.exp(logits), axis=-1))
    loss = lse - picked
    clipped = np.clip(np.where(labels >= 0, loss, 0), 0, None).astype(np.float32)
    cum = np.cumulative_sum(np.flip(np.sort(clipped)), include_initial=True)
    return (np.mean(clipped), cum, np.sum(logits), np.float32(0.5), np.sum(logits, axis=-1),
            np.concat([loss, cum]), loss, np.argmax(logits, axis=-1), logits @ logits[0])


@pytest.mark.parametrize("jit", [False, True], ids=["function", "jit"])
def test_unknown_dimensions(jit: bool) -> None:
    spec = [tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.int64)]
    fn = tf.function(_composite, input_signature=spec, autograph=False, jit_compile=jit)
    for n, c in [(4, 3), (2, 2)]:
        logits = RNG.standard_normal((n, c)).astype(np.float32)
        labels = RNG.integers(-c, c, size=n).astype(np.int64)
        actual = [t.numpy() for t in fn(tf.constant(logits), tf.constant(labels))]
        expected = _composite_numpy(logits, labels)
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


def test_take_along_axis_with_an_unknown_gathered_dimension() -> None:
    spec = [tf.TensorSpec([3, None], tf.float32), tf.TensorSpec([1, 2], tf.int64)]
    fn = tf.function(lambda x, i: xp.take_along_axis(x, i, axis=-1), input_signature=spec, autograph=False)
    x, i = np.arange(12.0, dtype=np.float32).reshape(3, 4), np.array([[0, -1]])
    assert_same(fn(tf.constant(x), tf.constant(i)).numpy(), np.take_along_axis(x, i, axis=-1))


def test_autograph_on_converts_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Strict conversion turns AutoGraph's "could not transform" warnings into errors.
    monkeypatch.setenv("AUTOGRAPH_STRICT_CONVERSION", "1")
    logits = RNG.standard_normal((3, 4)).astype(np.float32)
    labels = np.array([0, -1, 3], np.int64)
    actual = [t.numpy() for t in tf.function(_composite)(tf.constant(logits), tf.constant(labels))]
    for a, e in zip(actual, _composite_numpy(logits, labels), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


def _half_composite(a: Any, b: Any) -> Any:
    """Most of the namespace on one dtype; integer and bool results are cast so everything compares as floats."""
    idx = tf.constant([[0], [-1]])
    return [xp.astype(r, xp.float32) for r in (
        xp.exp(a), xp.expm1(a), xp.log(xp.abs(a)), xp.log1p(xp.abs(a)), xp.sqrt(xp.abs(a)), xp.tanh(a), xp.cosh(a),
        xp.sign(a), xp.logaddexp(a, b), xp.hypot(a, b), xp.maximum(a, b), xp.clip(a, -0.5, 0.5),
        xp.where(xp.greater(a, b), a, 0.0), xp.sum(a, axis=-1), xp.mean(a), xp.var(a), xp.max(a, axis=0),
        xp.argmax(a, axis=1), xp.sort(a), xp.cumulative_sum(a, axis=1), xp.take_along_axis(a, idx, axis=-1),
        xp.matmul(a, xp.matrix_transpose(b)), xp.vecdot(a, b), xp.linalg.vector_norm(a), xp.round(a * 3),
        xp.signbit(a), xp.copysign(a, b), xp.atan2(a, b), xp.pow(xp.abs(a), b), xp.divide(a, b), xp.sin(a),
    )]


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision(mode: str, dtype: str) -> None:
    a = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]], np.float32)
    b = np.array([[-0.5, 0.9, 1.3], [0.2, -1.4, 0.6]], np.float32)
    fn = _half_composite if mode == "eager" else tf.function(_half_composite, autograph=False, jit_compile=True)
    half = tf.as_dtype(getattr(xp, dtype))
    assert xp.exp(tf.cast(a, half)).dtype == half
    actual = fn(tf.cast(a, half), tf.cast(b, half))
    for got, want in zip(actual, _half_composite(tf.constant(a), tf.constant(b)), strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-2, atol=2e-2)


def test_functions_keep_their_signatures_and_names() -> None:
    # The functions are wrapped so that AutoGraph calls them unconverted; the wrappers keep what introspection sees.
    import inspect

    assert list(inspect.signature(xp.clip).parameters) == ["x", "min", "max"]
    assert list(inspect.signature(xp.linalg.vector_norm).parameters) == ["x", "axis", "keepdims", "ord"]
    assert (xp.exp.__name__, xp.take_along_axis.__name__) == ("exp", "take_along_axis")
    assert xp.sum.__doc__.startswith("The sum over")


def test_variables() -> None:
    v = tf.Variable(RNG.standard_normal((3, 4)).astype(np.float32))
    labels = tf.Variable(np.array([0, -1, 2], np.int64))
    expected = _composite_numpy(v.numpy(), labels.numpy())
    for fn in (_composite, tf.function(_composite, autograph=False)):
        for a, e in zip(fn(v, labels), expected, strict=True):
            np.testing.assert_allclose(a.numpy(), e, rtol=1e-5, atol=1e-6)
    assert xp.maximum(v, 0.0).dtype == tf.float32
    assert xp.result_type(v, 1) == tf.float32
    with tf.GradientTape() as tape:
        total = xp.sum(_composite(v, labels)[0] + xp.linalg.vector_norm(v))
    assert np.all(np.isfinite(tape.gradient(total, v).numpy()))


def _gradients(fn: Callable[..., Any], *args: np.ndarray) -> list[np.ndarray]:
    tensors = [tf.constant(a) for a in args]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = xp.sum(fn(*tensors))
    return [g.numpy() for g in tape.gradient(out, tensors)]


def _finite_differences(fn: Callable[..., Any], *args: np.ndarray, h: float = 1e-6) -> list[np.ndarray]:
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


SMOOTH = {
    "logaddexp": lambda a, b: xp.logaddexp(a, b),
    "hypot": lambda a, b: xp.hypot(a, b),
    "clip_where": lambda a, b: xp.where(a > b, xp.clip(a, min=-0.8, max=0.9), b * b),
    "take_along_axis": lambda a, b: xp.take_along_axis(a, tf.constant([[2], [-1]]), axis=-1) * b[:, :1],
    "sort_cumsum": lambda a, b: xp.cumulative_sum(xp.sort(a * b, axis=-1), axis=-1) ** 2,
    "max_mean_matmul": lambda a, b: xp.max(a, axis=0) + xp.mean(xp.matmul(a, xp.permute_dims(b, (1, 0)))),
    "vecdot_norm_take": lambda a, b: xp.vecdot(a, b) + xp.linalg.vector_norm(xp.take(a, tf.constant([-1]), axis=0)),
}


@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_match_finite_differences(name: str) -> None:
    a = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]])
    b = np.array([[-0.5, 0.9, 1.3], [0.2, -1.4, 0.6]])
    for g, fd in zip(_gradients(SMOOTH[name], a, b), _finite_differences(SMOOTH[name], a, b), strict=True):
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_gradients_at_ties_and_special_points() -> None:
    tie = f64(1.0, -inf)
    ga, gb = _gradients(xp.logaddexp, tie, tie)  # split evenly at a finite tie, finite at -inf
    np.testing.assert_array_equal(ga, [0.5, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 0.0])
    ga, gb = _gradients(xp.hypot, f64(3.0, 2.0, 0.0), f64(4.0, 2.0, 0.0))  # x / hypot; 0 at the origin
    np.testing.assert_allclose(ga, [0.6, math.sqrt(0.5), 0.0])
    np.testing.assert_allclose(gb, [0.8, math.sqrt(0.5), 0.0])
    # TensorFlow's conventions: the gradient at a bound of clip or a tie of maximum goes to x (torch and JAX split
    # maximum's; JAX splits clip's); tied maxima of a reduction share it.
    (g,) = _gradients(lambda x: xp.clip(x, min=0.0, max=1.0), f64(0.0, 1.0, 0.5))
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])
    (g,) = _gradients(lambda x: xp.maximum(x, 0.0), f64(0.0, -1.0))
    np.testing.assert_array_equal(g, [1.0, 0.0])
    (g,) = _gradients(lambda x: xp.max(x), f64(1.0, 1.0, 0.0))
    np.testing.assert_array_equal(g, [0.5, 0.5, 0.0])
    (g,) = _gradients(lambda x: xp.abs(x), f64(0.0))
    np.testing.assert_array_equal(g, [0.0])


# -------------------------------------------------------------------------------------------- the adapter


def test_adapter_names_match_the_other_adapters() -> None:
    names = ["NAME", "NAMESPACE_NAMES", "framework_imported", "is_array", "namespace", "native", "is_concrete",
             "is_cpu", "device", "to_numpy"]
    for other in ADAPTERS:
        assert all(hasattr(load(other), n) for n in names), other
    assert adapter.NAME == "tensorflow"
    assert adapter.namespace() is xp
    assert adapter.NAMESPACE_NAMES == ("lossport.backends._tensorflow_namespace",) == (xp.__name__,)
    assert adapter_for(tf.constant(1.0)) is adapter
    assert adapter_for_namespace(xp) is adapter


def test_is_array_and_modes() -> None:
    v = tf.Variable([1.0])
    assert adapter.is_array(tf.constant(1.0)) and adapter.is_array(v)
    assert not adapter.is_array(np.ones(2)) and not adapter.is_array(1.0)
    assert adapter.is_concrete(tf.constant(1.0)) and adapter.is_concrete(v)
    assert adapter.is_cpu(tf.constant(1.0)) and adapter.device(v) == v.device
    seen = {}

    @tf.function(autograph=False)
    def inside(x: Any) -> Any:
        seen.update(array=adapter.is_array(x), concrete=adapter.is_concrete(x), variable=adapter.is_concrete(v),
                    device=adapter.device(x), cpu=adapter.is_cpu(x))
        return x

    inside(tf.constant([1.0]))
    assert seen == {"array": True, "concrete": False, "variable": False, "device": None, "cpu": False}
    out = adapter.to_numpy(tf.constant([1.5], tf.bfloat16))
    assert out.dtype.name == "bfloat16" and float(out[0]) == 1.5


def test_adapter_imports_no_tensorflow() -> None:
    code = ("import sys, lossport.backends.tensorflow as t; assert not t.is_array(1.0); "
            "assert not t.framework_imported(); assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_native_table_holds_only_the_accurate_primitives() -> None:
    # softplus and log_sigmoid are left out: tf.math's are 6 ulps off near log(eps) + 2 (see backends/tensorflow.py).
    assert set(adapter.native) == {"xlogy", "one_hot"}


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_xlogy_is_the_generic_form(mode: str, dtype: Any) -> None:
    x = RNG.standard_normal(200).astype(dtype) * (RNG.random(200) > 0.3)
    y = np.abs(RNG.standard_normal(200)).astype(dtype) * (RNG.random(200) > 0.2)
    x[:3], y[:3] = [0.0, 0.0, 2.0], [nan, 0.0, inf]

    def generic(a: Any, b: Any) -> Any:
        zero = xp.equal(a, 0.0)
        return xp.where(zero, xp.zeros_like(a), a * xp.log(xp.where(zero, xp.ones_like(b), b)))

    native = run(mode, adapter.native["xlogy"], x, y)
    np.testing.assert_array_equal(native, run(mode, generic, x, y))
    gn = _gradients(adapter.native["xlogy"], x, y)
    gg = _gradients(generic, x, y)
    for a, b in zip(gn, gg, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(("labels", "axis", "dtype"), [
    (np.array([0, 2, 3, -1], np.int64), -1, "float32"),
    (np.array([[1, 0], [2, 5]], np.int16), 0, "bool"),
    (np.array([[1, 0], [2, 1]], np.uint8), -2, "float64"),
    (np.array([0, 1], np.uint32), 1, "int32"),
])
def test_native_one_hot_is_the_generic_form(labels: np.ndarray, axis: int, dtype: str) -> None:
    out = adapter.native["one_hot"](tf.constant(labels), 3, dtype=getattr(xp, dtype), axis=axis)
    expected = np.moveaxis((labels[..., None] == np.arange(3)).astype(dtype), -1, axis)
    assert_same(out.numpy(), expected)
