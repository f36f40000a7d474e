"""Statistical functions: sums, products, means, variances, extrema and cumulative sums.

Defines ``sum``, ``max``, ``min`` as the standard requires: Python's own are reached through ``builtins``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from ._dtypes import _REAL_FLOATING, _SIGNED, _UNSIGNED, Array, DType, _as_dtype
from ._helpers import (
    _axis,
    _check,
    _in_float32,
    _nan_is_propagated,
    _ndim,
    _reduction_axis,
    _tensor,
    _unary,
)


def _accumulator(x: Array, dtype: DType | None) -> DType:
    """The dtype a sum or product of ``x`` is computed and returned in: int64/uint64 for integers."""
    if dtype is not None:
        return _as_dtype(dtype)
    if x.dtype in _SIGNED or x.dtype == tf.bool:
        return tf.int64
    return tf.uint64 if x.dtype in _UNSIGNED else x.dtype


def sum(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, dtype: DType | None = None,
    keepdims: builtins.bool = False,
) -> Array:
    """The sum over ``axis`` (all axes by default; ``()`` sums over nothing).

    Parameters
    ----------
    x : array
        Of a numeric dtype (bool counts as integers).
    axis : int or tuple of int, optional
    dtype : dtype, optional
        By default int64 for signed integers and bool, uint64 for unsigned integers (no wrap-around at int8),
        ``x``'s dtype otherwise.
    keepdims : bool

    Returns
    -------
    array
    """
    x = _tensor(x, "sum")
    if x.dtype != tf.bool:
        _check(x.dtype, "numeric", "sum")
    acc = _accumulator(x, dtype)
    return tf.reduce_sum(tf.cast(x, acc), axis=_reduction_axis(axis), keepdims=keepdims)


def prod(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, dtype: DType | None = None,
    keepdims: builtins.bool = False,
) -> Array:
    """The product over ``axis``, with the accumulator dtype of :func:`sum`.

    Parameters
    ----------
    x : array
        Of a numeric dtype (bool counts as integers).
    axis : int or tuple of int, optional
    dtype : dtype, optional
    keepdims : bool

    Returns
    -------
    array
    """
    x = _tensor(x, "prod")
    if x.dtype != tf.bool:
        _check(x.dtype, "numeric", "prod")
    acc = _accumulator(x, dtype)
    return tf.reduce_prod(tf.cast(x, acc), axis=_reduction_axis(axis), keepdims=keepdims)

def mean(x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: builtins.bool = False) -> Array:
    """The arithmetic mean over ``axis``; NaN over zero elements.

    Parameters
    ----------
    x : array
        Of a floating dtype (integers raise ``TypeError`` rather than truncate as ``tf.reduce_mean`` does);
        float16 and bfloat16 are accumulated in float32.
    axis : int or tuple of int, optional
    keepdims : bool

    Returns
    -------
    array
        Of ``x``'s dtype.
    """
    x = _unary(x, "mean", "floating")
    return tf.cast(tf.reduce_mean(_in_float32(x), axis=_reduction_axis(axis), keepdims=keepdims), x.dtype)


def var(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, correction: int | float = 0.0,
    keepdims: builtins.bool = False,
) -> Array:
    """The variance over ``axis``: ``sum((x - mean)**2) / max(N - correction, 0)``.

    Parameters
    ----------
    x : array
        Of a real floating dtype.
    axis : int or tuple of int, optional
    correction : int or float
        1 for the unbiased sample variance.
    keepdims : bool

    Returns
    -------
    array
    """
    x = _unary(x, "var", "real floating")
    work = _in_float32(x)
    axes = _reduction_axis(axis)
    centred = work - tf.reduce_mean(work, axis=axes, keepdims=True)
    squares = tf.reduce_sum(tf.square(centred), axis=axes, keepdims=keepdims)
    n = tf.cast(tf.size(work, out_type=tf.int64), work.dtype) / tf.cast(
        tf.maximum(tf.size(squares, out_type=tf.int64), 1), work.dtype
    )
    return tf.cast(squares / tf.maximum(n - correction, 0), x.dtype)


def std(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, correction: int | float = 0.0,
    keepdims: builtins.bool = False,
) -> Array:
    """The standard deviation, ``sqrt(var(...))``. See :func:`var`."""
    return tf.sqrt(var(x, axis=axis, correction=correction, keepdims=keepdims))


def _reduce_extremum(name: str, op: Callable[..., Array], x: Any, axis: Any, keepdims: builtins.bool) -> Array:
    x = _unary(x, name, "real numeric")
    axes = _reduction_axis(axis)
    out = op(x, axis=axes, keepdims=keepdims)
    if x.dtype in _REAL_FLOATING and not _nan_is_propagated(out):
        has_nan = tf.reduce_any(tf.math.is_nan(x), axis=axes, keepdims=keepdims)
        out = tf.where(has_nan, tf.constant(math.nan, x.dtype), out)
    return out


def max(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: builtins.bool = False
) -> Array:
    """The maximum over ``axis``; NaN if any is NaN. Tied maxima share the gradient evenly.

    Parameters
    ----------
    x : array
        Of a real numeric dtype. Over zero elements TensorFlow gives the identity (-inf, or the dtype's min).
    axis : int or tuple of int, optional
    keepdims : bool

    Returns
    -------
    array
    """
    return _reduce_extremum("max", tf.reduce_max, x, axis, keepdims)


def min(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: builtins.bool = False
) -> Array:
    """The minimum over ``axis``; NaN if any is NaN. See :func:`max`."""
    return _reduce_extremum("min", tf.reduce_min, x, axis, keepdims)

def _cumulative(
    name: str, op: Callable[..., Array], identity: int, x: Any, axis: int | None, dtype: Any,
    include_initial: builtins.bool,
) -> Array:
    x = _tensor(x, name)
    if x.dtype != tf.bool:
        _check(x.dtype, "numeric", name)
    ndim = _ndim(x, name)
    if axis is None:
        if ndim != 1:
            msg = f"`axis` of `{name}` must be given for an array of {ndim} dimensions; got None"
            raise ValueError(msg)
        axis = 0
    axis = _axis(axis, ndim, name)
    out = op(tf.cast(x, _accumulator(x, dtype)), axis=axis)
    if include_initial:
        paddings = [[0, 0]] * ndim
        paddings[axis] = [1, 0]
        out = tf.pad(out, paddings, constant_values=tf.constant(identity, out.dtype))
    return out


def cumulative_sum(
    x: Array, /, *, axis: int | None = None, dtype: DType | None = None, include_initial: builtins.bool = False
) -> Array:
    """The cumulative sum along ``axis``, with the accumulator dtype of :func:`sum`.

    Parameters
    ----------
    x : array
        Of a numeric dtype (bool counts as integers).
    axis : int, optional
        Required unless ``x`` is 1-D.
    dtype : dtype, optional
    include_initial : bool
        Start with the empty sum 0 (one more element along ``axis``).

    Returns
    -------
    array
    """
    return _cumulative("cumulative_sum", tf.math.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(
    x: Array, /, *, axis: int | None = None, dtype: DType | None = None, include_initial: builtins.bool = False
) -> Array:
    """The cumulative product along ``axis`` (starting with 1 if ``include_initial``). See :func:`cumulative_sum`."""
    return _cumulative("cumulative_prod", tf.math.cumprod, 1, x, axis, dtype, include_initial)
