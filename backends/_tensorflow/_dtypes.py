"""Data types: the dtype objects, the standard's promotion table, ``isdtype``, ``result_type``, ``can_cast``,
``finfo`` and ``iinfo``.

Defines ``bool`` as the standard requires: Python's own types are reached as ``builtins.bool``, ``builtins.int``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

Array = tf.Tensor
DType = tf.DType

# The namespace defines `bool`, `all`, `max`, ... as the standard requires: Python's own are reached through these
# (and `builtins.`) in every one of its modules.
_PY_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)
_py_max = builtins.max
_py_min = builtins.min

# ---------------------------------------------------------------------------------------------------- dtypes

bool = tf.bool
int8, int16, int32, int64 = tf.int8, tf.int16, tf.int32, tf.int64
uint8, uint16, uint32, uint64 = tf.uint8, tf.uint16, tf.uint32, tf.uint64
float16, bfloat16, float32, float64 = tf.float16, tf.bfloat16, tf.float32, tf.float64
complex64, complex128 = tf.complex64, tf.complex128

_BOOLEAN = frozenset({tf.bool})
_SIGNED = frozenset({tf.int8, tf.int16, tf.int32, tf.int64})
_UNSIGNED = frozenset({tf.uint8, tf.uint16, tf.uint32, tf.uint64})
_INTEGER = _SIGNED | _UNSIGNED
_REAL_FLOATING = frozenset({tf.float16, tf.bfloat16, tf.float32, tf.float64})
_HALF = frozenset({tf.float16, tf.bfloat16})
_COMPLEX = frozenset({tf.complex64, tf.complex128})
_FLOATING = _REAL_FLOATING | _COMPLEX
_NUMERIC = _INTEGER | _FLOATING
_REAL_NUMERIC = _INTEGER | _REAL_FLOATING
_ALL = _BOOLEAN | _NUMERIC

# The kinds of `isdtype`, and the dtype categories the functions accept (named as array-api-strict names them).
_KINDS: dict[str, frozenset[DType]] = {
    "bool": _BOOLEAN,
    "signed integer": _SIGNED,
    "unsigned integer": _UNSIGNED,
    "integral": _INTEGER,
    "real floating": _REAL_FLOATING,
    "complex floating": _COMPLEX,
    "numeric": _NUMERIC,
}
_CATEGORIES: dict[str, frozenset[DType]] = {
    "any": _ALL,
    "boolean": _BOOLEAN,
    "integer": _INTEGER,
    "numeric": _NUMERIC,
    "real numeric": _REAL_NUMERIC,
    "floating": _FLOATING,
    "real floating": _REAL_FLOATING,
}

_SIGNED_BY_SIZE = {1: tf.int8, 2: tf.int16, 4: tf.int32, 8: tf.int64}
_COMPLEX_OF = {tf.float16: tf.complex64, tf.bfloat16: tf.complex64, tf.float32: tf.complex64,
               tf.float64: tf.complex128, tf.complex64: tf.complex64, tf.complex128: tf.complex128}
_REAL_OF = {tf.complex64: tf.float32, tf.complex128: tf.float64}


def _promotion_rule(a: DType, b: DType) -> DType | None:
    """The standard's promotion of two dtypes (extended to float16/bfloat16), or None where it is undefined."""
    if a == b:
        return a
    if (a in _SIGNED and b in _SIGNED) or (a in _UNSIGNED and b in _UNSIGNED):
        return a if a.size >= b.size else b
    if a in _UNSIGNED and b in _SIGNED:
        a, b = b, a
    if a in _SIGNED and b in _UNSIGNED:
        # A signed type wide enough for both, if there is one (int64 + uint64 has none).
        return a if a.size > b.size else _SIGNED_BY_SIZE.get(2 * b.size)
    if a in _FLOATING and b in _FLOATING:
        ra, rb = _REAL_OF.get(a, a), _REAL_OF.get(b, b)
        if ra == rb:
            real = ra
        elif ra.size == rb.size:  # float16 + bfloat16: neither holds the other
            real = tf.float32
        else:
            real = ra if ra.size > rb.size else rb
        return _COMPLEX_OF[real] if (a in _COMPLEX or b in _COMPLEX) else real
    return None


_PROMOTION: dict[tuple[DType, DType], DType] = {
    (a, b): r for a in _ALL for b in _ALL if (r := _promotion_rule(a, b)) is not None
}


def _join(a: DType, b: DType, func: str) -> DType:
    if a == b:
        return a
    try:
        return _PROMOTION[a, b]
    except KeyError:
        msg = f"the arrays of `{func}` must have dtypes that promote by the Array API rules; got {a.name} and {b.name}"
        raise TypeError(msg) from None


def _join_scalar(dtype: DType, value: complex, func: str) -> DType:
    """The dtype of ``array(dtype) op value`` for a Python scalar ``value`` (the scalar is weak)."""
    if isinstance(value, builtins.bool):
        ok = dtype == tf.bool
    elif isinstance(value, builtins.int):
        ok = dtype != tf.bool
        if dtype in _INTEGER:
            info = np.iinfo(dtype.as_numpy_dtype)
            if not info.min <= value <= info.max:
                msg = f"the Python int of `{func}` must fit in {dtype.name}; got {value}"
                raise OverflowError(msg)
    elif isinstance(value, builtins.float):
        ok = dtype in _FLOATING
    else:
        ok = dtype in _FLOATING
        dtype = _COMPLEX_OF.get(dtype, dtype)
    if not ok:
        msg = (f"a Python {type(value).__name__} scalar of `{func}` must go with an array of a compatible kind; "
               f"got an array of {dtype.name}")
        raise TypeError(msg)
    return dtype


def _as_dtype(dtype: Any) -> DType:
    try:
        dt = tf.as_dtype(dtype)
    except TypeError:
        dt = None
    if dt not in _ALL:
        msg = f"`dtype` must be a dtype of this namespace; got {dtype!r}"
        raise TypeError(msg)
    return dt


def _dtype_of(x: Any) -> DType:
    """The dtype of an array or a dtype (anything ``tf.as_dtype`` takes)."""
    if isinstance(x, tf.DType):
        return x
    if isinstance(x, (tf.Tensor, tf.Variable, np.ndarray, np.generic)):
        return _as_dtype(x.dtype)
    return _as_dtype(x)


def isdtype(dtype: DType, kind: str | DType | tuple[str | DType, ...]) -> builtins.bool:
    """Whether ``dtype`` is of ``kind``.

    Parameters
    ----------
    dtype : dtype
        The dtype to test.
    kind : str or dtype or tuple of str and dtypes
        One of ``"bool"``, ``"signed integer"``, ``"unsigned integer"``, ``"integral"``, ``"real floating"``,
        ``"complex floating"``, ``"numeric"``, a dtype, or a tuple of these (true if any matches).

    Returns
    -------
    bool
    """
    dtype = _dtype_of(dtype)
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        try:
            return dtype in _KINDS[kind]
        except KeyError:
            msg = f"`kind` must be one of {sorted(_KINDS)}, a dtype or a tuple of them; got {kind!r}"
            raise ValueError(msg) from None
    return dtype == _dtype_of(kind)


def result_type(*arrays_and_dtypes: Array | DType | complex) -> DType:
    """The dtype that the standard's promotion rules give for arrays, dtypes and Python scalars.

    Parameters
    ----------
    *arrays_and_dtypes : array or dtype or Python scalar
        At least one array or dtype. Python scalars are weak: they only decide between real and complex.

    Returns
    -------
    dtype

    Raises
    ------
    TypeError
        For kinds that do not promote (bool with numbers, integers with floating), or a Python ``float`` with an
        integer dtype.
    """
    dtypes = [_dtype_of(a) for a in arrays_and_dtypes if type(a) not in _PY_SCALARS]
    if not dtypes:
        msg = f"the arguments of `result_type` must include an array or a dtype; got {arrays_and_dtypes!r}"
        raise ValueError(msg)
    result = dtypes[0]
    for dt in dtypes[1:]:
        result = _join(result, dt, "result_type")
    for a in arrays_and_dtypes:
        if type(a) in _PY_SCALARS:
            result = _join_scalar(result, a, "result_type")
    return result


def can_cast(from_: DType | Array, to: DType, /) -> builtins.bool:
    """Whether the promotion rules allow ``from_`` to become ``to`` (``result_type(from_, to) == to``).

    Parameters
    ----------
    from_ : dtype or array
    to : dtype

    Returns
    -------
    bool
    """
    a, b = _dtype_of(from_), _dtype_of(to)
    return _PROMOTION.get((a, b)) == b


@dataclass(frozen=True)
class finfo_object:
    """Machine limits of a floating dtype (``finfo``)."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: DType


@dataclass(frozen=True)
class iinfo_object:
    """Machine limits of an integer dtype (``iinfo``)."""

    bits: int
    max: int
    min: int
    dtype: DType


def finfo(type: DType | Array, /) -> finfo_object:
    """Machine limits of a floating dtype; for a complex dtype, those of its real part.

    Parameters
    ----------
    type : dtype or array
        A real or complex floating dtype (float16 and bfloat16 included), or an array of one.

    Returns
    -------
    finfo_object
        With ``bits``, ``eps``, ``max``, ``min``, ``smallest_normal`` (Python floats) and ``dtype``.
    """
    dtype = _dtype_of(type)
    if dtype not in _FLOATING:
        msg = f"`type` of `finfo` must be a floating dtype; got {dtype.name}"
        raise TypeError(msg)
    real = _REAL_OF.get(dtype, dtype)
    import ml_dtypes  # a TensorFlow dependency; its finfo also knows bfloat16

    info = ml_dtypes.finfo(real.as_numpy_dtype)
    return finfo_object(
        bits=info.bits, eps=builtins.float(info.eps), max=builtins.float(info.max),
        min=builtins.float(info.min), smallest_normal=builtins.float(info.smallest_normal), dtype=real,
    )


def iinfo(type: DType | Array, /) -> iinfo_object:
    """Machine limits of an integer dtype.

    Parameters
    ----------
    type : dtype or array
        An integer dtype, or an array of one.

    Returns
    -------
    iinfo_object
        With ``bits``, ``max``, ``min`` (Python ints) and ``dtype``.
    """
    dtype = _dtype_of(type)
    if dtype not in _INTEGER:
        msg = f"`type` of `iinfo` must be an integer dtype; got {dtype.name}"
        raise TypeError(msg)
    info = np.iinfo(dtype.as_numpy_dtype)
    return iinfo_object(bits=info.bits, max=builtins.int(info.max), min=builtins.int(info.min), dtype=dtype)
