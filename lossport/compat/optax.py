"""``optax.losses``, with optax's names, signatures, defaults and conventions, on any arrays.

Conventions mapped onto lossport (docs/compat.md has the table):

- prediction first; class axis ``axis=-1`` (an int or a tuple of axes, merged);
- **no reduction**: elementwise or per-example values (lossport's ``reduction="none"``), except ``dice_loss``'s
  class reduction, ``ranking_softmax_loss``'s ``reduce_fn``, ``ntxent`` and ``multiclass_generalized_dice_loss``;
- ``where=``: a batch-shaped mask zeroes examples, a logits-shaped one takes classes out of the softmax
  normaliser (masked logits become ``-inf`` under zero labels; an all-masked example gives 0);
- labels as given: ``hinge_loss`` / ``perceptron_loss`` compute ``max(0, 1 − s·y)`` / ``max(0, −s·y)`` for any
  ``y`` (no ±1 conversion); ``cosine_*``'s ``epsilon`` floors the squared norm (lossport's ``eps**2``);
  ``triplet_margin_loss`` adds ``eps`` to the sum of powers (lossport's ``eps_in="sum"``); ``dice_loss``'s
  ``smooth`` sits next to the intersection (lossport's Tversky form).

Where optax gives NaN, lossport's values are finite: masked ``-inf`` logits in ``softmax_cross_entropy`` (it is
``safe_softmax_cross_entropy`` here), odd ``norm_degree`` in ``triplet_margin_loss`` (optax sums signed
differences: lossport takes absolute values), impossible CTC alignments (``+inf``, not optax's ``-log_epsilon``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import lossport
from lossport._numerics import log_softmax, logsumexp, sigmoid
from lossport.compat._common import flatten_axes, namespace

__all__ = [
    "binary_dice_loss",
    "convex_kl_divergence",
    "cosine_distance",
    "cosine_similarity",
    "ctc_loss",
    "ctc_loss_with_forward_probs",
    "dice_loss",
    "generalized_kl_divergence",
    "hinge_loss",
    "huber_loss",
    "kl_divergence",
    "kl_divergence_with_log_targets",
    "l2_loss",
    "log_cosh",
    "multiclass_generalized_dice_loss",
    "multiclass_hinge_loss",
    "multiclass_perceptron_loss",
    "multiclass_sparsemax_loss",
    "ntxent",
    "perceptron_loss",
    "poly_loss_cross_entropy",
    "ranking_softmax_loss",
    "safe_softmax_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "sigmoid_focal_loss",
    "smooth_labels",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
    "sparsemax_loss",
    "squared_error",
    "triplet_margin_loss",
]

Array = Any
Axis = int | tuple[int, ...] | None


def _targets(predictions: Array, targets: Array | None, /, *, xp: Any) -> Array:
    return xp.zeros_like(predictions) if targets is None else xp.astype(targets, predictions.dtype)


# -- regression -------------------------------------------------------------------------------------------------


def squared_error(predictions: Array, targets: Array | None = None) -> Array:
    """``optax.losses.squared_error``: elementwise ``(predictions − targets)²`` (targets default to 0)."""
    xp = namespace(predictions, targets)
    return lossport.mean_squared_error(predictions, _targets(predictions, targets, xp=xp), reduction="none")


def l2_loss(predictions: Array, targets: Array | None = None) -> Array:
    """``optax.losses.l2_loss``: elementwise ``½(predictions − targets)²``."""
    return 0.5 * squared_error(predictions, targets)


def huber_loss(predictions: Array, targets: Array | None = None, *, delta: float = 1.0) -> Array:
    """``optax.losses.huber_loss``: elementwise Huber."""
    xp = namespace(predictions, targets)
    return lossport.huber(predictions, _targets(predictions, targets, xp=xp), delta=float(delta),
                          reduction="none")


def log_cosh(predictions: Array, targets: Array | None = None) -> Array:
    """``optax.losses.log_cosh``: elementwise ``log cosh(predictions − targets)``."""
    xp = namespace(predictions, targets)
    return lossport.log_cosh(predictions, _targets(predictions, targets, xp=xp), reduction="none")


def cosine_similarity(predictions: Array, targets: Array, *, epsilon: float = 0.0, axis: Axis = -1,
                      where: Array | None = None) -> Array:
    """``optax.losses.cosine_similarity``: ``+cos`` along ``axis``, each squared norm floored at ``epsilon``."""
    return 1.0 - cosine_distance(predictions, targets, epsilon=epsilon, axis=axis, where=where)


def cosine_distance(predictions: Array, targets: Array, *, epsilon: float = 0.0, axis: Axis = -1,
                    where: Array | None = None) -> Array:
    """``optax.losses.cosine_distance``: ``1 − cos`` along ``axis``; ``where`` leaves entries out of the norms and
    the dot product; ``epsilon`` floors the squared norm (0 by default: a zero vector gives NaN, as in optax)."""
    xp = namespace(predictions, targets, where)
    if where is None:
        p, t = flatten_axes(predictions, axis, xp=xp), flatten_axes(targets, axis, xp=xp)
        return lossport.cosine_distance(p, t, eps=math.sqrt(float(epsilon)), reduction="none")
    where = xp.broadcast_to(where, tuple(predictions.shape))
    predictions = xp.where(where, predictions, xp.zeros_like(predictions))
    targets = xp.where(where, xp.astype(targets, predictions.dtype), xp.zeros_like(predictions))
    p, t = flatten_axes(predictions, axis, xp=xp), flatten_axes(targets, axis, xp=xp)
    # A vector with every entry left out: optax's masked sum is 0 (cos 0, distance 1) whatever epsilon; it is
    # computed here on ones (no 0/0 in the value or the gradient) and replaced.
    kept = xp.any(flatten_axes(where, axis, xp=xp), axis=-1, keepdims=True)
    p, t = xp.where(kept, p, xp.ones_like(p)), xp.where(kept, t, xp.ones_like(t))
    out = lossport.cosine_distance(p, t, eps=math.sqrt(float(epsilon)), reduction="none")
    return xp.where(xp.squeeze(kept, axis=-1), out, xp.ones_like(out))


# -- binary classification --------------------------------------------------------------------------------------


def sigmoid_binary_cross_entropy(logits: Array, labels: Array) -> Array:
    """``optax.losses.sigmoid_binary_cross_entropy``: elementwise, exact at every logit."""
    xp = namespace(logits, labels)
    return lossport.binary_cross_entropy_with_logits(logits, xp.astype(labels, logits.dtype), reduction="none")


def sigmoid_focal_loss(logits: Array, labels: Array, *, alpha: float | None = None, gamma: float = 2.0) -> Array:
    """``optax.losses.sigmoid_focal_loss``: elementwise; ``alpha=None`` is no class balancing."""
    xp = namespace(logits, labels)
    return lossport.sigmoid_focal(logits, xp.astype(labels, logits.dtype),
                                  alpha=None if alpha is None else float(alpha), gamma=float(gamma),
                                  reduction="none")


def hinge_loss(predictor_outputs: Array, targets: Array) -> Array:
    """``optax.losses.hinge_loss``: elementwise ``max(0, 1 − s·y)``, labels as given (0/1 labels are *not*
    converted: the margin is ``s·y``, lossport's hinge with label 1)."""
    xp = namespace(predictor_outputs, targets)
    margin = predictor_outputs * xp.astype(targets, predictor_outputs.dtype)
    return lossport.hinge(margin, xp.ones_like(margin), reduction="none")


def perceptron_loss(predictor_outputs: Array, targets: Array) -> Array:
    """``optax.losses.perceptron_loss``: elementwise ``max(0, −s·y)``, labels as given."""
    xp = namespace(predictor_outputs, targets)
    margin = predictor_outputs * xp.astype(targets, predictor_outputs.dtype)
    return lossport.perceptron(margin, xp.ones_like(margin), reduction="none")


def sparsemax_loss(logits: Array, labels: Array) -> Array:
    """``optax.losses.sparsemax_loss``: the binary sparsemax loss, elementwise, 0/1 labels."""
    xp = namespace(logits, labels)
    return lossport.sparsemax(logits, xp.astype(labels, logits.dtype), reduction="none")


# -- multiclass -------------------------------------------------------------------------------------------------


def _masked_classes(logits: Array, labels: Array | None, where: Array | None, axis: Axis, /, *,
                    xp: Any) -> tuple[Array, Array | None, Array | None]:
    """optax's ``where``: logits and labels with the classes last, masked classes at ``-inf`` logit and 0 label,
    and the per-example mask (None without ``where``); an all-masked example keeps finite logits (its loss is
    masked to 0)."""
    if where is not None and where.ndim != logits.ndim:
        where = xp.expand_dims(where, axis=axis if isinstance(axis, int) else -1)
    z = flatten_axes(logits, axis, xp=xp)
    q = None if labels is None else flatten_axes(labels, axis, xp=xp)
    if where is None:
        return z, q, None
    w = flatten_axes(xp.broadcast_to(where, tuple(logits.shape)), axis, xp=xp)
    rows = xp.any(w, axis=-1)
    z = xp.where(w, z, xp.full_like(z, -math.inf))
    z = xp.where(xp.expand_dims(rows, axis=-1), z, xp.zeros_like(z))
    if q is not None:
        q = xp.where(w, xp.astype(q, z.dtype), xp.zeros_like(z))
    return z, q, rows


def softmax_cross_entropy(logits: Array, labels: Array, axis: Axis = -1, where: Array | None = None) -> Array:
    """``optax.losses.softmax_cross_entropy``: per example ``−Σ labels·log_softmax(logits)``.

    lossport's is the safe form: masked ``-inf`` logits under zero labels cost 0 (optax gives NaN there).
    """
    xp = namespace(logits, labels, where)
    z, q, rows = _masked_classes(logits, xp.astype(labels, logits.dtype), where, axis, xp=xp)
    return lossport.softmax_cross_entropy(z, q, where=rows, reduction="none")


def safe_softmax_cross_entropy(logits: Array, labels: Array) -> Array:
    """``optax.losses.safe_softmax_cross_entropy``: as :func:`softmax_cross_entropy` (lossport's is safe)."""
    return softmax_cross_entropy(logits, labels)


def softmax_cross_entropy_with_integer_labels(logits: Array, labels: Array, axis: Axis = -1,
                                              where: Array | None = None) -> Array:
    """``optax.losses.softmax_cross_entropy_with_integer_labels``: per example ``logsumexp(z) − z_y``; ``where``
    masks examples (batch-shaped) or classes out of the normaliser (logits-shaped; the label's class must stay
    in)."""
    xp = namespace(logits, labels, where)
    z, _, rows = _masked_classes(logits, None, where, axis, xp=xp)
    return lossport.sparse_softmax_cross_entropy(z, labels, where=rows, reduction="none")


def poly_loss_cross_entropy(logits: Array, labels: Array, *, epsilon: float = 2.0, axis: Axis = -1,
                            where: Array | None = None) -> Array:
    """``optax.losses.poly_loss_cross_entropy``: ``CE + epsilon·Σ labels·(1 − softmax(logits))`` per example."""
    xp = namespace(logits, labels, where)
    z, q, rows = _masked_classes(logits, xp.astype(labels, logits.dtype), where, axis, xp=xp)
    return lossport.poly1_cross_entropy(z, q, epsilon=float(epsilon), where=rows, reduction="none")


def multiclass_hinge_loss(scores: Array, labels: Array) -> Array:
    """``optax.losses.multiclass_hinge_loss``: Crammer–Singer, per example."""
    return lossport.multiclass_hinge(scores, labels, reduction="none")


def multiclass_perceptron_loss(scores: Array, labels: Array) -> Array:
    """``optax.losses.multiclass_perceptron_loss``: ``max_c s_c − s_y``, per example."""
    return lossport.multiclass_perceptron(scores, labels, reduction="none")


def multiclass_sparsemax_loss(scores: Array, labels: Array) -> Array:
    """``optax.losses.multiclass_sparsemax_loss``: per example, integer labels."""
    return lossport.sparsemax(scores, labels, reduction="none")


def smooth_labels(labels: Array, alpha: float, *, axis: Axis = -1, where: Array | None = None) -> Array:
    """``optax.losses.smooth_labels``: ``(1 − alpha)·labels + alpha/K`` (``K`` the classes, or those ``where``
    keeps). A label transform, not a loss."""
    xp = namespace(labels, where)
    if where is None:
        axes = tuple(range(labels.ndim)) if axis is None else (axis,) if isinstance(axis, int) else axis
        classes: Any = math.prod(int(labels.shape[a]) for a in axes)
    else:
        classes = xp.sum(xp.astype(where, labels.dtype), axis=axis, keepdims=True)
    return (1.0 - alpha) * labels + alpha / classes


# -- divergences ------------------------------------------------------------------------------------------------


def _divergence(fn: Callable[..., Array], log_predictions: Array, targets: Array, axis: Axis,
                where: Array | None, **knobs: Any) -> Array:
    """Per example over ``axis``; with ``where``, lossport's elementwise terms (a class axis of 1) are summed
    over the kept entries."""
    xp = namespace(log_predictions, targets, where)
    if where is None:
        return fn(flatten_axes(log_predictions, axis, xp=xp), flatten_axes(targets, axis, xp=xp),
                  reduction="none", **knobs)
    terms = fn(xp.expand_dims(log_predictions, axis=-1), xp.expand_dims(targets, axis=-1), reduction="none",
               **knobs)
    terms = xp.where(where, terms, xp.zeros_like(terms))
    return xp.sum(flatten_axes(terms, axis, xp=xp), axis=-1)


def kl_divergence(log_predictions: Array, targets: Array, axis: Axis = -1, where: Array | None = None) -> Array:
    """``optax.losses.kl_divergence(log q, p)``: per example ``Σ p·(log p − log q)``, ``0·log 0 = 0``."""
    return _divergence(lossport.kl_divergence, log_predictions, targets, axis, where)


def kl_divergence_with_log_targets(log_predictions: Array, log_targets: Array, axis: Axis = -1,
                                   where: Array | None = None) -> Array:
    """``optax.losses.kl_divergence_with_log_targets(log q, log p)``."""
    return _divergence(lossport.kl_divergence, log_predictions, log_targets, axis, where, log_targets=True)


def generalized_kl_divergence(log_predictions: Array, targets: Array, axis: Axis = -1,
                              where: Array | None = None) -> Array:
    """``optax.losses.generalized_kl_divergence``: ``Σ p·(log p − log q) − p + q`` per example."""
    return _divergence(lossport.generalized_kl_divergence, log_predictions, targets, axis, where)


def convex_kl_divergence(log_predictions: Array, targets: Array, axis: Axis = -1,
                         where: Array | None = None) -> Array:
    """``optax.losses.convex_kl_divergence``: optax's deprecated alias of :func:`generalized_kl_divergence`."""
    return generalized_kl_divergence(log_predictions, targets, axis=axis, where=where)


# -- embeddings and ranking -------------------------------------------------------------------------------------


def triplet_margin_loss(anchors: Array, positives: Array, negatives: Array, axis: int = -1,
                        norm_degree: float = 2, margin: float = 1.0, eps: float = 1e-6) -> Array:
    """``optax.losses.triplet_margin_loss``: per triplet ``max(0, margin + d(a, p) − d(a, n))``,
    ``d = (Σ|·|^k + eps)^(1/k)`` (optax omits the absolute value, which matters for odd ``norm_degree`` only)."""
    return lossport.triplet_margin(anchors, positives, negatives, margin=float(margin), p=norm_degree,
                                   eps=float(eps), eps_in="sum", axis=axis, reduction="none")


def ntxent(embeddings: Array, labels: Array, temperature: float = 0.07) -> Array:
    """``optax.losses.ntxent``: the mean NT-Xent over the positive pairs of one ``(N, D)`` batch."""
    return lossport.ntxent(embeddings, labels, temperature=float(temperature))


def ranking_softmax_loss(logits: Array, labels: Array, *, where: Array | None = None,
                         weights: Array | None = None, reduce_fn: Callable[..., Any] | str | None = "mean"
                         ) -> Array:
    """``optax.losses.ranking_softmax_loss``: ``−Σ labels·log_softmax(logits)`` per list over the valid items.

    ``weights`` multiply the relevance per item. ``reduce_fn``: ``"mean"`` (optax's default ``jnp.mean``: the
    mean over the lists with a valid item), ``"sum"``, ``None``, or any framework's ``mean`` / ``sum`` function.
    """
    xp = namespace(logits, labels, where, weights)
    relevance = xp.astype(labels, logits.dtype)
    if weights is not None:
        relevance = relevance * weights
    name = reduce_fn if reduce_fn is None or isinstance(reduce_fn, str) else getattr(reduce_fn, "__name__", "")
    if name not in (None, "mean", "sum"):
        msg = f"`reduce_fn` must be a mean or sum function, or None; got {reduce_fn!r}"
        raise ValueError(msg)
    return lossport.ranking_softmax(logits, relevance, where=where, reduction="none" if name is None else name)


# -- segmentation -----------------------------------------------------------------------------------------------


def _probabilities(predictions: Array, apply_softmax: bool, /, *, xp: Any) -> Array:
    if not apply_softmax:
        return predictions
    if predictions.shape[-1] == 1:
        return sigmoid(predictions, xp=xp)
    return xp.exp(log_softmax(predictions, xp=xp))


def dice_loss(predictions: Array, targets: Array, *, class_weights: Array | None = None, smooth: float = 1.0,
              alpha: float = 0.5, beta: float = 0.5, apply_softmax: bool = True, reduction: str = "mean",
              ignore_background: bool = False, axis: Any = None) -> Array:
    """``optax.losses.dice_loss``: per (example, class) ``1 − (I + s)/(I + α·FP + β·FN + s)`` over the spatial
    axes (``axis=None``), channels last; softmax (sigmoid for one channel) unless ``apply_softmax=False``; then
    ``class_weights`` multiply, ``ignore_background`` drops class 0, and ``reduction`` reduces the classes.

    optax checks that probabilities sum to 1 when ``apply_softmax=False``; lossport.compat does not (it would
    branch on values, and rejects every one-channel input: docs/conventions.md SEG3).
    """
    xp = namespace(predictions, targets, class_weights)
    if predictions.ndim == targets.ndim - 1:
        predictions = xp.expand_dims(predictions, axis=-1)
    if targets.ndim == predictions.ndim - 1:
        targets = xp.expand_dims(targets, axis=-1)
    probs = _probabilities(predictions, apply_softmax, xp=xp)
    loss = lossport.tversky(probs, xp.astype(targets, probs.dtype), alpha=float(alpha), beta=float(beta),
                            smooth=float(smooth), axis="spatial" if axis is None else axis, reduction="none")
    if class_weights is not None:
        loss = loss * class_weights
    if ignore_background and probs.shape[-1] > 1:
        loss = loss[..., 1:]
    if reduction == "none":
        return loss
    if reduction not in ("mean", "sum"):
        msg = f"`reduction` must be one of ('mean', 'sum', 'none'); got {reduction!r}"
        raise ValueError(msg)
    return getattr(xp, reduction)(loss, axis=-1)


def binary_dice_loss(predictions: Array, targets: Array, *, smooth: float = 1.0,
                     apply_sigmoid: bool = True) -> Array:
    """``optax.losses.binary_dice_loss``: :func:`dice_loss` on one channel (added when missing), class mean."""
    xp = namespace(predictions, targets)
    if predictions.ndim == targets.ndim and predictions.shape[-1] != 1:
        predictions, targets = xp.expand_dims(predictions, axis=-1), xp.expand_dims(targets, axis=-1)
    return dice_loss(predictions, targets, smooth=smooth, apply_softmax=apply_sigmoid, reduction="mean")


def multiclass_generalized_dice_loss(predictions: Array, targets: Array, *, smooth: float = 1.0,
                                     apply_softmax: bool = True, ignore_background: bool = False) -> Array:
    """``optax.losses.multiclass_generalized_dice_loss``: class weights ``1/(T_c² + 1e-7)`` from the whole batch
    (normalised to sum to C) times the Dice losses, averaged: lossport's ``generalized_dice(combine="mean",
    batch_weights=True)`` with twice optax's ``smooth``. ``ignore_background`` drops class 0 after the weights
    are normalised and averages over the other ``C − 1``: ``classes=(1, …, C − 1)`` times ``C/(C − 1)``."""
    xp = namespace(predictions, targets)
    probs = _probabilities(predictions, apply_softmax, xp=xp)
    classes = int(probs.shape[-1])
    kept = tuple(range(1, classes)) if ignore_background and classes > 1 else "all"
    loss = lossport.generalized_dice(probs, xp.astype(targets, probs.dtype), smooth=2.0 * float(smooth),
                                     combine="mean", batch_weights=True, classes=kept)
    return loss if kept == "all" else loss * (classes / (classes - 1))


# -- sequences --------------------------------------------------------------------------------------------------


def ctc_loss(logits: Array, logit_paddings: Array, labels: Array, label_paddings: Array, *, blank_id: int = 0,
             log_epsilon: float = -1e5) -> Array:
    """``optax.losses.ctc_loss``: per-sequence CTC of logits ``(B, T, K)`` (log-softmaxed) with 0/1 paddings
    (1 at padded positions, right-padded). ``log_epsilon`` is optax's stand-in for log 0: lossport is exact, so
    an impossible alignment gives ``+inf`` here, ``-log_epsilon`` in optax."""
    del log_epsilon
    xp = namespace(logits, logit_paddings, labels, label_paddings)
    index = xp.int64
    input_lengths = xp.astype(xp.sum(1 - logit_paddings, axis=-1), index)
    label_lengths = xp.astype(xp.sum(1 - label_paddings, axis=-1), index)
    return lossport.ctc(log_softmax(logits, xp=xp), xp.astype(labels, index), input_lengths, label_lengths,
                        blank=blank_id, reduction="none")


def ctc_loss_with_forward_probs(logits: Array, logit_paddings: Array, labels: Array, label_paddings: Array, *,
                                blank_id: int = 0, log_epsilon: float = -1e5) -> tuple[Array, Array, Array]:
    """``optax.losses.ctc_loss_with_forward_probs``: ``(per_seq_loss, logalpha_blank, logalpha_emit)``, the
    forward variables time-major: ``logalpha_blank`` ``(T, B, N + 1)`` (in the blank after ``n`` labels) and
    ``logalpha_emit`` ``(T, B, N)`` (in label ``n + 1``), after each frame; the last frame's blank states also
    hold the paths ending in the label before (optax's final transition). From
    :func:`lossport.sequence.ctc_forward_variables`.

    Unreachable states are ``-inf`` here; optax carries ``log_epsilon``-scaled stand-ins (about ``-1e5`` and
    below) there, and past each sequence's labels (its padding, read as labels by optax) values of its own:
    compare the states ``n ≤ label length`` where both are finite (docs/compat.md)."""
    del log_epsilon
    xp = namespace(logits, logit_paddings, labels, label_paddings)
    index = xp.int64
    input_lengths = xp.astype(xp.sum(1 - logit_paddings, axis=-1), index)
    label_lengths = xp.astype(xp.sum(1 - label_paddings, axis=-1), index)
    loss, alpha = lossport.sequence.ctc_forward_variables(log_softmax(logits, xp=xp), xp.astype(labels, index),
                                                          input_lengths, label_lengths, blank=blank_id)
    blank_states, emit = alpha[..., 0::2], alpha[..., 1::2]  # (B, T, N + 1), (B, T, N)
    ended = logsumexp(xp.stack([blank_states[:, -1, 1:], emit[:, -1, :]], axis=-1), axis=-1, xp=xp)
    final = xp.concat([blank_states[:, -1, :1], ended], axis=-1)
    blank_states = xp.concat([blank_states[:, :-1, :], xp.expand_dims(final, axis=1)], axis=1)
    return loss, xp.permute_dims(blank_states, (1, 0, 2)), xp.permute_dims(emit, (1, 0, 2))
