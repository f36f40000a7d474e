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
from lossport._numerics import log_softmax, logsumexp, mul0, softplus
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    axis_last,
    check_bool,
    check_broadcastable,
    check_finite,
    check_floating,
    check_integer,
    check_option,
    check_positive,
    check_same_shape,
    check_shape,
    check_sign_labels,
    compute_dtype,
    elementwise_inputs,
)

__all__ = [
    "circle",
    "cosine_embedding",
    "hinge_embedding",
    "margin_ranking",
    "ntxent",
    "ranking_softmax",
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


def _pair_masks(labels: Array, /, *, remove_diagonal: bool, xp: Any) -> tuple[Array, Array]:
    """Boolean ``(..., N, N)`` masks of the positive pairs (same label, ``i ≠ j`` if asked) and negative pairs."""
    same = xp.expand_dims(labels, axis=-1) == xp.expand_dims(labels, axis=-2)
    negative = xp.logical_not(same)
    if not remove_diagonal:
        return same, negative
    n = tuple(labels.shape)[-1]
    eye = xp.eye(n, dtype=xp.bool, device=device(labels))
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
    margin : float, default 0.0
        In ``[-1, 1]``; dissimilar pairs with a cosine below it cost nothing.
    eps : float, default 1e-12
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
    if not -1 <= margin <= 1:
        msg = f"`margin` must be in [-1, 1]; got {margin!r}"
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
    m1 = xp.sum(x1 * x1, axis=-1, keepdims=True) + eps
    m2 = xp.sum(x2 * x2, axis=-1, keepdims=True) + eps
    u = x1 / xp.sqrt(m1)
    v = x2 / xp.sqrt(m2)
    cos = xp.vecdot(u, v, axis=-1)
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
    margin : float, default 1.0
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
    margin : float, default 0.0
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
    loss = xp.clip(margin - labels * (x1 - x2), min=0.0)
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
    margin : float, default 1.0
        Positive (torch raises for ``margin ≤ 0``).
    p : float, default 2
        The norm's degree, positive and finite.
    eps : float, default 1e-6
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
    temperature : float, default 0.07
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
    s = _gram(_unit(e, xp=xp), xp=xp) / temperature
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

    The similarity matrix is one ``xp.matmul``: on a GPU with TF32 on, it is rounded to about 1e-3 before the
    scaling by ``γ``.

    Parameters
    ----------
    embeddings : array, shape ``(..., N, D)``, real floating
    labels : array, shape ``(..., N)``, integer
    gamma : float, default 80.0
        The scale, positive.
    margin : float, default 0.4
        The relaxation ``m``, finite.
    remove_diagonal : bool, default True
        Leave each sample's similarity with itself out of its positives.
    normalize : bool, default True
        Normalise the embeddings first; ``False`` takes them as they are (Keras).
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
        If `embeddings` is not at least 2-D, `labels` does not have shape ``(..., N)``, or a knob is out of
        range.

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
    s = _gram(_unit(e, xp=xp) if normalize else e, xp=xp)
    d = xp.clip(1.0 - s, min=0.0)
    positive, negative = _pair_masks(labels, remove_diagonal=remove_diagonal, xp=xp)
    alpha_p = xp.clip(margin + d, min=0.0)
    alpha_n = xp.clip((1.0 + margin) - d, min=0.0)
    p = _masked_logsumexp((-gamma) * alpha_p * (margin - d), positive, xp=xp)
    n = _masked_logsumexp(gamma * alpha_n * ((1.0 - margin) - d), negative, xp=xp)
    loss = softplus(p + n, xp=xp)
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
