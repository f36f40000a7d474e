"""Embedding, metric-learning and ranking losses: pairs, triplets, batches of embeddings, and ranked lists.

The pairwise losses over a batch (:func:`ntxent`, :func:`circle`) form the batch's cosine-similarity matrix with
``xp.matmul``: on a GPU, TF32 matrix products (torch's ``allow_tf32``, JAX's default matmul precision) round the
similarities to about 1e-3, which ``/ temperature`` or ``· gamma`` then magnifies; turn TF32 off to compare them
with a CPU or float64 result.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from lossport._namespace import array_namespace, device
from lossport._numerics import log_softmax, log_softmax_at, logsumexp, mul0, softplus
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    axis_last,
    check_bool,
    check_broadcastable,
    check_finite,
    check_floating,
    check_integer,
    check_labels_in_range,
    check_option,
    check_positive,
    check_same_shape,
    check_shape,
    check_sign_labels,
    class_index_inputs,
    compute_dtype,
    elementwise_inputs,
    is_array_knob,
    knob,
    knob_math,
    values_checked,
)

__all__ = [
    "arcface",
    "circle",
    "cosface",
    "cosine_embedding",
    "hinge_embedding",
    "info_nce",
    "margin_ranking",
    "ntxent",
    "ranking_softmax",
    "sigmoid_contrastive",
    "supervised_contrastive",
    "triplet_margin",
]

Array = Any

_NEG_INF = -math.inf


# -- private helpers -------------------------------------------------------------------------------------------


def _three_inputs(
    names: tuple[str, str, str],
    a: Array,
    b: Array,
    c: Array,
    weights: Array | None,
    where: Array | None,
    /,
    *,
    floating: tuple[bool, bool, bool],
    xp: Any,
) -> tuple[Any, Array, Array, Array, Any]:
    """The entry of a loss on three arrays: namespace, dtype checks, one compute dtype (no shape checks)."""
    xp = array_namespace(a, b, c, weights, where, xp=xp, names=(*names, "weights", "where"))
    for name, x, must in zip(names, (a, b, c), floating):
        if must:
            check_floating(name, x, xp=xp)
    dtype, out_dtype = compute_dtype(a, b, c, xp=xp)
    a, b, c = (xp.astype(x, dtype, copy=False) for x in (a, b, c))
    return xp, a, b, c, out_dtype


def _unit(x: Array, /, *, xp: Any) -> Array:
    """``x / sqrt(max(‖x‖², eps))`` along the last axis, ``eps`` the dtype's: optax's cosine normalisation.

    A zero vector stays zero (its cosine with anything is 0) and has a finite gradient.
    """
    norm2 = xp.sum(x * x, axis=-1, keepdims=True)
    return x / xp.sqrt(xp.clip(norm2, min=float(xp.finfo(x.dtype).eps)))


def _masked_logsumexp(x: Array, mask: Array, /, *, xp: Any) -> Array:
    """``log Σ_{j: mask_j} exp(x_j)`` along the last axis; ``-inf`` for a row with no entry, with a zero gradient.

    The double ``where``: a row with nothing selected is summed over zeros (finite, with a finite gradient) and
    then replaced by ``-inf``, so that no NaN reaches the gradient from an all ``-inf`` log-sum-exp.
    """
    some = xp.any(mask, axis=-1)
    filled = xp.where(mask, x, xp.full_like(x, _NEG_INF))
    safe = xp.where(xp.expand_dims(some, axis=-1), filled, xp.zeros_like(x))
    out = logsumexp(safe, axis=-1, xp=xp)
    return xp.where(some, out, xp.full_like(out, _NEG_INF))


def _batch_inputs(
    embeddings: Array, labels: Array, weights: Array | None, where: Array | None, xp: Any
) -> tuple[Any, Array, Array, Any]:
    """The entry of a loss over a batch of embeddings ``(..., N, D)`` with integer labels ``(..., N)``."""
    xp = array_namespace(
        embeddings, labels, weights, where, xp=xp, names=("embeddings", "labels", "weights", "where")
    )
    check_floating("embeddings", embeddings, xp=xp)
    check_integer("labels", labels, xp=xp)
    shape = tuple(embeddings.shape)
    if len(shape) < 2:
        msg = f"`embeddings` must have shape (..., N, D) (a batch of N embeddings); got {shape}"
        raise ValueError(msg)
    check_shape("labels", labels, shape[:-1], "`embeddings`'s shape without the feature axis")
    dtype, out_dtype = compute_dtype(embeddings, xp=xp)
    return xp, xp.astype(embeddings, dtype, copy=False), labels, out_dtype


def _pair_masks(labels: Array, /, *, remove_diagonal: bool, xp: Any,
                key_labels: Array | None = None) -> tuple[Array, Array]:
    """Boolean ``(..., N, M)`` masks of the positive pairs (same label, ``i ≠ j`` if asked) and negative pairs, of
    ``labels`` against ``key_labels`` (``labels`` itself by default, ``M = N``)."""
    keys = labels if key_labels is None else key_labels
    same = xp.expand_dims(labels, axis=-1) == xp.expand_dims(keys, axis=-2)
    negative = xp.logical_not(same)
    if not remove_diagonal:
        return same, negative
    n, m = tuple(labels.shape)[-1], tuple(keys.shape)[-1]
    eye = xp.eye(n, m, dtype=xp.bool, device=device(labels))
    return xp.logical_and(same, xp.logical_not(eye)), negative


def _gram(u: Array, /, *, xp: Any) -> Array:
    """``u uᵀ`` over the batch axis: ``(..., N, D) → (..., N, N)`` (a matmul: TF32 on GPUs would round it)."""
    return xp.matmul(u, xp.matrix_transpose(u))


def _safe_root(s: Array, p: float, /, *, xp: Any) -> Array:
    """``s ** (1/p)`` for ``s ≥ 0``, with 0 (and a zero gradient, not inf or NaN) at ``s = 0``."""
    positive = s > 0
    safe = xp.where(positive, s, xp.ones_like(s))
    root = xp.sqrt(safe) if p == 2 else xp.pow(safe, 1.0 / p)
    return xp.where(positive, root, xp.zeros_like(s))


def _p_distance(d: Array, p: float, eps: float, eps_in: str, /, *, xp: Any) -> Array:
    """The ``p``-norm of ``d`` along the last axis, ``eps`` added to ``d`` (torch) or to ``Σ|d|^p`` (optax)."""
    if eps_in == "difference":
        d = d + eps
    a = xp.abs(d)
    s = xp.sum(a * a if p == 2 else (a if p == 1 else xp.pow(a, float(p))), axis=-1)
    if eps_in == "sum":
        s = s + eps
    return s if p == 1 else _safe_root(s, p, xp=xp)


def _keys_like(name: str, keys: Array, shape: tuple[Any, ...], of: str, /) -> Any:
    """Check that ``keys`` is ``(..., M, D)`` with the leading axes and ``D`` of ``shape``; returns ``M``."""
    k = tuple(keys.shape)
    if len(k) != len(shape):
        msg = f"`{name}` must have shape (..., M, D), as `{of}` but for its number of rows; got {k}"
        raise ValueError(msg)
    check_shape(name, keys, (*shape[:-2], k[-2], shape[-1]), f"`{of}`'s leading axes and feature size")
    return k[-2]


def _check_offset(offset: Any, n: Any, m: Any, /, *, none: bool, xp: Any) -> None:
    """``offset`` is None (if allowed), an int in ``[0, M − N]``, or a 0-D integer array (a traced rank·N)."""
    if offset is None and none:
        return
    if hasattr(offset, "dtype"):
        if not xp.isdtype(offset.dtype, "integral"):
            msg = f"`offset` must be an int or a 0-D integer array; got dtype {offset.dtype}"
            raise TypeError(msg)
        if tuple(offset.shape) != ():
            msg = f"`offset` must be an int or a 0-D integer array; got shape {tuple(offset.shape)}"
            raise ValueError(msg)
        return
    if isinstance(offset, bool) or not isinstance(offset, int):
        also = ", None" if none else ""
        msg = f"`offset` must be an int{also} or a 0-D integer array; got {type(offset).__name__}"
        raise TypeError(msg)
    if n is not None and m is not None and not 0 <= offset <= m - n:
        msg = f"`offset` must be in [0, {m - n}] (where the {n} rows sit among the {m} keys); got {offset}"
        raise ValueError(msg)


def _offset_mask(n: int, m: int, offset: Any, ref: Array, /, *, xp: Any) -> Array:
    """Boolean ``(N, M)``, True at ``(i, offset + i)``: where row ``i`` meets its own key among the gathered keys."""
    rows = xp.arange(n, device=device(ref))
    if not isinstance(offset, int):
        offset = xp.astype(offset, rows.dtype)
    return xp.expand_dims(rows + offset, axis=-1) == xp.arange(m, device=device(ref))


def _contrast(s: Array, positive: Array, negative: Array, /, *, xp: Any) -> tuple[Array, Array]:
    """``softplus(log Σ_N e^s − log Σ_P e^s)`` along the last axis, and whether ``P`` is non-empty.

    That is ``log(Σ_{P∪N} e^s / Σ_P e^s)``, accurate when it is tiny; 0 (with zero gradients) without negatives,
    and 0 where ``P`` is empty (the caller leaves that row out).
    """
    some = xp.any(positive, axis=-1)
    lse_p = _masked_logsumexp(s, positive, xp=xp)
    lse_n = _masked_logsumexp(s, negative, xp=xp)
    safe_p = xp.where(some, lse_p, xp.zeros_like(lse_p))
    return xp.where(some, softplus(lse_n - safe_p, xp=xp), xp.zeros_like(lse_p)), some


# -- pairs ------------------------------------------------------------------------------------------------------


def cosine_embedding(
    x1: Array,
    x2: Array,
    labels: Array,
    /,
    *,
    margin: float = 0.0,
    eps: float = 1e-12,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Cosine embedding loss on pairs with ±1 labels: pull similar pairs together, push dissimilar ones apart.

    .. math::
        \ell_i = \begin{cases} 1 - \cos_i & y_i = 1 \\ \max(0, \cos_i - m) & y_i = -1 \end{cases},
        \qquad \cos_i = \frac{x_{1i} \cdot x_{2i}}
                             {\sqrt{(\lVert x_{1i} \rVert^2 + \epsilon)(\lVert x_{2i} \rVert^2 + \epsilon)}}

    torch's ``cosine_embedding_loss`` adds ``ε = 1e-12`` to each squared norm, as here, so that a zero vector
    has cosine 0 (a loss of 1 for ``y = 1``, 0 for ``y = -1`` and ``m ≥ 0``) and a finite gradient. ``1 − cos``
    is computed without cancellation, as ``½‖u − v‖² + ½(ε/(‖x_1‖² + ε) + ε/(‖x_2‖² + ε))`` with
    ``u = x_1 / sqrt(‖x_1‖² + ε)``, ``v`` likewise, so that nearly parallel pairs keep a tiny loss's relative
    accuracy (torch computes ``1 − cos`` and loses it).

    Parameters
    ----------
    x1, x2 : array, shape ``(..., D)`` (feature axis `axis`), real floating, the same shape
    labels : array, shape ``(...)``, -1 or +1
        +1 for a similar pair, -1 for a dissimilar one (integer or floating).
    margin : float or 0-D array, default 0.0
        In ``[-1, 1]``; dissimilar pairs with a cosine below it cost nothing.
    eps : float or 0-D array, default 1e-12
        Positive; added to each squared norm (torch's constant).
    axis : int, default -1
        The feature axis of `x1` and `x2`.
    weights, where : array, optional
        Per-pair weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the feature axis removed) for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `x1` or `x2` is not floating.
    ValueError
        If the shapes differ, `labels` does not have the pairs' shape, `margin` is outside ``[-1, 1]``, `eps` is
        not positive, or (on concrete arrays) a label is neither -1 nor +1.

    See Also
    --------
    torch.nn.functional.cosine_embedding_loss : the same loss.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x1 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> x2 = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    >>> # 1 - 1/√2; max(0, 1/√2 - 0.5); a zero vector: 1 - 0
    >>> lossport.cosine_embedding(x1, x2, np.array([1, -1, 1]), margin=0.5, reduction="none")
    array([0.29289322, 0.20710678, 1.        ])
    """
    check_reduction(reduction)
    check_finite("margin", margin)
    if (not is_array_knob(margin) or values_checked(margin)) and not -1 <= float(margin) <= 1:  # if concrete
        msg = f"`margin` must be in [-1, 1]; got {float(margin)!r}"
        raise ValueError(msg)
    check_positive("eps", eps)
    xp, x1, x2, labels, out_dtype = _three_inputs(
        ("x1", "x2", "labels"), x1, x2, labels, weights, where, floating=(True, True, False), xp=xp
    )
    check_same_shape("x1", x1, "x2", x2)
    x1 = axis_last("x1", x1, axis, what="feature", xp=xp)
    x2 = axis_last("x2", x2, axis, what="feature", xp=xp)
    check_shape("labels", labels, tuple(x1.shape)[:-1], "`x1`'s shape without the feature axis")
    check_sign_labels("labels", labels, xp=xp)
    margin, eps = knob(margin, x1, xp=xp), knob(eps, x1, xp=xp)
    m1 = xp.sum(x1 * x1, axis=-1, keepdims=True) + eps
    m2 = xp.sum(x2 * x2, axis=-1, keepdims=True) + eps
    u = x1 / xp.sqrt(m1)
    v = x2 / xp.sqrt(m2)
    cos = xp.sum(u * v, axis=-1)  # not vecdot: array-api-compat's torch vecdot (moveaxis) breaks torch.func.vmap
    diff = u - v
    one_minus_cos = 0.5 * xp.sum(diff * diff, axis=-1) + 0.5 * xp.squeeze(eps / m1 + eps / m2, axis=-1)
    loss = xp.where(labels > 0, one_minus_cos, xp.clip(cos - margin, min=0.0))
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def hinge_embedding(
    distances: Array,
    labels: Array,
    /,
    *,
    margin: float = 1.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Hinge embedding loss: distances of similar pairs (``y = 1``) as they are, of dissimilar ones hinged.

    .. math:: \ell_i = \begin{cases} x_i & y_i = 1 \\ \max(0, m - x_i) & y_i = -1 \end{cases}

    The distances are typically non-negative (an L1 or L2 distance between two embeddings), but are not checked.

    Parameters
    ----------
    distances : array, shape ``(...)``, real floating
    labels : array, shape ``(...)``, -1 or +1
    margin : float or 0-D array, default 1.0
        Finite; dissimilar pairs farther apart than it cost nothing.
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If the shapes differ, `margin` is not finite, or (on concrete arrays) a label is neither -1 nor +1.

    See Also
    --------
    torch.nn.functional.hinge_embedding_loss : the same loss.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> d = np.array([0.3, 2.0, 0.5])
    >>> lossport.hinge_embedding(d, np.array([1, -1, -1]), reduction="none")  # 0.3; max(0, 1 - 2); 1 - 0.5
    array([0.3, 0. , 0.5])
    """
    check_reduction(reduction)
    check_finite("margin", margin)
    xp, distances, labels, out_dtype = elementwise_inputs(
        distances, labels, weights, where, names=("distances", "labels"), xp=xp
    )
    check_sign_labels("labels", labels, xp=xp)
    margin = knob(margin, distances, xp=xp)
    loss = xp.where(labels > 0, distances, xp.clip(margin - distances, min=0.0))
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def margin_ranking(
    x1: Array,
    x2: Array,
    labels: Array,
    /,
    *,
    margin: float = 0.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Margin ranking loss: ``x1`` should rank above ``x2`` by `margin` where ``y = 1``, below it where ``y = -1``.

    .. math:: \ell_i = \max(0, -y_i (x_{1i} - x_{2i}) + m)

    Parameters
    ----------
    x1, x2 : array, shape ``(...)``, real floating, the same shape
        Scores of the two items of each pair.
    labels : array, shape ``(...)``, -1 or +1
    margin : float or 0-D array, default 0.0
        Finite.
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `x1` or `x2` is not floating.
    ValueError
        If the shapes differ, `margin` is not finite, or (on concrete arrays) a label is neither -1 nor +1.

    See Also
    --------
    torch.nn.functional.margin_ranking_loss : the same loss.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x1, x2 = np.array([0.3, 2.0]), np.array([0.5, 1.0])
    >>> # max(0, -(0.3 - 0.5) + 0.1), max(0, (2 - 1) + 0.1)
    >>> lossport.margin_ranking(x1, x2, np.array([1, -1]), margin=0.1, reduction="none")
    array([0.3, 1.1])
    """
    check_reduction(reduction)
    check_finite("margin", margin)
    xp, x1, x2, labels, out_dtype = _three_inputs(
        ("x1", "x2", "labels"), x1, x2, labels, weights, where, floating=(True, True, False), xp=xp
    )
    check_same_shape("x1", x1, "x2", x2)
    check_same_shape("x1", x1, "labels", labels)
    check_sign_labels("labels", labels, xp=xp)
    loss = xp.clip(knob(margin, x1, xp=xp) - labels * (x1 - x2), min=0.0)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- triplets ---------------------------------------------------------------------------------------------------


def triplet_margin(
    anchors: Array,
    positives: Array,
    negatives: Array,
    /,
    *,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    eps_in: Literal["difference", "sum"] = "difference",
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Triplet margin loss: an anchor should be nearer its positive than its negative, by `margin`.

    .. math:: \ell_i = \max(0, m + d(a_i, p_i) - d(a_i, n_i)),
              \qquad d(x, y) = \lVert x - y + \epsilon \rVert_p

    the distance of torch's ``pairwise_distance``, which adds ``ε`` to every component of the difference
    (``eps_in="difference"``). optax's ``triplet_margin_loss`` adds it to the sum instead,
    ``d(x, y) = (Σ_k |x_k − y_k|^p + ε)^{1/p}``: ``eps_in="sum"`` (for ``p = 2``; optax's own ``p = 1`` lacks the
    absolute value and gives signed, wrong distances). With ``swap=True`` the negative distance is
    ``min(d(a, n), d(p, n))`` (Balntas et al.'s distance swap). At ``eps=0`` a zero difference has distance 0
    and a zero gradient.

    Parameters
    ----------
    anchors, positives, negatives : array, shape ``(..., D)`` (feature axis `axis`), real floating, one shape
    margin : float or 0-D array, default 1.0
        Positive (torch raises for ``margin ≤ 0``).
    p : float, default 2
        The norm's degree, positive and finite.
    eps : float or 0-D array, default 1e-6
        Non-negative.
    swap : bool, default False
    eps_in : {"difference", "sum"}, default "difference"
        Where `eps` goes: torch's convention, or optax's.
    axis : int, default -1
        The feature axis.
    weights, where : array, optional
        Per-triplet weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the feature axis removed) for ``reduction="none"``.

    Raises
    ------
    TypeError
        If an input is not floating.
    ValueError
        If the shapes differ, or a knob is out of range.

    See Also
    --------
    torch.nn.functional.triplet_margin_loss, optax.losses.triplet_margin_loss

    References
    ----------
    V. Balntas et al., "Learning local feature descriptors with triplets and shallow convolutional neural
    networks", BMVC 2016.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> a = np.zeros((2, 2))
    >>> pos, neg = np.array([[3.0, 4.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [0.0, 3.0]])
    >>> lossport.triplet_margin(a, pos, neg, eps=0.0, reduction="none")  # 1 + 5 - 1; max(0, 1 + 1 - 3)
    array([5., 0.])
    """
    check_reduction(reduction)
    check_positive("margin", margin)
    check_positive("p", p)
    check_positive("eps", eps, allow_zero=True)
    check_bool("swap", swap)
    check_option("eps_in", eps_in, ("difference", "sum"))
    names = ("anchors", "positives", "negatives")
    xp, a, pos, neg, out_dtype = _three_inputs(
        names, anchors, positives, negatives, weights, where, floating=(True, True, True), xp=xp
    )
    check_same_shape("anchors", a, "positives", pos)
    check_same_shape("anchors", a, "negatives", neg)
    a, pos, neg = (axis_last(n, x, axis, what="feature", xp=xp) for n, x in zip(names, (a, pos, neg)))
    margin, eps = knob(margin, a, xp=xp), knob(eps, a, xp=xp)
    d_pos = _p_distance(a - pos, p, eps, eps_in, xp=xp)
    d_neg = _p_distance(a - neg, p, eps, eps_in, xp=xp)
    if swap:
        d_neg = xp.minimum(d_neg, _p_distance(pos - neg, p, eps, eps_in, xp=xp))
    loss = xp.clip(margin + d_pos - d_neg, min=0.0)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- batches of embeddings --------------------------------------------------------------------------------------


def ntxent(
    embeddings: Array,
    labels: Array,
    /,
    *,
    temperature: float = 0.07,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Normalised temperature-scaled cross-entropy (NT-Xent, InfoNCE) over a batch of embeddings.

    With ``s_{ij} = \cos(e_i, e_j) / τ``, ``P(i)`` the other samples with ``i``'s label (its positives) and
    ``N(i)`` the samples with another label (its negatives), each positive pair costs

    .. math:: \ell_{ij} = -\log \frac{e^{s_{ij}}}{e^{s_{ij}} + \sum_{k \in N(i)} e^{s_{ik}}}
              = \operatorname{softplus}\Bigl(\operatorname{logsumexp}_{k \in N(i)} s_{ik} - s_{ij}\Bigr)

    (other positives are not in the denominator), and ``"mean"`` is the mean over all positive pairs, optax's
    ``ntxent``. The softplus form is stable at ``τ = 0.07`` and keeps a tiny loss's relative accuracy. Cosines
    use optax's normalisation, ``e / sqrt(max(‖e‖², eps))`` with the compute dtype's ``eps``, so a zero
    embedding has cosine 0 with everything.

    The similarity matrix is one ``xp.matmul``: on a GPU with TF32 on, it is rounded to about 1e-3 before the
    division by ``τ``.

    Parameters
    ----------
    embeddings : array, shape ``(..., N, D)``, real floating
        A batch of ``N`` embeddings (not necessarily normalised) per leading index.
    labels : array, shape ``(..., N)``, integer
        Equal labels mark positive pairs (the two views of one image, say).
    temperature : float or 0-D array, default 0.07
        Positive.
    weights, where : array, optional
        Per-anchor weights and mask, broadcast against shape ``(..., N)``. A masked anchor still serves as a
        positive or negative of the others.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(..., N)`` for ``reduction="none"``: anchor ``i``'s loss summed over its positive pairs,
        ``Σ_{j∈P(i)} ℓ_ij`` (the per-sample NT-Xent when each sample has one positive, as with two views), 0 for
        an anchor without positives. ``"mean"`` divides the (weighted) sum by the (weighted) number of positive
        pairs, ``Σ_i w_i |P(i)|``: NaN when there is no positive pair, as in optax. An anchor without negatives
        has loss 0 (``log 1``).

    Raises
    ------
    TypeError
        If `embeddings` is not floating or `labels` not integer.
    ValueError
        If `embeddings` is not at least 2-D, `labels` does not have shape ``(..., N)``, or `temperature` is not
        positive.

    See Also
    --------
    optax.losses.ntxent : the same loss ("mean" only).

    References
    ----------
    T. Chen et al., "A Simple Framework for Contrastive Learning of Visual Representations", ICML 2020.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> e = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 3.0], [0.0, 1.0]])
    >>> # each anchor: one positive at cosine 1, two negatives at cosine 0: log(1 + 2/e)
    >>> round(float(lossport.ntxent(e, np.array([0, 0, 1, 1]), temperature=1.0)), 12)
    0.551444713932
    """
    check_reduction(reduction)
    check_positive("temperature", temperature)
    xp, e, labels, out_dtype = _batch_inputs(embeddings, labels, weights, where, xp)
    s = _gram(_unit(e, xp=xp), xp=xp) / knob(temperature, e, xp=xp)
    positive, negative = _pair_masks(labels, remove_diagonal=True, xp=xp)
    n = _masked_logsumexp(s, negative, xp=xp)
    pair = softplus(xp.expand_dims(n, axis=-1) - s, xp=xp)
    loss = xp.sum(xp.where(positive, pair, xp.zeros_like(pair)), axis=-1)
    count = xp.sum(xp.astype(positive, e.dtype), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, scale=count, out_dtype=out_dtype, xp=xp)


def circle(
    embeddings: Array,
    labels: Array,
    /,
    *,
    gamma: float = 80.0,
    margin: float = 0.4,
    remove_diagonal: bool = True,
    normalize: bool = True,
    ref_embeddings: Array | None = None,
    ref_labels: Array | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Circle loss over a batch of embeddings with integer class labels (Sun et al. 2020), as Keras computes it.

    With ``s_{ij}`` the cosine similarity, ``d_{ij} = \max(1 - s_{ij}, 0)``, ``m`` the margin, ``P(i)`` the
    samples with ``i``'s label (``i`` itself excluded by `remove_diagonal`) and ``N(i)`` the others:

    .. math::
        \ell_i = \operatorname{softplus}\Bigl(
            \operatorname{logsumexp}_{j \in P(i)} \bigl[-\gamma\, \alpha^p_{ij} (m - d_{ij})\bigr]
          + \operatorname{logsumexp}_{k \in N(i)} \bigl[\gamma\, \alpha^n_{ik} (1 - m - d_{ik})\bigr] \Bigr)

    with ``α^p = max(m + d, 0)`` and ``α^n = max(1 + m − d, 0)``, which are differentiated through (Keras's
    ``circle``; the paper's reference code detaches them). A sample without positives or without negatives has
    loss 0. Keras's ``circle`` takes L2-normalised embeddings and does not normalise them itself; lossport does
    (``e / sqrt(max(‖e‖², eps))``, as :func:`ntxent`) unless ``normalize=False``, which reproduces Keras on
    any input. Keras's default reduction leaves out the samples whose loss is exactly 0 (it sets a mask); here
    they count, and ``where=`` excludes them instead.

    `ref_embeddings` and `ref_labels` (Keras's knobs of the same names) compare each sample with a reference set
    of ``M`` embeddings instead of the batch itself (each defaults to the batch's own); `remove_diagonal` then
    leaves out the pairs ``(i, i)`` of the ``N × M`` matrix, as Keras does (meant for a reference set that begins
    with the batch).

    The similarity matrix is one ``xp.matmul``: on a GPU with TF32 on, it is rounded to about 1e-3 before the
    scaling by ``γ``.

    Parameters
    ----------
    embeddings : array, shape ``(..., N, D)``, real floating
    labels : array, shape ``(..., N)``, integer
    gamma : float or 0-D array, default 80.0
        The scale, positive.
    margin : float or 0-D array, default 0.4
        The relaxation ``m``, finite.
    remove_diagonal : bool, default True
        Leave each sample's similarity with itself out of its positives.
    normalize : bool, default True
        Normalise the embeddings first; ``False`` takes them as they are (Keras).
    ref_embeddings : array, shape ``(..., M, D)``, optional
        The reference set each sample is compared with (default: `embeddings`); normalised as `embeddings` are.
    ref_labels : array, shape ``(..., M)``, integer, optional
        The reference set's labels (default: `labels`).
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(..., N)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(..., N)`` for ``reduction="none"`` (Keras's per-sample values).

    Raises
    ------
    TypeError
        If `embeddings` is not floating or `labels` not integer.
    ValueError
        If `embeddings` is not at least 2-D, `labels` does not have shape ``(..., N)``, `ref_embeddings` is not
        ``(..., M, D)`` or `ref_labels` not ``(..., M)``, or a knob is out of range.

    See Also
    --------
    keras.losses.Circle, keras.losses.circle

    References
    ----------
    Y. Sun et al., "Circle Loss: A Unified Perspective of Pair Similarity Optimization", CVPR 2020.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> e = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> # positive: -80·0.4·(0.4 - 0) = -12.8; two negatives: 80·0.4·(1 - 0.4 - 1) = -12.8 each;
    >>> # softplus(-12.8 + (-12.8 + log 2)) = log1p(2·exp(-25.6))
    >>> print(f"{float(lossport.circle(e, np.array([0, 0, 1, 1]))):.10e}")
    1.5243730389e-11
    """
    check_reduction(reduction)
    check_positive("gamma", gamma)
    check_finite("margin", margin)
    check_bool("remove_diagonal", remove_diagonal)
    check_bool("normalize", normalize)
    xp, e, labels, out_dtype = _batch_inputs(embeddings, labels, weights, where, xp)
    xp = array_namespace(e, ref_embeddings, ref_labels, xp=xp, names=("embeddings", "ref_embeddings", "ref_labels"))
    u = _unit(e, xp=xp) if normalize else e
    ref = u
    if ref_embeddings is not None:
        check_floating("ref_embeddings", ref_embeddings, xp=xp)
        _keys_like("ref_embeddings", ref_embeddings, tuple(e.shape), "embeddings")
        ref = xp.astype(ref_embeddings, e.dtype, copy=False)
        ref = _unit(ref, xp=xp) if normalize else ref
    ref_labels = labels if ref_labels is None else ref_labels
    check_integer("ref_labels", ref_labels, xp=xp)
    ref_labels = xp.astype(ref_labels, labels.dtype, copy=False)  # compared with labels: one integer dtype
    check_shape("ref_labels", ref_labels, (*tuple(labels.shape)[:-1], tuple(ref.shape)[-2]),
                "`ref_embeddings`'s shape without the feature axis")
    s = xp.matmul(u, xp.matrix_transpose(ref))  # (..., N, M): a matmul, as _gram
    d = xp.clip(1.0 - s, min=0.0)
    gamma, margin = knob(gamma, s, xp=xp), knob(margin, s, xp=xp)
    positive, negative = _pair_masks(labels, remove_diagonal=remove_diagonal, xp=xp, key_labels=ref_labels)
    alpha_p = xp.clip(margin + d, min=0.0)
    alpha_n = xp.clip((1.0 + margin) - d, min=0.0)
    p = _masked_logsumexp((-gamma) * alpha_p * (margin - d), positive, xp=xp)
    n = _masked_logsumexp(gamma * alpha_n * ((1.0 - margin) - d), negative, xp=xp)
    loss = softplus(p + n, xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def info_nce(
    queries: Array,
    keys: Array,
    positives: Array,
    /,
    *,
    temperature: float = 0.07,
    normalize: bool = True,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""InfoNCE: each query against every key, its positive keys in the numerator (van den Oord et al. 2018).

    With ``s_{ij} = \cos(q_i, k_j) / τ`` (``q_i · k_j / τ`` with ``normalize=False``) and ``P(i)`` query ``i``'s
    positive keys,

    .. math:: \ell_i = -\log \frac{\sum_{j \in P(i)} e^{s_{ij}}}{\sum_{j} e^{s_{ij}}}
              = \operatorname{softplus}\Bigl(\operatorname{logsumexp}_{j \notin P(i)} s_{ij}
                                             - \operatorname{logsumexp}_{j \in P(i)} s_{ij}\Bigr)

    Every key is in the denominator (the positives too, unlike :func:`ntxent`); the softplus form is stable at
    ``τ = 0.07`` and keeps a tiny loss's relative accuracy. A query without a positive (an empty mask row) has
    loss 0 and leaves the mean. Cosines normalise as :func:`ntxent` does.

    Distributed: gather the keys of every device into `keys` and index the positives into the gathered keys
    (``rank · N + i`` for the paired key of query ``i``); each device's loss is then its queries' share of the
    loss on the whole batch (tests/test_embedding.py checks it). The similarities are one ``xp.matmul`` (TF32 on
    a GPU rounds them to about 1e-3 before ``/ τ``).

    Parameters
    ----------
    queries : array, shape ``(..., N, D)``, real floating
    keys : array, shape ``(..., M, D)``, real floating
    positives : array, integer shape ``(..., N)`` or boolean shape ``(..., N, M)``
        The index in ``[0, M)`` of each query's positive key, or a mask of its positive keys.
    temperature : float or 0-D array, default 0.07
        Positive.
    normalize : bool, default True
        Cosine similarities; ``False`` takes the dot products as they are.
    weights, where : array, optional
        Per-query weights and mask, broadcast against shape ``(..., N)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(..., N)`` for ``reduction="none"``. ``"mean"`` is over the queries with a positive.

    Raises
    ------
    TypeError
        If `queries` or `keys` is not floating, or `positives` neither integer nor boolean.
    ValueError
        If the shapes do not match, `temperature` is not positive, or (on concrete arrays) an index is out of
        range.

    See Also
    --------
    pytorch_metric_learning.losses.NTXentLoss : the same loss with one positive per query.

    References
    ----------
    A. van den Oord et al., "Representation Learning with Contrastive Predictive Coding", 2018.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> q = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> k = np.array([[3.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> # query 0: cosines 1, 0, -1 with key 0 its positive: log(1 + (1 + e⁻¹)/e) at τ = 1
    >>> lossport.info_nce(q, k, np.array([0, 1]), temperature=1.0, reduction="none")
    array([0.40760596, 0.55144471])
    """
    check_reduction(reduction)
    check_positive("temperature", temperature)
    check_bool("normalize", normalize)
    names = ("queries", "keys", "positives", "weights", "where")
    xp = array_namespace(queries, keys, positives, weights, where, xp=xp, names=names)
    check_floating("queries", queries, xp=xp)
    check_floating("keys", keys, xp=xp)
    shape = tuple(queries.shape)
    if len(shape) < 2:
        msg = f"`queries` must have shape (..., N, D) (a batch of N queries); got {shape}"
        raise ValueError(msg)
    m = _keys_like("keys", keys, shape, "queries")
    if xp.isdtype(positives.dtype, "bool"):
        check_shape("positives", positives, (*shape[:-1], m), "a mask of each query's positive keys")
        mask = positives
    else:
        check_integer("positives", positives, xp=xp)
        check_shape("positives", positives, shape[:-1], "one key index per query")
        check_labels_in_range("positives", positives, m, ignore_index=None, xp=xp)
        mask = xp.expand_dims(positives, axis=-1) == xp.arange(m, dtype=positives.dtype, device=device(positives))
    dtype, out_dtype = compute_dtype(queries, keys, xp=xp)
    q, k = (xp.astype(x, dtype, copy=False) for x in (queries, keys))
    if normalize:
        q, k = _unit(q, xp=xp), _unit(k, xp=xp)
    s = xp.matmul(q, xp.matrix_transpose(k)) / knob(temperature, q, xp=xp)
    loss, some = _contrast(s, mask, xp.logical_not(mask), xp=xp)
    count = xp.astype(some, dtype)
    return reduce_loss(loss, reduction, weights=weights, where=where, scale=count, out_dtype=out_dtype, xp=xp)


def supervised_contrastive(
    embeddings: Array,
    labels: Array,
    /,
    *,
    temperature: float = 0.07,
    base_temperature: float = 0.07,
    normalize: bool = True,
    keys: Array | None = None,
    key_labels: Array | None = None,
    offset: Any = 0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Supervised contrastive loss (SupCon, Khosla et al. 2020, "L_out") over a batch of labelled embeddings.

    With ``s_{ij} = \cos(e_i, e_j) / τ``, ``A(i)`` every sample but ``i`` and ``P(i) ⊂ A(i)`` those with ``i``'s
    label,

    .. math:: \ell_i = -\frac{τ}{τ_b} \frac{1}{|P(i)|} \sum_{p \in P(i)}
                       \log \frac{e^{s_{ip}}}{\sum_{a \in A(i)} e^{s_{ia}}}
              = \frac{τ}{τ_b} \Bigl[\operatorname{logsumexp}_{p \in P(i)} (s_{ip} - \bar s_i)
                + \operatorname{softplus}\bigl(\operatorname{logsumexp}_{N(i)} s - \operatorname{logsumexp}_{P(i)} s
                \bigr)\Bigr]

    ``\bar s_i`` the mean over ``P(i)``, ``N(i) = A(i) ∖ P(i)``: the right-hand form is stable at ``τ = 0.07``
    and keeps a tiny loss's relative accuracy. An anchor without a positive has loss 0 in ``"none"`` and is left
    out of ``"mean"`` (not NaN); a mean over no such anchor is NaN.

    Distributed: pass the embeddings and labels of every device, gathered, as `keys` and `key_labels`, and the
    place of this device's batch among them as `offset` (``rank · N``; an int or a traced 0-D integer array):
    anchor ``i`` is key ``offset + i``, left out of its own ``A(i)``. Each device's loss is then its anchors' share
    of the loss on the whole batch. ``offset=None`` means no key is an anchor (a memory bank of other samples).

    Parameters
    ----------
    embeddings : array, shape ``(..., N, D)``, real floating
        The anchors (every view of every sample, flattened into ``N``).
    labels : array, shape ``(..., N)``, integer
    temperature : float or 0-D array, default 0.07
        ``τ``, positive.
    base_temperature : float or 0-D array, default 0.07
        ``τ_b``, positive: the loss is scaled by ``τ / τ_b`` (1 by default, as in the paper's code).
    normalize : bool, default True
        Cosine similarities; ``False`` takes the dot products as they are.
    keys : array, shape ``(..., M, D)``, optional
        The samples to contrast with; the anchors themselves when None.
    key_labels : array, shape ``(..., M)``, integer, optional
        Given with `keys`.
    offset : int, 0-D integer array or None, default 0
        Where the anchors sit among the keys.
    weights, where : array, optional
        Per-anchor weights and mask, broadcast against shape ``(..., N)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(..., N)`` for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `embeddings` or `keys` is not floating, a label array not integer, or `offset` of the wrong kind.
    ValueError
        If the shapes do not match, only one of `keys` and `key_labels` is given, or a knob is out of range.

    See Also
    --------
    pytorch_metric_learning.losses.SupConLoss : the same loss (``τ_b = τ``; its mean leaves out zero losses).

    References
    ----------
    P. Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> e = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> # anchors 0 and 1: one positive at cosine 1 and negatives at 0, 0: log(1 + 2/e); 2 and 3: no positive
    >>> lossport.supervised_contrastive(e, np.array([0, 0, 1, 2]), temperature=1.0, base_temperature=1.0,
    ...                                 reduction="none")
    array([0.55144471, 0.55144471, 0.        , 0.        ])
    """
    check_reduction(reduction)
    check_positive("temperature", temperature)
    check_positive("base_temperature", base_temperature)
    check_bool("normalize", normalize)
    if (keys is None) != (key_labels is None):
        msg = "`keys` and `key_labels` must be given together; got only one of them"
        raise ValueError(msg)
    names = ("embeddings", "labels", "keys", "key_labels", "offset", "weights", "where")
    offset_array = None if offset is None or isinstance(offset, (int, float)) else offset  # checked below
    xp = array_namespace(embeddings, labels, keys, key_labels, offset_array, weights, where, xp=xp, names=names)
    xp, e, labels, out_dtype = _batch_inputs(embeddings, labels, None, None, xp)
    shape = tuple(e.shape)
    k, m = e, shape[-2]
    if keys is not None:
        check_floating("keys", keys, xp=xp)
        check_integer("key_labels", key_labels, xp=xp)
        m = _keys_like("keys", keys, shape, "embeddings")
        check_shape("key_labels", key_labels, tuple(keys.shape)[:-1], "`keys`'s shape without the feature axis")
        dtype, out_dtype = compute_dtype(embeddings, keys, xp=xp)
        e, k = xp.astype(embeddings, dtype, copy=False), xp.astype(keys, dtype, copy=False)
    else:
        key_labels = labels
    _check_offset(offset, shape[-2], m, none=True, xp=xp)
    if normalize:
        e = _unit(e, xp=xp)
        k = e if keys is None else _unit(k, xp=xp)
    temperature, base_temperature = knob(temperature, e, xp=xp), knob(base_temperature, e, xp=xp)
    s = xp.matmul(e, xp.matrix_transpose(k)) / temperature
    same = xp.expand_dims(labels, axis=-1) == xp.expand_dims(key_labels, axis=-2)
    positive = same if offset is None else xp.logical_and(same, xp.logical_not(_offset_mask(
        shape[-2], m, offset, s, xp=xp)))
    loss, some = _contrast(s, positive, xp.logical_not(same), xp=xp)
    count = xp.sum(xp.astype(positive, s.dtype), axis=-1, keepdims=True)
    mean_p = xp.sum(xp.where(positive, s, xp.zeros_like(s)), axis=-1, keepdims=True) / xp.clip(count, min=1.0)
    # log Σ_P e^(s − s̄) ≥ log |P|, shifted by its own max: exactly 0 for one positive, and no tie logic for XLA
    # to break (a fused recomputation of s − s̄ can miss ``x == max``, which _numerics' accurate form relies on).
    d = xp.where(positive, s - mean_p, xp.zeros_like(s))
    top = xp.max(d, axis=-1, keepdims=True)
    several = count[..., 0] > 1
    total = xp.sum(xp.where(positive, xp.exp(d - top), xp.zeros_like(s)), axis=-1)
    spread = xp.squeeze(top, axis=-1) + xp.log(xp.where(several, total, xp.ones_like(total)))
    loss = (temperature / base_temperature) * (xp.where(several, spread, xp.zeros_like(spread)) + loss)
    scale = xp.astype(some, s.dtype)
    return reduce_loss(loss, reduction, weights=weights, where=where, scale=scale, out_dtype=out_dtype, xp=xp)


def sigmoid_contrastive(
    image_embeddings: Array,
    text_embeddings: Array,
    /,
    *,
    temperature: Any = 10.0,
    bias: Any = -10.0,
    normalize: bool = True,
    offset: Any = 0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Sigmoid contrastive loss (SigLIP, Zhai et al. 2023): every image–text pair is a binary classification.

    .. math:: \ell_i = \sum_j \operatorname{softplus}\bigl(-z_{ij} (t\, x_i \cdot y_j + b)\bigr),
              \qquad z_{ij} = \begin{cases} +1 & j = i \\ -1 & j \ne i \end{cases}

    with ``x_i``, ``y_j`` the image and text embeddings (L2-normalised unless ``normalize=False``); ``"mean"``
    is SigLIP's ``(1/N) Σ_ij``. `temperature` multiplies: SigLIP learns ``t′`` and uses ``t = exp(t′)``, so pass
    ``exp(t′)``. `temperature` and `bias` are Python numbers or 0-D arrays of the embeddings' framework (cast to
    the embeddings' dtype), learnable: the loss is differentiable in them.

    Distributed: pass every device's text embeddings, gathered (``M`` of them), and this device's place among them
    as `offset` (``rank · N``, an int or a traced 0-D integer array): image ``i``'s text is ``offset + i``, every
    other text a negative. Each device's ``"none"`` is then its rows of the whole batch's ``"none"``.

    Parameters
    ----------
    image_embeddings : array, shape ``(..., N, D)``, real floating
    text_embeddings : array, shape ``(..., M, D)``, real floating
        ``M = N`` on one device.
    temperature : float or 0-D array, default 10.0
        ``t``, positive (a 0-D array is checked when its value can be read, not when traced).
    bias : float or 0-D array, default -10.0
        ``b``, finite.
    normalize : bool, default True
    offset : int or 0-D integer array, default 0
        Image ``i``'s text is text ``offset + i``.
    weights, where : array, optional
        Per-image weights and mask, broadcast against shape ``(..., N)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(..., N)`` for ``reduction="none"`` (each image's sum over the texts).

    Raises
    ------
    TypeError
        If an embedding is not floating, `temperature` or `bias` is neither a number nor a real 0-D array, or
        `offset` is of the wrong kind.
    ValueError
        If the shapes do not match, or a knob is out of range.

    References
    ----------
    X. Zhai et al., "Sigmoid Loss for Language Image Pre-Training", ICCV 2023.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> # matched pairs: softplus(-(t·1 + b)) = log1p(e⁻¹); mismatched: softplus(t·0 + b) = log1p(e⁻¹)
    >>> lossport.sigmoid_contrastive(x, x, temperature=2.0, bias=-1.0, reduction="none")
    array([0.62652338, 0.62652338])
    """
    check_reduction(reduction)
    check_positive("temperature", temperature)
    check_finite("bias", bias)
    check_bool("normalize", normalize)
    names = ("image_embeddings", "text_embeddings", "offset", "weights", "where")
    offset_array = None if offset is None or isinstance(offset, (int, float)) else offset  # checked below
    xp = array_namespace(image_embeddings, text_embeddings, offset_array, weights, where, xp=xp, names=names)
    check_floating("image_embeddings", image_embeddings, xp=xp)
    check_floating("text_embeddings", text_embeddings, xp=xp)
    shape = tuple(image_embeddings.shape)
    if len(shape) < 2:
        msg = f"`image_embeddings` must have shape (..., N, D) (a batch of N images); got {shape}"
        raise ValueError(msg)
    m = _keys_like("text_embeddings", text_embeddings, shape, "image_embeddings")
    _check_offset(offset, shape[-2], m, none=False, xp=xp)
    dtype, out_dtype = compute_dtype(image_embeddings, text_embeddings, xp=xp)
    x, y = (xp.astype(a, dtype, copy=False) for a in (image_embeddings, text_embeddings))
    t, b = knob(temperature, x, xp=xp), knob(bias, x, xp=xp)
    if normalize:
        x, y = _unit(x, xp=xp), _unit(y, xp=xp)
    logits = t * xp.matmul(x, xp.matrix_transpose(y)) + b
    matched = _offset_mask(shape[-2], m, offset, logits, xp=xp)
    pair = softplus(xp.where(matched, -logits, logits), xp=xp)
    loss = xp.sum(pair, axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- ranked lists -----------------------------------------------------------------------------------------------


def ranking_softmax(
    scores: Array,
    relevance: Array,
    /,
    *,
    normalize: bool = False,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Listwise softmax ranking loss: cross-entropy of each list's softmax over its scores, against relevance.

    .. math:: \ell_i = -\sum_k r_{ik} \log \operatorname{softmax}(s_i)_k

    optax's ``ranking_softmax_loss``: the relevance is **not** normalised, so a list's loss scales with its
    total relevance, and a list with no relevant item has loss 0 (and counts in the mean). ``normalize=True``
    divides the relevance by its sum first (``r / Σ_k r_k``, ListNet's and TF-Ranking's softmax loss), leaving
    a list with no relevant item at 0. `where` marks the valid items, as optax's ``where``: padded items leave
    the softmax and the sum, and a list with no valid item leaves the mean.

    Parameters
    ----------
    scores : array, shape ``(..., L)``, real floating
        One score per item of each list of ``L`` items.
    relevance : array, the same shape as `scores`
        Non-negative relevance labels (graded or 0/1; not checked).
    normalize : bool, default False
    weights : array, optional
        Per-list weights, broadcast against shape ``(...)``. optax's item-level ``weights`` multiply the
        relevance: pass ``relevance * item_weights`` for them.
    where : array of bool, optional
        Valid items, broadcast against shape ``(..., L)`` (a ``(..., 1)`` mask keeps or drops whole lists).
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the list axis removed) for ``reduction="none"``, with 0 for a list with no
        valid item. A mean over no valid list is NaN (optax gives 0).

    Raises
    ------
    TypeError
        If `scores` is not floating or `where` not boolean.
    ValueError
        If the shapes differ, or `where` does not broadcast to `scores`' shape.

    See Also
    --------
    optax.losses.ranking_softmax_loss : the same loss.

    References
    ----------
    Z. Cao et al., "Learning to Rank: From Pairwise Approach to Listwise Approach" (ListNet), ICML 2007.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> s = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]])
    >>> r = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    >>> keep = np.array([[True, True, True], [True, True, False]])  # the last item of list 2 is padding
    >>> # log(1 + e^-1 + e^-2); log(1 + e^-2)
    >>> lossport.ranking_softmax(s, r, where=keep, reduction="none")
    array([0.40760596, 0.12692801])
    """
    check_reduction(reduction)
    check_bool("normalize", normalize)
    xp = array_namespace(
        scores, relevance, weights, where, xp=xp, names=("scores", "relevance", "weights", "where")
    )
    check_floating("scores", scores, xp=xp)
    check_same_shape("scores", scores, "relevance", relevance)
    if len(tuple(scores.shape)) == 0:
        msg = "`scores` must have a list axis; got a 0-D array"
        raise ValueError(msg)
    dtype, out_dtype = compute_dtype(scores, relevance, xp=xp)
    scores = xp.astype(scores, dtype, copy=False)
    relevance = xp.astype(relevance, dtype, copy=False)
    list_mask = None
    if where is not None:
        if not xp.isdtype(where.dtype, "bool"):
            msg = f"`where` must be a boolean mask; got dtype {where.dtype}"
            raise TypeError(msg)
        check_broadcastable("where", where, tuple(scores.shape), "scores")
        keep = xp.logical_and(where, xp.ones_like(scores, dtype=xp.bool))  # broadcast to the items' shape
        list_mask = xp.any(keep, axis=-1)
        # Padded items leave the softmax (-inf); a list of padding only gets finite scores, whose loss is 0.
        fill = xp.where(xp.expand_dims(list_mask, axis=-1), xp.full_like(scores, _NEG_INF), xp.zeros_like(scores))
        scores = xp.where(keep, scores, fill)
        relevance = xp.where(keep, relevance, xp.zeros_like(relevance))
    if normalize:
        total = xp.sum(relevance, axis=-1, keepdims=True)
        some = total > 0
        relevance = xp.where(some, relevance / xp.where(some, total, xp.ones_like(total)), xp.zeros_like(relevance))
    loss = -xp.sum(mul0(relevance, log_softmax(scores, xp=xp), xp=xp), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=list_mask, out_dtype=out_dtype, xp=xp)


# -- margin heads: softmax over cosine logits -------------------------------------------------------------------


def _margin_head(cosines: Array, labels: Array, target: Array, scale: float | Array, /, *, xp: Any) -> Array:
    """``−log_softmax(scale · z)`` at the label, ``z`` the cosines with the label's replaced by ``target``."""
    classes = xp.arange(tuple(cosines.shape)[-1], dtype=labels.dtype, device=device(cosines))
    z = xp.where(xp.expand_dims(labels, axis=-1) == classes, target, cosines)
    return -log_softmax_at(scale * z, labels, xp=xp)


def arcface(
    logits: Array,
    labels: Array,
    /,
    *,
    scale: float = 64.0,
    margin: float = 0.5,
    easy_margin: bool = False,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""ArcFace, the additive angular margin loss (Deng et al. 2019), on cosine logits.

    With ``c = \cos θ`` the label's cosine logit, it is replaced by ``\cos(θ + m)`` and the row scaled by ``s``:

    .. math:: \ell_i = -\log \frac{e^{s φ(c_{i y_i})}}{e^{s φ(c_{i y_i})} + \sum_{k \ne y_i} e^{s c_{ik}}},
              \qquad φ(c) = \begin{cases} c \cos m - \sqrt{1 - c^2}\, \sin m & c > -\cos m \\
                                          c - m \sin m & \text{otherwise} \end{cases}

    The second branch is insightface's fallback where ``θ + m > π`` (``cos(θ + m)`` would grow again there):
    it keeps the target logit decreasing in ``θ``, and jumps at ``θ = π − m``. ``easy_margin=True`` applies the
    margin only where ``c > 0`` (``φ(c) = c`` elsewhere). ``\sqrt{1 − c²}`` is computed as
    ``sqrt(max((1 − c)(1 + c), 0))`` with a zero derivative at ``|c| = 1`` (insightface's gradient there is
    NaN). The cross-entropy is a stable log-softmax, accurate for tiny losses.

    Parameters
    ----------
    logits : array, shape ``(..., C)``, real floating
        Cosine logits: normalised embeddings times normalised class centres, in ``[-1, 1]``.
    labels : array, shape ``(...)``, integer in ``[0, C)``
    scale : float or 0-D array, default 64.0
        ``s``, positive.
    margin : float or 0-D array, default 0.5
        ``m`` in radians, non-negative (pytorch-metric-learning's ``ArcFaceLoss`` takes degrees).
    easy_margin : bool, default False
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
        If `logits` is not floating or `labels` not integer.
    ValueError
        If `labels` does not have shape ``(...)``, a knob is out of range, or (on concrete arrays) a label is
        out of range.

    See Also
    --------
    cosface, pytorch_metric_learning.losses.ArcFaceLoss

    References
    ----------
    J. Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> c = np.array([[0.5, 0.0]])  # θ = π/3 on the label; m = π/6 makes it π/2: cos = 0
    >>> print(f"{float(lossport.arcface(c, np.array([0]), scale=1.0, margin=np.pi / 6)):.12f}")  # log 2
    0.693147180560
    """
    check_reduction(reduction)
    check_positive("scale", scale)
    check_positive("margin", margin, allow_zero=True)
    check_bool("easy_margin", easy_margin)
    xp, c, labels, out_dtype, _ = class_index_inputs("logits", logits, labels, -1, None, None, weights, where, xp)
    target = xp.take_along_axis(c, xp.expand_dims(labels, axis=-1), axis=-1)
    sin2 = xp.clip((1.0 - target) * (1.0 + target), min=0.0)
    inside = sin2 > 0
    sin = xp.where(inside, xp.sqrt(xp.where(inside, sin2, xp.ones_like(sin2))), xp.zeros_like(sin2))
    m = knob(margin, c, xp=xp)
    cos_m, sin_m = knob_math("cos", m, xp=xp), knob_math("sin", m, xp=xp)
    phi = target * cos_m - sin * sin_m
    if easy_margin:
        phi = xp.where(target > 0, phi, target)
    else:
        phi = xp.where(target > -cos_m, phi, target - m * sin_m)
    loss = _margin_head(c, labels, phi, knob(scale, c, xp=xp), xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def cosface(
    logits: Array,
    labels: Array,
    /,
    *,
    scale: float = 64.0,
    margin: float = 0.35,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""CosFace, the large-margin cosine loss (Wang et al. 2018), on cosine logits.

    .. math:: \ell_i = -\log \frac{e^{s (c_{i y_i} - m)}}{e^{s (c_{i y_i} - m)} + \sum_{k \ne y_i} e^{s c_{ik}}}

    The cross-entropy is a stable log-softmax, accurate for tiny losses.

    Parameters
    ----------
    logits : array, shape ``(..., C)``, real floating
        Cosine logits: normalised embeddings times normalised class centres.
    labels : array, shape ``(...)``, integer in ``[0, C)``
    scale : float or 0-D array, default 64.0
        ``s``, positive.
    margin : float or 0-D array, default 0.35
        ``m``, non-negative.
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
        If `logits` is not floating or `labels` not integer.
    ValueError
        If `labels` does not have shape ``(...)``, a knob is out of range, or (on concrete arrays) a label is
        out of range.

    See Also
    --------
    arcface, pytorch_metric_learning.losses.CosFaceLoss

    References
    ----------
    H. Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition", CVPR 2018.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> c = np.array([[0.85, 0.5]])  # the label's logit 0.85 − 0.35 = 0.5 ties the other: log 2
    >>> print(f"{float(lossport.cosface(c, np.array([0]), scale=10.0)):.12f}")
    0.693147180560
    """
    check_reduction(reduction)
    check_positive("scale", scale)
    check_positive("margin", margin, allow_zero=True)
    xp, c, labels, out_dtype, _ = class_index_inputs("logits", logits, labels, -1, None, None, weights, where, xp)
    target = xp.take_along_axis(c, xp.expand_dims(labels, axis=-1), axis=-1) - knob(margin, c, xp=xp)
    loss = _margin_head(c, labels, target, knob(scale, c, xp=xp), xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
