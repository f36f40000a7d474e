"""Overlap losses for segmentation: Dice, Tversky, focal Tversky and generalized Dice on probabilities, and the
Lovász losses (the Lovász extension of the Jaccard loss) on logits and probabilities.

The inputs are laid out as ``(N, *spatial, C)`` (channels last, as in Keras and optax): a batch of ``N`` maps of
``C`` class probabilities. Each loss sums over ``axis`` (by default the spatial axes, so one overlap per sample and
class) and is computed from sums of non-negative terms, so that a near-perfect prediction keeps its small loss
(``1 − ratio`` would lose it to cancellation) and a perfect one gives exactly 0.

The Lovász losses (Berman et al. 2018) sort each image's errors, a per-image ``argsort`` (``take_along_axis`` then
orders the labels): the gradient reaches the errors through the sort, as the permuted Jaccard differences.
"""

from __future__ import annotations

from typing import Any

from lossport._namespace import array_namespace
from lossport._namespace import device as _device
from lossport._numerics import one_hot
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    _fails,
    check_bool,
    check_floating,
    check_in_unit_interval,
    check_option,
    check_positive,
    check_same_shape,
    class_index_inputs,
    compute_dtype,
    elementwise_inputs,
    knob,
    values_checked,
)

__all__ = ["dice", "focal_tversky", "generalized_dice", "lovasz_hinge", "lovasz_softmax", "tversky"]

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
    smooth : float or 0-D array, default 1.0
        Added to the numerator ``2Σpt`` and to the denominator; non-negative.
    eps : float or 0-D array, default 0.0
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
    smooth, eps = knob(smooth, p, xp=xp), knob(eps, p, xp=xp)
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
    alpha, beta : float or 0-D array, default 0.5
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
    xp, loss, out_dtype = _tversky_loss(predictions, targets, alpha, beta, smooth, eps, axis, weights, where, xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def _tversky_loss(
    predictions: Array, targets: Array, alpha: float, beta: float, smooth: float, eps: float, axis: Axis,
    weights: Array | None, where: Array | None, xp: Any,
) -> tuple[Any, Array, Any]:
    """Checks, then the unreduced ``1 − TI`` of :func:`tversky` (and :func:`focal_tversky`), without cancellation."""
    check_positive("alpha", alpha, allow_zero=True)
    check_positive("beta", beta, allow_zero=True)
    check_positive("smooth", smooth, allow_zero=True)
    check_positive("eps", eps, allow_zero=True)
    _check_axis_kind(axis)
    xp, p, t, out_dtype = _overlap_inputs(predictions, targets, weights, where, xp)
    axes = _sum_axes(axis, tuple(p.shape))
    alpha, beta = knob(alpha, p, xp=xp), knob(beta, p, xp=xp)
    smooth, eps = knob(smooth, p, xp=xp), knob(eps, p, xp=xp)
    fp, fn = _errors(p, t, xp=xp)
    penalty = xp.sum(alpha * fp + beta * fn, axis=axes)
    intersection = xp.sum(p * t, axis=axes)
    return xp, (penalty + eps) / (intersection + penalty + (smooth + eps)), out_dtype


def focal_tversky(
    predictions: Array,
    targets: Array,
    /,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    gamma: float = 0.75,
    smooth: float = 1.0,
    eps: float = 0.0,
    axis: Axis = "spatial",
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Focal Tversky loss (Abraham & Khan): the Tversky loss raised to the power `gamma`.

    .. math:: \ell = (1 - \mathrm{TI})^\gamma, \quad
              1 - \mathrm{TI} = \frac{\alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + \varepsilon}
                                      {I + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s + \varepsilon}

    with the Tversky index, knobs and axes of :func:`tversky` (``alpha`` weighs false positives; sums over `axis`,
    by default one loss per sample and class), and ``1 − TI`` computed in its cancellation-free form. ``γ < 1``
    (the paper's ``1/γ = 3/4``) raises the loss of the examples that are already good (``1 − TI`` small) relative
    to a plain Tversky loss, focusing training on them; ``γ = 1`` is :func:`tversky`. A perfect prediction gives
    exactly 0, where the gradient of ``x^γ`` is infinite for ``γ < 1`` (as in every implementation of this loss:
    keep `smooth` > 0 or use ``γ >= 1`` if predictions can become exact).

    Parameters
    ----------
    predictions, targets : array, shape ``(N, *spatial, C)``
        Probabilities in ``[0, 1]``, as in :func:`dice`.
    alpha, beta : float or 0-D array, default 0.5
        Weights of the false positives and false negatives; non-negative.
    gamma : float or 0-D array, default 0.75
        The exponent; positive.
    smooth, eps, axis, weights, where, reduction, xp
        As in :func:`tversky`.

    Returns
    -------
    array
        0-D, or the input shape without `axis` for ``reduction="none"`` (``(N, C)`` by default).

    Raises
    ------
    TypeError, ValueError
        As in :func:`tversky`, and if `gamma` is not positive.

    See Also
    --------
    tversky, dice

    References
    ----------
    Abraham and Khan, "A Novel Focal Tversky loss function with improved Attention U-Net for lesion segmentation",
    ISBI 2019.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([0.75, 0.5, 0.25, 0.0])[None, :, None]
    >>> t = np.array([1.0, 1.0, 0.0, 0.0])[None, :, None]
    >>> # the Tversky loss of tversky's example, 0.6 / 1.85, to the power 3/4
    >>> round(float(lossport.focal_tversky(p, t, alpha=0.3, beta=0.7, smooth=0.0)), 15)
    0.429768560262004
    """
    check_reduction(reduction)
    check_positive("gamma", gamma)
    xp, loss, out_dtype = _tversky_loss(predictions, targets, alpha, beta, smooth, eps, axis, weights, where, xp)
    loss = loss ** knob(gamma, loss, xp=xp)
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
    classes: str | tuple[int, ...] = "all",
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

    ``classes`` (a tuple of class indices) keeps those classes only, *after* the weights are normalised over
    all of them: ``Σ_{c ∈ classes} w_c E_c / (Σ_{c ∈ classes} w_c (P_c + T_c) + s)``, or the sum of the kept
    terms for ``combine="mean"``. optax's ``ignore_background=True`` is ``classes=(1, …, C − 1)`` times
    ``C/(C − 1)`` (its mean runs over the kept classes, docs/conventions.md SEG5).

    Empty inputs (``T_c = P_c = 0`` for every class): 0 with ``smooth > 0``, NaN (0/0) with ``smooth=0``.

    Parameters
    ----------
    predictions : array, shape ``(N, *spatial, C)``, real floating
        Probabilities in ``[0, 1]`` (checked on concrete arrays).
    targets : array, the same shape
        One-hot (or soft) targets in ``[0, 1]``.
    smooth : float or 0-D array, default 1.0
        Added to the numerator and the denominator; non-negative.
    weight_eps : float or 0-D array, default 1e-7
        ``ε_w``, added to ``T_c²`` in the class weights (optax's constant); positive.
    batch_weights : bool, default False
        Class volumes for the weights from the whole batch instead of from each sample.
    combine : {"ratio", "mean"}, default "ratio"
        Sudre's ratio of weighted sums, or the weighted mean of the per-class Dice losses (optax).
    classes : "all" or tuple of int, default "all"
        The classes that count (indices into the last axis), chosen after the weights are normalised.
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
        As in :func:`dice`; and if `weight_eps` is not positive, `combine` is unknown, `classes` is neither
        ``"all"`` nor a non-empty tuple of class indices, or `axis` holds the class axis.

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
    >>> # the second class only, its weight still 0.8: 0.8·1 / (0.8·2.5 + 1)
    >>> round(float(lossport.generalized_dice(p, t, classes=(1,))), 6)
    0.266667
    """
    check_reduction(reduction)
    check_positive("smooth", smooth, allow_zero=True)
    check_positive("weight_eps", weight_eps)
    if not isinstance(batch_weights, bool):
        msg = f"`batch_weights` must be a bool; got {type(batch_weights).__name__}"
        raise TypeError(msg)
    check_option("combine", combine, ("ratio", "mean"))
    if isinstance(classes, str):
        check_option("classes", classes, ("all",))
    _check_axis_kind(axis)
    xp, p, t, out_dtype = _overlap_inputs(predictions, targets, weights, where, xp)
    shape = tuple(p.shape)
    axes = _sum_axes(axis, shape, keep_last=True)
    smooth, weight_eps = knob(smooth, p, xp=xp), knob(weight_eps, p, xp=xp)
    fp, fn = _errors(p, t, xp=xp)
    errors = xp.sum(fp + fn, axis=axes)  # (..., C)
    total = xp.sum(p + t, axis=axes)
    volume = xp.sum(t, axis=tuple(range(len(shape) - 1))) if batch_weights else xp.sum(t, axis=axes)
    inverse = 1.0 / (volume * volume + weight_eps)
    w = inverse / xp.sum(inverse, axis=-1, keepdims=True)
    chosen = None if isinstance(classes, str) else _chosen_classes(classes, int(shape[-1]))
    if chosen is not None:
        kept = [1.0 if c in chosen else 0.0 for c in range(int(shape[-1]))]
        w = w * xp.asarray(kept, dtype=w.dtype, device=_device(w))
    if combine == "ratio":
        loss = xp.sum(w * errors, axis=-1) / (xp.sum(w * total, axis=-1) + smooth)
    else:
        loss = xp.sum(w * (errors / (total + smooth)), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- Lovász losses ------------------------------------------------------------------------------------------------


def _lovasz(errors: Array, foreground: Array, valid: Array | None, /, *, xp: Any) -> Array:
    """The Lovász extension of the Jaccard loss at ``errors``, along the last axis (Berman et al., Alg. 1).

    The errors are sorted in decreasing order and weighted by the Jaccard loss's increments
    ``g_k = J_k − J_{k−1}``, ``J_k = 1 − |F ∖ S_k| / |F ∪ S_k|`` for the top-``k`` set ``S_k`` and the foreground
    ``F``. The increments (the gradient) are formed in closed form from the exact counts, not as differences of
    ``J`` (which lose ``log2(n)`` bits of each; the loss telescopes and would keep its accuracy): with ``P = |F|``, ``p`` the foreground and ``m`` the background
    entries among the first ``k``, ``g = 1/(P + m)`` at a foreground entry and ``(P − p)/((P + m)(P + m − 1))`` at a
    background one (``1`` for the first background entry of an empty foreground). Entries where ``valid`` is False
    sort last (their key is −1, below every valid error of the callers, and −inf would give ``−inf·0``) and get
    weight 0. Ties between errors give the same value whatever their order; the sort is stable, so every framework
    assigns the same (sub)gradient to tied entries.
    """
    key = errors if valid is None else xp.where(valid, errors, xp.full_like(errors, -1.0))
    order = xp.argsort(key, axis=-1, descending=True, stable=True)
    sorted_errors = xp.take_along_axis(key, order, axis=-1)
    fg = xp.take_along_axis(foreground, order, axis=-1)
    if valid is None:
        bg = 1.0 - fg
    else:
        valid = xp.take_along_axis(xp.astype(valid, fg.dtype), order, axis=-1)
        fg = fg * valid
        bg = valid - fg
    total = xp.sum(fg, axis=-1, keepdims=True)  # P
    p = xp.cumulative_sum(fg, axis=-1)
    m = xp.cumulative_sum(bg, axis=-1)
    union = total + m  # >= 1 at every valid entry
    safe_union = xp.where(union > 0, union, xp.ones_like(union))
    previous = union - 1.0
    positive_previous = previous > 0
    ratio = xp.where(positive_previous, (total - p) / xp.where(positive_previous, previous, xp.ones_like(previous)),
                     xp.ones_like(previous))
    increments = (fg + bg * ratio) / safe_union
    return xp.sum(sorted_errors * increments, axis=-1)


def _check_binary_labels(name: str, x: Array, /, *, xp: Any) -> None:
    """Labels that are 0 or 1; a value check."""
    if not values_checked(x):
        return
    valid = (x == 0) | (x == 1)
    if _fails(xp.all(valid), xp=xp):
        bad = xp.where(valid, xp.zeros_like(x), x)
        got = xp.min(bad) if bool(xp.any(bad < 0)) else xp.max(bad)
        msg = f"`{name}` must be 0 or 1 (background or foreground); got {float(got):g}"
        raise ValueError(msg)


def _flat_images(x: Array, per_image: bool, /, *, xp: Any) -> Array:
    """``x`` as ``(images, pixels)``: one row per leading index (`per_image`), or one row for the whole batch."""
    shape = tuple(x.shape)
    if per_image:
        return xp.reshape(x, (shape[0], -1))
    return xp.reshape(x, (1, -1))


def lovasz_hinge(
    logits: Array,
    labels: Array,
    /,
    *,
    per_image: bool = True,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Lovász hinge loss (Berman et al.): the Lovász extension of the binary Jaccard loss at the hinge errors.

    .. math:: \ell = \sum_k \max(e_{(k)}, 0)\, g_k, \quad e_i = 1 - z_i (2 y_i - 1)

    with the errors ``e`` sorted in decreasing order and ``g_k`` the increments of the Jaccard loss
    ``1 − |F ∖ S_k| / |F ∪ S_k|`` as the top-``k`` set ``S_k`` grows (``F``: the foreground). It is a convex
    surrogate of ``1 − IoU`` of the prediction ``z > 0``: logits of ±1 with the predicted foreground positive give
    ``2(1 − IoU)``, and correct logits of magnitude at least 1 give 0. The increments, which are the gradient, come
    from exact counts in closed form, accurate to a few ulps whatever the image size. An image with an empty
    foreground has the loss ``max(e, 0)`` of its worst pixel (its IoU is 0 for any false positive).

    kornia's ``lovasz_hinge_loss(pred, target)`` is ``lovasz_hinge(pred[:, 0], target)`` (``per_image=True``,
    the mean over images; its logits have a channel axis of one), and so is Berman's ``lovasz_hinge(logits,
    labels, per_image=True)``; his ``ignore`` (pixels left out) has no knob here: drop those pixels first.

    Parameters
    ----------
    logits : array, shape ``(N, ...)``, real floating
        One logit per pixel (foreground where positive).
    labels : array, the same shape, integer, bool or floating
        0 (background) or 1 (foreground), checked on concrete arrays.
    per_image : bool, default True
        One loss per image (leading index), averaged by the reduction; False takes the whole batch as one image.
    weights, where : array, optional
        Per-image weights and mask, broadcast against shape ``(N,)`` (``()`` with ``per_image=False``).
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or for ``reduction="none"`` shape ``(N,)`` (0-D with ``per_image=False``).

    Raises
    ------
    TypeError
        If `logits` is not floating, or `per_image` is not a bool.
    ValueError
        If the shapes differ, the inputs are 0-D, or (concrete arrays) a label is not 0 or 1.

    See Also
    --------
    kornia.losses.lovasz_hinge_loss, lovasz_softmax

    References
    ----------
    Berman, Triki and Blaschko, "The Lovász-Softmax loss: A tractable surrogate for the optimization of the
    intersection-over-union measure in neural networks", CVPR 2018.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> z = np.array([[2.0, -0.5, 0.5, -3.0]])  # one image of 4 pixels
    >>> y = np.array([[1, 1, 0, 0]])
    >>> # errors 1 − z·(2y − 1) = (-1, 1.5, 1.5, -2); sorted: 1.5 (fg), 1.5 (bg), then ≤ 0:
    >>> # g = (1/2, (2 − 1)/(3·2)): 1.5/2 + 1.5/6 = 1
    >>> float(lossport.lovasz_hinge(z, y))
    1.0
    """
    check_reduction(reduction)
    check_bool("per_image", per_image)
    xp = array_namespace(logits, labels, weights, where, xp=xp, names=("logits", "labels", "weights", "where"))
    check_floating("logits", logits, xp=xp)
    check_same_shape("logits", logits, "labels", labels)
    if per_image and len(tuple(logits.shape)) == 0:
        msg = "`logits` must have an image axis (N, ...) with `per_image=True`; got a 0-D array"
        raise ValueError(msg)
    _check_binary_labels("labels", labels, xp=xp)
    dtype, out_dtype = compute_dtype(logits, labels, xp=xp)
    z = _flat_images(xp.astype(logits, dtype, copy=False), per_image, xp=xp)
    y = _flat_images(xp.astype(labels, dtype, copy=False), per_image, xp=xp)
    errors = 1.0 - z * (2.0 * y - 1.0)
    loss = _lovasz(xp.clip(errors, min=0.0), y, None, xp=xp)
    loss = loss if per_image else xp.reshape(loss, ())
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def lovasz_softmax(
    probabilities: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    classes: str | tuple[int, ...] = "present",
    per_image: bool = False,
    ignore_index: int | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Lovász-softmax loss (Berman et al.): the multiclass Lovász extension of the Jaccard loss.

    .. math:: \ell = \frac{1}{|K|} \sum_{c \in K} \sum_k e^c_{(k)}\, g^c_k, \quad e^c_i = |[y_i = c] - p_{ic}|

    per class ``c``: the errors sorted in decreasing order, weighted by the increments of that class's Jaccard
    loss (see :func:`lovasz_hinge`), then averaged over the classes ``K``: ``"present"`` (Berman's default) those
    with at least one (non-ignored) pixel in the image, or the whole batch with ``per_image=False``; ``"all"``
    every class (an absent class then counts with its largest predicted probability); or a tuple of class
    indices. Presence is a mask, not a selection, so the loss traces under every compiler. An image with no
    counted class (every pixel ignored) gives 0, as in Berman's code.

    kornia's ``lovasz_softmax_loss(logits, target)`` takes logits with the class axis 1 and averages every class
    of each image: it is ``lovasz_softmax(softmax(logits, 1), target, axis=1, classes="all", per_image=True)``;
    its ``weight`` multiplies each class's term and still divides by ``C``. Berman's
    ``lovasz_softmax(probas, labels, classes, per_image, ignore)`` is this function (class axis 1 there).

    Parameters
    ----------
    probabilities : array, shape ``(N, *spatial, C)`` (class axis `axis`), real floating
        Class probabilities in ``[0, 1]`` (checked on concrete arrays): apply softmax to logits first.
    labels : array, shape ``(N, *spatial)``, integer
        Class indices in ``[0, C)``, or `ignore_index`.
    axis : int, default -1
        The class axis of `probabilities`.
    classes : "present", "all" or tuple of int, default "present"
        The classes averaged.
    per_image : bool, default False
        One loss per image (leading index of `labels`); False takes the whole batch as one image.
    ignore_index : int, optional
        A label whose pixels count nowhere (Berman's ``ignore``).
    weights, where : array, optional
        Per-image weights and mask, broadcast against shape ``(N,)`` (``()`` with ``per_image=False``).
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or for ``reduction="none"`` shape ``(N,)`` with `per_image` (0-D without).

    Raises
    ------
    TypeError
        If `probabilities` is not floating, `labels` not integer, or a knob of a wrong kind.
    ValueError
        If the shapes do not match, `classes` is unknown or out of range, or (concrete arrays) a probability lies
        outside ``[0, 1]`` or a label outside ``[0, C)``.

    See Also
    --------
    kornia.losses.lovasz_softmax_loss, lovasz_hinge

    References
    ----------
    Berman, Triki and Blaschko, "The Lovász-Softmax loss: A tractable surrogate for the optimization of the
    intersection-over-union measure in neural networks", CVPR 2018.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([[0.8, 0.2], [0.4, 0.6], [0.7, 0.3]])  # 3 pixels, 2 classes
    >>> y = np.array([0, 0, 1])
    >>> # class 0: errors (0.2, 0.6, 0.7), fg (1, 1, 0): sorted 0.7 (bg), 0.6 (fg), 0.2 (fg):
    >>> # g = (1/3, 1/3, 1/3): 0.5; class 1 the same errors, fg (0, 0, 1): 0.7 · 1/1 + 0.6 · 0 + 0.2 · 0 = 0.7
    >>> round(float(lossport.lovasz_softmax(p, y)), 15)
    0.6
    """
    check_reduction(reduction)
    check_bool("per_image", per_image)
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, int)):
        msg = f"`ignore_index` must be an int or None; got {type(ignore_index).__name__}"
        raise TypeError(msg)
    xp, probs, labels, out_dtype, keep = class_index_inputs(
        "probabilities", probabilities, labels, axis, ignore_index, None, weights, where, xp
    )
    check_in_unit_interval("probabilities", probs, xp=xp)
    num_classes = tuple(probs.shape)[-1]
    chosen = _chosen_classes(classes, num_classes)
    if per_image and len(tuple(labels.shape)) == 0:
        msg = "`labels` must have an image axis (N, ...) with `per_image=True`; got a 0-D array"
        raise ValueError(msg)
    fg = one_hot(labels, num_classes, dtype=probs.dtype, xp=xp)
    if chosen is not None:
        index = xp.asarray(chosen, device=_device(probs))
        probs, fg = xp.take(probs, index, axis=-1), xp.take(fg, index, axis=-1)
    shape = (labels.shape[0], -1) if per_image else (1, -1)
    count = probs.shape[-1]
    probs = xp.permute_dims(xp.reshape(probs, (*shape, count)), (0, 2, 1))  # (images, classes, pixels)
    fg = xp.permute_dims(xp.reshape(fg, (*shape, count)), (0, 2, 1))
    valid = None if keep is None else xp.reshape(keep, shape)[:, None, :]
    if valid is not None:
        valid = xp.broadcast_to(valid, tuple(fg.shape))
    per_class = _lovasz(xp.abs(fg - probs), fg, valid, xp=xp)  # (images, classes)
    if classes == "present":
        present = xp.sum(fg if valid is None else xp.where(valid, fg, xp.zeros_like(fg)), axis=-1) > 0
        counted = xp.sum(xp.astype(present, per_class.dtype), axis=-1)
        total = xp.sum(xp.where(present, per_class, xp.zeros_like(per_class)), axis=-1)
        loss = xp.where(counted > 0, total / xp.where(counted > 0, counted, xp.ones_like(counted)),
                        xp.zeros_like(total))
    else:
        loss = xp.mean(per_class, axis=-1)
    loss = loss if per_image else xp.reshape(loss, ())
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def _chosen_classes(classes: object, num_classes: int) -> tuple[int, ...] | None:
    """None for ``"present"`` and ``"all"``; otherwise the tuple of class indices, checked."""
    if isinstance(classes, str):
        check_option("classes", classes, ("present", "all"))
        return None
    items = tuple(classes) if isinstance(classes, (tuple, list)) else None
    if not items or any(isinstance(c, bool) or not isinstance(c, int) for c in items):
        msg = f"`classes` must be 'present', 'all' or a non-empty tuple of ints; got {classes!r}"
        raise TypeError(msg)
    if any(not 0 <= c < num_classes for c in items):
        msg = f"`classes` must hold class indices in [0, {num_classes}); got {classes!r}"
        raise ValueError(msg)
    return items
