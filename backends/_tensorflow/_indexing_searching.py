"""Indexing (``take``, ``take_along_axis``), searching (``argmax``, ``argmin``, ``where``) and sorting (``sort``,
``argsort``)."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from ._dtypes import _REAL_FLOATING, Array
from ._helpers import _axis, _check, _ndim, _promote, _size, _tensor, _unary

# -------------------------------------------------------------------------------------------------- searching


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

# ---------------------------------------------------------------------------------------------------- sorting


def argsort(
    x: Array, /, *, axis: int = -1, descending: builtins.bool = False, stable: builtins.bool = True
) -> Array:
    """The indices that sort ``x`` along ``axis``, as int64; ties keep their order (descending too); NaN sorts as
    ``+inf``.

    Parameters
    ----------
    x : array
        Of a real numeric dtype.
    axis : int
    descending : bool
    stable : bool
        Always stable (``tf.argsort(stable=True)``).

    Returns
    -------
    array
        Of dtype int64.
    """
    x = _unary(x, "argsort", "real numeric")
    axis = _axis(axis, _ndim(x, "argsort"), "argsort")
    if x.dtype in _REAL_FLOATING:  # TF's argsort (top_k) misorders NaN
        x = tf.where(tf.math.is_nan(x), tf.constant(math.inf, x.dtype), x)
    out = tf.argsort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING", stable=True)
    return tf.cast(out, tf.int64)


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


# --------------------------------------------------------------------------------------------------- indexing


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
