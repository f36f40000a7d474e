"""Stable primitives the standard lacks: logsumexp, log_softmax, softplus, log_sigmoid, xlogy, one_hot.

Each is written once against the Array API and replaced by the backend's fused native function when its adapter
lists one in ``native`` (same semantics, to about an ulp; tests/test_numerics.py checks both against mpmath).
Every private helper takes ``xp`` as a required keyword and never infers the namespace itself.
"""

from __future__ import annotations

from typing import Any

from lossport import backends

__all__ = [
    "clamped_log",
    "log1mexp",
    "log_sigmoid",
    "log_softmax",
    "log_softmax_at",
    "logsumexp",
    "mul0",
    "one_hot",
    "softplus",
    "xlogy",
]

Array = Any


def _native(name: str, xp: Any) -> Any:
    adapter = backends.adapter_for_namespace(xp)
    if adapter is None:
        return None
    return adapter.native.get(name)


def _max_and_excess(x: Array, axis: int, *, xp: Any) -> tuple[Array, Array, Array]:
    """``m = max(x)``, ``m`` with non-finite values replaced by 0, and ``log1p(s)``, ``s = Σ_{j≠argmax} e^(x_j − m)``.

    ``logsumexp(x) = m + log1p(s)``. Summing the non-maximal terms apart from the maximal one (which is exactly 1)
    keeps ``s`` accurate when it is tiny, so a confident prediction's loss of 1e-13 is not rounded to 0, as
    ``log(Σ e^(x_j − m))`` would round it. Ties at the maximum add exactly 1 each beyond the first.
    """
    m = xp.max(x, axis=axis, keepdims=True)
    m_safe = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    shifted = x - m_safe
    is_max = x == m
    rest = xp.sum(xp.where(is_max, xp.zeros_like(shifted), xp.exp(shifted)), axis=axis, keepdims=True)
    ties = xp.sum(xp.astype(is_max, x.dtype), axis=axis, keepdims=True)
    # All -inf: every entry ties, and s would count them; clamp so that log1p stays finite (the row's
    # result is -inf through m, below).
    excess = xp.log1p(rest + xp.clip(ties - 1, min=0.0))
    return m, m_safe, excess


def logsumexp(x: Array, /, *, axis: int = -1, keepdims: bool = False, xp: Any) -> Array:
    r"""``log Σ_j exp(x_j)`` along ``axis``, as ``m + log1p(Σ_{j≠argmax} exp(x_j − m))`` with ``m = max x``.

    Exact at infinities: a row of ``-inf`` gives ``-inf``, a ``+inf`` entry gives ``+inf``; NaN propagates.
    Never overflows. Its gradient is the softmax.
    """
    m, m_safe, excess = _max_and_excess(x, axis, xp=xp)
    out = xp.where(xp.isfinite(m), m_safe + excess, m)
    return out if keepdims else xp.squeeze(out, axis=axis)


def log_softmax(x: Array, /, *, axis: int = -1, xp: Any) -> Array:
    r"""``x − logsumexp(x)`` along ``axis``, as ``(x − m) − log1p(Σ_{j≠argmax} exp(x_j − m))``.

    The largest entry's value, ``−log1p(s)``, keeps full relative accuracy however small it is. A ``-inf`` entry
    gives ``-inf`` (probability 0) and a finite gradient; a row of only ``-inf`` gives ``-inf`` everywhere.
    """
    _, m_safe, excess = _max_and_excess(x, axis, xp=xp)
    return (x - m_safe) - excess


def softplus(x: Array, /, *, xp: Any) -> Array:
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(−|x|))``: never overflows, exact at ±inf, accurate to an ulp."""
    native = _native("softplus", xp)
    if native is not None:
        return native(x)
    return xp.clip(x, min=0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(x: Array, /, *, xp: Any) -> Array:
    """``log(1 / (1 + exp(−x)))`` as ``min(x, 0) − log1p(exp(−|x|))``: ``-inf`` at ``-inf``, 0 at ``+inf``."""
    native = _native("log_sigmoid", xp)
    if native is not None:
        return native(x)
    return xp.clip(x, max=0.0) - xp.log1p(xp.exp(-xp.abs(x)))


def xlogy(x: Array, y: Array, /, *, xp: Any) -> Array:
    """``x · log(y)``, with 0 wherever ``x == 0`` (even where ``y`` is 0), and a NaN-free gradient there.

    The inner ``where`` keeps ``log`` finite on the branch that is thrown away, so that its gradient does not
    poison the result (the double-where idiom).
    """
    native = _native("xlogy", xp)
    if native is not None:
        return native(x, y)
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))


def mul0(a: Array, b: Array, /, *, xp: Any) -> Array:
    """``a · b`` with ``0 · b = 0`` even where ``b`` is infinite (and a zero gradient there)."""
    return a * xp.where(a == 0, xp.zeros_like(b), b)


def log_softmax_at(x: Array, indices: Array, /, *, axis: int = -1, xp: Any) -> Array:
    """``log_softmax(x)`` at ``indices`` along ``axis`` (which is removed), as ``(x_i − m) − log1p(s)``.

    The same accurate form as :func:`log_softmax`, without materialising the whole log-softmax.
    """
    _, m_safe, excess = _max_and_excess(x, axis, xp=xp)
    picked = xp.take_along_axis(x, xp.expand_dims(indices, axis=axis), axis=axis)
    return xp.squeeze((picked - m_safe) - excess, axis=axis)


def clamped_log(p: Array, /, *, floor: float = -100.0, xp: Any) -> Array:
    """``max(log p, floor)``, torch's convention for probabilities that reach 0; zero gradient below the floor."""
    positive = p > 0
    safe_p = xp.where(positive, p, xp.ones_like(p))
    return xp.where(positive, xp.clip(xp.log(safe_p), min=floor), xp.full_like(p, floor))


def log1mexp(x: Array, /, *, xp: Any) -> Array:
    """``log(1 − exp(x))`` for ``x ≤ 0``, switching between ``log(−expm1(x))`` and ``log1p(−exp(x))`` at −log 2."""
    near_zero = x > -0.6931471805599453
    a = xp.where(near_zero, x, -xp.ones_like(x))
    b = xp.where(near_zero, -xp.ones_like(x), x)
    return xp.where(near_zero, xp.log(-xp.expm1(a)), xp.log1p(-xp.exp(b)))


def one_hot(labels: Array, num_classes: int, /, *, dtype: Any, axis: int = -1, xp: Any) -> Array:
    """``(..., num_classes)`` indicator of integer ``labels`` (out-of-range labels give a row of zeros)."""
    native = _native("one_hot", xp)
    if native is not None:
        return native(labels, num_classes, dtype=dtype, axis=axis)
    from lossport._namespace import device

    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(labels))
    out = xp.astype(xp.expand_dims(labels, axis=-1) == classes, dtype)
    return out if axis == -1 else xp.moveaxis(out, -1, axis)
