"""Private helpers of the namespace: arguments to tensors, dtype checks and promotion, axes and sizes."""

from __future__ import annotations

import builtins
import operator
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import tensorflow as tf

from ._dtypes import _CATEGORIES, _HALF, _PY_SCALARS, Array, DType, _join, _join_scalar


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
    arg = "x1" if len(args) > 1 else "x"
    if builtins.any(t is None for t in tensors):
        # The arrays' kind first, as array-api-strict checks it: an int array of `logical_and` is a TypeError
        # whatever the scalar (a complex scalar can still make a real dtype complex: checked again below).
        _check(dtype, category, func, arg)
    for a in args:
        if type(a) in _PY_SCALARS:
            dtype = _join_scalar(dtype, a, func)
    _check(dtype, category, func, arg)
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


def _shape(shape: int | Sequence[int] | Array) -> Any:
    if isinstance(shape, builtins.int):
        return [shape]
    return shape if isinstance(shape, tf.Tensor) else list(shape)


def _in_float32(x: Array) -> Array:
    """float16 and bfloat16 computed in float32 (their sums overflow or lose digits quickly)."""
    return tf.cast(x, tf.float32) if x.dtype in _HALF else x
