"""Divergences between distributions (or unnormalised measures) along a class axis, with log-space inputs.

Every divergence here is a sum over the class axis ``axis`` of non-negative terms (non-negative per sample for
``kl_divergence``, whose terms may have either sign), and returns the per-sample value for ``reduction="none"``.
Predictions are always given as logarithms (as in torch's ``kl_div`` and optax), which keeps a probability of
``1e-300`` or of exactly 0 (``-inf``) representable and its gradient finite.
"""

from __future__ import annotations

import math
from typing import Any

from lossport._gradients import apply, row_rule
from lossport._namespace import array_namespace
from lossport._numerics import mul0, try_native
from lossport._reduction import Reduction, check_reduction
from lossport._validation import (
    axis_last,
    check_array_knob,
    check_floating,
    check_in_unit_interval,
    check_non_negative_values,
    check_same_shape,
    compute_dtype,
    is_array_knob,
    knob,
    knob_math,
)

__all__ = ["generalized_kl_divergence", "js_divergence", "kl_divergence"]

Array = Any

_LOG2 = math.log(2.0)


# -- shared entry and checks ---------------------------------------------------------------------------------



def _pair_inputs(
    names: tuple[str, str], a: Array, b: Array, axis: int, weights: Array | None, where: Array | None, xp: Any
) -> tuple[Any, Array, Array, Any]:
    """Namespace, dtype and shape checks; both arrays in one compute dtype, class axis last."""
    xp = array_namespace(a, b, weights, where, xp=xp, names=(*names, "weights", "where"))
    check_floating(names[0], a, xp=xp)
    check_same_shape(names[0], a, names[1], b)
    dtype, out_dtype = compute_dtype(a, b, xp=xp)
    a = xp.astype(axis_last(names[0], a, axis, xp=xp), dtype, copy=False)
    b = xp.astype(axis_last(names[1], b, axis, xp=xp), dtype, copy=False)
    return xp, a, b, out_dtype



def _check_clip(clip: float | Array | None) -> None:
    """None, or a number in (0, 1): a Python number or a 0-D array (its value checked when concrete)."""
    if clip is None:
        return
    if is_array_knob(clip):
        check_array_knob("clip", clip, "in (0, 1)", lambda v, xp: xp.logical_and(v > 0, v < 1))
        return
    if isinstance(clip, bool) or not isinstance(clip, (int, float)):
        msg = f"`clip` must be a Python number, a 0-D array or None; got {type(clip).__name__}"
        raise TypeError(msg)
    if not 0 < clip < 1:
        msg = f"`clip` must be in (0, 1); got {clip!r}"
        raise ValueError(msg)


# -- the generalized KL's term, without cancellation ------------------------------------------------------


def _bregman_xlogx(a: Array, r: Array, b: Array, /, *, xp: Any) -> Array:
    r"""``a·log(a/b) − a + b`` for ``a ≥ 0``, given ``r = log(b/a)`` (any value where ``a = 0``).

    Written as ``a·(expm1(r) − r)`` for ``|r| < 1``, where the three terms of the definition cancel (the result
    is about ``a·r²/2``), and as ``(b − a) − a·r`` elsewhere, where they do not and ``expm1`` could overflow.
    Both forms are sums of non-negative or mildly cancelling terms, so the result keeps its relative accuracy
    down to the conditioning of the inputs. ``a = 0`` gives ``b``; ``r = -inf`` (``b = 0 < a``) gives ``+inf``.
    The unselected branches see only finite values (double ``where``), so gradients stay finite.
    """
    positive = a > 0
    r = xp.where(positive, r, xp.zeros_like(r))
    small = xp.abs(r) < 1.0
    r_small = xp.clip(r, min=-1.0, max=1.0)
    near = a * (xp.expm1(r_small) - r_small)
    far = (b - a) - a * r
    return xp.where(positive, xp.where(small, near, far), b)


# -- the losses -------------------------------------------------------------------------------------------------


def kl_divergence(
    log_predictions: Array,
    targets: Array,
    /,
    *,
    log_targets: bool = False,
    axis: int = -1,
    clip: float | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Kullback–Leibler divergence ``KL(P ‖ Q)`` of the predicted distribution ``Q`` from the targets ``P``.

    .. math:: \ell_i = \sum_c p_{ic} \,(\log p_{ic} - \log q_{ic})

    over the class axis, with ``0 · log 0 = 0``: a class with ``p = 0`` contributes 0 whatever ``q`` is (also
    ``q = 0``, where torch and optax give NaN), and a class with ``q = 0 < p`` makes the divergence ``+inf``. The
    terms are computed as ``p · (log p − log q)`` (torch's form). The mean over samples is torch's
    ``kl_div(reduction="batchmean")``, the mathematically correct KL; torch's default ``reduction="mean"``
    divides by the number of *elements* ``N·C`` instead, which is this loss divided by ``C``.

    Keras's ``KLDivergence`` takes probabilities and clips both to ``[1e-7, 1]`` first, so a zero in ``Q`` gives a
    finite value (about ``16.1·p``) and a zero in ``P`` a small non-zero term: ``clip=1e-7`` reproduces it.

    Parameters
    ----------
    log_predictions : array, shape ``(..., C)`` (class axis `axis`), real floating
        ``log q``: log-probabilities (from ``log_softmax``, say); not checked to be normalised. Passing
        probabilities instead of their logarithms gives a wrong (possibly negative) value, as in torch.
    targets : array, the same shape
        ``p``: probabilities in ``[0, 1]`` (checked on concrete arrays), or their logarithms with
        `log_targets`.
    log_targets : bool, default False
        Whether `targets` holds ``log p`` (torch's ``log_target=True``, optax's
        ``kl_divergence_with_log_targets``); ``-inf`` is then ``p = 0``.
    axis : int, default -1
        The class axis.
    clip : float or 0-D array, optional
        Clip ``p`` and ``q`` to ``[clip, 1]`` before the formula (Keras: ``1e-7``); in ``(0, 1)``.
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the class axis removed) for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `log_predictions` is not floating, or `clip` is neither a number nor a 0-D array.
    ValueError
        If the shapes differ, `axis` or `clip` is out of range, or (on concrete arrays, without `log_targets`)
        a target lies outside ``[0, 1]``.

    See Also
    --------
    torch.nn.functional.kl_div, optax.kl_divergence, optax.kl_divergence_with_log_targets,
    keras.losses.KLDivergence

    References
    ----------
    Kullback and Leibler, "On Information and Sufficiency", 1951.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> log_q = np.log(np.array([[0.5, 0.5]]))
    >>> float(lossport.kl_divergence(log_q, np.array([[1.0, 0.0]])))  # 1·log(1/0.5) + 0·log 0 = log 2
    0.6931471805599453
    """
    check_reduction(reduction)
    _check_clip(clip)
    xp, log_q, targets, out_dtype = _pair_inputs(
        ("log_predictions", "targets"), log_predictions, targets, axis, weights, where, xp
    )
    if not log_targets:
        check_in_unit_interval("targets", targets, xp=xp)
    knobs = (bool(log_targets), None if clip is None else knob(clip, log_q, xp=xp))
    loss = apply(_KL, (knobs, reduction), log_q, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _kl_terms(knobs: tuple[bool, float | None], log_q: Array, targets: Array, /, *,
              xp: Any) -> tuple[Array, Array]:
    """``(p, log p − log q)`` as the formula sees them: clipped, with ``log p`` 0 (any finite value) where
    ``p = 0`` (those entries are zeroed by ``mul0``). Only the difference is returned: in eager frameworks
    ``log p`` is then freed before ``mul0``'s temporaries exist."""
    log_targets, clip = knobs
    if log_targets:
        log_p = targets if clip is None else xp.clip(targets, min=knob_math("log", clip, xp=xp), max=0.0)
        p = xp.exp(log_p)
        log_p = xp.where(p > 0, log_p, 0.0)  # no -inf − (-inf)
    else:
        p = targets if clip is None else xp.clip(targets, min=clip, max=1.0)
        log_p = xp.log(xp.where(p > 0, p, 1.0))
    if clip is not None:
        log_q = xp.clip(log_q, min=knob_math("log", clip, xp=xp), max=0.0)
    return p, log_p - log_q


def _kl(knobs: tuple[bool, float | None], log_q: Array, targets: Array, /, *, xp: Any) -> Array:
    log_targets, clip = knobs
    # A backend's native version (torch: in place on one temporary, without clip) may decline the call.
    out = try_native("kl_divergence", log_q, targets, log_targets, xp=xp) if clip is None else NotImplemented
    if out is not NotImplemented:
        return out
    p, log_ratio = _kl_terms(knobs, log_q, targets, xp=xp)
    return xp.sum(mul0(p, log_ratio, xp=xp), axis=-1)


def _inside(x: Array, low: float, high: float, /, *, xp: Any) -> Array:
    """Where ``clip(x, low, high)`` passes its gradient: ``low ≤ x ≤ high``, bounds included (torch, TF)."""
    return xp.logical_and(x >= low, x <= high)


def _kl_vjp(knobs: tuple[bool, float | None], log_q: Array, targets: Array, /, *, scale: Array,
            needs: tuple[bool, ...], xp: Any) -> tuple[Array | None, Array | None]:
    r"""``∂ℓ/∂log q = −p``; ``∂ℓ/∂p = log p − log q + 1`` or ``∂ℓ/∂log p = p·(log p − log q + 1)``; each times
    the row's scale, and 0 outside a clip's range. One pass for ``log q`` (a product, without `clip`).

    Where ``p = 0`` the targets' derivative is 0, as ``mul0`` defines it: the true one is ``−∞`` for
    probabilities (``log 0``), and would poison a teacher's gradient.
    """
    log_targets, clip = knobs
    c = scale if scale.ndim == 0 else xp.expand_dims(scale, axis=-1)
    grad_q = grad_t = None
    if needs[0]:
        p = targets if not log_targets else xp.exp(targets)
        if clip is not None:
            p = _kl_terms(knobs, log_q, targets, xp=xp)[0]
            p = xp.where(_inside(log_q, math.log(clip), 0.0, xp=xp), p, xp.zeros_like(p))
        grad_q = p * (-c)
    if needs[1]:
        p, log_ratio = _kl_terms(knobs, log_q, targets, xp=xp)
        grad_t = mul0(p, log_ratio + 1.0, xp=xp) if log_targets else xp.where(p > 0, log_ratio + 1.0, 0.0)
        if clip is not None:
            low, high = (math.log(clip), 0.0) if log_targets else (clip, 1.0)
            grad_t = xp.where(_inside(targets, low, high, xp=xp), grad_t, xp.zeros_like(grad_t))
        grad_t = grad_t * c
    return grad_q, grad_t


_KL = row_rule("kl_divergence", _kl, _kl_vjp, blocks=True)


def generalized_kl_divergence(
    log_predictions: Array,
    targets: Array,
    /,
    *,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Generalized (unnormalised) Kullback–Leibler divergence between non-negative measures.

    .. math:: \ell_i = \sum_c \Big( p_{ic} \log \frac{p_{ic}}{q_{ic}} - p_{ic} + q_{ic} \Big)

    the Bregman divergence of ``x log x − x``: every term is non-negative, and zero only where ``p = q``, so
    ``P`` and ``Q`` need not sum to 1 (for two distributions it is the KL divergence). A class with ``p = 0``
    contributes ``q``; one with ``q = 0 < p`` makes it ``+inf``.

    Each term is computed as ``p·(expm1(r) − r)`` with ``r = log q − log p`` where ``|r| < 1``, and as
    ``(q − p) − p·r`` elsewhere: the textbook sum of three terms loses all its digits to cancellation when
    ``q ≈ p`` (the term is then about ``p·r²/2``), these forms do not, and they never overflow.

    Parameters
    ----------
    log_predictions : array, shape ``(..., C)`` (class axis `axis`), real floating
        ``log q``, any real (``-inf`` is ``q = 0``).
    targets : array, the same shape
        ``p ≥ 0`` (checked on concrete arrays).
    axis : int, default -1
        The class axis.
    weights, where, reduction, xp
        As in :func:`kl_divergence`.

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the class axis removed) for ``reduction="none"``.

    Raises
    ------
    ValueError
        If the shapes differ, `axis` is out of range, or (on concrete arrays) a target is negative.

    See Also
    --------
    optax.generalized_kl_divergence : the same divergence, computed as the textbook sum.

    References
    ----------
    Boyd and Vandenberghe, "Convex Optimization", 2004, p. 90.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> log_q = np.log(np.array([[2.0, 2.0]]))
    >>> # 1·log(1/2) − 1 + 2  +  2·log(2/2) − 2 + 2  =  1 − log 2
    >>> round(float(lossport.generalized_kl_divergence(log_q, np.array([[1.0, 2.0]]))), 15)
    0.306852819440055
    """
    check_reduction(reduction)
    xp, log_q, p, out_dtype = _pair_inputs(
        ("log_predictions", "targets"), log_predictions, targets, axis, weights, where, xp
    )
    check_non_negative_values("targets", p, xp=xp)
    loss = apply(_GENERALIZED_KL, ((), reduction), log_q, p, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _safe_log(p: Array, /, *, xp: Any) -> Array:
    """``log p`` where ``p > 0``, 0 where ``p = 0``."""
    return xp.log(xp.where(p > 0, p, xp.ones_like(p)))


def _generalized_kl(knobs: tuple[()], log_q: Array, p: Array, /, *, xp: Any) -> Array:
    return xp.sum(_bregman_xlogx(p, log_q - _safe_log(p, xp=xp), xp.exp(log_q), xp=xp), axis=-1)


def _generalized_kl_vjp(knobs: tuple[()], log_q: Array, p: Array, /, *, scale: Array, needs: tuple[bool, ...],
                        xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂log q = q − p``, ``∂ℓ/∂p = log p − log q`` (0 where ``p = 0``, as for :func:`kl_divergence`), each
    times the row's scale."""
    c = scale if scale.ndim == 0 else xp.expand_dims(scale, axis=-1)
    grad_q = (xp.exp(log_q) - p) * c if needs[0] else None
    grad_p = None
    if needs[1]:
        grad_p = xp.where(p > 0, _safe_log(p, xp=xp) - log_q, xp.zeros_like(p)) * c
    return grad_q, grad_p


_GENERALIZED_KL = row_rule("generalized_kl_divergence", _generalized_kl, _generalized_kl_vjp, blocks=True)


def _js_psi(d: Array, /, *, xp: Any) -> Array:
    r"""``ψ(d) = (1 − τ) log(1 − τ) + (1 + τ) log(1 + τ)``, ``τ = tanh(d/2)``: the JS term over ``m``.

    For ``|d| < 1`` as ``τ·d + log1p(−τ²)`` (``2τ·atanh τ = τ·d``; the two terms cancel by a factor of 2 at
    most, so ψ ≈ d²/4 keeps its relative accuracy); beyond, as ``2 log 2 − 2|d|·e/(1 + e) − 2 log1p(e)``,
    ``e = exp(−|d|)``, whose first term dominates. ``|d| = inf`` gives ``2 log 2``. Both branches see only finite
    values (|d| is clipped at 1e4, where ``e`` is 0 in every dtype), so gradients stay finite.
    """
    a = xp.abs(d)
    small = a < 1.0
    d_small = xp.clip(d, min=-1.0, max=1.0)
    tau = xp.tanh(d_small / 2.0)
    near = tau * d_small + xp.log1p(-(tau * tau))
    a_large = xp.clip(a, min=1.0, max=1e4)
    e = xp.exp(-a_large)
    far = (2.0 * _LOG2 - 2.0 * a_large * e / (1.0 + e)) - 2.0 * xp.log1p(e)
    return xp.where(small, near, far)


def js_divergence(
    log_predictions: Array,
    log_targets: Array,
    /,
    *,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Jensen–Shannon divergence between two distributions given as log-probabilities.

    .. math:: \ell_i = \tfrac12 \operatorname{KL}(P_i \,\|\, M_i) + \tfrac12 \operatorname{KL}(Q_i \,\|\, M_i),
              \quad M = \tfrac12 (P + Q)

    Symmetric in its two arguments (exactly, in floating point too), zero if and only if ``P = Q``, and at most
    ``log 2`` (reached by distributions with disjoint supports), in nats. No native library has it.

    Computed in log space from ``m = (p + q)/2`` and ``d = log q − log p``: with ``τ = tanh(d/2)``,
    ``p = m(1 − τ)`` and ``q = m(1 + τ)``, so each class contributes
    ``½ m [(1 − τ) log(1 − τ) + (1 + τ) log(1 + τ)] = ½ m [τ·d + log1p(−τ²)]`` (since ``2 atanh τ = d``): a
    non-negative term with no cancellation beyond a factor of 2, so nearly equal distributions keep their tiny
    divergence (about ``Σ m d²/8``) to a few ulps, where the textbook ``Σ p log(p/m)`` over classes loses all
    its digits. This is ``log M = logaddexp(log p, log q) − log 2`` without forming ``log M``. A class where both
    probabilities are 0 (``-inf``) contributes 0; one where only one of them is 0 contributes ``½ m · 2 log 2``,
    i.e. ``½ q log 2``.

    Parameters
    ----------
    log_predictions : array, shape ``(..., C)`` (class axis `axis`), real floating
        ``log q``; ``-inf`` is probability 0. Not checked to be normalised (the bounds need it).
    log_targets : array, the same shape
        ``log p``.
    axis : int, default -1
        The class axis.
    weights, where, reduction, xp
        As in :func:`kl_divergence`.

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the class axis removed) for ``reduction="none"``.

    Raises
    ------
    ValueError
        If the shapes differ or `axis` is out of range.

    See Also
    --------
    kl_divergence

    References
    ----------
    Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1), 1991.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> log_q = np.array([[0.0, -np.inf]])  # Q = (1, 0), P = (½, ½), M = (¾, ¼)
    >>> # ½·[½ log(½/¾) + ½ log(½/¼)] + ½·[1·log(1/¾)] = ¼ log(4/3) + ½ log(4/3) = ¾ log(4/3)
    >>> round(float(lossport.js_divergence(log_q, np.log(np.array([[0.5, 0.5]])))), 15)
    0.215761554338836
    """
    check_reduction(reduction)
    xp, log_q, log_p, out_dtype = _pair_inputs(
        ("log_predictions", "log_targets"), log_predictions, log_targets, axis, weights, where, xp
    )
    loss = apply(_JS, ((), reduction), log_q, log_p, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _js(knobs: tuple[()], log_q: Array, log_p: Array, /, *, xp: Any) -> Array:
    twice_m = xp.exp(log_p) + xp.exp(log_q)
    # d = log q − log p would be NaN where both probabilities are 0 (−inf − (−inf)): 0 there, where m = 0 anyway.
    either = xp.logical_or(log_p > -float("inf"), log_q > -float("inf"))
    zero = xp.zeros_like(log_p)
    d = xp.where(either, log_q, zero) - xp.where(either, log_p, zero)
    return xp.sum(twice_m * _js_psi(d, xp=xp), axis=-1) / 4.0


def _js_vjp(knobs: tuple[()], log_q: Array, log_p: Array, /, *, scale: Array, needs: tuple[bool, ...],
            xp: Any) -> tuple[Array | None, Array | None]:
    r"""``∂ℓ/∂log q = ½ q·log(q/m)``, ``∂ℓ/∂log p = ½ p·log(p/m)``, each times the row's scale.

    With ``d = log q − log p``, ``q/m = 2σ(d) = 1 + tanh(d/2)``: the larger side's log-ratio is
    ``log1p(tanh(|d|/2))`` (in ``[0, log 2]``, accurate to an ulp) and the smaller's that minus ``|d|``, so both
    keep their relative accuracy for nearly equal distributions (where they are about ``±d/2``) and neither
    overflows. A zero probability's entry is 0 (``mul0``); ``d`` is 0 where both are.
    """
    d = log_q - log_p
    d = xp.where(xp.isnan(d), xp.zeros_like(d), d)  # both −inf
    ahead = d >= 0
    a = xp.where(ahead, d, -d)  # |d|, with the derivative 1 at d = 0
    larger = xp.log1p(xp.tanh(a / 2.0))
    smaller = larger - a
    c = (0.5 * scale) if scale.ndim == 0 else xp.expand_dims(0.5 * scale, axis=-1)
    grad_q = grad_p = None
    if needs[0]:
        grad_q = mul0(xp.exp(log_q), xp.where(ahead, larger, smaller), xp=xp) * c
    if needs[1]:
        grad_p = mul0(xp.exp(log_p), xp.where(ahead, smaller, larger), xp=xp) * c
    return grad_q, grad_p


_JS = row_rule("js_divergence", _js, _js_vjp, blocks=True)  # twenty-odd passes: in blocks of rows on torch
