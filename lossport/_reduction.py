"""Reduction, weights and masks, in one place.

``"none"`` returns the unreduced loss (times ``weights``, with masked entries set to 0); ``"sum"`` sums it;
``"mean"`` is the weighted mean ``Σ w·l / Σ w`` over the entries that ``where`` keeps (torch's class-weight and
scikit-learn's sample-weight convention). A mean over nothing is NaN, as in torch.
"""

from __future__ import annotations

from typing import Any, Literal

from lossport._validation import check_broadcastable, check_non_negative_values, check_option

__all__ = ["REDUCTIONS", "Reduction", "check_reduction", "reduce_loss"]

Array = Any
Reduction = Literal["mean", "sum", "none"]
REDUCTIONS: tuple[str, ...] = ("mean", "sum", "none")


def check_reduction(reduction: object) -> None:
    check_option("reduction", reduction, REDUCTIONS)


def reduce_loss(
    loss: Array,
    reduction: Reduction,
    /,
    *,
    weights: Array | None,
    where: Array | None,
    out_dtype: Any,
    scale: Array | None = None,
    xp: Any,
) -> Array:
    """Apply ``weights``, the ``where`` mask and ``reduction`` to the unreduced ``loss``; cast to ``out_dtype``.

    ``scale`` is a weight already multiplied into ``loss`` (class weights of the picked class): it is not applied
    again, but it counts in the denominator of ``"mean"``, as torch's ``cross_entropy(weight=)`` does.
    """
    check_reduction(reduction)
    shape = tuple(loss.shape)
    if weights is not None:
        check_broadcastable("weights", weights, shape, "unreduced loss")
        check_non_negative_values("weights", weights, xp=xp)  # a negative weight makes "mean" meaningless
        weights = xp.astype(weights, loss.dtype, copy=False)
        loss = loss * weights
        scale = weights if scale is None else scale * weights
    if where is not None:
        if not xp.isdtype(where.dtype, "bool"):
            msg = f"`where` must be a boolean mask; got dtype {where.dtype}"
            raise TypeError(msg)
        check_broadcastable("where", where, shape, "unreduced loss")
        loss = xp.where(where, loss, 0.0)
    if reduction == "none":
        out = loss
    elif reduction == "sum":
        out = xp.sum(loss)
    elif scale is None and where is None:
        out = xp.mean(loss)
    else:
        if scale is None:
            scale = xp.ones_like(loss)
        elif tuple(scale.shape) != shape:
            scale = scale + xp.zeros_like(loss)  # broadcast (works for dynamic shapes too)
        if where is not None:
            scale = xp.where(where, scale, xp.zeros_like(scale))
        out = xp.sum(loss) / xp.sum(scale)
    return out if out.dtype == out_dtype else xp.astype(out, out_dtype)
