"""Overlap losses for segmentation: Dice, Tversky and generalized Dice, on probabilities.

The inputs are laid out as ``(N, *spatial, C)`` (channels last, as in Keras and optax): a batch of ``N`` maps of
``C`` class probabilities. Each loss sums over ``axis`` (by default the spatial axes, so one overlap per sample and
class) and is computed from sums of non-negative terms, so that a near-perfect prediction keeps its small loss
(``1 − ratio`` would lose it to cancellation) and a perfect one gives exactly 0.
"""

from __future__ import annotations

from typing import Any

from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    check_in_unit_interval,
    check_option,
    check_positive,
    elementwise_inputs,
)

__all__ = ["dice", "generalized_dice", "tversky"]

Array = Any
Axis = int | tuple[int, ...] | str | None


def _check_axis_kind(axis: object) -> None:
    """``"spatial"``, None, an int or a tuple of ints (checked against the rank later)."""
    if axis is None or axis == "spatial":
        return
    items = axis if isinstance(axis, tuple) else (axis,)
    if not items or any(isinstance(a, bool) or not isinstance(a, int) for a in items):
        msg = f"`axis` must be 'spatial', None, an int or a non-empty tuple of ints; got {axis!r}"
        raise (TypeError if not isinstance(axis, str) else ValueError)(msg)


def _sum_axes(axis: Axis, shape: tuple[int | None, ...], /, *, keep_last: bool = False) -> tuple[int, ...]:
    """The axes to sum over, as sorted non-negative ints."""
    ndim = len(shape)
    if isinstance(axis, str):  # "spatial", the only string that _check_axis_kind lets through
        if ndim < 3:
            msg = (
                "`axis='spatial'` (the default) needs inputs of shape (N, *spatial, C) with at least one spatial "
                f"axis; got shape {shape}: add a class axis of 1 (`x[..., None]`) or pass `axis` explicitly"
            )
            raise ValueError(msg)
        return tuple(range(1, ndim - 1))
    if axis is None:
        axes = tuple(range(ndim))
    else:
        items: tuple[int, ...] = axis if isinstance(axis, tuple) else (axis,)
        for a in items:
            if not -ndim <= a < ndim:
                msg = f"`axis` must hold axes in [{-ndim}, {ndim}) for {ndim}-D inputs; got {axis!r}"
                raise ValueError(msg)
        axes = tuple(sorted(a % ndim for a in items))
        if len(set(axes)) != len(axes):
            msg = f"`axis` must not repeat an axis; got {axis!r}"
            raise ValueError(msg)
    if keep_last and ndim - 1 in axes:
        msg = f"`axis` must not include the class axis (the last, {ndim - 1}); got {axis!r}"
        raise ValueError(msg)
    return axes


def _overlap_inputs(
    predictions: Array, targets: Array, weights: Array | None, where: Array | None, xp: Any
) -> tuple[Any, Array, Array, Any]:
    xp, p, t, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    check_in_unit_interval("predictions", p, xp=xp)
    check_in_unit_interval("targets", t, xp=xp)
    return xp, p, t, out_dtype


def _errors(p: Array, t: Array, /, *, xp: Any) -> tuple[Array, Array]:
    """Elementwise false-positive and false-negative mass, ``p·(1 − t)`` and ``t·(1 − p)``."""
    return p * (1.0 - t), t * (1.0 - p)


def dice(
    predictions: Array,
    targets: Array,
    /,
    *,
    smooth: float = 1.0,
    eps: float = 0.0,
    axis: Axis = "spatial",
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Soft Dice loss between predicted probabilities and (soft or hard) targets.

    .. math:: \ell = 1 - \frac{2 \sum p t + s}{\sum p + \sum t + s + \varepsilon}
              = \frac{\sum [p (1 - t) + t (1 - p)] + \varepsilon}{\sum p + \sum t + s + \varepsilon}

    with the sums over `axis` (by default the spatial axes: one loss per sample and class), ``s`` = `smooth` and
    ``ε`` = `eps`. The right-hand form (false positives plus false negatives over the total mass) is the one
    computed: it has no cancellation, so a perfect prediction gives exactly 0.

    Empty masks: where ``Σ t = Σ p = 0`` the loss is ``ε / (s + ε)``: 0 with the default ``smooth=1`` (nothing
    to find, nothing found), 1 with Keras's ``smooth=0, eps=1e-7``, and NaN (0/0) with both 0. An empty
    prediction of a non-empty target gives ``1 − s / (Σ t + s)``.

    The anchors: Keras's ``Dice(axis=None)`` (its default) is ``dice(p, t, smooth=0, eps=1e-7, axis=None)``, one
    loss for the whole batch; its ``axis=`` tuple is lossport's. optax's ``dice_loss(smooth=s)`` puts ``s`` next to
    the intersection and the *half*-sum, ``(I + s) / (½(P + T) + s)``, which is ``smooth=2s`` here; it also
    applies softmax (sigmoid for one channel) to its input unless ``apply_softmax=False``, and reduces over
    classes: its ``reduction="none"`` is this loss's; ``class_weights`` are `weights` of shape ``(C,)`` (optax
    then takes a plain mean of ``w·ℓ``, lossport ``Σ w·ℓ / Σ w``) and ``ignore_background=True`` is
    ``where=xp.arange(C) > 0``. Dice equals :func:`tversky` with ``alpha = beta = ½`` and ``smooth = s/2``.

    Parameters
    ----------
    predictions : array, shape ``(N, *spatial, C)`` (any shape with an explicit `axis`), real floating
        Probabilities in ``[0, 1]`` (checked on concrete arrays): apply softmax or sigmoid to logits first.
    targets : array, the same shape
        Probabilities in ``[0, 1]``: one-hot or binary masks, or soft masks.
    smooth : float, default 1.0
        Added to the numerator ``2Σpt`` and to the denominator; non-negative.
    eps : float, default 0.0
        Added to the denominator only (Keras: ``1e-7``); non-negative.
    axis : "spatial", None, int or tuple of int, default "spatial"
        The axes summed over: ``"spatial"`` is every axis but the first (batch) and the last (classes); None is
        every axis (Keras's default: one loss for the batch).
    weights, where : array, optional
        Weights and mask broadcast against the unreduced loss (shape ``(N, C)`` by default): weights of shape
        ``(C,)`` are class weights, ``where`` of shape ``(C,)`` leaves classes out.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or for ``reduction="none"`` the loss per remaining position: the input shape without `axis`
        (``(N, C)`` by default, 0-D for ``axis=None``).

    Raises
    ------
    TypeError
        If `predictions` is not floating, or `axis` is of a wrong kind.
    ValueError
        If the shapes differ, `smooth` or `eps` is negative, `axis` is out of range (or ``"spatial"`` on inputs
        of fewer than 3 dimensions), or (on concrete arrays) a value lies outside ``[0, 1]``.

    See Also
    --------
    keras.losses.Dice, optax.dice_loss, tversky, generalized_dice

    References
    ----------
    Milletari et al., "V-Net: Fully Convolutional Neural Networks for Volumetric Medical Image Segmentation", 2016.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([0.75, 0.5, 0.25, 0.0])[None, :, None]  # one sample, 4 pixels, 1 class
    >>> t = np.array([1.0, 1.0, 0.0, 0.0])[None, :, None]
    >>> # Σpt = 1.25, Σp = 1.5, Σt = 2: 1 − (2·1.25 + 1) / (1.5 + 2 + 1) = 1 / 4.5
    >>> float(lossport.dice(p, t))
    0.2222222222222222
    """
    check_reduction(reduction)
    check_positive("smooth", smooth, allow_zero=True)
    check_positive("eps", eps, allow_zero=True)
    _check_axis_kind(axis)
    xp, p, t, out_dtype = _overlap_inputs(predictions, targets, weights, where, xp)
    axes = _sum_axes(axis, tuple(p.shape))
    fp, fn = _errors(p, t, xp=xp)
    errors = xp.sum(fp + fn, axis=axes)
    total = xp.sum(p + t, axis=axes)
    loss = (errors + eps) / (total + (smooth + eps))
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def tversky(
    predictions: Array,
    targets: Array,
    /,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    eps: float = 0.0,
    axis: Axis = "spatial",
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Tversky loss: Dice with separate weights on false positives (`alpha`) and false negatives (`beta`).

    .. math:: \ell = 1 - \frac{I + s}{I + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s + \varepsilon}
              = \frac{\alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + \varepsilon}
                     {I + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s + \varepsilon}

    with ``I = Σ p t``, ``FP = Σ p (1 − t)``, ``FN = Σ t (1 − p)`` over `axis` (Salehi et al.: ``alpha`` weighs
    false positives, as in optax's ``dice_loss(alpha=, beta=)``). The right-hand form is computed (no
    cancellation; a perfect prediction gives exactly 0). ``alpha = beta = ½`` is :func:`dice` with
    ``smooth = 2s``; ``alpha = beta = 1`` is the soft Jaccard (IoU) loss.

    **Keras swaps the two**: ``keras.losses.Tversky(alpha=a, beta=b)`` multiplies ``Σ t (1 − p)`` (false
    negatives) by ``a`` and ``Σ p (1 − t)`` by ``b``, against its docstring; it is ``tversky(p, t, alpha=b,
    beta=a, smooth=0, eps=1e-7, axis=None)``. Empty masks (``Σ t = Σ p = 0``) give ``ε / (s + ε)``, as in
    :func:`dice`.

    Parameters
    ----------
    predictions, targets : array, shape ``(N, *spatial, C)``
        Probabilities in ``[0, 1]``, as in :func:`dice`.
    alpha, beta : float, default 0.5
        Weights of the false positives and false negatives; non-negative.
    smooth, eps, axis, weights, where, reduction, xp
        As in :func:`dice` (`smooth` is added to ``I`` and to the denominator).

    Returns
    -------
    array
        0-D, or the input shape without `axis` for ``reduction="none"`` (``(N, C)`` by default).

    Raises
    ------
    TypeError, ValueError
        As in :func:`dice`, and if `alpha` or `beta` is negative.

    See Also
    --------
    keras.losses.Tversky, optax.dice_loss, dice

    References
    ----------
    Salehi et al., "Tversky loss function for image segmentation using 3D fully convolutional deep networks", 2017.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([0.75, 0.5, 0.25, 0.0])[None, :, None]
    >>> t = np.array([1.0, 1.0, 0.0, 0.0])[None, :, None]
    >>> # FP = 0.25, FN = 0.25 + 0.5 = 0.75, I = 1.25: (0.3·0.25 + 0.7·0.75) / (1.25 + 0.075 + 0.525) = 0.6 / 1.85
    >>> round(float(lossport.tversky(p, t, alpha=0.3, beta=0.7, smooth=0.0)), 15)
    0.324324324324324
    """
    check_reduction(reduction)
    check_positive("alpha", alpha, allow_zero=True)
    check_positive("beta", beta, allow_zero=True)
    check_positive("smooth", smooth, allow_zero=True)
    check_positive("eps", eps, allow_zero=True)
    _check_axis_kind(axis)
    xp, p, t, out_dtype = _overlap_inputs(predictions, targets, weights, where, xp)
    axes = _sum_axes(axis, tuple(p.shape))
    fp, fn = _errors(p, t, xp=xp)
    penalty = xp.sum(alpha * fp + beta * fn, axis=axes)
    intersection = xp.sum(p * t, axis=axes)
    loss = (penalty + eps) / (intersection + penalty + (smooth + eps))
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def generalized_dice(
    predictions: Array,
    targets: Array,
    /,
    *,
    smooth: float = 1.0,
    weight_eps: float = 1e-7,
    batch_weights: bool = False,
    combine: str = "ratio",
    axis: Axis = "spatial",
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Generalized Dice loss (Sudre et al.): Dice over all classes, each weighted by its inverse squared volume.

    .. math:: \ell = 1 - \frac{2 \sum_c w_c I_c + s}{\sum_c w_c (P_c + T_c) + s}
              = \frac{\sum_c w_c E_c}{\sum_c w_c (P_c + T_c) + s},
              \quad w_c = \frac{1/(T_c^2 + \epsilon_w)}{\sum_k 1/(T_k^2 + \epsilon_w)}

    with ``I_c = Σ p t``, ``P_c = Σ p``, ``T_c = Σ t``, ``E_c = Σ [p(1 − t) + t(1 − p)]`` (computed, with no
    cancellation) summed over `axis` for each class ``c`` of the last axis. The weights are normalised to sum to
    1, which leaves Sudre's ratio unchanged at ``s = 0`` and makes `smooth` count in units of mass, as in
    :func:`dice`: with one class this *is* :func:`dice`. Rare classes weigh more; a class absent from the
    target gets the weight ``1/ε_w``, so that any probability predicted for it dominates the loss (Sudre's
    weights are infinite there).

    ``combine="mean"`` takes instead the ``w``-weighted mean of the per-class Dice losses,
    ``Σ_c w_c E_c / (P_c + T_c + s)``, and ``batch_weights=True`` computes ``T_c`` for the weights over the whole
    batch (every axis but the class one). optax's ``multiclass_generalized_dice_loss(smooth=s_o,
    apply_softmax=False)`` is ``generalized_dice(p, t, combine="mean", batch_weights=True, smooth=2·s_o)`` (its
    Dice puts ``s_o`` next to the half-sum, see :func:`dice`): a class-weighted mean of Dice losses, not Sudre's
    ratio, which the paper it cites defines.

    Empty inputs (``T_c = P_c = 0`` for every class): 0 with ``smooth > 0``, NaN (0/0) with ``smooth=0``.

    Parameters
    ----------
    predictions : array, shape ``(N, *spatial, C)``, real floating
        Probabilities in ``[0, 1]`` (checked on concrete arrays).
    targets : array, the same shape
        One-hot (or soft) targets in ``[0, 1]``.
    smooth : float, default 1.0
        Added to the numerator and the denominator; non-negative.
    weight_eps : float, default 1e-7
        ``ε_w``, added to ``T_c²`` in the class weights (optax's constant); positive.
    batch_weights : bool, default False
        Class volumes for the weights from the whole batch instead of from each sample.
    combine : {"ratio", "mean"}, default "ratio"
        Sudre's ratio of weighted sums, or the weighted mean of the per-class Dice losses (optax).
    axis : "spatial", int or tuple of int, default "spatial"
        The axes summed over; never the class (last) axis. ``"spatial"``: every axis but the first and last.
    weights, where : array, optional
        Per-sample weights and mask, broadcast against the unreduced loss (shape ``(N,)`` by default).
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or for ``reduction="none"`` the input shape without `axis` and the class axis (``(N,)`` by default).

    Raises
    ------
    TypeError, ValueError
        As in :func:`dice`; and if `weight_eps` is not positive, `combine` is unknown, or `axis` holds the class
        axis.

    See Also
    --------
    optax.multiclass_generalized_dice_loss, dice

    References
    ----------
    Sudre et al., "Generalised Dice overlap as a deep learning loss function for highly unbalanced
    segmentations", 2017.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([[[0.75, 0.25], [0.5, 0.5], [0.25, 0.75]]])  # (N=1, 3 pixels, C=2)
    >>> t = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])       # T = (2, 1): w ∝ (1/4, 1) = (0.2, 0.8)
    >>> # E = (1, 1), P + T = (3.5, 2.5): (0.2 + 0.8) / (0.2·3.5 + 0.8·2.5 + 1) = 1 / 3.7
    >>> round(float(lossport.generalized_dice(p, t)), 6)
    0.27027
    """
    check_reduction(reduction)
    check_positive("smooth", smooth, allow_zero=True)
    check_positive("weight_eps", weight_eps)
    if not isinstance(batch_weights, bool):
        msg = f"`batch_weights` must be a bool; got {type(batch_weights).__name__}"
        raise TypeError(msg)
    check_option("combine", combine, ("ratio", "mean"))
    _check_axis_kind(axis)
    xp, p, t, out_dtype = _overlap_inputs(predictions, targets, weights, where, xp)
    shape = tuple(p.shape)
    axes = _sum_axes(axis, shape, keep_last=True)
    fp, fn = _errors(p, t, xp=xp)
    errors = xp.sum(fp + fn, axis=axes)  # (..., C)
    total = xp.sum(p + t, axis=axes)
    volume = xp.sum(t, axis=tuple(range(len(shape) - 1))) if batch_weights else xp.sum(t, axis=axes)
    inverse = 1.0 / (volume * volume + weight_eps)
    w = inverse / xp.sum(inverse, axis=-1, keepdims=True)
    if combine == "ratio":
        loss = xp.sum(w * errors, axis=-1) / (xp.sum(w * total, axis=-1) + smooth)
    else:
        loss = xp.sum(w * (errors / (total + smooth)), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
