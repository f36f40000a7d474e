"""Margin losses: binary on ±1 labels, multi-label on index lists, multiclass on integer labels."""

from __future__ import annotations

import math
from typing import Any

from lossport._namespace import array_namespace, device
from lossport._numerics import softplus
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    _fails,
    axis_last,
    check_finite,
    check_floating,
    check_integer,
    check_positive,
    check_same_shape,
    check_sign_labels,
    class_index_inputs,
    compute_dtype,
    elementwise_inputs,
    values_checked,
)

__all__ = [
    "hinge",
    "multi_margin",
    "multiclass_hinge",
    "multiclass_perceptron",
    "multilabel_margin",
    "perceptron",
    "soft_margin",
    "squared_hinge",
]

Array = Any


def hinge(
    predictions: Array,
    labels: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Binary hinge loss on ±1 labels.

    .. math:: \ell_i = \max(0, 1 - y_i s_i)

    Labels must be -1 or +1 (a ``ValueError`` on concrete arrays, whose message suggests ``2 * labels - 1`` for
    0/1 labels). Keras converts 0/1 labels automatically, by a branch on their values that a traced function
    cannot take, and ``tf.compat.v1.losses.hinge_loss`` always converts, so ±1 labels become -3/+1 there;
    lossport does neither.

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        Scores (decision values), not probabilities.
    labels : array, shape ``(...)``, -1 or +1
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a label is neither -1 nor +1 (on concrete arrays), or the shapes differ.

    See Also
    --------
    keras.losses.Hinge, optax.hinge_loss, sklearn.metrics.hinge_loss, tf.compat.v1.losses.hinge_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.hinge(np.array([0.3, -0.5, 2.0]), np.array([1, 1, -1]), reduction="none")
    array([0.7, 1.5, 3. ])
    """
    check_reduction(reduction)
    xp, predictions, labels, out_dtype = elementwise_inputs(
        predictions, labels, weights, where, names=("predictions", "labels"), xp=xp
    )
    check_sign_labels("labels", labels, xp=xp)
    loss = xp.clip(1.0 - labels * predictions, min=0.0)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- shared entries of the class-axis losses -------------------------------------------------------------------


def _is_class(labels: Array, num_classes: int, ref: Array, /, *, xp: Any) -> Array:
    """Boolean ``(..., C)``: entry ``c`` is True where ``labels == c`` (a label outside ``[0, C)`` matches none)."""
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(ref))
    return xp.expand_dims(labels, axis=-1) == classes


def _picked(scores: Array, labels: Array, /, *, xp: Any) -> Array:
    """``scores[..., labels]`` with the class axis kept, of size 1: shape ``(..., 1)``, ready to broadcast."""
    return xp.take_along_axis(scores, xp.expand_dims(labels, axis=-1), axis=-1)


def _check_label_lists(labels: Array, num_classes: int, /, *, xp: Any) -> None:
    """torch's index lists: every entry in ``[-1, C)`` (-1 ends the list); a value check."""
    if not values_checked(labels):
        return
    valid = (labels >= -1) & (labels < num_classes)
    if _fails(xp.all(valid), xp=xp):
        bad = xp.where(valid, xp.zeros_like(labels), labels)
        lo, hi = int(xp.min(bad)), int(xp.max(bad))
        got = lo if lo < -1 else hi
        msg = f"`labels` must be class indices in [0, {num_classes}) or -1 (the end of the list); got {got}"
        raise ValueError(msg)


# -- ±1 labels ---------------------------------------------------------------------------------------------------


def squared_hinge(
    predictions: Array,
    labels: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Squared hinge loss on ±1 labels.

    .. math:: \ell_i = \max(0, 1 - y_i s_i)^2

    Labels must be -1 or +1, as for :func:`hinge` (a ``ValueError`` on concrete arrays, whose message suggests
    ``2 * labels - 1`` for 0/1 labels; Keras converts 0/1 labels by a value branch that lossport does not take).
    Keras's ``SquaredHinge`` averages the last axis first: the same number for ``"mean"`` without weights.

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        Scores (decision values), not probabilities.
    labels : array, shape ``(...)``, -1 or +1
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a label is neither -1 nor +1 (on concrete arrays), or the shapes differ.

    See Also
    --------
    keras.losses.SquaredHinge

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.squared_hinge(np.array([0.3, -0.5, 2.0]), np.array([1, 1, -1]), reduction="none")
    array([0.49, 2.25, 9.  ])
    """
    check_reduction(reduction)
    xp, predictions, labels, out_dtype = elementwise_inputs(
        predictions, labels, weights, where, names=("predictions", "labels"), xp=xp
    )
    check_sign_labels("labels", labels, xp=xp)
    margin = xp.clip(1.0 - labels * predictions, min=0.0)
    return reduce_loss(margin * margin, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def soft_margin(
    predictions: Array,
    labels: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Soft-margin (logistic) loss on ±1 labels.

    .. math:: \ell_i = \log(1 + e^{-y_i s_i}) = \operatorname{softplus}(-y_i s_i)

    Computed through :func:`lossport._numerics.softplus`: exact to an ulp over the whole range, with no overflow
    (``log(1 + exp(1e4))`` is 1e4, where torch's ``soft_margin_loss`` returns ``inf``), and the tiny loss of a
    confident correct prediction keeps its relative accuracy (``e^{-30}``, not 0). It equals
    :func:`binary_cross_entropy_with_logits` on the 0/1 labels ``(y + 1) / 2``. Labels must be -1 or +1 (a
    ``ValueError`` on concrete arrays, whose message suggests ``2 * labels - 1`` for 0/1 labels).

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        Scores (logits).
    labels : array, shape ``(...)``, -1 or +1
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a label is neither -1 nor +1 (on concrete arrays), or the shapes differ.

    See Also
    --------
    torch.nn.functional.soft_margin_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.soft_margin(np.array([0.0, 2.0, 1e4]), np.array([1, -1, -1]), reduction="none")
    array([6.93147181e-01, 2.12692801e+00, 1.00000000e+04])
    """
    check_reduction(reduction)
    xp, predictions, labels, out_dtype = elementwise_inputs(
        predictions, labels, weights, where, names=("predictions", "labels"), xp=xp
    )
    check_sign_labels("labels", labels, xp=xp)
    loss = softplus(-(labels * predictions), xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def perceptron(
    predictions: Array,
    labels: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Binary perceptron loss on ±1 labels.

    .. math:: \ell_i = \max(0, -y_i s_i)

    The hinge loss without its margin: ``perceptron(s, y) == hinge(s + y, y)``. Zero for every correctly signed
    score; not differentiable at ``s = 0``. Labels must be -1 or +1 (a ``ValueError`` on concrete arrays, whose
    message suggests ``2 * labels - 1`` for 0/1 labels).

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        Scores (decision values).
    labels : array, shape ``(...)``, -1 or +1
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a label is neither -1 nor +1 (on concrete arrays), or the shapes differ.

    See Also
    --------
    optax.perceptron_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.perceptron(np.array([0.3, -0.5, 2.0]), np.array([1, 1, -1]), reduction="none")
    array([0. , 0.5, 2. ])
    """
    check_reduction(reduction)
    xp, predictions, labels, out_dtype = elementwise_inputs(
        predictions, labels, weights, where, names=("predictions", "labels"), xp=xp
    )
    check_sign_labels("labels", labels, xp=xp)
    loss = xp.clip(-(labels * predictions), min=0.0)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- multi-label: index lists ------------------------------------------------------------------------------------


def multilabel_margin(
    predictions: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Multi-label margin loss on lists of target classes (torch's convention).

    .. math:: \ell_i = \frac{1}{C} \sum_{j \in T_i} \sum_{k \notin T_i} \max(0, 1 - (s_{ij} - s_{ik}))

    Each sample's labels are a list of ``C`` integers: its target classes first, then -1, which ends the list
    (whatever follows is ignored); a list without -1 names ``C`` targets. ``T_i`` is the set of listed classes;
    a class listed twice counts twice in the outer sum, as in torch. Every target must outscore every non-target
    by a margin of 1. A sample with no target (its list starts with -1), or whose targets are all ``C`` classes,
    has loss 0. With exactly one target per sample this is :func:`multi_margin` with ``p=1, margin=1``.

    Written without value branches: the list's end is the first position of -1 (a masked minimum), and membership
    a one-hot count, so it compiles; memory is ``O(C²)`` per sample.

    Parameters
    ----------
    predictions : array, shape ``(..., C)`` (class axis `axis`), real floating
    labels : array, the same shape as `predictions`, integer in ``[-1, C)``
        Target class lists, each along `axis`, terminated by -1.
    axis : int, default -1
        The class axis of both arrays (torch: 1, the last for its 2-D inputs).
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
        If `predictions` is not floating or `labels` not integer.
    ValueError
        If the shapes differ, `axis` is out of range, or (on concrete arrays) a label lies outside ``[-1, C)``.

    See Also
    --------
    torch.nn.functional.multilabel_margin_loss

    Examples
    --------
    Targets 3 and 0 (the list ends at -1; the 1 after it is ignored), non-targets 1 and 2:
    ``(0.4 + 0.6 + 1.1 + 1.3) / 4 = 0.85``.

    >>> import numpy as np, lossport
    >>> x, y = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])
    >>> lossport.multilabel_margin(x, y, reduction="none")
    array([0.85])
    """
    check_reduction(reduction)
    xp = array_namespace(predictions, labels, weights, where, xp=xp,
                         names=("predictions", "labels", "weights", "where"))
    check_floating("predictions", predictions, xp=xp)
    check_integer("labels", labels, xp=xp)
    check_same_shape("predictions", predictions, "labels", labels)
    predictions = axis_last("predictions", predictions, axis, xp=xp)
    labels = axis_last("labels", labels, axis, xp=xp)
    num_classes = tuple(predictions.shape)[-1]
    dtype, out_dtype = compute_dtype(predictions, xp=xp)
    x = xp.astype(predictions, dtype, copy=False)
    _check_label_lists(labels, num_classes, xp=xp)
    # The list's entries are those before its first -1 (at position C when there is none).
    position = xp.arange(num_classes, dtype=labels.dtype, device=device(labels))
    end = xp.min(xp.where(labels == -1, position, xp.full_like(labels, num_classes)), axis=-1, keepdims=True)
    listed = position < end
    safe = xp.where(listed, labels, xp.zeros_like(labels))
    members = xp.astype(_is_class(safe, num_classes, x, xp=xp), dtype)  # (..., list entry, class)
    counts = xp.sum(members * xp.expand_dims(xp.astype(listed, dtype), axis=-1), axis=-2)  # times listed
    others = xp.astype(counts == 0, dtype)
    # pair[..., j, k] = max(0, 1 − (x_j − x_k)): target j against non-target k.
    pair = xp.clip(1.0 - (xp.expand_dims(x, axis=-1) - xp.expand_dims(x, axis=-2)), min=0.0)
    loss = xp.sum(counts * xp.sum(pair * xp.expand_dims(others, axis=-2), axis=-1), axis=-1) / num_classes
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- multiclass: integer labels ----------------------------------------------------------------------------------


def multiclass_hinge(
    scores: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    null_score: float | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Multiclass hinge loss (Crammer–Singer) on integer labels.

    .. math:: \ell_i = \max_c \left(s_{ic} + [c \ne y_i]\right) - s_{i y_i}
              = \max\left(0,\ 1 + \max_{c \ne y_i} s_{ic} - s_{i y_i}\right)

    computed in the second form: the true class must outscore the best other class by a margin of 1. With a
    single class the loss is 0. ``null_score=v`` replaces the best other score by ``max(v, max_{c≠y} s_c)``, as if
    one more class scored ``v``: ``null_score=0.0`` reproduces Keras's ``CategoricalHinge``, whose
    ``max((1 − y)·s)`` puts 0 in the true class's slot, so that it differs where every other score is negative
    (scores ``[-2, -1, -3]``, label 0: 2 here, 3 in Keras). Not differentiable where the margin is exactly 0, or
    where two other classes tie for the best score.

    Parameters
    ----------
    scores : array, shape ``(..., C)`` (class axis `axis`), real floating
    labels : array, shape ``(...)``, integer in ``[0, C)``
    axis : int, default -1
        The class axis of `scores`.
    null_score : float, optional
        A floor for the best other class's score; None (the default) for none.
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
        If `scores` is not floating, `labels` not integer, or `null_score` not a Python number.
    ValueError
        If `labels` has the wrong shape, `null_score` is not finite, or (on concrete arrays) a label lies outside
        ``[0, C)``.

    See Also
    --------
    optax.multiclass_hinge_loss, keras.losses.CategoricalHinge (``null_score=0.0``), multi_margin

    Examples
    --------
    Row 0: ``1 + max(-1, -3) - (-2) = 2``; row 1: ``1 + 1.8 - 2 = 0.8``. With ``null_score=0``, row 0's best
    other score becomes 0: ``1 + 0 - (-2) = 3``.

    >>> import numpy as np, lossport
    >>> s, y = np.array([[-2.0, -1.0, -3.0], [0.5, 2.0, 1.8]]), np.array([0, 1])
    >>> lossport.multiclass_hinge(s, y, reduction="none")
    array([2. , 0.8])
    >>> lossport.multiclass_hinge(s, y, null_score=0.0, reduction="none")
    array([3. , 0.8])
    """
    check_reduction(reduction)
    if null_score is not None:
        check_finite("null_score", null_score)
    xp, scores, labels, out_dtype, _ = class_index_inputs("scores", scores, labels, axis, None, None, weights, where, xp)
    is_true = _is_class(labels, tuple(scores.shape)[-1], scores, xp=xp)
    rival = xp.max(xp.where(is_true, xp.full_like(scores, -math.inf), scores), axis=-1)
    if null_score is not None:
        rival = xp.clip(rival, min=float(null_score))
    true = xp.squeeze(_picked(scores, labels, xp=xp), axis=-1)
    loss = xp.clip((rival - true) + 1.0, min=0.0)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def multi_margin(
    scores: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    p: int = 1,
    margin: float = 1.0,
    class_weights: Array | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Multiclass margin loss (Weston–Watkins) on integer labels, torch's ``multi_margin_loss``.

    .. math:: \ell_i = \frac{w_{y_i}}{C} \sum_{c \ne y_i} \max(0,\ m - s_{i y_i} + s_{ic})^p

    with margin ``m``, ``p`` 1 or 2, and class weights ``w`` (1 when omitted). Every other class is penalised,
    not only the best one (compare :func:`multiclass_hinge`), and the sum is divided by ``C``, the number of
    classes, the true one included. ``"mean"`` divides by the sum of the weights ``Σ_i w_{y_i}`` (lossport's
    class-weight convention, as in :func:`sparse_softmax_cross_entropy`); torch's ``multi_margin_loss(weight=)``
    divides by the number of samples instead: its number is ``reduction="sum"`` divided by ``N``. Not
    differentiable where a term's margin is exactly 0.

    Parameters
    ----------
    scores : array, shape ``(..., C)`` (class axis `axis`), real floating
    labels : array, shape ``(...)``, integer in ``[0, C)``
    axis : int, default -1
        The class axis of `scores` (torch: 1, the last for its 2-D inputs).
    p : {1, 2}, default 1
        The power of each hinge term.
    margin : float, default 1.0
        Non-negative and finite.
    class_weights : array, shape ``(C,)``, optional
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the class axis removed) for ``reduction="none"``, class weights applied.

    Raises
    ------
    TypeError
        If `scores` or `class_weights` is not floating, `labels` not integer, or `margin` not a Python number.
    ValueError
        If `p` is not 1 or 2, `margin` is negative or not finite, a shape is wrong, or (on concrete arrays) a
        label lies outside ``[0, C)``.

    See Also
    --------
    torch.nn.functional.multi_margin_loss, multiclass_hinge

    Examples
    --------
    Row 0 (label 0): ``(max(0, 1 + 2 - 1) + max(0, 1 + 2 - 3)) / 3 = 2/3``; row 1 (label 1):
    ``(max(0, 1 - 2 + 0.5) + max(0, 1 - 2 + 1.8)) / 3 = 0.8/3``.

    >>> import numpy as np, lossport
    >>> s, y = np.array([[-2.0, -1.0, -3.0], [0.5, 2.0, 1.8]]), np.array([0, 1])
    >>> lossport.multi_margin(s, y, reduction="none")
    array([0.66666667, 0.26666667])
    """
    check_reduction(reduction)
    if isinstance(p, bool) or p not in (1, 2):
        msg = f"`p` must be 1 or 2; got {p!r}"
        raise ValueError(msg)
    check_positive("margin", margin, allow_zero=True)
    xp, scores, labels, out_dtype, _ = class_index_inputs(
        "scores", scores, labels, axis, None, class_weights, weights, where, xp
    )
    num_classes = tuple(scores.shape)[-1]
    is_true = _is_class(labels, num_classes, scores, xp=xp)
    terms = xp.clip((scores - _picked(scores, labels, xp=xp)) + float(margin), min=0.0)
    terms = xp.where(is_true, xp.zeros_like(terms), terms)
    if p == 2:
        terms = terms * terms
    loss = xp.sum(terms, axis=-1) / num_classes
    scale = None
    if class_weights is not None:
        scale = xp.take(xp.astype(class_weights, scores.dtype, copy=False), labels, axis=0)
        loss = scale * loss
    return reduce_loss(loss, reduction, weights=weights, where=where, scale=scale, out_dtype=out_dtype, xp=xp)


def multiclass_perceptron(
    scores: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Multiclass perceptron loss on integer labels.

    .. math:: \ell_i = \max_c s_{ic} - s_{i y_i}

    Zero when the true class scores highest (ties included): :func:`multiclass_hinge` without its margin. Not
    differentiable where two classes tie for the highest score.

    Parameters
    ----------
    scores : array, shape ``(..., C)`` (class axis `axis`), real floating
    labels : array, shape ``(...)``, integer in ``[0, C)``
    axis : int, default -1
        The class axis of `scores`.
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
        If `scores` is not floating or `labels` not integer.
    ValueError
        If `labels` has the wrong shape or (on concrete arrays) a label outside ``[0, C)``.

    See Also
    --------
    optax.multiclass_perceptron_loss

    Examples
    --------
    Row 0: ``-1 - (-2) = 1``; row 1: the true class scores highest, 0.

    >>> import numpy as np, lossport
    >>> s, y = np.array([[-2.0, -1.0, -3.0], [0.5, 2.0, 1.8]]), np.array([0, 1])
    >>> lossport.multiclass_perceptron(s, y, reduction="none")
    array([1., 0.])
    """
    check_reduction(reduction)
    xp, scores, labels, out_dtype, _ = class_index_inputs("scores", scores, labels, axis, None, None, weights, where, xp)
    loss = xp.max(scores, axis=-1) - xp.squeeze(_picked(scores, labels, xp=xp), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
