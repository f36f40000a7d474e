"""Elementwise functions of one array and of two (arrays or Python scalars, promoted by the standard's rules).

Defines ``abs``, ``round``, ``pow`` as the standard requires: Python's own are reached through ``builtins``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from ._dtypes import (
    _COMPLEX,
    _INTEGER,
    _PY_SCALARS,
    _REAL_FLOATING,
    _SIGNED_BY_SIZE,
    _UNSIGNED,
    Array,
    _join_scalar,
    iinfo,
)
from ._helpers import _check, _nan_is_propagated, _promote, _tensor, _unary

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
