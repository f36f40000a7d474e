"""``torch.nn.functional``'s losses, with torch's names, signatures, defaults and conventions, on any arrays.

Conventions mapped onto lossport (docs/compat.md has the table):

- argument order ``(input, target)``; the class dimension is **1** (0 for an unbatched input): moved to lossport's
  ``axis``;
- ``reduction="mean" | "sum" | "none"`` (and ``"batchmean"`` for :func:`kl_div`); what ``"mean"`` divides by is
  torch's: the class-weight sum for :func:`cross_entropy` / :func:`nll_loss` with index targets, the element count
  for ``binary_cross_entropy(weight=)``, ``huber_loss(weight=)`` and ``multi_margin_loss(weight=)``, the target
  length for :func:`ctc_loss`;
- ``ignore_index=-100`` by default; ``binary_cross_entropy`` clamps each log at −100;
- the deprecated ``size_average`` / ``reduce`` raise ``TypeError`` naming ``reduction=``.

Differences that remain (lossport is exact where torch is not): ``binary_cross_entropy_with_logits`` at ±inf
logits (torch NaN), ``soft_margin_loss`` beyond |x| ≈ 89 (torch inf in float32), ``ctc_loss``'s gradient (torch
returns the gradient with respect to logits, lossport the true one: docs/conventions.md D-CTC2),
``gaussian_nll_loss``'s gradient below ``eps`` (R5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lossport
from lossport.compat._common import as_array, namespace, numel

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "linear_cross_entropy",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

Array = Any

# torch's cosine_embedding_loss adds EPSILON = 1e-12, a C++ float, to the squared norms (docs/conventions.md E1).
_TORCH_COSINE_EPS = 9.999999960041972e-13


def _no_legacy(size_average: object, reduce: object) -> None:
    """torch's deprecated flags: a clear error naming the replacement."""
    given = [name for name, v in (("size_average", size_average), ("reduce", reduce)) if v is not None]
    if given:
        msg = (
            f"`{'` and `'.join(given)}` are deprecated in torch and not supported by lossport.compat.torch; "
            "use `reduction=` instead ('none', 'mean' or 'sum')"
        )
        raise TypeError(msg)


def _rows(input: Array, target: Array, /, *, xp: Any) -> tuple[Array, Array, Callable[[Array], Array] | None]:
    """``(N, C, d1, ...)`` logits and ``(N, d1, ...)`` index targets as ``(N·d1·..., C)`` rows, and the function
    that restores an unreduced result's shape (None for inputs of at most 2 dims: nothing to do). Sums and means
    are the same over rows; lossport's class-weight gather then sees 1-D labels on every backend."""
    if input.ndim <= 2:
        return input, target, None
    classes = int(input.shape[1])
    batch = tuple(int(d) for d in target.shape)
    z = xp.reshape(xp.moveaxis(input, 1, -1), (-1, classes))
    return z, xp.reshape(target, (-1,)), lambda out: xp.reshape(out, batch)


def _class_axis(x: Array) -> int:
    """torch's class dimension: 1, or 0 for an unbatched input."""
    return 0 if x.ndim == 1 else 1


# -- regression -------------------------------------------------------------------------------------------------


def mse_loss(input: Array, target: Array, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Array | None = None) -> Array:
    """``F.mse_loss``: ``(input − target)²``; with ``weight``, ``"mean"`` is ``Σw·l / Σw``."""
    _no_legacy(size_average, reduce)
    return lossport.mean_squared_error(input, target, weights=weight, reduction=reduction)


def l1_loss(input: Array, target: Array, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Array | None = None) -> Array:
    """``F.l1_loss``: ``|input − target|``; with ``weight``, ``"mean"`` is ``Σw·l / Σw``."""
    _no_legacy(size_average, reduce)
    return lossport.mean_absolute_error(input, target, weights=weight, reduction=reduction)


def huber_loss(input: Array, target: Array, reduction: str = "mean", delta: float = 1.0,
               weight: Array | None = None) -> Array:
    """``F.huber_loss``; with ``weight``, torch's ``"mean"`` is ``mean(w·l)`` (÷ the element count)."""
    if weight is None or reduction != "mean":
        return lossport.huber(input, target, delta=delta, weights=weight, reduction=reduction)
    return lossport.huber(input, target, delta=delta, weights=weight, reduction="sum") / numel(input)


def smooth_l1_loss(input: Array, target: Array, size_average: bool | None = None, reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Array:
    """``F.smooth_l1_loss`` (= Huber / β; ``beta=0`` is ``l1_loss``)."""
    _no_legacy(size_average, reduce)
    return lossport.smooth_l1(input, target, beta=beta, reduction=reduction)


def poisson_nll_loss(input: Array, target: Array, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Array:
    """``F.poisson_nll_loss``: log-rates by default; Stirling's term where target > 1 with ``full``."""
    _no_legacy(size_average, reduce)
    return lossport.poisson_nll(input, target, log_input=log_input, full=full, eps=eps, reduction=reduction)


def gaussian_nll_loss(input: Array, target: Array, var: Array | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Array:
    """``F.gaussian_nll_loss``; ``var`` may be a float (one variance for every element)."""
    xp = namespace(input, target)
    if not hasattr(var, "shape"):
        var = xp.full_like(input, float(var))
    return lossport.gaussian_nll(input, target, var, full=full, eps=eps, reduction=reduction)


# -- binary classification --------------------------------------------------------------------------------------


def binary_cross_entropy(input: Array, target: Array, weight: Array | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Array:
    """``F.binary_cross_entropy`` on probabilities, each log clamped at −100; ``weight`` means ``mean(w·l)``."""
    _no_legacy(size_average, reduce)
    if weight is None or reduction != "mean":
        return lossport.binary_cross_entropy(input, target, weights=weight, reduction=reduction)
    return lossport.binary_cross_entropy(input, target, weights=weight, reduction="sum") / numel(input)


def binary_cross_entropy_with_logits(input: Array, target: Array, weight: Array | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Array | None = None) -> Array:
    """``F.binary_cross_entropy_with_logits``; ``pos_weight`` broadcast along the last dim; ``weight`` means
    ``mean(w·l)``."""
    _no_legacy(size_average, reduce)
    if weight is None or reduction != "mean":
        return lossport.binary_cross_entropy_with_logits(input, target, pos_weight=pos_weight, weights=weight,
                                                         reduction=reduction)
    total = lossport.binary_cross_entropy_with_logits(input, target, pos_weight=pos_weight, weights=weight,
                                                      reduction="sum")
    return total / numel(input)


def soft_margin_loss(input: Array, target: Array, size_average: bool | None = None, reduce: bool | None = None,
                     reduction: str = "mean") -> Array:
    """``F.soft_margin_loss``: ``log(1 + exp(−y·x))`` with ±1 targets."""
    _no_legacy(size_average, reduce)
    return lossport.soft_margin(input, target, reduction=reduction)


def multilabel_soft_margin_loss(input: Array, target: Array, weight: Array | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Array:
    """``F.multilabel_soft_margin_loss``: the class mean of BCE-with-logits per sample, ``weight`` per class."""
    _no_legacy(size_average, reduce)
    return lossport.multilabel_soft_margin(input, target, class_weights=weight, reduction=reduction)


# -- multiclass -------------------------------------------------------------------------------------------------


def cross_entropy(input: Array, target: Array, weight: Array | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Array:
    """``F.cross_entropy``: logits with the class on dim 1; index targets (integer) or probability targets.

    Index targets: ``"mean"`` divides by ``Σ weight[target]`` over the targets not equal to ``ignore_index``.
    Probability targets: ``weight`` multiplies each class's term (the smoothed target too) and ``"mean"`` divides
    by the number of samples, as torch does.
    """
    _no_legacy(size_average, reduce)
    xp = namespace(input, target, weight)
    axis = _class_axis(input)
    if xp.isdtype(target.dtype, "integral"):
        z, y, restore = _rows(input, target, xp=xp)
        out = lossport.sparse_softmax_cross_entropy(
            z, y, axis=-1 if restore else axis, ignore_index=ignore_index, class_weights=weight,
            label_smoothing=label_smoothing, reduction=reduction)
        return restore(out) if restore and reduction == "none" else out
    if weight is None:
        return lossport.softmax_cross_entropy(input, target, axis=axis, label_smoothing=label_smoothing,
                                              reduction=reduction)
    classes = int(input.shape[axis])
    q = xp.astype(target, input.dtype)
    if label_smoothing:
        q = (1.0 - label_smoothing) * q + label_smoothing / classes
    shape = [1] * input.ndim
    shape[axis] = classes
    q = q * xp.reshape(xp.astype(weight, input.dtype), tuple(shape))  # torch weighs each class's term
    return lossport.softmax_cross_entropy(input, q, axis=axis, reduction=reduction)


def linear_cross_entropy(input: Array, linear_weight: Array, target: Array, *, linear_bias: Array | None = None,
                         weight: Array | None = None, reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options: Any = None) -> Array:
    """``F.linear_cross_entropy``: :func:`cross_entropy` of ``input @ linear_weight.T (+ linear_bias)``, torch's
    reference implementation. A K-dimensional ``linear_weight`` ``(C, d_1, …, d_K, in_features)`` (bias
    ``(C, d_1, …, d_K)``, batched input only) gives logits ``(N, C, d_1, …, d_K)``, as torch reshapes them.
    ``ignore_index=None`` is torch's −100 for index targets. ``options`` (torch's chunking) does not change the
    value and is ignored."""
    del options
    xp = namespace(input, linear_weight, target)
    if linear_weight.ndim < 2:
        msg = f"expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}"
        raise ValueError(msg)
    out_features = tuple(int(d) for d in linear_weight.shape[1:-1])
    if out_features and input.ndim != 2:
        msg = (f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires batched "
               f"input, (N, in_features), got {tuple(input.shape)}")
        raise ValueError(msg)
    classes = int(linear_weight.shape[0])
    logits_shape = (*tuple(input.shape)[:-1], classes, *out_features)
    weights_2d = xp.reshape(linear_weight, (-1, int(linear_weight.shape[-1])))
    logits = xp.matmul(input, xp.matrix_transpose(weights_2d))
    if linear_bias is not None:
        logits = logits + xp.reshape(linear_bias, (-1,))
    logits = xp.reshape(logits, logits_shape)
    probabilities = tuple(target.shape) == logits_shape
    if ignore_index is None and not probabilities:
        ignore_index = -100
    return cross_entropy(logits, target, weight=weight, ignore_index=ignore_index,  # type: ignore[arg-type]
                         reduction=reduction, label_smoothing=label_smoothing)


def nll_loss(input: Array, target: Array, weight: Array | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Array:
    """``F.nll_loss`` on log-probabilities, class dim 1; ``"mean"`` ÷ ``Σ weight[target]`` over kept targets."""
    _no_legacy(size_average, reduce)
    xp = namespace(input, target, weight)
    z, y, restore = _rows(input, target, xp=xp)
    out = lossport.nll(z, y, axis=-1 if restore else _class_axis(input), ignore_index=ignore_index,
                       class_weights=weight, reduction=reduction)
    return restore(out) if restore and reduction == "none" else out


def multi_margin_loss(input: Array, target: Array, p: int = 1, margin: float = 1.0, weight: Array | None = None,
                      size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Array:
    """``F.multi_margin_loss`` (Weston–Watkins ÷ C); with ``weight``, torch's ``"mean"`` divides by N."""
    _no_legacy(size_average, reduce)
    if weight is None or reduction != "mean":
        return lossport.multi_margin(input, target, p=p, margin=margin, class_weights=weight, reduction=reduction)
    total = lossport.multi_margin(input, target, p=p, margin=margin, class_weights=weight, reduction="sum")
    return total / (int(input.shape[0]) if input.ndim == 2 else 1)


def multilabel_margin_loss(input: Array, target: Array, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Array:
    """``F.multilabel_margin_loss``: target rows are class-index lists ended by −1."""
    _no_legacy(size_average, reduce)
    return lossport.multilabel_margin(input, target, reduction=reduction)


# -- divergence -------------------------------------------------------------------------------------------------


def kl_div(input: Array, target: Array, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Array:
    """``F.kl_div(input=log q, target=p)``: elementwise ``p·(log p − log q)``.

    ``"none"`` is elementwise, ``"sum"`` the total, ``"batchmean"`` the total ÷ ``input.size(0)`` (the KL
    divergence of a batch), and torch's default ``"mean"`` the total ÷ the element count (not a KL divergence;
    torch warns, lossport.compat does not).
    """
    _no_legacy(size_average, reduce)
    xp = namespace(input, target)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        msg = f"`reduction` must be one of ('none', 'mean', 'sum', 'batchmean'); got {reduction!r}"
        raise ValueError(msg)
    # Each element is its own distribution over a class axis of size 1: lossport's terms, unsummed.
    terms = lossport.kl_divergence(xp.expand_dims(input, axis=-1), xp.expand_dims(target, axis=-1),
                                   log_targets=log_target, reduction="none" if reduction == "none" else "sum")
    if reduction == "mean":
        return terms / numel(input)
    if reduction == "batchmean":
        return terms / (int(input.shape[0]) if input.ndim else 1)
    return terms


# -- embeddings and ranking -------------------------------------------------------------------------------------


def cosine_embedding_loss(input1: Array, input2: Array, target: Array, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Array:
    """``F.cosine_embedding_loss``: ``1 − cos`` (y = 1), ``max(0, cos − margin)`` (y = −1), feature dim last."""
    _no_legacy(size_average, reduce)
    return lossport.cosine_embedding(input1, input2, target, margin=float(margin), eps=_TORCH_COSINE_EPS,
                                     reduction=reduction)


def hinge_embedding_loss(input: Array, target: Array, margin: float = 1.0, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Array:
    """``F.hinge_embedding_loss``: ``x`` (y = 1), ``max(0, margin − x)`` (y = −1)."""
    _no_legacy(size_average, reduce)
    return lossport.hinge_embedding(input, target, margin=float(margin), reduction=reduction)


def margin_ranking_loss(input1: Array, input2: Array, target: Array, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Array:
    """``F.margin_ranking_loss``: ``max(0, −y·(x1 − x2) + margin)``."""
    _no_legacy(size_average, reduce)
    return lossport.margin_ranking(input1, input2, target, margin=float(margin), reduction=reduction)


def triplet_margin_loss(anchor: Array, positive: Array, negative: Array, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Array:
    """``F.triplet_margin_loss``: ``max(0, margin + ‖a − p + ε‖_p − ‖a − n + ε‖_p)`` (ε in the difference)."""
    _no_legacy(size_average, reduce)
    return lossport.triplet_margin(anchor, positive, negative, margin=float(margin), p=p, eps=eps, swap=swap,
                                   eps_in="difference", reduction=reduction)


def triplet_margin_with_distance_loss(anchor: Array, positive: Array, negative: Array, *,
                                      distance_function: Callable[[Array, Array], Array] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Array:
    """``F.triplet_margin_with_distance_loss``: torch's ``pairwise_distance`` by default, else any distance.

    With a ``distance_function`` (on the arrays' own framework), the loss ``max(0, margin + d(a, p) − d(a, n))``
    is lossport's :func:`~lossport.margin_ranking` of the two distances.
    """
    if distance_function is None:
        return triplet_margin_loss(anchor, positive, negative, margin=margin, swap=swap, reduction=reduction)
    xp = namespace(anchor, positive, negative)
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = xp.minimum(d_neg, distance_function(positive, negative))
    return lossport.margin_ranking(d_neg, d_pos, xp.ones_like(d_neg), margin=float(margin), reduction=reduction)


# -- sequences --------------------------------------------------------------------------------------------------


def _padded_targets(targets: Array, target_lengths: Array, batch: int, /, *, xp: Any) -> Array:
    """torch's concatenated 1-D targets as a ``(B, ΣS)`` padded array (static shape, no value branch)."""
    total = int(targets.shape[0])
    ends = xp.cumulative_sum(target_lengths)
    starts = ends - target_lengths
    steps = xp.arange(max(total, 1), dtype=target_lengths.dtype)
    index = xp.clip(xp.reshape(starts, (batch, 1)) + xp.reshape(steps, (1, -1)), min=0, max=max(total - 1, 0))
    padded = xp.take(targets, xp.reshape(index, (-1,)), axis=0) if total else xp.zeros(
        (batch * 1,), dtype=targets.dtype)
    return xp.reshape(padded, (batch, -1))


def ctc_loss(log_probs: Array, targets: Array, input_lengths: Array | Any, target_lengths: Array | Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Array:
    """``F.ctc_loss``: time-major ``(T, N, C)`` log-probabilities (or unbatched ``(T, C)``); padded ``(N, S)`` or
    concatenated 1-D targets; lengths as arrays or sequences of ints. torch's ``"mean"`` divides each sequence's
    loss by its target length (at least 1), then averages over the batch."""
    xp = namespace(log_probs, targets)
    unbatched = log_probs.ndim == 2
    index_dtype = xp.int64
    input_lengths = as_array(input_lengths, log_probs, xp=xp, dtype=index_dtype)
    target_lengths = as_array(target_lengths, log_probs, xp=xp, dtype=index_dtype)
    if unbatched:
        log_probs = xp.expand_dims(log_probs, axis=1)
        targets = xp.expand_dims(targets, axis=0)
        input_lengths = xp.reshape(input_lengths, (1,))
        target_lengths = xp.reshape(target_lengths, (1,))
    batch = int(log_probs.shape[1])
    targets = xp.astype(targets, index_dtype)
    if targets.ndim == 1:
        targets = _padded_targets(targets, target_lengths, batch, xp=xp)
    lp = xp.moveaxis(log_probs, 1, 0)  # lossport is batch-major
    if reduction == "mean":
        one = xp.ones_like(target_lengths)
        weights = 1.0 / (batch * xp.astype(xp.maximum(target_lengths, one), lp.dtype))
        return lossport.ctc(lp, targets, input_lengths, target_lengths, blank=blank, zero_infinity=zero_infinity,
                            weights=weights, reduction="sum")
    out = lossport.ctc(lp, targets, input_lengths, target_lengths, blank=blank, zero_infinity=zero_infinity,
                       reduction=reduction)
    return xp.reshape(out, ()) if unbatched and reduction == "none" else out
