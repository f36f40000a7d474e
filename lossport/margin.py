"""Margin losses: binary on ±1 labels, multi-label on index lists, multiclass on integer labels."""

from __future__ import annotations

import math
from typing import Any

from lossport._gradients import apply, elementwise_rule, row_rule
from lossport._namespace import array_namespace, device
from lossport._numerics import sigmoid, softplus, try_native
from lossport._reduction import Reduction, check_reduction
from lossport._validation import (
    _fails,
    axis_last,
    check_broadcastable,
    check_finite,
    check_floating,
    check_integer,
    check_positive,
    check_same_shape,
    check_sign_labels,
    class_index_inputs,
    compute_dtype,
    elementwise_inputs,
    knob,
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
    loss = apply(_HINGE, ((1.0,), reduction), predictions, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _hinge(knobs: tuple[float], s: Array, y: Array, /, *, xp: Any) -> Array:
    """``max(0, m − y·s)``: the hinge (``m = 1``) and the perceptron (``m = 0``, as ``max(0, −y·s)``)."""
    (m,) = knobs
    return xp.clip(m - y * s if m else -(y * s), min=0.0)


def _hinge_vjp(knobs: tuple[float], s: Array, y: Array, /, *, scale: Array, needs: tuple[bool, ...],
               xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂s = −y``, ``∂ℓ/∂y = −s`` where ``y·s < m`` (0 at the kink, as for ``relu``), times the reduction's
    cotangent: one comparison and one select per input."""
    (m,) = knobs
    active = y * s < m  # exactly where m − y·s > 0
    zero = xp.zeros_like(s)
    grad_s = xp.where(active, (-scale) * y, zero) if needs[0] else None
    grad_y = xp.where(active, (-scale) * s, zero) if needs[1] else None
    return grad_s, grad_y


_HINGE = elementwise_rule("hinge", _hinge, _hinge_vjp, blocks=True)
_PERCEPTRON = elementwise_rule("perceptron", _hinge, _hinge_vjp, blocks=True)


# -- shared entries of the class-axis losses -------------------------------------------------------------------


def _is_class(labels: Array, num_classes: int, ref: Array, /, *, xp: Any) -> Array:
    """Boolean ``(..., C)``: entry ``c`` is True where ``labels == c`` (a label outside ``[0, C)`` matches none)."""
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(ref))
    return xp.expand_dims(labels, axis=-1) == classes


def _picked(scores: Array, labels: Array, /, *, xp: Any) -> Array:
    """``scores[..., labels]`` with the class axis kept, of size 1: shape ``(..., 1)``, ready to broadcast."""
    return xp.take_along_axis(scores, xp.expand_dims(labels, axis=-1), axis=-1)


def _per_row(scale: Array, /, *, xp: Any) -> Array:
    """A row rule's ``scale`` (0-D, or of the rows' shape) ready to broadcast against ``(..., C)``."""
    return scale if scale.ndim == 0 else xp.expand_dims(scale, axis=-1)


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
    loss = apply(_SQUARED_HINGE, ((), reduction), predictions, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _squared_hinge(knobs: tuple[()], s: Array, y: Array, /, *, xp: Any) -> Array:
    margin = xp.clip(1.0 - y * s, min=0.0)
    return margin * margin


def _squared_hinge_vjp(knobs: tuple[()], s: Array, y: Array, /, *, scale: Array, needs: tuple[bool, ...],
                       xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂s = −2y·max(0, 1 − y·s)``, ``∂ℓ/∂y = −2s·max(0, 1 − y·s)``, times the reduction's cotangent."""
    k = xp.clip(1.0 - y * s, min=0.0) * (-2.0 * scale)
    return (k * y if needs[0] else None), (k * s if needs[1] else None)


_SQUARED_HINGE = elementwise_rule("squared_hinge", _squared_hinge, _squared_hinge_vjp, blocks=True)


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
    loss = apply(_SOFT_MARGIN, ((), reduction), predictions, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _soft_margin_vjp(knobs: tuple[()], s: Array, y: Array, /, *, scale: Array, needs: tuple[bool, ...],
                     xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂s = −y·σ(−y·s)``, ``∂ℓ/∂y = −s·σ(−y·s)`` (each within a few ulps, however confident), times the
    reduction's cotangent."""
    k = sigmoid(-(y * s), xp=xp) * (-scale)
    return (k * y if needs[0] else None), (k * s if needs[1] else None)


_SOFT_MARGIN = elementwise_rule(
    "soft_margin", lambda knobs, s, y, *, xp: softplus(-(y * s), xp=xp), _soft_margin_vjp, blocks=True
)


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
    loss = apply(_PERCEPTRON, ((0.0,), reduction), predictions, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


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
    loss = apply(_MULTILABEL_MARGIN, ((), reduction), x, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _memberships(x: Array, labels: Array, /, *, xp: Any) -> tuple[Array, Array]:
    """``(counts, others)`` of shape ``(..., C)`` in ``x``'s dtype: how often each class is listed, and 1 where
    it is not listed at all (a non-target)."""
    num_classes = tuple(x.shape)[-1]
    # The list's entries are those before its first -1 (at position C when there is none).
    position = xp.arange(num_classes, dtype=labels.dtype, device=device(labels))
    end = xp.min(xp.where(labels == -1, position, xp.full_like(labels, num_classes)), axis=-1, keepdims=True)
    listed = position < end
    safe = xp.where(listed, labels, xp.zeros_like(labels))
    members = xp.astype(_is_class(safe, num_classes, x, xp=xp), x.dtype)  # (..., list entry, class)
    counts = xp.sum(members * xp.expand_dims(xp.astype(listed, x.dtype), axis=-1), axis=-2)  # times listed
    return counts, xp.astype(counts == 0, x.dtype)


def _multilabel_margin(knobs: tuple[()], x: Array, labels: Array, /, *, xp: Any) -> Array:
    counts, others = _memberships(x, labels, xp=xp)
    # pair[..., j, k] = max(0, 1 − (x_j − x_k)): target j against non-target k.
    pair = xp.clip(1.0 - (xp.expand_dims(x, axis=-1) - xp.expand_dims(x, axis=-2)), min=0.0)
    return xp.sum(counts * xp.sum(pair * xp.expand_dims(others, axis=-2), axis=-1), axis=-1) / tuple(x.shape)[-1]


def _multilabel_margin_vjp(knobs: tuple[()], x: Array, labels: Array, /, *, scale: Array,
                           needs: tuple[bool, ...], xp: Any) -> tuple[Array, None]:
    r"""``∂ℓ/∂x_a = (o_a Σ_j n_j A_{ja} − n_a Σ_k o_k A_{ak}) / C`` times the row's scale, where ``n`` counts the
    listings, ``o`` marks the non-targets and ``A_{jk} = [x_j − x_k < 1]`` the violated pairs (0 at the kink): one
    ``C × C`` indicator and two matrix-vector products per row, none of the forward's pairwise terms."""
    counts, others = _memberships(x, labels, xp=xp)
    violated = xp.astype(xp.expand_dims(x, axis=-1) - xp.expand_dims(x, axis=-2) < 1.0, x.dtype)
    against = xp.squeeze(xp.matmul(xp.expand_dims(counts, axis=-2), violated), axis=-2)  # Σ_j n_j A_ja
    beaten = xp.squeeze(xp.matmul(violated, xp.expand_dims(others, axis=-1)), axis=-1)  # Σ_k A_ak o_k
    c = _per_row(scale, xp=xp) / tuple(x.shape)[-1]
    return (others * against - counts * beaten) * c, None


_MULTILABEL_MARGIN = row_rule("multilabel_margin", _multilabel_margin, _multilabel_margin_vjp)


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
    null_score : float or 0-D array, optional
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
        If `scores` is not floating, `labels` not integer, or `null_score` neither a Python number nor a 0-D
        array.
    ValueError
        If `labels` has the wrong shape, `null_score` is not finite, or (on concrete arrays) a label lies outside
        ``[0, C)``.

    See Also
    --------
    optax.multiclass_hinge_loss, multi_margin
    keras.losses.CategoricalHinge : ``null_score=0.0``.

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
    null = None if null_score is None else knob(null_score, scores, xp=xp)
    loss = apply(_MULTICLASS_HINGE, ((null,), reduction), scores, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _others(s: Array, is_true: Array, /, *, xp: Any) -> Array:
    """The scores with the label's replaced by ``-inf``."""
    return xp.where(is_true, xp.full_like(s, -math.inf), s)


def _multiclass_hinge(knobs: tuple[float | None], s: Array, y: Array, /, *, xp: Any) -> Array:
    (null,) = knobs
    rival = xp.max(_others(s, _is_class(y, tuple(s.shape)[-1], s, xp=xp), xp=xp), axis=-1)
    if null is not None:
        rival = xp.clip(rival, min=null)
    true = xp.squeeze(_picked(s, y, xp=xp), axis=-1)
    return xp.clip((rival - true) + 1.0, min=0.0)


def _multiclass_hinge_vjp(knobs: tuple[float | None], s: Array, y: Array, /, *, scale: Array,
                          needs: tuple[bool, ...], xp: Any) -> tuple[Array, None]:
    """``+c`` at the best other class (the first of a tie; none where the null score is higher), ``−c`` at the
    label, 0 elsewhere, in rows whose margin is violated (0 at the kink), ``c`` the row's scale. One ``argmax``
    finds the rival; the forward's ``max`` is not differentiated."""
    (null,) = knobs
    num_classes = tuple(s.shape)[-1]
    is_true = _is_class(y, num_classes, s, xp=xp)
    others = _others(s, is_true, xp=xp)
    best = xp.argmax(others, axis=-1)
    rival = xp.take_along_axis(others, xp.expand_dims(best, axis=-1), axis=-1)  # -inf for a single class
    true = _picked(s, y, xp=xp)
    c = _per_row(scale, xp=xp) + xp.zeros_like(true)
    zero = xp.zeros_like(c)
    c = xp.where((rival if null is None else xp.clip(rival, min=null)) - true + 1.0 > 0.0, c, zero)
    to_rival = c if null is None else xp.where(rival >= null, c, zero)
    grad = xp.where(is_true, -c, xp.zeros_like(s))
    return xp.where(_is_class(best, num_classes, s, xp=xp), to_rival, grad), None


_MULTICLASS_HINGE = row_rule("multiclass_hinge", _multiclass_hinge, _multiclass_hinge_vjp)


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
    margin : float or 0-D array, default 1.0
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
        If `scores` or `class_weights` is not floating, `labels` not integer, or `margin` neither a Python number
        nor a 0-D array.
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
    if class_weights is not None:
        # The label's class weight is a sample weight that also counts in the mean's denominator: folded into
        # `weights`, it is differentiated (a gather) outside the rule.
        if weights is not None:
            check_broadcastable("weights", weights, tuple(labels.shape), "unreduced loss")
        picked = xp.take(xp.astype(class_weights, scores.dtype, copy=False), labels, axis=0)
        weights = picked if weights is None else picked * xp.astype(weights, scores.dtype, copy=False)
    loss = apply(_MULTI_MARGIN, ((p, knob(margin, scores, xp=xp)), reduction), scores, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _multi_margin(knobs: tuple[int, float], s: Array, y: Array, /, *, xp: Any) -> Array:
    p, margin = knobs
    # A backend's native version (torch: in place on one temporary) may decline; an array margin is differentiated
    # through this composition (_gradients.apply), so it takes the generic form.
    out = try_native("multi_margin", s, y, p, margin, xp=xp) if isinstance(margin, float) else NotImplemented
    if out is not NotImplemented:
        return out
    num_classes = tuple(s.shape)[-1]
    is_true = _is_class(y, num_classes, s, xp=xp)
    terms = xp.clip((s - _picked(s, y, xp=xp)) + margin, min=0.0)
    terms = xp.where(is_true, xp.zeros_like(terms), terms)
    if p == 2:
        terms = terms * terms
    return xp.sum(terms, axis=-1) / num_classes


def _multi_margin_vjp(knobs: tuple[int, float], s: Array, y: Array, /, *, scale: Array, needs: tuple[bool, ...],
                      xp: Any) -> tuple[Array, None]:
    """``∂ℓ/∂s_c = c·[z_c > 0] / C`` (``p = 1``; 0 at the kink, as torch's ``multi_margin_loss``) or
    ``2c·max(0, z_c) / C`` (``p = 2``) for ``c ≠ y``, ``z_c = m − s_y + s_c``, and minus their row sum at the
    label, ``c`` the row's scale: one elementwise pass and one row sum."""
    p, margin = knobs
    out = (try_native("multi_margin_vjp", s, y, p, margin, scale, xp=xp) if isinstance(margin, float)
           else NotImplemented)
    if out is not NotImplemented:
        return out, None
    num_classes = tuple(s.shape)[-1]
    is_true = _is_class(y, num_classes, s, xp=xp)
    z = (s - _picked(s, y, xp=xp)) + margin
    c = _per_row(scale, xp=xp) * (p / num_classes)
    zero = xp.zeros_like(s)
    if p == 1:
        per_class = xp.where(xp.logical_and(z > 0.0, xp.logical_not(is_true)), c, zero)
    else:
        per_class = xp.where(is_true, zero, xp.clip(z, min=0.0) * c)
    return xp.where(is_true, -xp.sum(per_class, axis=-1, keepdims=True), per_class), None


_MULTI_MARGIN = row_rule("multi_margin", _multi_margin, _multi_margin_vjp)


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
    loss = apply(_MULTICLASS_PERCEPTRON, ((), reduction), scores, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _multiclass_perceptron_vjp(knobs: tuple[()], s: Array, y: Array, /, *, scale: Array, needs: tuple[bool, ...],
                               xp: Any) -> tuple[Array, None]:
    """``c·(e_best − e_y)``, ``c`` the row's scale and ``best`` the first of the highest scores: 0 where the label
    is that class."""
    num_classes = tuple(s.shape)[-1]
    c = _per_row(scale, xp=xp) + xp.zeros_like(s)
    zero = xp.zeros_like(s)
    grad = xp.where(_is_class(xp.argmax(s, axis=-1), num_classes, s, xp=xp), c, zero)
    return grad - xp.where(_is_class(y, num_classes, s, xp=xp), c, zero), None


_MULTICLASS_PERCEPTRON = row_rule(
    "multiclass_perceptron",
    lambda knobs, s, y, *, xp: xp.max(s, axis=-1) - xp.squeeze(_picked(s, y, xp=xp), axis=-1),
    _multiclass_perceptron_vjp,
)
