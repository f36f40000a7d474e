"""Creation functions (``asarray``, ``full``, ``zeros``, ``arange``, ``linspace``, ``eye``, ...) and ``astype``."""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from ._dtypes import (
    _BOOLEAN,
    _COMPLEX,
    _FLOATING,
    _INTEGER,
    _PY_SCALARS,
    _UNSIGNED,
    Array,
    DType,
    _as_dtype,
    _join_scalar,
    _py_max,
    _py_min,
)
from ._helpers import _check, _placed, _shape, _static_shape, _tensor


def _default_dtype(value: Any) -> DType:
    if isinstance(value, builtins.bool):
        return tf.bool
    if isinstance(value, builtins.int):
        return tf.int64
    if isinstance(value, builtins.float):
        return tf.float32
    return tf.complex64


def _python_kind(obj: Any) -> type | None:
    """The widest Python scalar type in a (nested) sequence of Python scalars; None if anything else is in it."""
    if type(obj) in _PY_SCALARS:
        return type(obj)
    if not isinstance(obj, (list, tuple)):
        return None
    widest: type = builtins.float if len(obj) == 0 else builtins.bool
    for item in obj:
        kind = _python_kind(item)
        if kind is None:
            return None
        widest = _py_max(widest, kind, key=_PY_SCALARS.index)
    return widest


def asarray(
    obj: Any, /, *, dtype: DType | None = None, device: Any = None, copy: builtins.bool | None = None
) -> Array:
    """Convert ``obj`` to a tensor.

    Parameters
    ----------
    obj : array, NumPy array, Python scalar or nested sequence of Python scalars
        Tensors and NumPy arrays keep their dtype; Python data takes this namespace's defaults (bool, int64,
        float32, complex64, by the widest scalar kind in it).
    dtype : dtype, optional
    device : device, optional
        Where to place the result (a ``tf.device`` string).
    copy : bool, optional
        Tensors are immutable, so a tensor is never copied; ``copy=False`` raises ``ValueError`` where a
        conversion (a dtype change, or data that is not a tensor) cannot avoid one.

    Returns
    -------
    array
    """
    dt = None if dtype is None else _as_dtype(dtype)
    if isinstance(obj, (tf.Tensor, tf.Variable)):
        if copy is False and dt is not None and dt != obj.dtype:
            msg = f"`copy` of `asarray` must not be False when `dtype` changes; got {obj.dtype.name} to {dt.name}"
            raise ValueError(msg)
        out = tf.convert_to_tensor(obj)
        if dt is not None and dt != out.dtype:
            out = tf.cast(out, dt)
    else:
        if copy is False:
            msg = f"`copy` of `asarray` must not be False for a {type(obj).__name__}: converting it copies"
            raise ValueError(msg)
        out = _from_data(obj, dt)
    return _to_device(out, device)


def _to_device(x: Array, device: Any) -> Array:
    """``x`` on ``device`` (unchanged if it is there already, or if ``device`` is None)."""
    if device is None or x.device == device:
        return x
    with tf.device(device):
        return tf.identity(x)


# The dtypes that Python data of a kind converts to exactly or by rounding (ints go through NumPy's range checks).
_SUITS = {builtins.bool: _BOOLEAN, builtins.float: _FLOATING, builtins.complex: _COMPLEX}


def _from_data(obj: Any, dtype: DType | None) -> Array:
    kind = _python_kind(obj)
    if kind is not None:
        target = dtype if dtype is not None else _default_dtype(kind())
        if target in _SUITS.get(kind, ()):
            return tf.constant(obj, dtype=target)  # the fast path, where no value can be out of range
        return tf.constant(np.asarray(obj, dtype=target.as_numpy_dtype))  # NumPy checks ranges, converts kinds
    if isinstance(obj, (np.ndarray, np.generic)):
        array = obj if dtype is None else np.asarray(obj, dtype=dtype.as_numpy_dtype)
        return tf.constant(array)
    out = tf.convert_to_tensor(obj)  # nested sequences holding tensors, objects with __array__
    return out if dtype is None or out.dtype == dtype else tf.cast(out, dtype)


def _fill_value(value: Any, dtype: DType | None, func: str) -> Array:
    """``value`` (a Python scalar or 0-D array) as a 0-D tensor of ``dtype`` (its own kind's default if None)."""
    if type(value) in _PY_SCALARS:
        if dtype is None:
            dtype = _default_dtype(value)
        elif _join_scalar(dtype, value, func) != dtype:
            msg = f"`fill_value` of `{func}` must be real for the real dtype {dtype.name}; got {value!r}"
            raise TypeError(msg)
        return tf.constant(value, dtype=dtype)
    t = _tensor(value, func, "fill_value")
    return t if dtype is None or t.dtype == dtype else tf.cast(t, dtype)


def full(
    shape: int | Sequence[int], fill_value: complex, *, dtype: DType | None = None, device: Any = None
) -> Array:
    """An array of ``shape`` filled with ``fill_value``.

    Parameters
    ----------
    shape : int or tuple of int
        Dimensions may be scalar tensors (a dynamic size).
    fill_value : bool, int, float or complex
        Its kind must suit ``dtype`` (``TypeError`` otherwise); it decides the dtype when ``dtype`` is None.
    dtype : dtype, optional
    device : device, optional

    Returns
    -------
    array
    """
    value = _fill_value(fill_value, None if dtype is None else _as_dtype(dtype), "full")
    with _placed(device):
        return tf.fill(_shape(shape), value)


def full_like(
    x: Array, /, fill_value: complex, *, dtype: DType | None = None, device: Any = None
) -> Array:
    """An array of ``x``'s shape (dynamic sizes included) filled with ``fill_value``; ``x``'s dtype by default.

    Parameters
    ----------
    x : array
    fill_value : bool, int, float or complex
    dtype : dtype, optional
    device : device, optional

    Returns
    -------
    array
    """
    x = _tensor(x, "full_like")
    value = _fill_value(fill_value, x.dtype if dtype is None else _as_dtype(dtype), "full_like")
    with _placed(device):
        return tf.fill(_static_shape(x), value)


def zeros(shape: int | Sequence[int], *, dtype: DType | None = None, device: Any = None) -> Array:
    """An array of zeros (float32 by default). See :func:`full`."""
    with _placed(device):
        return tf.zeros(_shape(shape), dtype=tf.float32 if dtype is None else _as_dtype(dtype))


def ones(shape: int | Sequence[int], *, dtype: DType | None = None, device: Any = None) -> Array:
    """An array of ones (float32 by default). See :func:`full`."""
    with _placed(device):
        return tf.ones(_shape(shape), dtype=tf.float32 if dtype is None else _as_dtype(dtype))


def empty(shape: int | Sequence[int], *, dtype: DType | None = None, device: Any = None) -> Array:
    """An uninitialised array; TensorFlow has none, so it holds zeros. See :func:`full`."""
    return zeros(shape, dtype=dtype, device=device)


def zeros_like(x: Array, /, *, dtype: DType | None = None, device: Any = None) -> Array:
    """Zeros of ``x``'s shape and (by default) dtype. See :func:`full_like`."""
    x = _tensor(x, "zeros_like")
    with _placed(device):
        return tf.zeros_like(x, dtype=None if dtype is None else _as_dtype(dtype))


def ones_like(x: Array, /, *, dtype: DType | None = None, device: Any = None) -> Array:
    """Ones of ``x``'s shape and (by default) dtype. See :func:`full_like`."""
    x = _tensor(x, "ones_like")
    with _placed(device):
        return tf.ones_like(x, dtype=None if dtype is None else _as_dtype(dtype))


def empty_like(x: Array, /, *, dtype: DType | None = None, device: Any = None) -> Array:
    """An uninitialised array like ``x``; TensorFlow has none, so it holds zeros."""
    return zeros_like(x, dtype=dtype, device=device)


def _real_number(value: Any, name: str, func: str) -> int | float:
    if isinstance(value, (np.integer, np.floating)):
        value = value.item()
    if type(value) not in (builtins.int, builtins.float):
        msg = f"`{name}` of `{func}` must be a Python int or float; got {type(value).__name__}"
        raise TypeError(msg)
    return value


def arange(
    start: int | float, /, stop: int | float | None = None, step: int | float = 1, *,
    dtype: DType | None = None, device: Any = None,
) -> Array:
    """Evenly spaced values ``start, start + step, ...`` below ``stop`` (an empty array when there are none).

    Parameters
    ----------
    start, stop, step : int or float
        With ``stop`` omitted, the values run from 0 to ``start``.
    dtype : dtype, optional
        int64 for integer arguments, float32 if any is a float.
    device : device, optional

    Returns
    -------
    array
        ``ceil((stop - start) / step)`` values (at least 0).
    """
    if stop is None:
        start, stop = 0, start
    start, stop, step = (_real_number(v, n, "arange") for v, n in ((start, "start"), (stop, "stop"), (step, "step")))
    if step == 0:
        msg = "`step` of `arange` must not be 0; got 0"
        raise ValueError(msg)
    is_float = builtins.any(isinstance(v, builtins.float) for v in (start, stop, step))
    dt = (tf.float32 if is_float else tf.int64) if dtype is None else _as_dtype(dtype)
    _check(dt, "real numeric", "arange", "dtype")
    # The count exactly for ints (a float quotient rounds once they pass 2**53).
    n = _py_max(-((start - stop) // step) if not is_float else math.ceil((stop - start) / step), 0)
    with _placed(device):
        if dt in _INTEGER and not is_float:
            return _integer_range(start, step, n, dt)
        # In float64, as NumPy computes start + i * step, then rounded once to `dtype`.
        return tf.cast(tf.range(n, dtype=tf.float64) * step + start, dt)


_INT32_INFO, _INT64_INFO = np.iinfo(np.int32), np.iinfo(np.int64)


def _integer_range(start: int, step: int, n: int, dtype: DType) -> Array:
    """``start + i * step`` for ``i < n``, of an integer ``dtype`` whose range holds these values.

    ``tf.range`` rejects start > limit even for an empty range, so it gets the exact end ``start + n * step``.
    Its CPU kernels are int32 and int64 only (none for int8, int16 or the unsigned dtypes): other dtypes, and an
    int32 range whose end is beyond int32, count in int64 and cast. Where the end or a value is beyond int64 too
    (int64 near its limits, uint64 past 2**63), the values are computed in uint64, whose arithmetic wraps: their
    low 64 bits, all that the cast keeps, are exact.
    """
    if n <= 1:
        step = 1  # one value or none whatever the step: keep a huge one out of the tensors
    end = start + n * step
    low, high = _py_min(start, end), _py_max(start, end)
    if _INT64_INFO.min <= low and high <= _INT64_INFO.max:
        native = dtype == tf.int64 or (dtype == tf.int32 and _INT32_INFO.min <= low and high <= _INT32_INFO.max)
        out = tf.range(start, end, step, dtype=dtype if native else tf.int64)
        return out if out.dtype == dtype else tf.cast(out, dtype)
    i = tf.cast(tf.range(n, dtype=tf.int64), tf.uint64)
    values = tf.constant(start % 2**64, tf.uint64) + i * tf.constant(step % 2**64, tf.uint64)
    return tf.cast(values, dtype) if dtype in _UNSIGNED else tf.cast(tf.bitcast(values, tf.int64), dtype)


def linspace(
    start: int | float, stop: int | float, /, num: int, *, dtype: DType | None = None, device: Any = None,
    endpoint: builtins.bool = True,
) -> Array:
    """``num`` evenly spaced values from ``start`` to ``stop`` (included if ``endpoint``), float32 by default.

    Parameters
    ----------
    start, stop : int or float
    num : int
    dtype : dtype, optional
    device : device, optional
    endpoint : bool

    Returns
    -------
    array
    """
    start, stop = _real_number(start, "start", "linspace"), _real_number(stop, "stop", "linspace")
    dt = tf.float32 if dtype is None else _as_dtype(dtype)
    _check(dt, "real numeric", "linspace", "dtype")
    div = num - 1 if endpoint else num
    step = (stop - start) / div if div > 0 else 0.0
    with _placed(device):
        i = tf.range(num, dtype=tf.float64)
        values = i * step + start
        if endpoint and num > 1:  # the end exactly, as NumPy gives it
            values = tf.where(tf.equal(i, num - 1), tf.constant(stop, tf.float64), values)
        return tf.cast(values, dt)


def eye(
    n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: DType | None = None, device: Any = None
) -> Array:
    """A 2-D array with ones on the ``k``-th diagonal and zeros elsewhere (float32 by default).

    Parameters
    ----------
    n_rows : int
    n_cols : int, optional
        ``n_rows`` by default.
    k : int
        0 is the main diagonal, positive values are above it.
    dtype : dtype, optional
    device : device, optional

    Returns
    -------
    array
    """
    n_cols = n_rows if n_cols is None else n_cols
    dt = tf.float32 if dtype is None else _as_dtype(dtype)
    # Every k outside [-n_rows, n_cols] gives zeros, as the ends do: clamped, it converts to int64 whatever it was.
    k = _py_max(-n_rows, _py_min(operator.index(k), n_cols))
    with _placed(device):
        rows = tf.expand_dims(tf.range(n_rows, dtype=tf.int64), 1)
        cols = tf.expand_dims(tf.range(n_cols, dtype=tf.int64), 0)
        return tf.cast(tf.equal(cols - rows, k), dt)


def astype(
    x: Array, dtype: DType, /, *, copy: builtins.bool = True, device: Any = None
) -> Array:
    """``x`` cast to ``dtype`` (``tf.cast``; floating to floating keeps gradients).

    Parameters
    ----------
    x : array
    dtype : dtype
    copy : bool
        Tensors are immutable, so no copy is ever needed; a Variable is read either way.
    device : device, optional

    Returns
    -------
    array
    """
    x = _tensor(x, "astype")
    dt = _as_dtype(dtype)
    return _to_device(x if x.dtype == dt else tf.cast(x, dt), device)
