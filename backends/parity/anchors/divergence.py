"""Native anchors of the divergences and the overlap losses; docs/conventions.md is their table.

KL: torch's ``kl_div`` takes ``(log q, p)`` and returns elementwise terms (its ``"batchmean"`` is lossport's
``"mean"`` on 2-D inputs, so the anchor flattens the leading axes); optax returns per-sample values (its ``axis``
is lossport's); Keras takes probabilities and clips both to ``[1e-7, 1]`` (lossport's ``clip=1e-7``). None of
them has weights or a mask, but Keras's ``sample_weight``.

Overlap losses: Keras's ``Dice`` / ``Tversky`` put ``1e-7`` in the denominator only and sum over ``axis``
(``None``: every axis), so lossport runs with ``smooth=0, eps=1e-7`` and Keras's unreduced output is compared;
Keras's ``Tversky`` swaps ``alpha`` and ``beta`` (its alpha multiplies the false negatives), so the anchor passes
lossport's ``beta`` as Keras's ``alpha``. optax's ``dice_loss`` puts ``smooth`` next to the half-sum (lossport's
``smooth`` is twice optax's for Dice), applies softmax (sigmoid for one channel) unless ``apply_softmax=False``,
and checks then that the probabilities sum to 1 over the class axis, which no one-channel input can pass
(docs/traps.md T15); so one-channel probabilities reach optax as logits ``log(p / (1 − p))`` through its sigmoid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import (
    UNREDUCED,
    Anchor,
    _args,
    _class_axis_to,
    _keras,
    _keras_call,
    _optax,
    _reduction,
    _torch,
    _weighted,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]

KERAS_OVERLAP = {"smooth": 0.0, "eps": 1e-7, **UNREDUCED}


# -- KL divergence ------------------------------------------------------------------------------------------------


def _kl_args(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(log q, targets, log_targets)`` with the class axis last."""
    log_q, targets = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    return log_q, targets, bool(case.kwargs.get("log_targets", False))


def _torch_kl_div(case: Case, dtype: str) -> Any:
    if _weighted(case) or case.kwargs.get("clip") is not None:
        return None  # no weights, no clipping
    torch = _torch()
    log_q, targets, log_targets = _kl_args(case, dtype)
    lead, classes = log_q.shape[:-1], log_q.shape[-1]
    x, y = (torch.from_numpy(np.ascontiguousarray(a.reshape(-1, classes))) for a in (log_q, targets))
    kl_div = torch.nn.functional.kl_div
    reduction = _reduction(case)
    if reduction == "mean":
        return kl_div(x, y, reduction="batchmean", log_target=log_targets)  # sum / rows
    if reduction == "sum":
        return kl_div(x, y, reduction="sum", log_target=log_targets)
    return kl_div(x, y, reduction="none", log_target=log_targets).sum(-1).reshape(lead)


def _optax_kl(case: Case, dtype: str) -> Any:
    if case.kwargs.get("clip") is not None:
        return None
    log_q, targets, log_targets = _kl_args(case, dtype)
    return _optax().losses.kl_divergence(log_q, np.exp(targets) if log_targets else targets)


def _optax_kl_log_targets(case: Case, dtype: str) -> Any:
    if case.kwargs.get("clip") is not None:
        return None
    log_q, targets, log_targets = _kl_args(case, dtype)
    if not log_targets:
        if np.any(targets == 0):
            return None  # log 0 = -inf, where optax's exp(t)·(t − log q) is 0·(−inf) = NaN
        targets = np.log(targets)
    return _optax().losses.kl_divergence_with_log_targets(log_q, targets)


def _keras_kl(case: Case, dtype: str) -> Any:
    log_q, targets, log_targets = _kl_args(case, dtype)
    p = np.exp(targets) if log_targets else targets
    # Keras takes probabilities: it clips both to [1e-7, 1], then Σ p·log(p / q) over the last axis.
    return _keras_call("KLDivergence", p, np.exp(log_q), case, dtype, per_element=False)


def _optax_generalized_kl(case: Case, dtype: str) -> Any:
    log_q, p = _args(case, dtype)
    return _optax().losses.generalized_kl_divergence(log_q, p, axis=case.kwargs.get("axis", -1))


# -- overlap losses ---------------------------------------------------------------------------------------------


def _sum_axes(case: Case, ndim: int) -> tuple[int, ...] | None:
    """The case's summed axes as a tuple (None: every axis), as Keras and optax spell them."""
    axis = case.kwargs.get("axis", "spatial")
    if axis == "spatial":
        return tuple(range(1, ndim - 1))
    if axis is None:
        return None
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def _keras_overlap(cls: str, case: Case, dtype: str, **knobs: Any) -> Any:
    p, t = _args(case, dtype)
    loss = getattr(_keras().losses, cls)(axis=_sum_axes(case, p.ndim), reduction=None, dtype=dtype, **knobs)
    return loss(t, p)


def _keras_dice(case: Case, dtype: str) -> Any:
    return _keras_overlap("Dice", case, dtype)


def _keras_tversky(case: Case, dtype: str) -> Any:
    # Keras's alpha multiplies Σ t·(1 − p) (false negatives), its beta Σ p·(1 − t): lossport's beta, alpha.
    return _keras_overlap("Tversky", case, dtype, alpha=case.kwargs.get("beta", 0.5),
                          beta=case.kwargs.get("alpha", 0.5))


def _optax_probabilities(p: np.ndarray) -> tuple[np.ndarray, bool] | None:
    """What optax's ``dice_loss`` must receive to see the probabilities ``p``, and its ``apply_softmax``.

    Several channels: ``p`` itself with ``apply_softmax=False``, if each map sums to 1 over the class axis (optax
    raises otherwise); one channel: the logits ``log(p / (1 − p))``, through optax's sigmoid.
    """
    if p.shape[-1] == 1:
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log1p(-p), True
    if not np.allclose(p.sum(-1), 1.0, rtol=1e-5):
        return None  # not softmax outputs: optax's check would raise
    return p, False


def _optax_dice_loss(case: Case, dtype: str, *, smooth: float, **knobs: Any) -> Any:
    if case.kwargs.get("eps"):
        return None  # optax has no denominator-only epsilon
    p, t = _args(case, dtype)
    axes = _sum_axes(case, p.ndim)
    seen = _optax_probabilities(p)
    if axes is None or p.ndim - 1 in axes or seen is None:
        return None  # optax always keeps the class axis
    x, apply_softmax = seen
    return _optax().losses.dice_loss(x, t, smooth=smooth, apply_softmax=apply_softmax, reduction="none",
                                     axis=axes, **knobs)


def _optax_dice(case: Case, dtype: str) -> Any:
    # optax's Dice is (I + s)/(½(P + T) + s) = (2I + 2s)/(P + T + 2s): lossport's smooth is twice optax's.
    return _optax_dice_loss(case, dtype, smooth=case.kwargs.get("smooth", 1.0) / 2)


def _optax_tversky(case: Case, dtype: str) -> Any:
    return _optax_dice_loss(case, dtype, smooth=case.kwargs.get("smooth", 1.0),
                            alpha=case.kwargs.get("alpha", 0.5), beta=case.kwargs.get("beta", 0.5))


def _optax_generalized_dice(case: Case, dtype: str) -> Any:
    if _weighted(case) or _reduction(case) != "mean" or "weight_eps" in case.kwargs:
        return None  # optax returns the mean only, with its eps of 1e-7
    p, t = _args(case, dtype)
    if case.kwargs.get("axis", "spatial") != "spatial" or p.shape[-1] == 1:
        return None
    seen = _optax_probabilities(p)
    if seen is None:
        return None
    classes, c = case.kwargs.get("classes", "all"), p.shape[-1]
    if classes != "all" and tuple(classes) != tuple(range(1, c)):
        return None  # optax can leave out the background class only
    out = _optax().losses.multiclass_generalized_dice_loss(
        seen[0], t, smooth=case.kwargs.get("smooth", 1.0) / 2, apply_softmax=seen[1],
        ignore_background=classes != "all")
    return out if classes == "all" else out * ((c - 1) / c)  # optax's mean over the C − 1 kept classes


TABLE: tuple[Anchor, ...] = (
    Anchor("torch.kl_div", "torch", "kl_divergence", _torch_kl_div),
    Anchor("optax.kl_divergence", "optax", "kl_divergence", _optax_kl, UNREDUCED),
    Anchor("optax.kl_divergence_with_log_targets", "optax", "kl_divergence", _optax_kl_log_targets, UNREDUCED),
    Anchor("keras.KLDivergence", "keras", "kl_divergence", _keras_kl, {"clip": 1e-7}),
    Anchor("optax.generalized_kl_divergence", "optax", "generalized_kl_divergence", _optax_generalized_kl,
           UNREDUCED),
    Anchor("keras.Dice", "keras", "dice", _keras_dice, KERAS_OVERLAP),
    Anchor("optax.dice_loss", "optax", "dice", _optax_dice, UNREDUCED),
    Anchor("keras.Tversky", "keras", "tversky", _keras_tversky, KERAS_OVERLAP),
    Anchor("optax.dice_loss(alpha, beta)", "optax", "tversky", _optax_tversky, UNREDUCED),
    Anchor("optax.multiclass_generalized_dice_loss", "optax", "generalized_dice", _optax_generalized_dice,
           {"combine": "mean", "batch_weights": True}),
)
