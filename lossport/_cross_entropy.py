"""The cross-entropies' rules (lossport/_gradients.py): each one's forward and its fused backward.

lossport/classification.py's public functions validate the inputs and call these through ``apply``. Every
backward works from the inputs and per-row residuals only: ``softmax − onehot`` for the softmax family (exact at
the label through ``expm1``), ``(1 − y)·σ(x) − w·y·σ(−x)`` for the sigmoid one (exact through the small sigmoid);
the sigmoid focal loss's forward saves its elementwise derivative instead, which shares all its passes.

A knob given as an array (``label_smoothing``, ``z_loss``, ``gamma``, ...: a 0-D array of the inputs' framework,
traced or not) makes ``apply`` run the forward as a plain composition, so every forward works with one: Array API
operations only, and ``is_zero`` (not ``if knob:``) where a Python 0 skips a term. The backwards see numbers only.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from lossport._gradients import (
    Rule,
    count,
    elementwise_rule,
    mask_weights,
    row_rule,
    unbroadcast,
)
from lossport._namespace import device
from lossport._numerics import (
    clamped_log,
    log_softmax,
    log_softmax_at,
    log_softmax_at_parts,
    mul0,
    one_hot,
    sigmoid_ce,
    sigmoid_ce_vjp,
    softplus,
    try_native,
)
from lossport._reduction import reduce_loss
from lossport._validation import is_zero

__all__ = ["PROBABILITY_CE", "SIGMOID_CE", "SIGMOID_FOCAL", "SOFT_CE", "SPARSE_CE", "picked_weights"]

Array = Any


def picked_weights(class_weights: Array, labels: Array, dtype: Any, /, *, xp: Any) -> Array:
    """Each label's class weight, in ``dtype``.

    The standard's ``take`` wants 1-D indices (torch's raises otherwise): labels of more dimensions are flattened
    and the result shaped back, where their shape is known (a symbolic TensorFlow shape is not, and its ``take``
    takes any indices).
    """
    cw = xp.astype(class_weights, dtype, copy=False)
    shape = tuple(labels.shape)
    if labels.ndim == 1 or not all(isinstance(d, int) for d in shape):
        return xp.take(cw, labels, axis=0)
    return xp.reshape(xp.take(cw, xp.reshape(labels, (-1,)), axis=0), shape)


def _lse(z: Array, y: Array, nll: Array, /, *, xp: Any) -> Array:
    """Each row's log-sum-exp, ``z_y + nll``."""
    return xp.squeeze(xp.take_along_axis(z, xp.expand_dims(y, axis=-1), axis=-1), axis=-1) + nll


def _sparse_ce_rows(smoothing: float, z_loss: float, z: Array, y: Array, cw: Array | None, nll: Array, /, *,
                    xp: Any) -> tuple[Array, Array | None]:
    """Each row's loss ``(1 − s)·w_y·nll − (s/C)·Σ_c w_c·log p_c + w_y·z_loss·lse²``, and ``w_y`` (None without
    class weights)."""
    picked = None if cw is None else picked_weights(cw, y, z.dtype, xp=xp)
    loss = nll if picked is None else picked * nll
    if not is_zero(smoothing):
        logp = log_softmax(z, xp=xp)
        uniform = xp.sum(logp if cw is None else logp * cw, axis=-1)
        loss = (1.0 - smoothing) * loss - (smoothing / tuple(z.shape)[-1]) * uniform
    if not is_zero(z_loss):
        lse = _lse(z, y, nll, xp=xp)
        loss = loss + z_loss * lse * lse * (1.0 if picked is None else picked)
    return loss, picked


def _sparse_ce_forward(params: tuple[float, float, str], z: Array, y: Array, w: Array | None, m: Array | None,
                       cw: Array | None, *, xp: Any, backward: bool = False) -> tuple[Array, tuple[Array, ...]]:
    """The loss and ``(nll,)``; the training forward (``backward=True``) also saves each row's shift and
    ``Σ e^{z − shift}``, which its log-softmax computed anyway, so that the backward reduces nothing."""
    smoothing, z_loss, reduction = params
    if backward:
        logp, shift, exp_sum = log_softmax_at_parts(z, y, xp=xp)
        residuals = (-logp, shift, exp_sum)
    else:
        residuals = (-log_softmax_at(z, y, xp=xp),)  # accurate however confident the prediction (_numerics.py)
    loss, picked = _sparse_ce_rows(smoothing, z_loss, z, y, cw, residuals[0], xp=xp)
    out = reduce_loss(loss, reduction, weights=w, where=m, scale=picked, out_dtype=z.dtype, xp=xp)
    return out, residuals


def _sparse_ce_backward(params: tuple[float, float, str], arrays: tuple[Array, ...], residuals: tuple[Array, ...],
                        g: Array, needs: tuple[bool, ...], *, xp: Any) -> tuple[Array | None, ...]:
    r"""``∂ℓ/∂z = c·((1 − s)·w_y·(p − e_y) + (s/C)·(W·p − w))``, ``c`` the row's cotangent, ``W = Σ_c w_c``.

    ``p = e^{z − m} / Σ e^{z − m}``, and at the label ``p_y − 1`` is ``expm1(−nll)`` (``nll`` the saved per-row
    loss), exact however confident the prediction. ``z_loss`` adds ``2·z_loss·w_y·lse·p``. The weights' and class
    weights' cotangents follow ``_gradients.elementwise_rule``'s (the class weights' through a one-hot, only when
    asked).
    """
    smoothing, z_loss, reduction = params
    z, y, w, m, cw = arrays
    nll, *sums = residuals
    num_classes = tuple(z.shape)[-1]
    rows = mask_weights(w, m, nll, xp=xp)
    picked = None if cw is None else picked_weights(cw, y, z.dtype, xp=xp)
    if reduction == "mean":
        counted = rows if picked is None else (picked if rows is None else rows * picked)
        total = xp.sum(counted + xp.zeros_like(nll)) if counted is not None else count(nll, xp=xp)
        g = g / total
    c = g if rows is None else g * rows  # each row's cotangent: 0-D, or of the rows' shape
    label_weight = 1.0 - smoothing if picked is None else (1.0 - smoothing) * picked
    total_weight = num_classes if cw is None else xp.sum(cw)
    grad_z = None
    if needs[0]:
        index = xp.expand_dims(y, axis=-1)
        coef = c * (label_weight + (smoothing / num_classes) * total_weight)
        # p = e^{z − m} / Σ e^{z − m}: not exp(z − lse) with lse = z_y + nll, whose rounding (an ulp of |lse|) exp
        # would make relative (350 ulps for logits near −1000; tests/test_gradient_accuracy.py).
        if sums:
            shift, exp_sum = sums
        else:
            top, exp_sum = xp.max(z, axis=-1, keepdims=True), None
            shift = xp.where(xp.isfinite(top), top, 0.0)
        extra = 0.0
        if z_loss:  # ∂(w_y·z_loss·lse²)/∂z = 2·z_loss·w_y·lse·p (a non-finite lse of an ignored row counts 0)
            lse = _lse(z, y, nll, xp=xp)
            extra = (2.0 * z_loss) * c * xp.where(xp.isfinite(lse), lse, xp.zeros_like(lse))
            extra = extra if picked is None else extra * picked
        # The label's entry: coef·p_y − c·(1 − s)·w_y, with p_y − 1 = expm1(−nll) when s = 0 (and without W).
        at_label = coef * xp.expm1(-nll) if not smoothing else coef * xp.exp(-nll) - c * label_weight
        if z_loss:
            at_label = at_label + extra * xp.exp(-nll)
        minus = None
        if smoothing:
            minus = _rows(c, nll, xp=xp) * (smoothing / num_classes if cw is None else (smoothing / num_classes) * cw)
            at_label = at_label - c * (smoothing / num_classes) * (1.0 if picked is None else picked)
        row, at_label = _rows(coef + extra, nll, xp=xp), _rows(at_label, nll, xp=xp)
        grad_z = try_native("softmax_at_vjp", z, shift, exp_sum, row, minus, index, at_label, xp=xp)  # in place
        if grad_z is NotImplemented:
            # The label mask first, and e^{z − m} freed once scaled (eager frameworks): two full-size arrays alive at
            # most, as in the native kernels' backward (TensorFlow's pooled allocator: 388 → 294 MB at 1024 × 32000).
            is_label = xp.arange(num_classes, dtype=y.dtype, device=device(z)) == index
            grad_z = xp.exp(z - shift)
            grad_z = grad_z * (row / (xp.sum(grad_z, axis=-1, keepdims=True) if exp_sum is None else exp_sum))
            if minus is not None:
                grad_z = grad_z - minus
            grad_z = xp.where(is_label, at_label, grad_z)
    grad_w = grad_cw = None
    if (w is not None and needs[2]) or (cw is not None and needs[4]):
        loss, _ = _sparse_ce_rows(smoothing, z_loss, z, y, cw, nll, xp=xp)
        mean = 0.0
        if reduction == "mean":  # the value: Σ a_i·ℓ_i / Σ a_i·w_{y_i}, a = weights·mask
            mean = xp.sum(loss if rows is None else loss * rows) / total
        if w is not None and needs[2]:
            # ∂value/∂a_i = (ℓ_i − mean·w_{y_i}) / Σ a·w_y ("mean"; the division is in g), ℓ_i otherwise
            grad_w = (loss - mean * (1.0 if picked is None else picked)) * g
            if m is not None:
                grad_w = xp.where(m, grad_w, xp.zeros_like(grad_w))
            grad_w = unbroadcast(grad_w, w, xp=xp)
        if cw is not None and needs[4]:
            # ∂ℓ_i/∂w_k = (1 − s)·[y_i = k]·nll_i − (s/C)·log p_ik; "mean" also divides by Σ a_i·w_{y_i}.
            hot = one_hot(y, num_classes, dtype=z.dtype, xp=xp)
            per_class = (1.0 - smoothing) * hot * xp.expand_dims(nll, axis=-1)
            if z_loss:
                lse = _lse(z, y, nll, xp=xp)
                per_class = per_class + z_loss * hot * xp.expand_dims(lse * lse, axis=-1)
            if smoothing:
                per_class = per_class - (smoothing / num_classes) * log_softmax(z, xp=xp)
            if reduction == "mean":
                per_class = per_class - hot * xp.expand_dims(mean + xp.zeros_like(nll), axis=-1)
            grad_cw = xp.sum(xp.reshape(per_class * _rows(c, nll, xp=xp), (-1, num_classes)), axis=0)
    return grad_z, None, grad_w, None, grad_cw


def _rows(x: Array | float, rows: Array, /, *, xp: Any) -> Array | float:
    """A per-row quantity (0-D, or broadcastable against the rows) with the class axis appended."""
    if isinstance(x, float) or x.ndim == 0:
        return x
    return xp.expand_dims(x + xp.zeros_like(rows), axis=-1)


SPARSE_CE = Rule("sparse_softmax_cross_entropy", _sparse_ce_forward, _sparse_ce_backward,
                 functools.partial(_sparse_ce_forward, backward=True))


def _smoothed(smoothing: float, y: Array) -> Array:
    return y if is_zero(smoothing) else (1.0 - smoothing) * y + smoothing / tuple(y.shape)[-1]


def _soft_ce(knobs: tuple[float, float], z: Array, y: Array, *, xp: Any) -> tuple[Array, tuple[Array, ...]]:
    """``−Σ_c y_c·log p_c + z_loss·lse²`` per row (``0·log 0 = 0``: a masked ``−inf`` logit with label 0 costs
    nothing), and the residuals ``(m, s, k)``: each row's largest logit, ``s = Σ_{j≠k} e^{z_j − m}`` and the
    largest logit's index."""
    smoothing, z_loss = knobs
    y_s = _smoothed(smoothing, y)
    fused = try_native("soft_ce", z, y_s, z_loss, xp=xp)  # torch: in place, one temporary (backends/torch.py)
    if fused is not NotImplemented:
        return fused[0], tuple(fused[1:])
    log_p = log_softmax(z, xp=xp)
    loss = -xp.sum(mul0(y_s, log_p, xp=xp), axis=-1)
    k = xp.argmax(z, axis=-1, keepdims=True)
    m, top = xp.take_along_axis(z, k, axis=-1), xp.take_along_axis(log_p, k, axis=-1)
    if not is_zero(z_loss):
        lse = xp.squeeze(m - top, axis=-1)
        loss = loss + z_loss * lse * lse
    # log p_k = −log1p(s) at the argmax, so s is recovered to an ulp however small it is
    return loss, (m, xp.expm1(-top), k)


def _soft_ce_vjp(knobs: tuple[float, float], z: Array, y: Array, *, scale: Array, needs: tuple[bool, ...],
                 residuals: tuple[Array, ...], xp: Any) -> tuple[Array | None, Array | None]:
    r"""``∂ℓ/∂z = S·p − y`` (``S = Σ_c y_c``, smoothed labels), ``∂ℓ/∂y = −(1 − s)·log p``, times the row's scale.

    ``p = e^{z − m} / (1 + s)`` from the saved residuals: no second softmax, and no ``exp(z − lse)``, whose
    rounded ``lse`` would make ``p`` ten ulps off for ``|lse| ≈ 30``. Only the largest logit's probability can
    pass ½, so the cancellation of ``S·p − y`` there (a confident prediction of a one-hot row) is mended at that
    one entry per row: ``(S − y_k) − S·s / (1 + s)``, exact to an ulp. ``z_loss`` adds ``2·z_loss·lse·p``.
    """
    smoothing, z_loss = knobs
    m, rest, k = residuals
    y_s = _smoothed(smoothing, y)
    scale = scale if scale.ndim == 0 else xp.expand_dims(scale, axis=-1)
    grad_z = grad_y = None
    if needs[0]:
        grad_z = try_native("soft_ce_vjp", z, y_s, z_loss, m, rest, k, scale, xp=xp)  # the same operations
    if needs[0] and grad_z is NotImplemented:
        total = xp.sum(y_s, axis=-1, keepdims=True)
        # A row of −inf (m = −inf, s = inf) has p = 0 and gradient −y: 0 for a padding row of zero labels.
        finite = xp.isfinite(m)
        shift = xp.where(finite, m, xp.zeros_like(m))
        extra = 0.0
        if z_loss:  # ∂(z_loss·lse²)/∂z = 2·z_loss·lse·p, lse = m + log1p(s) (0 for a row of −inf)
            extra = (2.0 * z_loss) * (shift + xp.where(finite, xp.log1p(rest), xp.zeros_like(rest)))
        grad_z = xp.exp(z - shift) * ((total + extra) / (1.0 + rest)) - y_s
        others = xp.where(finite, rest / (1.0 + rest), xp.ones_like(rest))  # 1 − p_k
        at_top = (total - xp.take_along_axis(y_s, k, axis=-1)) - total * others
        if z_loss:
            at_top = at_top + extra * (1.0 - others)
        classes = xp.arange(tuple(z.shape)[-1], dtype=k.dtype, device=device(z))
        grad_z = xp.where(classes == k, at_top, grad_z) * scale
    if needs[1]:
        grad_y = -log_softmax(z, xp=xp) * (scale if not smoothing else (1.0 - smoothing) * scale)
    return grad_z, grad_y


SOFT_CE = row_rule("softmax_cross_entropy", _soft_ce, _soft_ce_vjp, saves=True)


def _smoothed_binary(smoothing: float, y: Array) -> Array:
    return y if is_zero(smoothing) else (1.0 - smoothing) * y + 0.5 * smoothing


def _sigmoid_ce(knobs: tuple[float, float | None], x: Array, y: Array, *extras: Array, xp: Any) -> Array:
    """``w·y·softplus(−x) + (1 − y)·softplus(x)`` (_numerics.sigmoid_ce), ``y`` smoothed."""
    smoothing, pos_weight = knobs
    return sigmoid_ce(x, y, extras[0] if extras else pos_weight, smoothing, xp=xp)


def _sigmoid_ce_vjp(knobs: tuple[float, float | None], x: Array, y: Array, *extras: Array, scale: Array,
                    needs: tuple[bool, ...], xp: Any) -> tuple[Array | None, ...]:
    """``∂ℓ/∂x = (1 − y)·σ(x) − w·y·σ(−x)`` (_numerics.sigmoid_ce_vjp: exact to an ulp for a confident
    prediction, where ``σ(x) − y`` cancels), ``∂ℓ/∂y = (1 − s)·(w·softplus(−x) − softplus(x))`` (``−x`` for
    ``w = 1``), ``∂ℓ/∂w =
    y·softplus(−x)``, each times ``scale``; ``y`` is the smoothed label."""
    smoothing, pos_weight = knobs
    w = extras[0] if extras else pos_weight
    grad_x = sigmoid_ce_vjp(x, y, w, smoothing, scale, xp=xp) if needs[0] else None
    grad_y = grad_w = None
    if needs[1]:
        if w is None:
            grad_y = -x
        else:  # w·softplus(−x) − softplus(x) = (w − 1)·log1p(e^{−|x|}) − x·(w where x < 0, else 1): no cancellation
            negative = xp.signbit(x)
            grad_y = (w - 1.0) * xp.log1p(xp.exp(xp.where(negative, x, -x))) - xp.where(negative, w * x, x)
        grad_y = grad_y * (scale if not smoothing else (1.0 - smoothing) * scale)
    if extras and needs[2]:
        grad_w = mul0(_smoothed_binary(smoothing, y), softplus(-x, xp=xp), xp=xp) * scale
    return (grad_x, grad_y, grad_w)


SIGMOID_CE = elementwise_rule("binary_cross_entropy_with_logits", _sigmoid_ce, _sigmoid_ce_vjp)


# -- cross-entropy of probabilities ------------------------------------------------------------------------------

_LOG_FLOOR = -100.0  # clamped_log's floor: torch's
_FLOOR_P = math.exp(_LOG_FLOOR)  # log p > −100 where p > e^{−100} (the gradient is 0 below)


def _clipped(eps: float | None, p: Array, /, *, xp: Any) -> Array:
    return p if eps is None else xp.clip(p, min=eps, max=1.0 - eps)


def _probability_ce(knobs: tuple[float | None], p: Array, y: Array, *, xp: Any) -> Array:
    """``−Σ_c y_c·max(log p_c, −100)`` per row, or ``−max(log p_y, −100)`` for integer labels; ``p`` clipped to
    ``[eps, 1 − eps]`` first when ``eps`` is given."""
    (eps,) = knobs
    if y.ndim == p.ndim:
        fused = try_native("probability_ce", p, y, eps, _LOG_FLOOR, xp=xp)  # torch: in place (backends/torch.py)
        if fused is not NotImplemented:
            return fused
    p = _clipped(eps, p, xp=xp)
    if y.ndim < p.ndim:
        picked = xp.take_along_axis(p, xp.expand_dims(y, axis=-1), axis=-1)
        return -xp.squeeze(clamped_log(picked, floor=_LOG_FLOOR, xp=xp), axis=-1)
    return -xp.sum(y * clamped_log(p, floor=_LOG_FLOOR, xp=xp), axis=-1)


def _probability_ce_vjp(knobs: tuple[float | None], p: Array, y: Array, *, scale: Array, needs: tuple[bool, ...],
                        xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p_c = −y_c / p_c`` where ``p_c`` is inside the clip and ``log p_c`` above the floor (0 elsewhere: the
    clip's and the floor's gradients), ``∂ℓ/∂y_c = −max(log p_c, −100)``, each times the row's scale. One division
    and one ``where``: the composition's autodiff saves ``log p``, the clip's and the floor's masks and replays
    four passes. A label of ±inf or NaN where the gradient is 0 gives NaN, as the composition's would."""
    (eps,) = knobs
    scale = scale if scale.ndim == 0 else xp.expand_dims(scale, axis=-1)
    grad_p = grad_y = None
    if needs[0]:
        grad_p = try_native("probability_ce_vjp", p, y, eps, _FLOOR_P, scale, xp=xp)  # torch: in place
    if needs[0] and grad_p is NotImplemented:
        kept = p > _FLOOR_P if eps is None else (p >= eps) & (p <= 1.0 - eps)
        if y.ndim < p.ndim:  # −1/p_y at the label's entry only
            classes = xp.arange(tuple(p.shape)[-1], dtype=y.dtype, device=device(p))
            kept = kept & (classes == xp.expand_dims(y, axis=-1))
        # Dividing by +inf where the gradient is 0: no 0/0 (nor in the derivative), and no second `where`, so two
        # full-size arrays at a time.
        safe = xp.where(kept, p, xp.full_like(p, math.inf))
        grad_p = (-scale) / safe if y.ndim < p.ndim else (y / safe) * -scale
    if needs[1] and y.ndim == p.ndim:
        grad_y = clamped_log(_clipped(eps, p, xp=xp), floor=_LOG_FLOOR, xp=xp) * -scale
    return grad_p, grad_y


PROBABILITY_CE = row_rule("categorical_cross_entropy", _probability_ce, _probability_ce_vjp)


# -- sigmoid focal loss ------------------------------------------------------------------------------------------


def _focal_parts(gamma: float, smoothing: float, x: Array, y: Array, /, *, derivative: bool,
                 xp: Any) -> tuple[Any, ...]:
    r"""``(ℓ₀, ∂ℓ₀/∂x)``, or without ``derivative`` ``(ℓ₀, ce, u^γ, log u)``, of ``ℓ₀ = u^γ·ce``, ``u = 1 − p_t``,
    for labels ``y`` smoothed here (``u^γ`` 1 and ``log u`` None when ``γ = 0``).

    Folded on the logit's sign bit (as _numerics.sigmoid_ce): with ``e = exp(−|x|)``, ``l = log1p(e)``, ``b`` the
    label weight of the likelier class (``1 − y`` for ``x ≥ 0``, ``y`` below) and ``s = 1 − b``, each formed
    from ``y`` directly (a smoothed ``1 − y`` as ``(1 − ε)·(1 − y) + ε/2``, not from the rounded smoothed label),
    ``ce = b·|x| + l`` and ``u = (b + s·e) / (1 + e)``: sums of non-negative terms. Where ``b = 0`` (a hard label
    on the logit's side) ``log(b + s·e)`` is ``−|x|`` itself: ``u`` may underflow, its log does not. With
    ``σ = ±1`` the logit's sign, ``p − y = σ·(b − s·e) / (1 + e)``, ``1 − 2y = σ·(b − s)`` and ``p·q / u = e / ((1
    + e)·(b + s·e))``, so ``∂ℓ₀/∂x = σ·(u^γ·(b − s·e) + γ·(b − s)·ℓ₀·e / (b + s·e)) / (1 + e)``, with ``e / (b +
    s·e) = exp(−|x| − log(b + s·e))`` (1 where ``b = 0``): finite at every finite logit, and exact for a confident
    prediction (no ``σ(x) − y`` rounded to 0). Each full-size intermediate is released once used (eager
    frameworks free it then): the forward's peak is a few arrays, not the twenty it computes.
    """
    negative = xp.astype(xp.signbit(x), x.dtype)
    flip = 2.0 * negative - 1.0  # −σ
    minus_abs = flip * x  # −|x|, with the branch's derivative at ±0 (abs's is 0)
    if is_zero(smoothing):
        flipped = flip * y
        big, small = (1.0 - negative) + flipped, negative - flipped  # b, s: one of each sum is 0
        del flipped
    else:  # an array smoothing (a knob given as an array) takes this branch too
        positive = (1.0 - smoothing) * y + 0.5 * smoothing
        other = (1.0 - smoothing) * (1.0 - y) + 0.5 * smoothing
        side = 1.0 - negative
        big = side * other + negative * positive  # a product by 0 or 1 and a sum with 0: exact
        small = side * positive + negative * other
        del positive, other, side
    del negative, flip
    e = xp.exp(minus_abs)
    small_e = small * e
    focal = not is_zero(gamma)
    hard = big == 0
    masked = xp.where(hard, 0.0, minus_abs)  # −|x|, 0 where b = 0
    log_v = ratio = None
    if focal:
        # log(b + s·e), with log 1 = 0 where b = 0 (no log 0: no warning, no NaN gradient); −|x| itself there
        log_v = xp.log(xp.where(hard, 1.0, big + small_e))
        ratio = xp.exp(masked - log_v) if derivative else None  # e / (b + s·e): 1 where b = 0
        log_v = xp.where(hard, minus_abs, log_v)
    del hard, minus_abs
    tail = xp.log1p(e)
    del e
    ce = tail - big * masked  # + b·|x|, 0 where b = 0 (at x = ±inf too)
    del masked
    slope: Array = big - small_e if derivative else None  # σ·(p − y)·(1 + e)
    diff: Array = big - small if derivative and focal else None  # σ·(1 − 2y)
    del small_e, small, big
    # σ / (1 + e), the derivative's common factor, from l once fewer arrays are alive (the forward's peak)
    factor: Array = xp.copysign(xp.exp(-tail), x) if derivative else None
    if log_v is None:
        return (ce, slope * factor) if derivative else (ce, ce, 1.0, None)
    log_u = log_v - tail
    del log_v, tail
    power = xp.exp(gamma * log_u)
    loss = ce * power
    if not derivative:
        return loss, ce, power, log_u
    del ce, log_u
    slope = slope * power
    del power
    bend = (gamma * loss) * ratio
    del ratio
    bend = bend * diff
    del diff
    return loss, (slope + bend) * factor


def _sigmoid_focal(knobs: tuple[float | None, float, float], x: Array, y: Array, *, xp: Any,
                   backward: bool) -> tuple[Array, tuple[Array, ...]]:
    """``α_t·(1 − p_t)^γ·ce`` (classification.sigmoid_focal), fully in log space, and, when a ``backward`` follows
    (the rule's training forward), the residual ``∂ℓ₀/∂x`` (``ℓ₀`` the loss before ``α_t``): it shares the value's
    intermediates, so the backward is one multiplication where recomputing them took the forward's passes again
    (one full-size array kept). The backend's fused ``sigmoid_focal`` (eager torch on CPU: ``_focal_parts`` in
    place, block by block, the same numbers) runs both where it takes the call."""
    alpha, gamma, smoothing = knobs
    fused = try_native("sigmoid_focal", x, y, gamma, smoothing, backward, xp=xp)
    if fused is NotImplemented:
        fused = _focal_parts(gamma, smoothing, x, y, derivative=backward, xp=xp)
    loss = fused[0]
    residuals: tuple[Array, ...] = (fused[1],) if backward else ()
    y = _smoothed_binary(smoothing, y)
    if alpha is not None:
        loss = (alpha * y + (1.0 - alpha) * (1.0 - y)) * loss
    return loss, residuals


def _sigmoid_focal_vjp(knobs: tuple[float | None, float, float], x: Array, y: Array, *, scale: Array,
                       needs: tuple[bool, ...], residuals: tuple[Array, ...],
                       xp: Any) -> tuple[Array | None, Array | None]:
    r"""With ``u = 1 − p_t``: ``∂ℓ/∂x = α_t·∂ℓ₀/∂x``, the saved ``α_t·(γ·(1 − 2y)·u^{γ−1}·p·q·ce + u^γ·(σ(x) −
    y))`` (_focal_parts), and ``∂ℓ/∂y = (1 − s)·((2α − 1)·u^γ·ce + α_t·(γ·(q − p)·u^{γ−1}·ce − u^γ·x))``,
    recomputed from the inputs when asked.

    ``u^{γ−1}·ce`` is ``exp((γ − 1)·log u)·ce``, and ``q − p = −tanh(x/2)`` (no cancellation near ``x = 0``).
    ``2α − 1`` is 0 without ``alpha``.
    """
    alpha, gamma, smoothing = knobs
    y_s = _smoothed_binary(smoothing, y)
    alpha_t = 1.0 if alpha is None else alpha * y_s + (1.0 - alpha) * (1.0 - y_s)
    grad_x = None
    if needs[0]:  # the plain forward saved no derivative (a second derivative's recomputation, a traced TF
        # function differentiated from outside): computed here then
        (grad,) = residuals or (_focal_parts(gamma, smoothing, x, y, derivative=True, xp=xp)[1],)
        grad_x = grad * (scale if alpha is None else alpha_t * scale)
    grad_y = None
    if needs[1]:
        loss, ce, power, log_u = _focal_parts(gamma, smoothing, x, y, derivative=False, xp=xp)
        grad_y = -x * power
        if log_u is not None:
            grad_y = grad_y - gamma * ce * xp.exp((gamma - 1.0) * log_u) * xp.tanh(0.5 * x)
        grad_y = grad_y * alpha_t
        if alpha is not None:
            grad_y = grad_y + (2.0 * alpha - 1.0) * loss
        grad_y = grad_y * ((1.0 - smoothing) * scale)
    return grad_x, grad_y


SIGMOID_FOCAL = elementwise_rule("sigmoid_focal", _sigmoid_focal, _sigmoid_focal_vjp, saves=True, trains=True)
