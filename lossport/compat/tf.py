"""TensorFlow's losses, ``tf.nn.*`` and ``tf.compat.v1.losses.*``, with TF's names, signatures, defaults and
conventions, on any arrays: ``lossport.compat.tf.nn.sigmoid_cross_entropy_with_logits(labels=, logits=)``,
``lossport.compat.tf.compat.v1.losses.hinge_loss(labels, logits)``.

Conventions mapped onto lossport (docs/compat.md has the table):

- ``tf.nn``: keyword-style ``(labels=, logits=)``, no reduction (per element or per example); class axis last;
  ``ctc_loss`` is time-major by default and log-softmaxes its logits; ``l2_loss(t)`` is ``½ Σ t²``;
- ``tf.compat.v1.losses``: ``(labels, predictions)``, ``weights=1.0`` broadcast against the loss, and the default
  reduction ``"weighted_sum_by_nonzero_weights"``: ``Σ w·l / count(w ≠ 0)`` (0 when every weight is 0);
  ``Reduction.MEAN`` is ``Σ w·l / Σ w``; ``hinge_loss`` always maps labels ``2y − 1``; ``log_loss`` **adds**
  ``epsilon`` inside the logs (lossport's BCE, linear in the label, at ``p + ε`` for the positive term and
  ``p − ε`` for the negative one, the probabilities clipped to [0, 1] where that would leave it: there TF's loss
  is about −1e-7, lossport's 0); ``sigmoid_cross_entropy`` and ``softmax_cross_entropy`` take ``label_smoothing``.

TF v1 casts every input to float32; lossport.compat keeps the input dtype. ``name``, ``scope`` and
``loss_collection`` (graph-mode bookkeeping) are accepted and ignored.
"""

from __future__ import annotations

from typing import Any

import lossport
from lossport._numerics import log_softmax
from lossport.compat._common import Namespace, as_array, namespace, numel

__all__ = ["compat", "nn"]

Array = Any


# -- tf.nn ------------------------------------------------------------------------------------------------------


def sigmoid_cross_entropy_with_logits(labels: Array = None, logits: Array = None, name: str | None = None) -> Array:
    """``tf.nn.sigmoid_cross_entropy_with_logits``: elementwise."""
    del name
    xp = namespace(logits, labels)
    return lossport.binary_cross_entropy_with_logits(logits, xp.astype(labels, logits.dtype), reduction="none")


def weighted_cross_entropy_with_logits(labels: Array, logits: Array, pos_weight: Any,
                                       name: str | None = None) -> Array:
    """``tf.nn.weighted_cross_entropy_with_logits``: elementwise, ``pos_weight`` on the positive term."""
    del name
    xp = namespace(logits, labels)
    pw = pos_weight if isinstance(pos_weight, (int, float)) else as_array(pos_weight, logits, xp=xp,
                                                                           dtype=logits.dtype)
    return lossport.binary_cross_entropy_with_logits(logits, xp.astype(labels, logits.dtype), pos_weight=pw,
                                                     reduction="none")


def softmax_cross_entropy_with_logits(labels: Array, logits: Array, axis: int = -1,
                                      name: str | None = None) -> Array:
    """``tf.nn.softmax_cross_entropy_with_logits``: per example, label distributions along ``axis``."""
    del name
    xp = namespace(logits, labels)
    return lossport.softmax_cross_entropy(logits, xp.astype(labels, logits.dtype), axis=axis, reduction="none")


def sparse_softmax_cross_entropy_with_logits(labels: Array, logits: Array, name: str | None = None) -> Array:
    """``tf.nn.sparse_softmax_cross_entropy_with_logits``: per example, integer labels, class axis last."""
    del name
    return lossport.sparse_softmax_cross_entropy(logits, labels, reduction="none")


def log_poisson_loss(targets: Array, log_input: Array, compute_full_loss: bool = False,
                     name: str | None = None) -> Array:
    """``tf.nn.log_poisson_loss``: elementwise ``exp(x) − t·x`` (+ Stirling's term where t > 1)."""
    del name
    xp = namespace(log_input, targets)
    return lossport.poisson_nll(log_input, xp.astype(targets, log_input.dtype), log_input=True,
                                full=compute_full_loss, reduction="none")


def l2_loss(t: Array, name: str | None = None) -> Array:
    """``tf.nn.l2_loss``: ``½ Σ t²``, a scalar."""
    del name
    return lossport.l2_penalty([t], scale=0.5)


def ctc_loss(labels: Array, logits: Array, label_length: Array, logit_length: Array,
             logits_time_major: bool = True, unique: Any = None, blank_index: int | None = None,
             name: str | None = None) -> Array:
    """``tf.nn.ctc_loss`` on dense labels ``(B, S)``: per-sequence losses; logits are log-softmaxed; time-major
    ``(T, B, C)`` unless ``logits_time_major=False``; ``blank_index`` defaults to 0 and counts from the end when
    negative. ``unique`` (a TPU speed-up) does not change the value and is ignored."""
    del unique, name
    xp = namespace(logits, labels)
    if logits_time_major:
        logits = xp.moveaxis(logits, 0, 1)
    classes = int(logits.shape[-1])
    blank = 0 if blank_index is None else int(blank_index) % classes
    index = xp.int64
    return lossport.ctc(log_softmax(logits, xp=xp), xp.astype(labels, index), as_array(logit_length, logits, xp=xp, dtype=index),
                        as_array(label_length, logits, xp=xp, dtype=index), blank=blank, reduction="none")


nn = Namespace("lossport.compat.tf.nn", "``tf.nn``'s loss functions on any arrays.", {
    "ctc_loss": ctc_loss,
    "l2_loss": l2_loss,
    "log_poisson_loss": log_poisson_loss,
    "sigmoid_cross_entropy_with_logits": sigmoid_cross_entropy_with_logits,
    "softmax_cross_entropy_with_logits": softmax_cross_entropy_with_logits,
    "sparse_softmax_cross_entropy_with_logits": sparse_softmax_cross_entropy_with_logits,
    "weighted_cross_entropy_with_logits": weighted_cross_entropy_with_logits,
})


# -- tf.compat.v1.losses ----------------------------------------------------------------------------------------


class Reduction:
    """``tf.compat.v1.losses.Reduction``'s values."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            msg = f"`reduction` must be one of {cls.all()}; got {key!r}"
            raise ValueError(msg)


def _v1_reduce(loss_fn: Any, weights: Any, reduction: str, like: Array, /, *, xp: Any) -> Array:
    """TF v1's weighted reductions of ``loss_fn(weights=w, reduction=r)`` (a lossport call)."""
    Reduction.validate(reduction)
    w = None if isinstance(weights, (int, float)) and weights == 1.0 else as_array(weights, like, xp=xp)
    if reduction == Reduction.NONE:
        return loss_fn(w, "none")
    if reduction == Reduction.MEAN:
        return loss_fn(w, "mean") if w is not None else loss_fn(None, "mean")
    total = loss_fn(w, "sum")
    per = loss_fn(w, "none")
    if reduction == Reduction.SUM:
        return total
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        return total / max(1, _size(per))
    ones = xp.ones_like(per)
    present = ones if w is None else xp.astype(xp.astype(w, per.dtype) * ones != 0, per.dtype)
    count = xp.sum(present)
    return xp.where(count > 0, total / xp.where(count > 0, count, xp.ones_like(count)), xp.zeros_like(total))


def _size(x: Array) -> int:
    n = 1
    for d in x.shape:
        n *= int(d)
    return n


def compute_weighted_loss(losses: Array, weights: Any = 1.0, scope: Any = None, loss_collection: Any = "losses",
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.compute_weighted_loss``: TF v1's reductions of an unreduced loss."""
    del scope, loss_collection
    xp = namespace(losses)

    def fn(w: Array | None, r: str) -> Array:
        out = losses if w is None else losses * w
        if r == "none":
            return out
        if r == "sum":
            return xp.sum(out)
        return xp.sum(out) / xp.sum(xp.ones_like(losses) if w is None else w * xp.ones_like(losses))

    return _v1_reduce(fn, weights, reduction, losses, xp=xp)


def _v1_elementwise(loss: Any, labels: Array, predictions: Array, weights: Any, reduction: str,
                    **knobs: Any) -> Array:
    xp = namespace(predictions, labels)
    labels = xp.astype(labels, predictions.dtype)

    def fn(w: Array | None, r: str) -> Array:
        return loss(predictions, labels, weights=w, reduction=r, **knobs)

    return _v1_reduce(fn, weights, reduction, predictions, xp=xp)


def mean_squared_error(labels: Array, predictions: Array, weights: Any = 1.0, scope: Any = None,
                       loss_collection: Any = "losses",
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.mean_squared_error``."""
    del scope, loss_collection
    return _v1_elementwise(lossport.mean_squared_error, labels, predictions, weights, reduction)


def absolute_difference(labels: Array, predictions: Array, weights: Any = 1.0, scope: Any = None,
                        loss_collection: Any = "losses",
                        reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.absolute_difference``."""
    del scope, loss_collection
    return _v1_elementwise(lossport.mean_absolute_error, labels, predictions, weights, reduction)


def huber_loss(labels: Array, predictions: Array, weights: Any = 1.0, delta: float = 1.0, scope: Any = None,
               loss_collection: Any = "losses", reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.huber_loss``."""
    del scope, loss_collection
    return _v1_elementwise(lossport.huber, labels, predictions, weights, reduction, delta=float(delta))


def hinge_loss(labels: Array, logits: Array, weights: Any = 1.0, scope: Any = None,
               loss_collection: Any = "losses", reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.hinge_loss``: 0/1 labels, always mapped ``2y − 1`` (±1 labels become −3/+1)."""
    del scope, loss_collection
    xp = namespace(logits, labels)
    margin = logits * (2.0 * xp.astype(labels, logits.dtype) - 1.0)
    ones = xp.ones_like(margin)

    def fn(w: Array | None, r: str) -> Array:
        return lossport.hinge(margin, ones, weights=w, reduction=r)

    return _v1_reduce(fn, weights, reduction, logits, xp=xp)


def log_loss(labels: Array, predictions: Array, weights: Any = 1.0, epsilon: float = 1e-7, scope: Any = None,
             loss_collection: Any = "losses", reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.log_loss``: ``−y·log(p + ε) − (1 − y)·log(1 − p + ε)`` (ε added, not clipped)."""
    del scope, loss_collection
    xp = namespace(predictions, labels)
    y = xp.astype(labels, predictions.dtype)
    up = xp.clip(predictions + epsilon, min=0.0, max=1.0)
    down = xp.clip(predictions - epsilon, min=0.0, max=1.0)
    ones, zeros = xp.ones_like(y), xp.zeros_like(y)

    def fn(w: Array | None, r: str) -> Array:
        wp, wn = (y, 1.0 - y) if w is None else (y * w, (1.0 - y) * w)
        if r == "mean":  # Σ w·l / Σ w: the two terms' sums over one denominator
            total = fn(w, "sum")
            return total / xp.sum((ones if w is None else w) * ones)
        return (lossport.binary_cross_entropy(up, ones, weights=wp, reduction=r)
                + lossport.binary_cross_entropy(down, zeros, weights=wn, reduction=r))

    return _v1_reduce(fn, weights, reduction, predictions, xp=xp)


def sigmoid_cross_entropy(multi_class_labels: Array, logits: Array, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: Any = None, loss_collection: Any = "losses",
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.sigmoid_cross_entropy``: smoothing ``y·(1 − ε) + ε/2``."""
    del scope, loss_collection
    return _v1_elementwise(lossport.binary_cross_entropy_with_logits, multi_class_labels, logits, weights,
                           reduction, label_smoothing=float(label_smoothing))


def softmax_cross_entropy(onehot_labels: Array, logits: Array, weights: Any = 1.0, label_smoothing: float = 0,
                          scope: Any = None, loss_collection: Any = "losses",
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.softmax_cross_entropy``: per example, smoothing ``(1 − ε)·y + ε/C``."""
    del scope, loss_collection
    return _v1_elementwise(lossport.softmax_cross_entropy, onehot_labels, logits, weights, reduction,
                           label_smoothing=float(label_smoothing))


def sparse_softmax_cross_entropy(labels: Array, logits: Array, weights: Any = 1.0, scope: Any = None,
                                 loss_collection: Any = "losses",
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Array:
    """``tf.compat.v1.losses.sparse_softmax_cross_entropy``: integer labels (a trailing axis of 1 squeezed)."""
    del scope, loss_collection
    xp = namespace(logits, labels)
    if labels.ndim == logits.ndim and labels.shape[-1] == 1:
        labels = xp.squeeze(labels, axis=-1)

    def fn(w: Array | None, r: str) -> Array:
        if w is not None and w.ndim == labels.ndim + 1 and w.shape[-1] == 1:
            w = xp.squeeze(w, axis=-1)
        return lossport.sparse_softmax_cross_entropy(logits, labels, weights=w, reduction=r)

    return _v1_reduce(fn, weights, reduction, logits, xp=xp)


def cosine_distance(labels: Array, predictions: Array, axis: int | None = None, weights: Any = 1.0,
                    scope: Any = None, loss_collection: Any = "losses",
                    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS, dim: int | None = None) -> Array:
    """``tf.compat.v1.losses.cosine_distance``: ``1 − Σ l·p`` along ``axis`` (kept, of size 1), the inputs taken
    as already unit-normalised: lossport's ``cosine_distance(normalize=False)``. ``axis`` is required (``dim``,
    its deprecated name, is accepted as TF accepts it)."""
    del scope, loss_collection
    if dim is not None:
        if axis is not None and axis != dim:
            msg = "Cannot specify both 'axis' and 'dim' (the deprecated name of 'axis') in cosine_distance"
            raise ValueError(msg)
        axis = dim
    if axis is None:
        msg = "You must specify argument `axis` of cosine_distance (the vectors' axis)"
        raise ValueError(msg)
    xp = namespace(predictions, labels)
    labels = xp.astype(labels, predictions.dtype)
    per = lossport.cosine_distance(predictions, labels, axis=axis, normalize=False, reduction="none")
    return compute_weighted_loss(xp.expand_dims(per, axis=axis % predictions.ndim), weights, reduction=reduction)


def mean_pairwise_squared_error(labels: Array, predictions: Array, weights: Any = 1.0, scope: Any = None,
                                loss_collection: Any = "losses") -> Array:
    """``tf.compat.v1.losses.mean_pairwise_squared_error``: per sample (axis 0), the mean over its element pairs
    ``i < j`` of ``((p_i − l_i) − (p_j − l_j))²``, then ``Σ_b`` of it times the sample's weights (a sum over the
    batch, not a mean).

    The pairs' mean is ``2/(m − 1) · Σ (d − d̄)²`` for a sample's ``m`` differences ``d = p − l``: lossport's
    ``mean_squared_error`` of the predictions less the sample's mean difference ``d̄`` (summed), with no
    cancellation (TF forms ``2Σd²/(m − 1) − 2(Σd)²/(m(m − 1))``). TF counts the pairs from the *non-zero weights*
    ``n`` of each sample while its sums run over every element; compat keeps that: ``2(n·Σ(d − d̄)² +
    m·d̄²·(n − m)) / (n(n − 1))``, 0 for ``n ≤ 1``; a non-zero *scalar* weight makes ``n`` the batch's whole
    element count (TF's ``_num_present`` shortcut), which compat keeps too.
    """
    del scope, loss_collection
    xp = namespace(predictions, labels)
    labels = xp.astype(labels, predictions.dtype)
    axes = tuple(range(1, predictions.ndim))
    m = float(numel(predictions) // max(1, int(predictions.shape[0])))
    d_mean = xp.mean(predictions - labels, axis=axes, keepdims=True) if axes else predictions - labels
    squares = lossport.mean_squared_error(predictions - d_mean, labels, reduction="none")
    spread = xp.sum(squares, axis=axes, keepdims=True) if axes else squares  # Σ (d − d̄)², (B, 1, ..., 1)
    w = as_array(weights, predictions, xp=xp)
    present = xp.astype(w * xp.ones_like(predictions) != 0, predictions.dtype)
    if w.ndim == 0:  # TF: a non-zero scalar weight counts every element of the batch, not each sample's
        n = xp.where(w != 0, xp.full_like(spread, float(numel(predictions))), xp.zeros_like(spread))
    else:
        n = xp.sum(present, axis=axes, keepdims=True) if axes else present
    pairs = n * (n - 1.0)
    some = pairs > 0
    term = 2.0 * (n * spread + m * d_mean * d_mean * (n - m)) / xp.where(some, pairs, xp.ones_like(pairs))
    return xp.sum(xp.where(some, term, xp.zeros_like(term)) * w)


_losses = Namespace("lossport.compat.tf.compat.v1.losses", "``tf.compat.v1.losses`` on any arrays.", {
    "Reduction": Reduction,
    "absolute_difference": absolute_difference,
    "compute_weighted_loss": compute_weighted_loss,
    "cosine_distance": cosine_distance,
    "hinge_loss": hinge_loss,
    "huber_loss": huber_loss,
    "log_loss": log_loss,
    "mean_pairwise_squared_error": mean_pairwise_squared_error,
    "mean_squared_error": mean_squared_error,
    "sigmoid_cross_entropy": sigmoid_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "sparse_softmax_cross_entropy": sparse_softmax_cross_entropy,
})
compat = Namespace("lossport.compat.tf.compat", "``tf.compat``.", {
    "v1": Namespace("lossport.compat.tf.compat.v1", "``tf.compat.v1``.", {"losses": _losses}),
})
