"""Stable primitives the standard lacks: logsumexp, log_softmax, softplus, log_sigmoid, xlogy, one_hot, ...

Each is written once against the Array API (the private ``_*_generic`` functions) and replaced by the backend's
native function when its adapter lists one under the primitive's name in ``native`` (same semantics, to about an
ulp; tests/test_numerics.py checks both paths against an mpmath oracle). Every private helper takes ``xp`` as a
required keyword and never infers the namespace itself.

Accuracy, not only stability: the log-sum-exp family sums the terms other than the largest apart from it,
``log Σ_j e^(x_j) = m + log1p(Σ_{j≠argmax} e^(x_j − m))``, so that a confident prediction's loss of 1e-13 keeps its
relative accuracy (``log(Σ_j e^(x_j − m))`` rounds ``1 + 1e-13`` and returns 0 in float32). Native fused kernels
(``torch.log_softmax``, ``jax.nn.log_softmax``, ``tf.nn.log_softmax``) compute the latter, so an adapter registers
a native version only where it keeps that accuracy.

Nothing here calls ``xp.maximum(x, <Python scalar>)``: array-api-compat's torch version graph-breaks under
``torch.compile``; ``xp.clip(x, min=...)`` does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lossport import backends
from lossport._validation import is_zero

__all__ = [
    "clamped_log",
    "huber_error",
    "huber_error_vjp",
    "log1mexp",
    "log1p_difference",
    "log_sigmoid",
    "log_softmax",
    "log_softmax_at",
    "log_softmax_at_parts",
    "logsumexp",
    "mul0",
    "one_hot",
    "sigmoid",
    "sigmoid_ce",
    "sigmoid_ce_vjp",
    "sign",
    "softplus",
    "squared_error",
    "squared_error_vjp",
    "try_native",
    "xlogy",
]

Array = Any

# namespace name -> its adapter's native table (empty for a namespace with none). Adapters and their tables never
# change, so each is read once, whole: a call then costs two dictionary lookups, and nothing is written later
# (torch.compile refuses a write inside a traced autograd.Function; _gradients.apply reads the table first).
_native_tables: dict[str, dict[str, Callable[..., Any]]] = {}


def natives(xp: Any, /) -> dict[str, Callable[..., Any]]:
    """The native primitives of ``xp``'s adapter, read once per namespace."""
    key = getattr(xp, "__name__", None) or type(xp).__name__
    table = _native_tables.get(key)
    if table is None:
        adapter = backends.adapter_for_namespace(xp)
        table = {} if adapter is None else dict(adapter.native)
        _native_tables[key] = table
    return table


def _native(name: str, xp: Any) -> Callable[..., Any] | None:
    return natives(xp).get(name)


def try_native(name: str, *args: Any, xp: Any) -> Any:
    """The backend's fused ``name`` on ``args``, or ``NotImplemented`` where it has none or declines the call (an
    input it may not overwrite, a knob it does not cover): the caller then runs its generic form."""
    native = natives(xp).get(name)
    return NotImplemented if native is None else native(*args)


# -- the log-sum-exp family ------------------------------------------------------------------------------------


def _max_and_excess(x: Array, axis: int, *, xp: Any) -> tuple[Array, Array]:
    """``m = max x`` and ``log1p(s)``, ``s = Σ_{j≠k} e^(x_j − m)`` with ``k = argmax x``, along ``axis`` (kept).

    ``log Σ_j e^(x_j) = m + log1p(s)``. Summing the terms other than the maximal one (which is exactly 1) apart
    from it keeps ``s`` accurate when it is tiny; ties with the maximum add their 1 each. The maximal entry is left
    out by its index, not by ``x == max(x)``: under XLA (``jax.jit``, ``tf.function(jit_compile=True)``) a fused
    recomputation of an input expression can round differently from the one the maximum saw, and the equality
    then misses, off by log 2 (it did for supervised_contrastive's positives). ``m`` is gathered at ``k``, so the
    expression is ``log Σ e^x`` for whatever value the gather reads, with the softmax as its gradient. The shift
    is 0 where ``m`` is ``-inf`` (a row of ``-inf``), so that a ``+inf`` entry gives ``inf − inf = NaN``.
    """
    shape = tuple(x.shape)
    if shape[axis] is None:  # a class axis unknown until run time (symbolic TensorFlow): no arange, so by value
        m = xp.max(x, axis=axis, keepdims=True)
        m_safe = xp.where(m == -float("inf"), xp.zeros_like(m), m)
        is_max = x == m
        rest = xp.sum(xp.where(is_max, 0.0, xp.exp(x - m_safe)), axis=axis, keepdims=True)
        ties = xp.sum(xp.astype(is_max, x.dtype), axis=axis, keepdims=True)
        return m, xp.log1p(rest + xp.clip(ties - 1.0, min=0.0))
    k = xp.argmax(x, axis=axis, keepdims=True)
    m = xp.take_along_axis(x, k, axis=axis)
    m_safe = xp.where(m == -float("inf"), xp.zeros_like(m), m)
    positions = xp.reshape(xp.arange(shape[axis], dtype=k.dtype, device=_device(x)),
                           tuple(-1 if d == axis % len(shape) else 1 for d in range(len(shape))))
    rest = xp.sum(xp.where(positions == k, 0.0, xp.exp(x - m_safe)), axis=axis, keepdims=True)
    return m, xp.log1p(rest)


def _device(x: Array) -> Any:
    from lossport._namespace import device

    return device(x)


def _logsumexp_generic(x: Array, axis: int, keepdims: bool, *, xp: Any) -> Array:
    m, excess = _max_and_excess(x, axis, xp=xp)
    finite = xp.isfinite(m)
    m_safe = xp.where(finite, m, xp.zeros_like(m))
    out = xp.where(finite, m_safe + excess, m)
    return out if keepdims else xp.squeeze(out, axis=axis)


def logsumexp(x: Array, /, *, axis: int = -1, keepdims: bool = False, xp: Any) -> Array:
    r"""``log Σ_j exp(x_j)`` along ``axis``, as ``m + log1p(Σ_{j≠argmax} exp(x_j − m))`` with ``m = max x``.

    Exact at infinities: a row of ``-inf`` gives ``-inf``, a ``+inf`` entry gives ``+inf``; NaN propagates.
    Never overflows; within a few ulps of the exact value wherever the result is not near 0 (where it is ill
    conditioned). Its gradient is the softmax.
    """
    native = _native("logsumexp", xp)
    if native is not None:
        return native(x, axis=axis, keepdims=keepdims)
    return _logsumexp_generic(x, axis, keepdims, xp=xp)


def _log_softmax_generic(x: Array, axis: int, *, xp: Any) -> Array:
    m, excess = _max_and_excess(x, axis, xp=xp)
    m_safe = xp.where(m == -float("inf"), xp.zeros_like(m), m)
    return (x - m_safe) - excess


def log_softmax(x: Array, /, *, axis: int = -1, xp: Any) -> Array:
    r"""``x − logsumexp(x)`` along ``axis``, as ``(x − m) − log1p(Σ_{j≠argmax} exp(x_j − m))``.

    The largest entry's value, ``−log1p(s)``, keeps full relative accuracy however small it is (``[30, 0, 0]``
    gives ``−1.87e-13``, not 0). A ``-inf`` entry gives ``-inf`` (probability 0) and a finite gradient; a row of
    only ``-inf`` gives ``-inf`` everywhere; a ``+inf`` entry gives NaN there (``∞ − ∞``) and ``-inf`` at the
    finite entries of its row; NaN propagates to its row.
    """
    native = _native("log_softmax", xp)
    if native is not None:
        return native(x, axis=axis)
    return _log_softmax_generic(x, axis, xp=xp)


def _log_softmax_at_generic(x: Array, indices: Array, axis: int, *, xp: Any, parts: bool = False) -> Any:
    shape = tuple(x.shape)
    ndim = len(shape)
    axis = axis % ndim
    num_classes = shape[axis]
    index = xp.expand_dims(indices, axis=axis)
    m = xp.max(x, axis=axis, keepdims=True)
    m_safe = xp.where(xp.isfinite(m), m, 0.0)
    if num_classes is None:  # a class axis unknown until run time (symbolic TensorFlow): no arange
        picked = xp.squeeze(xp.take_along_axis(_log_softmax_generic(x, axis, xp=xp), index, axis=axis), axis=axis)
        return (picked, m_safe, xp.sum(xp.exp(x - m_safe), axis=axis, keepdims=True)) if parts else picked
    from lossport._namespace import device

    shifted = xp.take_along_axis(x, index, axis=axis) - m_safe  # x_i − m, the picked logit
    classes = xp.arange(num_classes, dtype=indices.dtype, device=device(x))
    classes = xp.reshape(classes, tuple(num_classes if d == axis else 1 for d in range(ndim)))
    others = xp.sum(xp.where(classes == index, 0.0, xp.exp(x - m_safe)), axis=axis, keepdims=True)
    # Σ_j e^(x_j − m) − 1 = others + expm1(x_i − m) ≥ 0. When i is the argmax, expm1 is 0 and ``others`` is the
    # accurate sum of the non-maximal terms; otherwise the log-probability is below −log 2 and the cancellation
    # in ``others + expm1`` (absolute error ~eps) stays within an ulp of it. The clip is for a row of -inf.
    value = xp.squeeze(shifted - xp.log1p(xp.clip(others + xp.expm1(shifted), min=0.0)), axis=axis)
    return (value, m_safe, others + xp.exp(shifted)) if parts else value


def log_softmax_at(x: Array, indices: Array, /, *, axis: int = -1, xp: Any) -> Array:
    r"""``log_softmax(x)`` at integer ``indices`` along ``axis`` (which is removed), without the whole log-softmax.

    Computed as ``(x_i − m) − log1p(Σ_{j≠i} e^(x_j − m) + expm1(x_i − m))``: the terms are summed apart from the
    picked one, whose index is known, so no argmax is needed and a confident correct prediction's tiny value
    keeps its relative accuracy, as in :func:`log_softmax`. A ``-inf`` picked entry gives ``-inf``; a row of
    ``-inf`` gives ``-inf``; a ``+inf`` in the row gives ``-inf`` at a finite picked entry and NaN at the
    ``+inf`` one; NaN propagates. ``indices`` must be in range (the losses check it on concrete arrays).
    """
    native = _native("log_softmax_at", xp)
    if native is not None:
        return native(x, indices, axis=axis)
    return _log_softmax_at_generic(x, indices, axis, xp=xp)


def log_softmax_at_parts(x: Array, indices: Array, /, *, xp: Any) -> tuple[Array, Array, Array]:
    """:func:`log_softmax_at` on the last axis, with what its reduction found: ``(value, shift, total)``, ``shift``
    the rows' maxima (0 where not finite) and ``total = Σ_j e^(x_j − shift)``, both with the axis kept.

    The softmax is ``e^(x − shift) / total``: a backward given these reads each row once, with no reduction of its
    own (the sum is the terms apart from the picked one plus its ``e^(x_i − m)``, the same terms in another order).
    """
    parts = try_native("log_softmax_at_parts", x, indices, xp=xp)
    return _log_softmax_at_generic(x, indices, -1, xp=xp, parts=True) if parts is NotImplemented else parts


# -- the softplus family ---------------------------------------------------------------------------------------


def _softplus_generic(x: Array, *, xp: Any) -> Array:
    # max(x, 0) + log1p(exp(−|x|)), with both pieces selected by one `where` on x > 0 instead of clip and abs:
    # the gradient at 0 is then the smooth branch's 1/2 in every framework (through clip and abs it is that of
    # the pieces' kinks: 1 in torch and TensorFlow, 0 in JAX). Cheaper than logaddexp(x, 0) on TensorFlow
    # (4.4 ms against 5.3 under tf.function at 1e6 float32; clip and abs: 3.5).
    positive = x > 0
    return xp.where(positive, x, 0.0) + xp.log1p(xp.exp(xp.where(positive, -x, x)))


def softplus(x: Array, /, *, xp: Any) -> Array:
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(−|x|))``: never overflows, exact at ±inf, accurate to an ulp,
    gradient ``sigmoid(x)`` (1/2 at 0)."""
    native = _native("softplus", xp)
    if native is not None:
        return native(x)
    return _softplus_generic(x, xp=xp)


def sigmoid(x: Array, /, *, xp: Any) -> Array:
    """``1 / (1 + exp(−x))``: within a few ulps everywhere (``exp`` overflows to ``inf`` and gives 0 for
    ``x ≪ 0``), exactly 0 and 1 at ``∓inf``. ``sigmoid(−x)`` is ``1 − sigmoid(x)`` without its cancellation."""
    native = _native("sigmoid", xp)
    return native(x) if native is not None else 1.0 / (1.0 + xp.exp(-x))


def _log_sigmoid_generic(x: Array, *, xp: Any) -> Array:
    negative = x < 0
    return xp.where(negative, x, 0.0) - xp.log1p(xp.exp(xp.where(negative, x, -x)))


def log_sigmoid(x: Array, /, *, xp: Any) -> Array:
    """``log(1 / (1 + exp(−x)))`` as ``min(x, 0) − log1p(exp(−|x|))``: ``-inf`` at ``-inf``, 0 at ``+inf``, gradient
    ``sigmoid(−x)`` (1/2 at 0)."""
    native = _native("log_sigmoid", xp)
    if native is not None:
        return native(x)
    return _log_sigmoid_generic(x, xp=xp)


# -- products with a zero factor, logarithms ------------------------------------------------------------------


def _xlogy_generic(x: Array, y: Array, *, xp: Any) -> Array:
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, 0.0, x * xp.log(safe_y))


def xlogy(x: Array, y: Array, /, *, xp: Any) -> Array:
    """``x · log(y)``, with 0 wherever ``x == 0`` (even where ``y`` is 0), and a NaN-free gradient there.

    The inner ``where`` keeps ``log`` finite on the branch that is thrown away, so that its gradient does not
    poison the result (the double-where idiom). NaN in ``y`` propagates where ``x != 0``.
    """
    native = _native("xlogy", xp)
    if native is not None:
        return native(x, y)
    return _xlogy_generic(x, y, xp=xp)


def _mul0_generic(a: Array, b: Array, *, xp: Any) -> Array:
    return a * xp.where(a == 0, 0.0, b)


def mul0(a: Array, b: Array, /, *, xp: Any) -> Array:
    """``a · b`` with ``0 · b = 0`` even where ``b`` is infinite or NaN (and zero gradients there)."""
    native = _native("mul0", xp)
    if native is not None:
        return native(a, b)
    return _mul0_generic(a, b, xp=xp)


def sign(x: Array, /, *, xp: Any) -> Array:
    """The standard's ``sign`` (NaN for NaN). torch's adapter gives its own: array-api-compat's writes NaN through a
    boolean mask, which ``torch.func.vmap`` cannot batch."""
    native = _native("sign", xp)
    return xp.sign(x) if native is None else native(x)


def _clamped_log_generic(p: Array, floor: float, *, xp: Any) -> Array:
    positive = p > 0
    safe_p = xp.where(positive, p, xp.ones_like(p))
    return xp.where(positive, xp.clip(xp.log(safe_p), min=floor), xp.full_like(p, floor))


def clamped_log(p: Array, /, *, floor: float = -100.0, xp: Any) -> Array:
    """``max(log p, floor)``, torch's convention for probabilities that reach 0; zero gradient below the floor.

    The inner ``where`` keeps ``log`` finite at 0, so that its (discarded) gradient does not poison the result.
    """
    native = _native("clamped_log", xp)
    if native is not None:
        return native(p, floor=floor)
    return _clamped_log_generic(p, floor, xp=xp)


def log1mexp(x: Array, /, *, xp: Any) -> Array:
    """``log(1 − exp(x))`` for ``x ≤ 0``: ``log(−expm1(x))`` above −log 2, ``−log1p(e / (1 − e))``, ``e = exp(x)``, below.

    Accurate to a few ulps on both sides (Mächler, "Accurately computing log(1 − exp(−|a|))", 2012); ``-inf``
    at 0, 0 at ``-inf``, NaN for ``x > 0``. Below −log 2 the textbook ``log1p(−e)`` is as accurate in exact
    arithmetic, but XLA's float64 ``log1p`` is off by up to 130 ulps for arguments in [−0.5, −0.2]; the argument
    ``e / (1 − e)`` lies in (0, 1], where every backend's ``log1p`` is within 2 ulps.
    """
    near_zero = x > -0.6931471805599453
    a = xp.where(near_zero, x, -xp.ones_like(x))
    e = xp.exp(xp.where(near_zero, -xp.ones_like(x), x))
    return xp.where(near_zero, xp.log(-xp.expm1(a)), -xp.log1p(e / (1.0 - e)))


def log1p_difference(a: Array, b: Array, /, *, xp: Any) -> Array:
    """``log1p(a) − log1p(b)`` as ``±log1p(|a − b| / (1 + min(a, b)))``: no cancellation where ``a ≈ b`` (the
    difference of two rounded logarithms is 4e5 ulps off for ``1e6`` against ``1e6 + 1``); ``±inf`` at ``a`` or
    ``b = −1``, NaN where both are infinite."""
    above = a >= b
    d = xp.log1p(xp.abs(a - b) / (1.0 + xp.where(above, b, a)))
    return xp.where(above, d, -d)


def _one_hot_generic(labels: Array, num_classes: int, dtype: Any, axis: int, *, xp: Any) -> Array:
    from lossport._namespace import device

    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(labels))
    out = xp.astype(xp.expand_dims(labels, axis=-1) == classes, dtype)
    return out if axis == -1 else xp.moveaxis(out, -1, axis)


def one_hot(labels: Array, num_classes: int, /, *, dtype: Any, axis: int = -1, xp: Any) -> Array:
    """``(..., num_classes)`` indicator of integer ``labels`` (out-of-range labels give a row of zeros)."""
    native = _native("one_hot", xp)
    if native is not None:
        return native(labels, num_classes, dtype=dtype, axis=axis)
    return _one_hot_generic(labels, num_classes, dtype, axis, xp=xp)


# -- fused kernels of the elementwise losses ---------------------------------------------------------------------
# A loss's value, and its derivative times a cotangent, for lossport/_gradients.py's rules: one pass where a backend
# has a fused kernel with the same formula (torch's loss kernels and their backward kernels), and in the generic
# form elsewhere. ``scale`` is the cotangent of each element of the loss: a 0-D array for an unweighted mean or sum.


def _squared_error_generic(p: Array, t: Array, *, xp: Any) -> Array:
    error = p - t
    return error * error


def squared_error(p: Array, t: Array, /, *, xp: Any) -> Array:
    """``(p − t)²``, elementwise."""
    native = _native("squared_error", xp)
    return native(p, t) if native is not None else _squared_error_generic(p, t, xp=xp)


def squared_error_vjp(p: Array, t: Array, scale: Array, /, *, xp: Any) -> Array:
    """``2(p − t)·scale``, the derivative of ``(p − t)²`` in ``p`` times ``scale`` (minus that in ``t``)."""
    native = _native("squared_error_vjp", xp)
    return native(p, t, scale) if native is not None else (p - t) * (2.0 * scale)


def _huber_error_generic(p: Array, t: Array, delta: float, *, xp: Any) -> Array:
    abs_error = xp.abs(p - t)
    quadratic = xp.clip(abs_error, max=delta)
    # q·(|e| − q/2) is ½q² + δ(|e| − q) with two passes fewer; the same function and gradient.
    return quadratic * (abs_error - 0.5 * quadratic)


def huber_error(p: Array, t: Array, delta: float, /, *, xp: Any) -> Array:
    """Huber's ``½e²`` for ``|e| ≤ δ`` and ``δ(|e| − δ/2)`` beyond, ``e = p − t``, elementwise."""
    native = _native("huber_error", xp) if isinstance(delta, float) else None  # an array delta: the generic form
    return native(p, t, delta) if native is not None else _huber_error_generic(p, t, delta, xp=xp)


def huber_error_vjp(p: Array, t: Array, delta: float, scale: Array, /, *, xp: Any) -> Array:
    """``clip(p − t, −δ, δ)·scale``: Huber's derivative in ``p`` times ``scale`` (minus that in ``t``)."""
    native = _native("huber_error_vjp", xp) if isinstance(delta, float) else None
    if native is not None:
        return native(p, t, delta, scale)
    return xp.clip(p - t, min=-delta, max=delta) * scale


def _sigmoid_ce_coefficients(x: Array, y: Array, w: Array | float | None, smoothing: float | Array, *,
                             xp: Any) -> tuple[Array, Array | None]:
    """``(c, k)`` of ``ℓ = c·x + k·log1p(e^{−|x|})``: ``c = 1 − y`` where ``x`` is non-negative (its sign bit clear),
    ``−w·y`` where it is negative, and ``k = (1 − y) + w·y`` (None for ``w = 1``), with ``y`` smoothed to
    ``(1 − s)·y + s/2`` and ``1 − y`` formed as ``(1 − s)·(1 − y) + s/2``, not from the rounded smoothed label."""
    positive, negative = y, 1.0 - y
    if not is_zero(smoothing):  # an array smoothing (a knob given as an array) takes this general branch
        positive = (1.0 - smoothing) * y + 0.5 * smoothing
        negative = (1.0 - smoothing) * negative + 0.5 * smoothing
    if w is not None:
        positive = w * positive
    c = xp.where(xp.signbit(x), -positive, negative)
    return c, (None if w is None else negative + positive)


def sigmoid_ce(x: Array, y: Array, w: Array | float | None, smoothing: float | Array, /, *, xp: Any) -> Array:
    """``w·y·softplus(−x) + (1 − y)·softplus(x)``, elementwise (``w = 1`` for None), ``y`` smoothed by ``smoothing``.

    Written as ``c·x + k·log1p(e^{−|x|})`` (:func:`_sigmoid_ce_coefficients`): for ``y`` in ``[0, 1]`` and
    ``w ≥ 0`` both terms are non-negative, so nothing cancels, as in the two-softplus form, with one ``exp`` and
    one ``log1p`` instead of two each. ``c·x`` counts 0 where ``c`` is 0 (a confident, correct prediction at
    ``x = ±inf`` costs exactly 0). The branch is chosen by the sign bit, so ``x = −0`` takes the negative one,
    consistently with :func:`sigmoid_ce_vjp`'s ``copysign``.
    """
    # an array smoothing is differentiated through the generic form
    out = try_native("sigmoid_ce", x, y, w, smoothing, xp=xp) if isinstance(smoothing, float) else NotImplemented
    if out is not NotImplemented:
        return out
    c, k = _sigmoid_ce_coefficients(x, y, w, smoothing, xp=xp)
    # log1p(exp(−|x|)) with −|x| as a where, not abs: its derivative at 0 is then the branch's ±1/2, not abs's 0.
    tail = xp.log1p(xp.exp(xp.where(xp.signbit(x), x, -x)))
    return mul0(c, x, xp=xp) + (tail if k is None else k * tail)


def sigmoid_ce_vjp(x: Array, y: Array, w: Array | float | None, smoothing: float | Array, scale: Array, /, *,
                   xp: Any) -> Array:
    """``((1 − y)·σ(x) − w·y·σ(−x))·scale``, the derivative of :func:`sigmoid_ce` in ``x`` times ``scale``.

    As ``c − copysign(k / (1 + e^{|x|}), x)``: the small sigmoid only, so a confident prediction's gradient
    (``σ(−30)`` for ``x = 30, y = 1``) is exact, where ``σ(x) − y`` rounds it to 0; and ``k`` divided, not
    multiplied in, so that ``10·σ(−88)`` is not lost when ``σ(−88)`` is subnormal and flushed to zero (XLA).
    """
    out = (try_native("sigmoid_ce_vjp", x, y, w, smoothing, scale, xp=xp) if isinstance(smoothing, float)
           else NotImplemented)
    if out is not NotImplemented:
        return out
    c, k = _sigmoid_ce_coefficients(x, y, w, smoothing, xp=xp)
    small = (1.0 if k is None else k) / (1.0 + xp.exp(xp.where(xp.signbit(x), -x, x)))
    return (c - xp.copysign(small, x)) * scale
