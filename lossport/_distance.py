"""The distance losses of the regression family: cosine distance and Chamfer distance.

They are public as ``lossport.regression.cosine_distance`` and ``lossport.regression.chamfer_distance`` (the
registry's family ``"regression"``); this module only holds their code, moved out of ``lossport/regression.py`` to
keep that file under the repository's size bound.
"""

from __future__ import annotations

from typing import Any

from lossport._namespace import array_namespace
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    axis_last,
    check_bool,
    check_floating,
    check_positive,
    check_same_shape,
    compute_dtype,
    knob,
)

__all__ = ["chamfer_distance", "cosine_distance"]

Array = Any


# -- cosine distance --------------------------------------------------------------------------------------------


def _unit(x: Array, eps: float | Array, /, *, xp: Any) -> tuple[Array, Array]:
    """``x / max(‖x‖, eps)`` along the last axis, and its norm ``min(‖x‖/eps, 1)`` (1 exactly when ``‖x‖ >= eps``).

    The norm is scaled by ``max |x|`` so that it neither overflows nor underflows; a zero vector has norm 0 and a
    zero gradient (the inner ``where``s keep ``x / 0`` and ``sqrt'(0)`` out of it).
    """
    scale = xp.max(xp.abs(x), axis=-1, keepdims=True)
    nonzero = scale > 0
    safe_scale = xp.where(nonzero, scale, xp.ones_like(scale))
    scaled = x / safe_scale
    sum_sq = xp.sum(scaled * scaled, axis=-1, keepdims=True)
    norm = xp.where(nonzero, scale * xp.sqrt(xp.where(nonzero, sum_sq, xp.ones_like(sum_sq))), sum_sq)
    denominator = xp.clip(norm, min=eps)
    return x / denominator, norm / denominator


def cosine_distance(
    predictions: Array,
    targets: Array,
    /,
    *,
    eps: float = 1e-8,
    axis: int = -1,
    normalize: bool = True,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Cosine distance ``1 − cos θ`` between prediction and target vectors along `axis`.

    .. math:: \ell_i = 1 - \hat p_i \cdot \hat t_i, \quad \hat x = \frac{x}{\max(\lVert x \rVert_2, \varepsilon)}

    Each norm is floored at `eps` separately (torch's ``cosine_similarity(eps=1e-8)``), so a zero vector has
    ``cos = 0`` and distance 1, with finite gradients; a vector shorter than `eps` counts as that short. Computed
    as ``½‖p̂ − t̂‖² + (1 − ½(‖p̂‖² + ‖t̂‖²))`` (the last term exactly 0 unless a norm is below `eps`), which keeps
    the relative accuracy of a small distance between nearly parallel vectors, where ``1 − p̂·t̂`` cancels; the
    norms are scaled by the largest entry, so no vector overflows or underflows.

    optax's ``cosine_distance(epsilon=ε)`` floors the *squared* norm at ε: it is ``eps=sqrt(ε)``; its default
    ``epsilon=0`` is ``eps=0``, NaN for a zero vector (lossport's ``eps=0`` gives that NaN too). Keras's
    ``CosineSimilarity`` returns ``−cos`` with the norm floored at 1e-7: ``1 + keras = cosine_distance(eps=1e-7)``.
    ``normalize=False`` takes the vectors as they are, ``1 − p·t`` (`eps` unused): ``tf.compat.v1.losses.
    cosine_distance``, which assumes unit-normalised inputs (docs/conventions.md R-COS1).

    Parameters
    ----------
    predictions : array, shape ``(..., D)``, real floating
    targets : array, the same shape
    eps : float or 0-D array, default 1e-8
        Floor of each vector's norm; non-negative.
    axis : int, default -1
        The vectors' axis.
    normalize : bool, default True
        Normalise each vector (by its norm floored at `eps`); ``False``: ``1 − p·t`` on the vectors as given (TF
        v1's ``cosine_distance``, for inputs already of norm 1).
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)`` (the vectors' axis removed).
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (`axis` removed) for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `predictions` is not floating, `axis` not an int or `normalize` not a bool, or the inputs mix frameworks.
    ValueError
        If the shapes differ, the inputs are 0-D, `axis` is out of range, `eps` is negative, or `reduction` is
        unknown.

    See Also
    --------
    optax.cosine_distance
    keras.losses.CosineSimilarity : ``−cos``.
    torch.nn.functional.cosine_similarity : ``cos``.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> t = np.array([[1.0, 1.0], [1.0, 0.0]])
    >>> [round(float(v), 15) for v in lossport.cosine_distance(p, t, reduction="none")]  # 1 − 1/√2; zero vector
    [0.292893218813452, 1.0]
    >>> float(lossport.cosine_distance(np.array([0.6, 0.8]), np.array([0.0, 1.0]), normalize=False))  # 1 − 0.8
    0.19999999999999996
    """
    check_reduction(reduction)
    check_positive("eps", eps, allow_zero=True)
    check_bool("normalize", normalize)
    xp = array_namespace(predictions, targets, weights, where, xp=xp,
                         names=("predictions", "targets", "weights", "where"))
    check_floating("predictions", predictions, xp=xp)
    check_same_shape("predictions", predictions, "targets", targets)
    dtype, out_dtype = compute_dtype(predictions, targets, xp=xp)
    predictions = xp.astype(axis_last("predictions", predictions, axis, what="feature", xp=xp), dtype, copy=False)
    targets = xp.astype(axis_last("targets", targets, axis, what="feature", xp=xp), dtype, copy=False)
    if not normalize:
        loss = 1.0 - xp.sum(predictions * targets, axis=-1)
        return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
    eps = knob(eps, predictions, xp=xp)
    p_unit, p_norm = _unit(predictions, eps, xp=xp)
    t_unit, t_norm = _unit(targets, eps, xp=xp)
    chord = p_unit - t_unit
    shortfall = 1.0 - 0.5 * (p_norm * p_norm + t_norm * t_norm)  # exactly 0 when both norms are >= eps
    loss = 0.5 * xp.sum(chord * chord, axis=-1) + xp.squeeze(shortfall, axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- Chamfer distance ---------------------------------------------------------------------------------------------


def chamfer_distance(
    predictions: Array,
    targets: Array,
    /,
    *,
    squared: bool = True,
    bidirectional: bool = True,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Chamfer distance: the mean distance from each point to its nearest neighbour in the other set, both ways.

    .. math:: \ell = \frac{1}{P} \sum_{i} \min_j \lVert x_i - y_j \rVert^2
                    + \frac{1}{Q} \sum_{j} \min_i \lVert x_i - y_j \rVert^2

    for the points ``x`` (`predictions`, ``P`` of them) and ``y`` (`targets`, ``Q``): PyTorch3D's
    ``chamfer_distance`` (``norm=2``, point and batch reductions ``"mean"``, ``weights`` as here). ``squared=False``
    takes ``‖x − y‖`` (gradient 0 at a zero distance); ``bidirectional=False`` keeps the first term only. Distances
    are summed from the differences, exact for near neighbours, through an intermediate ``(..., P, Q, D)``: the
    expansion ``‖x‖² + ‖y‖² − 2x·y`` (``(..., P, Q)`` memory) cannot resolve a distance much below the norms'
    rounding (about 0.1 for float32 points at 1e3).

    Parameters
    ----------
    predictions, targets : array, shape ``(..., P, D)`` and ``(..., Q, D)``, real floating
        The same leading shape and ``D``; ``Q`` may differ from ``P``.
    squared, bidirectional : bool, default True
        Squared Euclidean distances (False: Euclidean); add the term from `targets` to `predictions`.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`, against the per-set loss of shape ``(...)``.

    Returns
    -------
    array
        0-D, or shape ``(...)`` (one value per leading index) for ``reduction="none"``.

    References
    ----------
    Fan, Su and Guibas, "A Point Set Generation Network for 3D Object Reconstruction from a Single Image", CVPR 2017.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x, y = np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.0], [5.0, 0.0]])  # P = 2, Q = 3
    >>> round(float(lossport.chamfer_distance(x, y)), 15)   # (1 + 0)/2 + (1 + 0 + 9)/3
    3.833333333333333
    """
    check_reduction(reduction)
    check_bool("squared", squared)
    check_bool("bidirectional", bidirectional)
    xp = array_namespace(predictions, targets, weights, where, xp=xp,
                         names=("predictions", "targets", "weights", "where"))
    check_floating("predictions", predictions, xp=xp)
    p_shape, q_shape = tuple(predictions.shape), tuple(targets.shape)
    if min(len(p_shape), len(q_shape)) < 2 or p_shape[:-2] != q_shape[:-2] or p_shape[-1] != q_shape[-1] \
            or 0 in (p_shape[-2], q_shape[-2]):
        msg = ("`predictions` and `targets` must be point sets (..., P, D) and (..., Q, D) with the same leading shape "
               f"and D, and P, Q >= 1; got {p_shape} and {q_shape}")
        raise ValueError(msg)
    dtype, out_dtype = compute_dtype(predictions, targets, xp=xp)
    x, y = xp.astype(predictions, dtype, copy=False), xp.astype(targets, dtype, copy=False)
    difference = xp.expand_dims(x, axis=-2) - xp.expand_dims(y, axis=-3)  # (..., P, Q, D)
    distance = xp.sum(difference * difference, axis=-1)  # (..., P, Q)
    loss = xp.mean(_nearest(xp.min(distance, axis=-1), squared, xp=xp), axis=-1)
    if bidirectional:
        loss = loss + xp.mean(_nearest(xp.min(distance, axis=-2), squared, xp=xp), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def _nearest(squared_distance: Array, squared: bool, /, *, xp: Any) -> Array:
    """The squared distance, or its root with a zero gradient (not ``sqrt'(0) = ∞``) at 0."""
    if squared:
        return squared_distance
    positive = squared_distance > 0
    root = xp.sqrt(xp.where(positive, squared_distance, xp.ones_like(squared_distance)))
    return xp.where(positive, root, xp.zeros_like(root))
