"""Manipulation functions: reshaping, broadcasting, joining and splitting, axes."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from ._dtypes import _PY_SCALARS, Array
from ._helpers import _axes, _axis, _ndim, _promote, _shape, _tensor


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
