"""Utility functions: ``all`` and ``any``.

Defines ``all`` and ``any`` as the standard requires: Python's own are reached through ``builtins``.
"""

from __future__ import annotations

import builtins

import tensorflow as tf

from ._dtypes import Array
from ._helpers import _reduction_axis, _tensor


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
