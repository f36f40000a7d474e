"""An Array API (2024.12) namespace for TensorFlow tensors, written on TensorFlow's core ops.

TensorFlow has no Array API namespace and array-api-compat does not support it, so lossport carries this one.
It is a plain module of functions; ``lossport.backends.tensorflow.namespace()`` imports it once the user has
imported TensorFlow. Design constraints (DESIGN.md, "The TensorFlow namespace"):

- **Core ops only**: ``tf.*``, ``tf.math``, ``tf.nn``, ``tf.linalg``. Never ``tf.experimental.numpy`` (its
  defaults are float64), never ``experimental_enable_numpy_behavior`` and never a patch of ``tf.Tensor``: each
  would change the user's whole process. Results are plain ``tf.Tensor`` objects.
- **The standard's semantics** in every function, not only in the cases lossport needs. Every function of two or
  more arrays promotes by the standard's table (same-kind promotion only: mixing bool, integer and floating
  arrays raises ``TypeError``, as array-api-strict does). Python scalars are weak: they take the array's dtype;
  a Python ``float`` with an integer array, or a ``bool`` with a numeric one, raises ``TypeError``.
- **Every mode**: eager, ``tf.function`` (AutoGraph on or off, ``jit_compile=True``, unknown dimensions from an
  ``input_signature``), ``tf.GradientTape`` and ``tf.Variable`` inputs. No function reads an array's values in
  Python; sizes come from ``tf.shape`` wherever a dimension may be unknown. Functions that permute axes need a
  known rank. AutoGraph calls the functions unconverted (``do_not_convert``): they have no tensor-dependent
  control flow, and converting them would cost seconds on a loss's first trace.

Defaults: the default real floating dtype is float32 (TensorFlow's own), complex64 for complex; the default
integer and index dtype is int64 (``asarray(1)``, ``arange``, ``argmax``). Integer sums, products and cumulative
sums accumulate in int64 (uint64 for unsigned integers). Beyond the standard's dtypes there are ``float16`` and
``bfloat16``: both are "real floating", float16 + bfloat16 promotes to float32 (as in JAX).

Where TensorFlow's kernels disagree with the standard the fix is local and commented: XLA's ``max``/``min``
drop a NaN in the second operand (and reductions drop NaN altogether), TensorFlow's eager ``sort`` misplaces NaN,
``tf.range`` rejects empty ranges, there are no unsigned ``abs``/``negative``/``sign`` kernels and no int8/int16/
unsigned matmul, and ``reduce_sum`` of int8 wraps around.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from types import FunctionType, SimpleNamespace
from typing import Any

import numpy as np
import tensorflow as tf

Array = tf.Tensor
DType = tf.DType

__array_api_version__ = "2024.12"

# The module defines `bool`, `all`, `max`, ... as the standard requires: Python's own are reached through these.
_PY_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)
_py_max = builtins.max
_py_min = builtins.min

# ---------------------------------------------------------------------------------------------------- dtypes

bool = tf.bool
int8, int16, int32, int64 = tf.int8, tf.int16, tf.int32, tf.int64
uint8, uint16, uint32, uint64 = tf.uint8, tf.uint16, tf.uint32, tf.uint64
float16, bfloat16, float32, float64 = tf.float16, tf.bfloat16, tf.float32, tf.float64
complex64, complex128 = tf.complex64, tf.complex128

e = math.e
pi = math.pi
inf = math.inf
nan = math.nan
newaxis = None

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


# --------------------------------------------------------------------------------------- conversion helpers


def _tensor(x: Any, func: str, arg: str = "x") -> Array:
    """``x`` as a ``tf.Tensor`` (a Variable is read; a NumPy array keeps its dtype); anything else raises."""
    if isinstance(x, tf.Tensor):
        return x
    if isinstance(x, (tf.Variable, np.ndarray, np.generic)):
        return tf.convert_to_tensor(x)
    msg = f"`{arg}` of `{func}` must be an array; got {type(x).__name__}"
    raise TypeError(msg)


def _check(dtype: DType, category: str, func: str, arg: str = "x") -> None:
    if dtype not in _CATEGORIES[category]:
        article = "an" if category[0] in "aeiou" else "a"
        msg = f"`{arg}` of `{func}` must have {article} {category} dtype; got {dtype.name}"
        raise TypeError(msg)


def _unary(x: Any, func: str, category: str) -> Array:
    t = _tensor(x, func)
    _check(t.dtype, category, func)
    return t


def _promote(func: str, *args: Any, category: str = "any") -> list[Array]:
    """The arguments (arrays and Python scalars) as tensors of their common dtype by the standard's rules."""
    first = args[0]
    if isinstance(first, tf.Tensor) and builtins.all(
        isinstance(a, tf.Tensor) and a.dtype == first.dtype for a in args[1:]
    ):  # the common case, once a loss has cast its inputs to one dtype
        _check(first.dtype, category, func, "x1" if len(args) > 1 else "x")
        return list(args)
    tensors: list[Array | None] = []
    dtype = None
    for i, a in enumerate(args):
        if type(a) in _PY_SCALARS:
            tensors.append(None)
            continue
        t = _tensor(a, func, f"x{i + 1}")
        tensors.append(t)
        dtype = t.dtype if dtype is None else _join(dtype, t.dtype, func)
    if dtype is None:
        msg = f"the arguments of `{func}` must include an array; got only Python scalars"
        raise TypeError(msg)
    for a in args:
        if type(a) in _PY_SCALARS:
            dtype = _join_scalar(dtype, a, func)
    _check(dtype, category, func, "x1" if len(args) > 1 else "x")
    return [
        tf.constant(a, dtype=dtype) if t is None else (t if t.dtype == dtype else tf.cast(t, dtype))
        for a, t in zip(args, tensors, strict=True)
    ]


def _placed(device: Any) -> Any:
    """A ``tf.device`` scope for ``device``, or none."""
    return nullcontext() if device is None else tf.device(device)


def _ndim(x: Array, func: str) -> int:
    ndim = x.shape.rank
    if ndim is None:
        msg = f"`x` of `{func}` must have a known number of dimensions; got an array of unknown rank"
        raise ValueError(msg)
    return ndim


def _axis(axis: int, ndim: int, func: str) -> int:
    """``axis`` in ``[0, ndim)``."""
    try:
        a = operator.index(axis)
    except TypeError:
        msg = f"`axis` of `{func}` must be an integer; got {type(axis).__name__}"
        raise TypeError(msg) from None
    if not -ndim <= a < ndim:
        msg = f"`axis` of `{func}` must be in [{-ndim}, {ndim}); got {a}"
        raise np.exceptions.AxisError(msg)  # both an IndexError and a ValueError
    return a % ndim


def _axes(axis: int | Sequence[int], ndim: int, func: str) -> list[int]:
    axes = [_axis(a, ndim, func) for a in ((axis,) if isinstance(axis, builtins.int) else axis)]
    if len(set(axes)) != len(axes):
        msg = f"`axis` of `{func}` must not repeat an axis; got {axis}"
        raise ValueError(msg)
    return axes


def _reduction_axis(axis: int | Sequence[int] | None) -> int | list[int] | None:
    """``axis`` as TensorFlow's reductions take it (``()`` reduces over nothing)."""
    if axis is None or isinstance(axis, builtins.int):
        return axis
    return [operator.index(a) for a in axis]


def _size(x: Array, axis: int, dtype: DType) -> Any:
    """The size of ``x`` along ``axis``: a Python int if known (slicing an eager tensor is slow), else a tensor."""
    n = x.shape[axis]
    return n if n is not None else tf.gather(tf.shape(x, out_type=dtype), axis % x.shape.rank)


def _static_shape(x: Array) -> Any:
    """``x``'s shape: a tuple where every dimension is known, else the dynamic ``tf.shape(x)``."""
    return tuple(x.shape) if x.shape.is_fully_defined() else tf.shape(x)


def _nan_is_propagated(result: Array) -> builtins.bool:
    """Whether TF's ``max``/``min`` kernels already propagated NaN from every operand.

    They do on the CPU when eager (measured, every float dtype and size). XLA's ``max``/``min`` propagate NaN
    from the first operand only and its reductions drop NaN; inside a graph XLA may compile the op, and GPU
    kernels were not measured: there NaN is put back explicitly.
    """
    return tf.executing_eagerly() and "device:CPU" in result.device


# ----------------------------------------------------------------------------------------- creation


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


def _shape(shape: int | Sequence[int] | Array) -> Any:
    if isinstance(shape, builtins.int):
        return [shape]
    return shape if isinstance(shape, tf.Tensor) else list(shape)


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
    n = _py_max(math.ceil((stop - start) / step), 0)
    with _placed(device):
        if dt in _INTEGER and not is_float:
            # tf.range rejects start > limit even for an empty range: give it the exact end instead.
            return tf.range(start, start + n * step, step, dtype=dt)
        # In float64, as NumPy computes start + i * step, then rounded once to `dtype`.
        return tf.cast(tf.range(n, dtype=tf.float64) * step + start, dt)


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


# ------------------------------------------------------------------------------------ elementwise, one array


def _elementwise(name: str, category: str, op: Callable[[Array], Array], summary: str) -> Callable[[Array], Array]:
    def func(x: Array, /) -> Array:
        return op(_unary(x, name, category))

    func.__name__ = func.__qualname__ = name
    func.__doc__ = (
        f"{summary}\n\nParameters\n----------\nx : array\n    Of a {category} dtype.\n\n"
        f"Returns\n-------\narray\n    Elementwise, of ``x``'s dtype.\n"
    )
    return func


exp = _elementwise("exp", "floating", tf.exp, "``e**x``.")
expm1 = _elementwise("expm1", "floating", tf.math.expm1, "``e**x - 1``, accurate near 0.")
log = _elementwise("log", "floating", tf.math.log, "The natural logarithm.")
log1p = _elementwise("log1p", "floating", tf.math.log1p, "``log(1 + x)``, accurate near 0.")
sqrt = _elementwise("sqrt", "floating", tf.sqrt, "The principal square root.")
sin = _elementwise("sin", "floating", tf.sin, "The sine.")
cos = _elementwise("cos", "floating", tf.cos, "The cosine.")
tan = _elementwise("tan", "floating", tf.tan, "The tangent.")
asin = _elementwise("asin", "floating", tf.asin, "The inverse sine.")
acos = _elementwise("acos", "floating", tf.acos, "The inverse cosine.")
atan = _elementwise("atan", "floating", tf.atan, "The inverse tangent.")
sinh = _elementwise("sinh", "floating", tf.sinh, "The hyperbolic sine.")
cosh = _elementwise("cosh", "floating", tf.cosh, "The hyperbolic cosine.")
tanh = _elementwise("tanh", "floating", tf.tanh, "The hyperbolic tangent.")
asinh = _elementwise("asinh", "floating", tf.asinh, "The inverse hyperbolic sine.")
acosh = _elementwise("acosh", "floating", tf.acosh, "The inverse hyperbolic cosine.")
atanh = _elementwise("atanh", "floating", tf.atanh, "The inverse hyperbolic tangent.")
reciprocal = _elementwise("reciprocal", "floating", tf.math.reciprocal, "``1 / x``.")
square = _elementwise("square", "numeric", tf.square, "``x * x``.")
positive = _elementwise("positive", "numeric", lambda x: x, "``+x`` (``x`` itself).")
logical_not = _elementwise("logical_not", "boolean", tf.logical_not, "Logical NOT.")


def abs(x: Array, /) -> Array:
    """The absolute value; complex input gives its real-valued magnitude.

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
    """
    x = _unary(x, "abs", "numeric")
    return x if x.dtype in _UNSIGNED else tf.abs(x)  # no unsigned kernel


def negative(x: Array, /) -> Array:
    """``-x`` (unsigned integers wrap around).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
    """
    x = _unary(x, "negative", "numeric")
    if x.dtype in _UNSIGNED:  # no unsigned kernel (and graphs rewrite 0 - x to one): int64 wraps the same
        return tf.cast(tf.negative(tf.cast(x, tf.int64)), x.dtype)
    return tf.negative(x)


def sign(x: Array, /) -> Array:
    """-1, 0 or 1 by the sign of ``x`` (NaN for NaN); ``x / |x|`` for complex ``x`` (0 at 0).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
    """
    x = _unary(x, "sign", "numeric")
    if x.dtype in _UNSIGNED:  # no unsigned kernel
        return tf.cast(tf.greater(x, tf.constant(0, x.dtype)), x.dtype)
    return tf.sign(x)


def _integers_unchanged(name: str, op: Callable[[Array], Array], summary: str) -> Callable[[Array], Array]:
    def func(x: Array, /) -> Array:
        x = _unary(x, name, "real numeric")
        return x if x.dtype in _INTEGER else op(x)

    func.__name__ = func.__qualname__ = name
    func.__doc__ = (
        f"{summary}\n\nParameters\n----------\nx : array\n    Of a real numeric dtype; integers are returned "
        f"unchanged.\n\nReturns\n-------\narray\n    Of ``x``'s dtype.\n"
    )
    return func


ceil = _integers_unchanged("ceil", tf.math.ceil, "The smallest integer-valued number not below ``x``.")
floor = _integers_unchanged("floor", tf.math.floor, "The largest integer-valued number not above ``x``.")
trunc = _integers_unchanged(
    "trunc", lambda x: tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x)), "``x`` rounded toward zero."
)


def round(x: Array, /) -> Array:
    """``x`` rounded to the nearest integer, halves to even; complex rounds both parts.

    Parameters
    ----------
    x : array
        Of a numeric dtype; integers are returned unchanged.

    Returns
    -------
    array
    """
    x = _unary(x, "round", "numeric")
    if x.dtype in _INTEGER:
        return x
    if x.dtype in _COMPLEX:
        return tf.complex(tf.round(tf.math.real(x)), tf.round(tf.math.imag(x)))
    return tf.round(x)


def signbit(x: Array, /) -> Array:
    """Whether the sign bit of ``x`` is set (true for -0.0 and for NaN with the sign bit).

    Parameters
    ----------
    x : array
        Of a real floating dtype.

    Returns
    -------
    array
        Of dtype bool.
    """
    x = _unary(x, "signbit", "real floating")
    bits = tf.bitcast(x, _SIGNED_BY_SIZE[x.dtype.size])
    return tf.less(bits, tf.constant(0, bits.dtype))


def isnan(x: Array, /) -> Array:
    """Whether ``x`` is NaN (either part, for complex).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
        Of dtype bool.
    """
    x = _unary(x, "isnan", "numeric")
    if x.dtype in _COMPLEX:
        return tf.logical_or(tf.math.is_nan(tf.math.real(x)), tf.math.is_nan(tf.math.imag(x)))
    return tf.math.is_nan(x) if x.dtype in _REAL_FLOATING else tf.zeros_like(x, dtype=tf.bool)


def isinf(x: Array, /) -> Array:
    """Whether ``x`` is infinite (either part, for complex).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
        Of dtype bool.
    """
    x = _unary(x, "isinf", "numeric")
    if x.dtype in _COMPLEX:
        return tf.logical_or(tf.math.is_inf(tf.math.real(x)), tf.math.is_inf(tf.math.imag(x)))
    return tf.math.is_inf(x) if x.dtype in _REAL_FLOATING else tf.zeros_like(x, dtype=tf.bool)


def isfinite(x: Array, /) -> Array:
    """Whether ``x`` is finite (both parts, for complex).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
        Of dtype bool.
    """
    x = _unary(x, "isfinite", "numeric")
    if x.dtype in _COMPLEX:
        return tf.logical_and(tf.math.is_finite(tf.math.real(x)), tf.math.is_finite(tf.math.imag(x)))
    return tf.math.is_finite(x) if x.dtype in _REAL_FLOATING else tf.ones_like(x, dtype=tf.bool)


def conj(x: Array, /) -> Array:
    """The complex conjugate (real input unchanged).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
    """
    x = _unary(x, "conj", "numeric")
    return tf.math.conj(x) if x.dtype in _COMPLEX else x


def real(x: Array, /) -> Array:
    """The real part (real input unchanged).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
        Real-valued, of the same precision.
    """
    x = _unary(x, "real", "numeric")
    return tf.math.real(x) if x.dtype in _COMPLEX else x


def imag(x: Array, /) -> Array:
    """The imaginary part (zeros for real input).

    Parameters
    ----------
    x : array
        Of a numeric dtype.

    Returns
    -------
    array
        Real-valued, of the same precision.
    """
    x = _unary(x, "imag", "numeric")
    return tf.math.imag(x) if x.dtype in _COMPLEX else tf.zeros_like(x)


# ----------------------------------------------------------------------------------- elementwise, two arrays


def _binary(
    name: str, category: str, op: Callable[[Array, Array], Array], summary: str, returns: str = "the promoted dtype"
) -> Callable[[Any, Any], Array]:
    def func(x1: Array | complex, x2: Array | complex, /) -> Array:
        return op(*_promote(name, x1, x2, category=category))

    func.__name__ = func.__qualname__ = name
    func.__doc__ = (
        f"{summary}\n\nParameters\n----------\nx1, x2 : array or Python scalar\n    Of {category} dtypes, "
        f"broadcast together and promoted by the standard's rules; at least one is an array.\n\n"
        f"Returns\n-------\narray\n    Of {returns}.\n"
    )
    return func


add = _binary("add", "numeric", tf.add, "``x1 + x2``.")
subtract = _binary("subtract", "numeric", tf.subtract, "``x1 - x2``.")
multiply = _binary("multiply", "numeric", tf.multiply, "``x1 * x2``.")
divide = _binary("divide", "floating", tf.math.truediv, "``x1 / x2``.")
atan2 = _binary("atan2", "real floating", tf.math.atan2, "The angle of the point ``(x2, x1)``.")
equal = _binary("equal", "any", tf.equal, "``x1 == x2``.", "bool")
not_equal = _binary("not_equal", "any", tf.not_equal, "``x1 != x2``.", "bool")
greater = _binary("greater", "real numeric", tf.greater, "``x1 > x2``.", "bool")
greater_equal = _binary("greater_equal", "real numeric", tf.greater_equal, "``x1 >= x2``.", "bool")
less = _binary("less", "real numeric", tf.less, "``x1 < x2``.", "bool")
less_equal = _binary("less_equal", "real numeric", tf.less_equal, "``x1 <= x2``.", "bool")
logical_and = _binary("logical_and", "boolean", tf.logical_and, "Logical AND.", "bool")
logical_or = _binary("logical_or", "boolean", tf.logical_or, "Logical OR.", "bool")
logical_xor = _binary("logical_xor", "boolean", tf.math.logical_xor, "Logical XOR.", "bool")


def pow(x1: Array | complex, x2: Array | complex, /) -> Array:
    """``x1 ** x2`` (IEEE special cases: ``pow(x, 0) = 1``, ``pow(1, y) = 1`` even for NaN).

    Parameters
    ----------
    x1, x2 : array or Python scalar
        Of numeric dtypes, broadcast and promoted; at least one is an array.

    Returns
    -------
    array
    """
    a, b = _promote("pow", x1, x2, category="numeric")
    if a.dtype in _UNSIGNED:  # no unsigned kernel: int64 arithmetic wraps to the same low bits
        return tf.cast(tf.pow(tf.cast(a, tf.int64), tf.cast(b, tf.int64)), a.dtype)
    return tf.pow(a, b)


def _extremum(name: str, op: Callable[[Array, Array], Array], x1: Any, x2: Any) -> Array:
    if type(x1) in _PY_SCALARS:  # the array first: XLA propagates a NaN from its first operand only
        x1, x2 = x2, x1
    a, b = _promote(name, x1, x2, category="real numeric")
    out = op(a, b)
    nan_free_scalar = type(x2) in _PY_SCALARS and not math.isnan(x2)
    if a.dtype in _REAL_FLOATING and not nan_free_scalar and not _nan_is_propagated(out):
        out = tf.where(tf.math.is_nan(b), b, out)
    return out


def maximum(x1: Array | complex, x2: Array | complex, /) -> Array:
    """The elementwise maximum; NaN if either is NaN.

    At a tie the gradient goes to ``x1`` (an array argument, when the other is a Python scalar), TensorFlow's
    convention (torch and JAX split it).

    Parameters
    ----------
    x1, x2 : array or Python scalar
        Of real numeric dtypes, broadcast and promoted; at least one is an array.

    Returns
    -------
    array
    """
    return _extremum("maximum", tf.maximum, x1, x2)


def minimum(x1: Array | complex, x2: Array | complex, /) -> Array:
    """The elementwise minimum; NaN if either is NaN. Gradient at ties as :func:`maximum`.

    Parameters
    ----------
    x1, x2 : array or Python scalar
        Of real numeric dtypes, broadcast and promoted; at least one is an array.

    Returns
    -------
    array
    """
    return _extremum("minimum", tf.minimum, x1, x2)


def clip(
    x: Array, /, min: Array | int | float | None = None, max: Array | int | float | None = None
) -> Array:
    """``minimum(maximum(x, min), max)`` in ``x``'s dtype, skipping a bound that is None.

    Parameters
    ----------
    x : array
        Of a real numeric dtype.
    min, max : array or int or float, optional
        Of ``x``'s kind (a float bound for integer ``x`` raises ``TypeError``); cast to ``x``'s dtype. Where
        ``min > max`` the result is ``max``, as in NumPy. A NaN bound gives NaN.

    Returns
    -------
    array
        Of ``x``'s dtype and the broadcast shape of ``x``, ``min`` and ``max``. At a bound the gradient goes to
        ``x`` (1), as ``tf.clip_by_value``'s does.
    """
    x = _unary(x, "clip", "real numeric")
    out = x
    for name, bound, op in (("min", min, tf.maximum), ("max", max, tf.minimum)):
        if bound is None:
            continue
        if type(bound) in _PY_SCALARS:
            if type(bound) is builtins.int and x.dtype in _INTEGER:
                info = iinfo(x.dtype)
                if (name == "min" and bound <= info.min) or (name == "max" and bound >= info.max):
                    continue  # no effect (and not representable, maybe)
            if _join_scalar(x.dtype, bound, "clip") != x.dtype:
                msg = f"`{name}` of `clip` must be real; got {bound!r}"
                raise TypeError(msg)
        else:
            bound = _tensor(bound, "clip", name)
            _check(bound.dtype, "real numeric", "clip", name)
            if (bound.dtype in _INTEGER) != (x.dtype in _INTEGER):
                msg = f"`{name}` of `clip` must be of the kind of `x` ({x.dtype.name}); got {bound.dtype.name}"
                raise TypeError(msg)
        out = _extremum("clip", op, out, bound if type(bound) in _PY_SCALARS else tf.cast(bound, x.dtype))
    return out


def where(condition: Array, x1: Array | complex, x2: Array | complex, /) -> Array:
    """``x1`` where ``condition`` is true, else ``x2``.

    Both branches are computed and their gradients meet at the select: where an unselected branch can be NaN or
    infinite, make its input safe too (the double-where idiom).

    Parameters
    ----------
    condition : array
        Of dtype bool.
    x1, x2 : array or Python scalar
        Promoted by the standard's rules; at least one is an array.

    Returns
    -------
    array
        Of the broadcast shape of all three.
    """
    condition = _tensor(condition, "where", "condition")
    _check(condition.dtype, "boolean", "where", "condition")
    a, b = _promote("where", x1, x2)
    return tf.where(condition, a, b)


def hypot(x1: Array | float, x2: Array | float, /) -> Array:
    """``sqrt(x1**2 + x2**2)`` without overflow or underflow (scaled by the larger magnitude).

    Parameters
    ----------
    x1, x2 : array or Python scalar
        Of real floating dtypes, broadcast and promoted; at least one is an array.

    Returns
    -------
    array
        +inf where either is infinite (even if the other is NaN). The gradient is ``x / hypot`` (0 at the
        origin).
    """
    a, b = _promote("hypot", x1, x2, category="real floating")
    zero = tf.constant(0, a.dtype)
    one = tf.constant(1, a.dtype)
    infinite = tf.logical_or(tf.math.is_inf(a), tf.math.is_inf(b))
    # The scale carries no gradient: m * f(a/m, b/m) == f(a, b) whatever m is, so d/da is a/hypot exactly.
    m = tf.stop_gradient(tf.maximum(tf.abs(a), tf.abs(b)))
    safe_m = tf.where(tf.logical_or(tf.equal(m, zero), infinite), one, m)
    s = tf.square(a / safe_m) + tf.square(b / safe_m)
    safe_s = tf.where(tf.equal(s, zero), one, s)  # sqrt'(0) is infinite: keep it off the gradient path
    h = tf.where(tf.equal(s, zero), zero, safe_m * tf.sqrt(safe_s))
    return tf.where(infinite, tf.constant(math.inf, a.dtype), h)


def logaddexp(x1: Array | float, x2: Array | float, /) -> Array:
    """``log(exp(x1) + exp(x2))`` as ``max + log1p(exp(min - max))``: never overflows, exact at ±inf.

    Parameters
    ----------
    x1, x2 : array or Python scalar
        Of real floating dtypes, broadcast and promoted; at least one is an array.

    Returns
    -------
    array
        ``logaddexp(-inf, -inf) = -inf``, ``+inf`` if either is ``+inf``, NaN if either is NaN. The gradient is
        ``sigmoid(x1 - x2)`` and ``sigmoid(x2 - x1)``, split evenly at a finite tie (at equal infinities, all to
        ``x1``).
    """
    a, b = _promote("logaddexp", x1, x2, category="real floating")
    a_larger = tf.greater_equal(a, b)
    hi = tf.where(a_larger, a, b)  # selecting (not tf.maximum) routes a tie's gradient half to each side
    lo = tf.where(a_larger, b, a)
    # Equal infinities would give inf - inf: take their difference as 0, and hi + log(2) is the right infinity.
    same_infinity = tf.logical_and(tf.equal(a, b), tf.math.is_inf(a))
    diff = tf.where(same_infinity, tf.constant(0, a.dtype), lo - hi)
    return hi + tf.math.log1p(tf.exp(diff))


def copysign(x1: Array | float, x2: Array | float, /) -> Array:
    """``|x1|`` with the sign bit of ``x2``.

    Parameters
    ----------
    x1, x2 : array or Python scalar
        Of real floating dtypes, broadcast and promoted; at least one is an array.

    Returns
    -------
    array
    """
    a, b = _promote("copysign", x1, x2, category="real floating")
    magnitude = tf.abs(a)
    return tf.where(signbit(b), -magnitude, magnitude)


# -------------------------------------------------------------------------------------------- reductions


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


def _in_float32(x: Array) -> Array:
    """float16 and bfloat16 computed in float32 (their sums overflow or lose digits quickly)."""
    return tf.cast(x, tf.float32) if x.dtype in _HALF else x


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


def _truth(x: Array) -> Array:
    return x if x.dtype == tf.bool else tf.not_equal(x, tf.constant(0, x.dtype))


def all(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: builtins.bool = False
) -> Array:
    """Whether every element over ``axis`` is true (nonzero; NaN counts as true).

    Parameters
    ----------
    x : array
    axis : int or tuple of int, optional
    keepdims : bool

    Returns
    -------
    array
        Of dtype bool.
    """
    return tf.reduce_all(_truth(_tensor(x, "all")), axis=_reduction_axis(axis), keepdims=keepdims)


def any(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: builtins.bool = False
) -> Array:
    """Whether any element over ``axis`` is true (nonzero; NaN counts as true). See :func:`all`."""
    return tf.reduce_any(_truth(_tensor(x, "any")), axis=_reduction_axis(axis), keepdims=keepdims)


def _arg_extremum(name: str, op: Callable[..., Array], x: Any, axis: int | None, keepdims: builtins.bool) -> Array:
    x = _unary(x, name, "real numeric")
    if axis is None:
        out = op(tf.reshape(x, [-1]), axis=0, output_type=tf.int64)
        return tf.reshape(out, [1] * _ndim(x, name)) if keepdims else out
    axis = _axis(axis, _ndim(x, name), name)
    out = op(x, axis=axis, output_type=tf.int64)
    return tf.expand_dims(out, axis) if keepdims else out


def argmax(x: Array, /, *, axis: int | None = None, keepdims: builtins.bool = False) -> Array:
    """The index of the first maximum over ``axis`` (of the flattened array if None), as int64.

    Parameters
    ----------
    x : array
        Of a real numeric dtype. NaN is skipped (the standard leaves it unspecified; NumPy returns the first NaN).
    axis : int, optional
    keepdims : bool

    Returns
    -------
    array
        Of dtype int64.
    """
    return _arg_extremum("argmax", tf.argmax, x, axis, keepdims)


def argmin(x: Array, /, *, axis: int | None = None, keepdims: builtins.bool = False) -> Array:
    """The index of the first minimum over ``axis``, as int64. See :func:`argmax`."""
    return _arg_extremum("argmin", tf.argmin, x, axis, keepdims)


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


def sort(
    x: Array, /, *, axis: int = -1, descending: builtins.bool = False, stable: builtins.bool = True
) -> Array:
    """``x`` sorted along ``axis``; NaN last (first when ``descending``, which reverses the ascending order).

    Parameters
    ----------
    x : array
        Of a real numeric dtype.
    axis : int
    descending : bool
    stable : bool
        Sorting values, stability cannot be observed.

    Returns
    -------
    array
    """
    x = _unary(x, "sort", "real numeric")
    ndim = _ndim(x, "sort")
    axis = _axis(axis, ndim, "sort")
    if x.dtype in _REAL_FLOATING:
        # TF's sort (top_k) misorders NaN: sort NaN as +inf, then write NaN over the last `count` places.
        nan_mask = tf.math.is_nan(x)
        out = tf.sort(tf.where(nan_mask, tf.constant(math.inf, x.dtype), x), axis=axis)
        count = tf.reduce_sum(tf.cast(nan_mask, tf.int32), axis=axis, keepdims=True)
        n = _size(x, axis, tf.int32)
        position = tf.reshape(tf.range(n), [-1 if d == axis else 1 for d in range(ndim)])
        out = tf.where(position >= n - count, tf.constant(math.nan, x.dtype), out)
    else:
        out = tf.sort(x, axis=axis)
    return tf.reverse(out, [axis]) if descending else out


# ------------------------------------------------------------------------------------ shapes and indexing


def reshape(x: Array, /, shape: Sequence[int], *, copy: builtins.bool | None = None) -> Array:
    """``x`` with a new shape (one dimension may be -1).

    Parameters
    ----------
    x : array
    shape : tuple of int
    copy : bool, optional
        Tensors are immutable: no copy is ever needed.

    Returns
    -------
    array
    """
    return tf.reshape(_tensor(x, "reshape"), _shape(shape))


def broadcast_to(x: Array, /, shape: Sequence[int]) -> Array:
    """``x`` broadcast to ``shape``.

    Parameters
    ----------
    x : array
    shape : tuple of int
        Dimensions may be scalar tensors (a dynamic size).

    Returns
    -------
    array
    """
    return tf.broadcast_to(_tensor(x, "broadcast_to"), _shape(shape))


def broadcast_arrays(*arrays: Array) -> list[Array]:
    """The arrays broadcast against each other (each keeps its dtype).

    Parameters
    ----------
    *arrays : array

    Returns
    -------
    list of array
    """
    tensors = [_tensor(a, "broadcast_arrays", f"arrays[{i}]") for i, a in enumerate(arrays)]
    if not tensors:
        return []
    if builtins.all(t.shape.is_fully_defined() for t in tensors):
        shape: Any = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
        return [t if tuple(t.shape) == shape else tf.broadcast_to(t, shape) for t in tensors]
    shape = tf.shape(tensors[0])
    for t in tensors[1:]:
        shape = tf.broadcast_dynamic_shape(shape, tf.shape(t))
    return [tf.broadcast_to(t, shape) for t in tensors]


def _promote_list(func: str, arrays: Sequence[Array]) -> list[Array]:
    if isinstance(arrays, (tf.Tensor, np.ndarray)) or not arrays:
        msg = f"`arrays` of `{func}` must be a non-empty tuple or list of arrays; got {type(arrays).__name__}"
        raise TypeError(msg)
    if builtins.any(type(a) in _PY_SCALARS for a in arrays):
        msg = f"`arrays` of `{func}` must hold arrays only; got a Python scalar"
        raise TypeError(msg)
    return _promote(func, *arrays)


def concat(arrays: Sequence[Array], /, *, axis: int | None = 0) -> Array:
    """The arrays joined along an existing ``axis`` (flattened first if None), promoted to one dtype.

    Parameters
    ----------
    arrays : tuple or list of array
    axis : int, optional

    Returns
    -------
    array
    """
    tensors = _promote_list("concat", arrays)
    if axis is None:
        return tf.concat([tf.reshape(t, [-1]) for t in tensors], axis=0)
    return tf.concat(tensors, axis=axis)


def stack(arrays: Sequence[Array], /, *, axis: int = 0) -> Array:
    """The arrays (of one shape) joined along a new ``axis``, promoted to one dtype.

    Parameters
    ----------
    arrays : tuple or list of array
    axis : int

    Returns
    -------
    array
    """
    return tf.stack(_promote_list("stack", arrays), axis=axis)


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Array, ...]:
    """The slices of ``x`` along ``axis`` (whose size must be known).

    Parameters
    ----------
    x : array
    axis : int

    Returns
    -------
    tuple of array
    """
    x = _tensor(x, "unstack")
    return tuple(tf.unstack(x, axis=_axis(axis, _ndim(x, "unstack"), "unstack")))


def expand_dims(x: Array, /, *, axis: int = 0) -> Array:
    """``x`` with a new axis of size 1 at ``axis`` (in ``[-x.ndim - 1, x.ndim]``).

    Parameters
    ----------
    x : array
    axis : int

    Returns
    -------
    array
    """
    x = _tensor(x, "expand_dims")
    return tf.expand_dims(x, _axis(axis, _ndim(x, "expand_dims") + 1, "expand_dims"))


def squeeze(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """``x`` without the given axes, which must have size 1.

    Parameters
    ----------
    x : array
    axis : int or tuple of int

    Returns
    -------
    array

    Raises
    ------
    ValueError
        If a known size along ``axis`` is not 1 (an unknown one is checked when the graph runs).
    """
    x = _tensor(x, "squeeze")
    axes = _axes(axis, _ndim(x, "squeeze"), "squeeze")
    for a in axes:
        if x.shape[a] is not None and x.shape[a] != 1:
            msg = f"`axis` of `squeeze` must name axes of size 1; got axis {a} of size {x.shape[a]}"
            raise ValueError(msg)
    return tf.squeeze(x, axis=axes)


def flip(x: Array, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """``x`` with the order of elements reversed along ``axis`` (all axes if None).

    Parameters
    ----------
    x : array
    axis : int or tuple of int, optional

    Returns
    -------
    array
    """
    x = _tensor(x, "flip")
    ndim = _ndim(x, "flip")
    axes = list(range(ndim)) if axis is None else _axes(axis, ndim, "flip")
    return tf.reverse(x, axes)


def permute_dims(x: Array, /, axes: tuple[int, ...]) -> Array:
    """``x`` with its axes permuted: axis ``i`` of the result is axis ``axes[i]`` of ``x``.

    Parameters
    ----------
    x : array
    axes : tuple of int
        A permutation of ``range(x.ndim)`` (negative values count from the end).

    Returns
    -------
    array
    """
    x = _tensor(x, "permute_dims")
    ndim = _ndim(x, "permute_dims")
    perm = _axes(axes, ndim, "permute_dims")
    if len(perm) != ndim:
        msg = f"`axes` of `permute_dims` must be a permutation of {ndim} axes; got {axes}"
        raise ValueError(msg)
    return tf.transpose(x, perm)


def moveaxis(x: Array, source: int | tuple[int, ...], destination: int | tuple[int, ...], /) -> Array:
    """``x`` with the axes ``source`` moved to ``destination``, the others in their order.

    Parameters
    ----------
    x : array
    source, destination : int or tuple of int
        Of equal length.

    Returns
    -------
    array
    """
    x = _tensor(x, "moveaxis")
    ndim = _ndim(x, "moveaxis")
    src, dst = _axes(source, ndim, "moveaxis"), _axes(destination, ndim, "moveaxis")
    if len(src) != len(dst):
        msg = f"`source` and `destination` of `moveaxis` must have equal lengths; got {source} and {destination}"
        raise ValueError(msg)
    rest = [a for a in range(ndim) if a not in src]
    perm = [0] * ndim
    for s, d in zip(src, dst, strict=True):
        perm[d] = s
    others = iter(rest)
    for d in range(ndim):
        if d not in dst:
            perm[d] = next(others)
    return x if perm == list(range(ndim)) else tf.transpose(x, perm)


def matrix_transpose(x: Array, /) -> Array:
    """``x`` with its last two axes swapped.

    Parameters
    ----------
    x : array
        At least 2-D.

    Returns
    -------
    array
    """
    x = _tensor(x, "matrix_transpose")
    if _ndim(x, "matrix_transpose") < 2:
        msg = f"`x` of `matrix_transpose` must have at least 2 dimensions; got {x.shape.rank}"
        raise ValueError(msg)
    return tf.linalg.matrix_transpose(x)


def _indices(indices: Any, func: str) -> Array:
    idx = _tensor(indices, func, "indices")
    _check(idx.dtype, "integer", func, "indices")
    return idx if idx.dtype in (tf.int32, tf.int64) else tf.cast(idx, tf.int64)  # gather's index dtypes


def _wrap_negative(idx: Array, x: Array, axis: int) -> Array:
    """Negative indices counted from the end of ``axis`` (TF's gather rejects them on the CPU)."""
    return tf.where(idx < 0, idx + _size(x, axis, idx.dtype), idx)


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    """The elements of ``x`` at ``indices`` along ``axis``; negative indices count from the end.

    Parameters
    ----------
    x : array
    indices : array
        Of an integer dtype (any number of dimensions).
    axis : int, optional
        Required unless ``x`` is 1-D.

    Returns
    -------
    array
        ``x.shape[:axis] + indices.shape + x.shape[axis+1:]``.
    """
    x = _tensor(x, "take")
    ndim = _ndim(x, "take")
    if axis is None:
        if ndim != 1:
            msg = f"`axis` of `take` must be given for an array of {ndim} dimensions; got None"
            raise ValueError(msg)
        axis = 0
    axis = _axis(axis, ndim, "take")
    idx = _indices(indices, "take")
    return tf.gather(x, _wrap_negative(idx, x, axis), axis=axis)


def _broadcast_batch(x: Array, idx: Array) -> tuple[Array, Array]:
    """``x`` and ``idx`` broadcast against each other in every dimension but the last."""
    if x.shape[:-1].is_fully_defined() and idx.shape[:-1].is_fully_defined():
        xb, ib = tuple(x.shape[:-1]), tuple(idx.shape[:-1])
        if xb == ib:
            return x, idx
        batch: Any = list(np.broadcast_shapes(xb, ib))
        return (tf.broadcast_to(x, [*batch, *_last(x)]), tf.broadcast_to(idx, [*batch, *_last(idx)]))
    batch = tf.broadcast_dynamic_shape(tf.shape(x)[:-1], tf.shape(idx)[:-1])
    return (tf.broadcast_to(x, tf.concat([batch, tf.shape(x)[-1:]], 0)),
            tf.broadcast_to(idx, tf.concat([batch, tf.shape(idx)[-1:]], 0)))


def _last(x: Array) -> list[Any]:
    """The size of ``x``'s last axis, static if known."""
    return [_size(x, -1, tf.int32)]


def take_along_axis(x: Array, indices: Array, /, *, axis: int = -1) -> Array:
    """The elements of ``x`` at ``indices`` along ``axis``, matched up in the other dimensions.

    Parameters
    ----------
    x : array
    indices : array
        Of an integer dtype and of ``x``'s number of dimensions; negative indices count from the end. The other
        dimensions broadcast against ``x``'s.
    axis : int

    Returns
    -------
    array
        Of the broadcast shape, with ``indices.shape[axis]`` along ``axis``.
    """
    x = _tensor(x, "take_along_axis")
    idx = _indices(indices, "take_along_axis")
    ndim = _ndim(x, "take_along_axis")
    if idx.shape.rank != ndim:
        msg = f"`indices` of `take_along_axis` must have {ndim} dimensions, as `x`; got {idx.shape.rank}"
        raise ValueError(msg)
    axis = _axis(axis, ndim, "take_along_axis")
    idx = _wrap_negative(idx, x, axis)
    last = ndim - 1
    perm = [d for d in range(ndim) if d != axis] + [axis]
    if axis != last:  # gather's batch dimensions lead: move `axis` last and back
        x, idx = tf.transpose(x, perm), tf.transpose(idx, perm)
    x, idx = _broadcast_batch(x, idx)
    out = tf.gather(x, idx, axis=last, batch_dims=last)
    return out if axis == last else tf.transpose(out, np.argsort(perm).tolist())


# ------------------------------------------------------------------------------------------ linear algebra

# The integer matmul kernels TensorFlow has; other integers go through int64 (whose wrap-around keeps the low
# bits right).
_MATMUL_DTYPES = _FLOATING | {tf.int32, tf.int64}


def matmul(x1: Array, x2: Array, /) -> Array:
    """The matrix product, with the standard's rules for 1-D operands and broadcast batch dimensions.

    Parameters
    ----------
    x1, x2 : array
        Of numeric dtypes, promoted; at least 1-D. A 1-D ``x1`` is a row vector and a 1-D ``x2`` a column
        vector, whose added axis is removed from the result.

    Returns
    -------
    array

    Notes
    -----
    On an NVIDIA GPU, TensorFlow computes float32 matmuls in TF32 unless
    ``tf.config.experimental.enable_tensor_float_32_execution(False)``.
    """
    a, b = _promote("matmul", x1, x2, category="numeric")
    ra, rb = _ndim(a, "matmul"), _ndim(b, "matmul")
    if ra == 0 or rb == 0:
        msg = f"`x1` and `x2` of `matmul` must have at least one dimension; got {ra} and {rb}"
        raise ValueError(msg)
    k1, k2 = a.shape[-1], b.shape[0 if rb == 1 else -2]
    if k1 is not None and k2 is not None and k1 != k2:
        msg = f"`x1` and `x2` of `matmul` must have matching inner sizes; got {k1} and {k2}"
        raise ValueError(msg)
    dtype = a.dtype
    if dtype not in _MATMUL_DTYPES:
        a, b = tf.cast(a, tf.int64), tf.cast(b, tf.int64)
    out = tf.linalg.matmul(tf.expand_dims(a, 0) if ra == 1 else a, tf.expand_dims(b, -1) if rb == 1 else b)
    added = [d for d, vector in ((-2, ra == 1), (-1, rb == 1)) if vector]
    if added:
        out = tf.squeeze(out, added)
    return out if out.dtype == dtype else tf.cast(out, dtype)


def vecdot(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """The dot product ``sum(conj(x1) * x2)`` along ``axis``, broadcasting the other dimensions.

    Parameters
    ----------
    x1, x2 : array
        Of numeric dtypes, promoted, with equal sizes along ``axis``.
    axis : int
        Negative, counted from the last dimension (as the standard requires).

    Returns
    -------
    array
        Of the promoted dtype (integers are not widened).
    """
    a, b = _promote("vecdot", x1, x2, category="numeric")
    ra, rb = _ndim(a, "vecdot"), _ndim(b, "vecdot")
    if not _py_min(-1, -ra, -rb) <= axis < 0:
        msg = f"`axis` of `vecdot` must be in [{_py_min(-1, -ra, -rb)}, -1]; got {axis}"
        raise ValueError(msg)
    na = a.shape[axis] if -axis <= ra else 1
    nb = b.shape[axis] if -axis <= rb else 1
    if na is not None and nb is not None and na != nb:
        msg = f"`x1` and `x2` of `vecdot` must have equal sizes along `axis`; got {na} and {nb}"
        raise ValueError(msg)
    if a.dtype in _COMPLEX:
        a = tf.math.conj(a)
    return tf.reduce_sum(tf.multiply(a, b), axis=axis)


def vector_norm(
    x: Array, /, *, axis: int | tuple[int, ...] | None = None, keepdims: builtins.bool = False,
    ord: int | float = 2,
) -> Array:
    """The vector ``ord``-norm over ``axis`` (all elements by default).

    Parameters
    ----------
    x : array
        Of a floating dtype; float16 and bfloat16 are computed in float32.
    axis : int or tuple of int, optional
    keepdims : bool
    ord : int or float
        ``inf``, ``-inf``, 0 (the count of nonzeros), or any other p for ``sum(|x|**p)**(1/p)``. Like NumPy's
        and JAX's, the 2-norm squares without scaling (it overflows where the squares do).

    Returns
    -------
    array
        Real-valued, of ``x``'s precision.
    """
    x = _unary(x, "vector_norm", "floating")
    magnitude = _in_float32(tf.abs(x))
    axes = _reduction_axis(axis)
    if ord == 2:
        out = tf.sqrt(tf.reduce_sum(tf.square(magnitude), axis=axes, keepdims=keepdims))
    elif ord == 1:
        out = tf.reduce_sum(magnitude, axis=axes, keepdims=keepdims)
    elif ord == math.inf:
        out = max(magnitude, axis=axis, keepdims=keepdims)
    elif ord == -math.inf:
        out = min(magnitude, axis=axis, keepdims=keepdims)
    elif ord == 0:
        nonzero = tf.cast(tf.not_equal(magnitude, 0), magnitude.dtype)
        out = tf.reduce_sum(nonzero, axis=axes, keepdims=keepdims)
    else:
        powers = tf.pow(magnitude, tf.constant(ord, magnitude.dtype))
        out = tf.pow(tf.reduce_sum(powers, axis=axes, keepdims=keepdims), tf.constant(1 / ord, magnitude.dtype))
    return tf.cast(out, _REAL_OF.get(x.dtype, x.dtype))


# ----------------------------------------------------------------------------------------------- inspection


class _Info:
    """The standard's inspection API (``__array_namespace_info__()``)."""

    def capabilities(self) -> dict[str, Any]:
        return {"boolean indexing": False, "data-dependent shapes": False, "max dimensions": 254}

    def default_device(self) -> str:
        with tf.init_scope():  # eager even inside tf.function
            return tf.zeros([]).device

    def devices(self) -> list[str]:
        names = []
        with tf.init_scope():
            for d in tf.config.list_logical_devices():
                with tf.device(d.name):
                    names.append(tf.zeros([]).device)
        return names

    def default_dtypes(self, *, device: Any = None) -> dict[str, DType]:
        return {"real floating": tf.float32, "complex floating": tf.complex64, "integral": tf.int64,
                "indexing": tf.int64}

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, DType]:
        standard = [tf.bool, tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8, tf.uint16, tf.uint32, tf.uint64,
                    tf.float32, tf.float64, tf.complex64, tf.complex128]
        return {dt.name: dt for dt in standard if kind is None or isdtype(dt, kind)}


def __array_namespace_info__() -> _Info:
    """The standard's inspection object: capabilities, devices and default dtypes."""
    return _Info()


__all__ = [
    "__array_api_version__", "__array_namespace_info__",
    "abs", "acos", "acosh", "add", "all", "any", "arange", "argmax", "argmin", "asarray", "asin", "asinh",
    "astype", "atan", "atan2", "atanh", "bfloat16", "bool", "broadcast_arrays", "broadcast_to", "can_cast",
    "ceil", "clip", "complex64", "complex128", "concat", "conj", "copysign", "cos", "cosh", "cumulative_prod",
    "cumulative_sum", "divide", "e", "empty", "empty_like", "equal", "exp", "expand_dims", "expm1", "eye",
    "finfo", "flip", "float16", "float32", "float64", "floor", "full", "full_like", "greater", "greater_equal",
    "hypot", "iinfo", "imag", "inf", "int8", "int16", "int32", "int64", "isdtype", "isfinite", "isinf",
    "isnan", "less", "less_equal", "linalg", "linspace", "log", "log1p", "logaddexp", "logical_and",
    "logical_not", "logical_or", "logical_xor", "matmul", "matrix_transpose", "max", "maximum", "mean", "min",
    "minimum", "moveaxis", "multiply", "nan", "negative", "newaxis", "not_equal", "ones", "ones_like",
    "permute_dims", "pi", "positive", "pow", "prod", "real", "reciprocal", "reshape", "result_type", "round",
    "sign", "signbit", "sin", "sinh", "sort", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
    "take", "take_along_axis", "tan", "tanh", "trunc", "uint8", "uint16", "uint32", "uint64", "unstack", "var",
    "vecdot", "where", "zeros", "zeros_like",
]

# AutoGraph (on by default in tf.function) would convert every namespace function a traced loss calls, about 0.1 s
# each and 3 s for a loss's worth on the first trace in a process, although none has tensor-dependent control
# flow. Marked, they are called as they are (1.4 us more per eager call).
for _name in __all__:
    if isinstance(globals().get(_name), FunctionType):
        globals()[_name] = tf.autograph.experimental.do_not_convert(globals()[_name])
del _name

linalg = SimpleNamespace(
    matmul=matmul, matrix_transpose=matrix_transpose, vecdot=vecdot, vector_norm=vector_norm,
)
