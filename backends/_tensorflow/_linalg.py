"""Linear algebra: ``matmul``, ``matrix_transpose``, ``vecdot`` and the ``linalg`` extension's ``vector_norm``."""

from __future__ import annotations

import builtins
import math

import tensorflow as tf

from ._dtypes import _COMPLEX, _FLOATING, _REAL_OF, Array, _py_min
from ._helpers import _in_float32, _ndim, _promote, _reduction_axis, _tensor, _unary
from ._statistical import max, min  # the namespace's, NaN-propagating: Python's min is _py_min here


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
