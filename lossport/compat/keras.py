"""Keras 3's functional ``keras.losses``, with Keras's names, signatures, defaults and conventions, on any arrays.

Conventions mapped onto lossport (docs/compat.md has the table):

- argument order ``(y_true, y_pred)``; the class axis is ``axis=-1``; ``y_true`` is cast to ``y_pred``'s dtype and
  a trailing axis of 1 is squeezed or added as Keras's ``squeeze_or_expand_to_same_rank`` does;
- the functions **average the last axis** of an elementwise loss and return the rest (``(batch, ...)``): Keras's
  ``Loss`` classes reduce that further, the functions do not;
- ``keras.config.epsilon() = 1e-7``: probabilities clipped to ``[1e-7, 1 − 1e-7]`` (cross-entropies, focal),
  ``clip=1e-7`` (KL), ``log(λ + 1e-7)`` (Poisson), ``max(|y|, 1e-7)`` (MAPE, in percent), ``max(y, 1e-7)`` (MSLE),
  ``+1e-7`` in the Dice and Tversky denominators; categorical probabilities are renormalised to sum to 1;
- ``label_smoothing`` smooths with ``ε / (size of the last axis)`` (Keras's, also when ``axis`` is not −1);
- hinge losses map labels ``2y − 1`` when every label is 0 or 1 (without a value branch: a ``where`` on
  ``all(y ∈ {0, 1})``); Keras's Tversky multiplies the false negatives by ``alpha`` (docs/conventions.md SEG4).

Keras's TensorFlow backend recovers logits from a probability tensor produced by its own sigmoid/softmax
(``_keras_logits``); lossport.compat never infers logits from provenance: pass ``from_logits=True``.
"""

from __future__ import annotations

from typing import Any

import lossport
from lossport._numerics import log_softmax
from lossport.compat._common import namespace

__all__ = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]

Array = Any
EPSILON = 1e-7  # keras.config.epsilon()


def _inputs(y_true: Array, y_pred: Array, *, same_rank: bool = True) -> tuple[Any, Array, Array]:
    """``xp``, ``y_true`` cast to ``y_pred``'s dtype, ``y_pred``; ranks matched as Keras does."""
    xp = namespace(y_pred, y_true)
    y_true = xp.astype(y_true, y_pred.dtype)
    if same_rank:
        y_true, y_pred = _same_rank(y_true, y_pred, xp=xp)
    return xp, y_true, y_pred


def _same_rank(a: Array, b: Array, /, *, xp: Any) -> tuple[Array, Array]:
    """Keras's ``squeeze_or_expand_to_same_rank``: a trailing axis of 1 squeezed (or the rank-1 side expanded)."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1:
            b = xp.expand_dims(b, axis=-1)
        else:
            a = xp.squeeze(a, axis=-1)
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1:
            a = xp.expand_dims(a, axis=-1)
        else:
            b = xp.squeeze(b, axis=-1)
    return a, b


def _smooth(y: Array, label_smoothing: float, classes: int | None) -> Array:
    """Keras's smoothing: ``y·(1 − ε) + ε/2`` (binary, ``classes=None``) or ``+ ε/classes``."""
    if not label_smoothing:
        return y
    return y * (1.0 - label_smoothing) + label_smoothing / (2 if classes is None else classes)


def _binary_to_hinge(y: Array, /, *, xp: Any) -> Array:
    """``2y − 1`` if every label is 0 or 1, else ``y`` (Keras's ``convert_binary_labels_to_hinge``)."""
    binary = xp.all(xp.logical_or(y == 0, y == 1))
    return xp.where(binary, 2.0 * y - 1.0, y)


def _clip(p: Array, /, *, xp: Any) -> Array:
    return xp.clip(p, min=EPSILON, max=1.0 - EPSILON)


# -- regression -------------------------------------------------------------------------------------------------


def mean_squared_error(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.mean_squared_error``: ``mean((y_true − y_pred)², axis=-1)``."""
    xp, y_true, y_pred = _inputs(y_true, y_pred)
    return xp.mean(lossport.mean_squared_error(y_pred, y_true, reduction="none"), axis=-1)


def mean_absolute_error(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.mean_absolute_error``: ``mean(|y_true − y_pred|, axis=-1)``."""
    xp, y_true, y_pred = _inputs(y_true, y_pred)
    return xp.mean(lossport.mean_absolute_error(y_pred, y_true, reduction="none"), axis=-1)


def mean_absolute_percentage_error(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.mean_absolute_percentage_error``: ``100 · mean(|y_true − y_pred| / max(|y_true|, 1e-7))``,
    a percentage."""
    xp, y_true, y_pred = _inputs(y_true, y_pred)
    per = lossport.mean_absolute_percentage_error(y_pred, y_true, eps=EPSILON, reduction="none")
    return 100.0 * xp.mean(per, axis=-1)


def mean_squared_logarithmic_error(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.mean_squared_logarithmic_error``: both clipped below at 1e-7 before ``log(· + 1)``."""
    xp, y_true, y_pred = _inputs(y_true, y_pred)
    per = lossport.mean_squared_logarithmic_error(y_pred, y_true, clip_min=EPSILON, reduction="none")
    return xp.mean(per, axis=-1)


def huber(y_true: Array, y_pred: Array, delta: float = 1.0) -> Array:
    """``keras.losses.huber``: ``½e²`` within ``delta``, ``delta·(|e| − ½delta)`` beyond, mean over the last axis."""
    xp, y_true, y_pred = _inputs(y_true, y_pred)
    return xp.mean(lossport.huber(y_pred, y_true, delta=float(delta), reduction="none"), axis=-1)


def log_cosh(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.log_cosh``: ``mean(log cosh(y_pred − y_true), axis=-1)`` (lossport's accurate form)."""
    xp, y_true, y_pred = _inputs(y_true, y_pred)
    return xp.mean(lossport.log_cosh(y_pred, y_true, reduction="none"), axis=-1)


def poisson(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.poisson``: rates, ``mean(y_pred − y_true·log(y_pred + 1e-7), axis=-1)``."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    per = lossport.poisson_nll(y_pred, y_true, log_input=False, eps=EPSILON, reduction="none")
    return xp.mean(per, axis=-1)


def cosine_similarity(y_true: Array, y_pred: Array, axis: int = -1) -> Array:
    """``keras.losses.cosine_similarity``: **−cos** along ``axis``, each vector's norm floored at 1e-7."""
    _, y_true, y_pred = _inputs(y_true, y_pred)
    return lossport.cosine_distance(y_pred, y_true, eps=EPSILON, axis=axis, reduction="none") - 1.0


def kl_divergence(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.kl_divergence``: probabilities, both clipped to ``[1e-7, 1]``, summed over the last axis."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    return lossport.kl_divergence(xp.log(y_pred), y_true, clip=EPSILON, reduction="none")


# -- binary and ±1 labels ---------------------------------------------------------------------------------------


def binary_crossentropy(y_true: Array, y_pred: Array, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Array:
    """``keras.losses.binary_crossentropy``: mean over ``axis``; probabilities clipped to ``[1e-7, 1 − 1e-7]``."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    if from_logits:
        per = lossport.binary_cross_entropy_with_logits(y_pred, y_true, label_smoothing=label_smoothing,
                                                        reduction="none")
    else:
        per = lossport.binary_cross_entropy(y_pred, _smooth(y_true, label_smoothing, None), eps=EPSILON,
                                            reduction="none")
    return xp.mean(per, axis=axis)


def binary_focal_crossentropy(y_true: Array, y_pred: Array, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> Array:
    """``keras.losses.binary_focal_crossentropy``: ``alpha`` applies only with ``apply_class_balancing``.

    Probabilities reach lossport's :func:`~lossport.sigmoid_focal` as the logits of the clipped probabilities;
    Keras takes the focal factor from the unclipped ones, which differs only outside ``[1e-7, 1 − 1e-7]``.
    """
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    logits = y_pred
    if not from_logits:
        p = _clip(y_pred, xp=xp)
        logits = xp.log(p) - xp.log1p(-p)
    per = lossport.sigmoid_focal(logits, y_true, alpha=float(alpha) if apply_class_balancing else None,
                                 gamma=float(gamma), label_smoothing=label_smoothing, reduction="none")
    return xp.mean(per, axis=axis)


def hinge(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.hinge``: ``mean(max(0, 1 − y·s), axis=-1)``, 0/1 labels mapped to ±1."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    margin = y_pred * _binary_to_hinge(y_true, xp=xp)
    return xp.mean(lossport.hinge(margin, xp.ones_like(margin), reduction="none"), axis=-1)


def squared_hinge(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.squared_hinge``: ``mean(max(0, 1 − y·s)², axis=-1)``, 0/1 labels mapped to ±1."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    margin = y_pred * _binary_to_hinge(y_true, xp=xp)
    return xp.mean(lossport.squared_hinge(margin, xp.ones_like(margin), reduction="none"), axis=-1)


# -- multiclass -------------------------------------------------------------------------------------------------


def categorical_crossentropy(y_true: Array, y_pred: Array, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Array:
    """``keras.losses.categorical_crossentropy``: one-hot or soft ``y_true``; probabilities renormalised to sum
    to 1, then clipped to ``[1e-7, 1 − 1e-7]``."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    y_true = _smooth(y_true, label_smoothing, int(y_true.shape[-1]))
    if from_logits:
        return lossport.softmax_cross_entropy(y_pred, y_true, axis=axis, reduction="none")
    p = y_pred / xp.sum(y_pred, axis=axis, keepdims=True)
    return lossport.categorical_cross_entropy(p, y_true, axis=axis, eps=EPSILON, reduction="none")


def sparse_categorical_crossentropy(y_true: Array, y_pred: Array, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Array:
    """``keras.losses.sparse_categorical_crossentropy``: integer labels (a trailing axis of 1 squeezed);
    ``ignore_class`` samples give 0. Probabilities are clipped to ``[1e-7, 1 − 1e-7]`` and their logs taken as
    logits (Keras's TensorFlow backend: the softmax renormalises)."""
    xp = namespace(y_pred, y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = xp.squeeze(y_true, axis=axis)
    if not xp.isdtype(y_true.dtype, "integral"):
        y_true = xp.astype(y_true, xp.int64)
    logits = y_pred if from_logits else xp.log(_clip(y_pred, xp=xp))
    return lossport.sparse_softmax_cross_entropy(logits, y_true, axis=axis, ignore_index=ignore_class,
                                                 reduction="none")


def categorical_focal_crossentropy(y_true: Array, y_pred: Array, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1) -> Array:
    """``keras.losses.categorical_focal_crossentropy``: ``−Σ alpha·(1 − p)^gamma·y·log p``, ``p`` renormalised
    and clipped to ``[1e-7, 1 − 1e-7]``; ``alpha`` always multiplies. Probabilities reach lossport as their logs
    (whose softmax is the renormalised probabilities)."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    y_true = _smooth(y_true, label_smoothing, int(y_true.shape[-1]))
    logits = y_pred if from_logits else xp.log(y_pred)
    if not isinstance(alpha, (int, float)):
        alpha = xp.asarray(alpha, dtype=y_pred.dtype) if not hasattr(alpha, "shape") else alpha
    else:
        alpha = float(alpha)
    return lossport.categorical_focal(logits, y_true, alpha=alpha, gamma=float(gamma), axis=axis, eps=EPSILON,
                                      reduction="none")


def categorical_generalized_cross_entropy(y_true: Array, y_pred: Array, q: float) -> Array:
    """``keras.losses.categorical_generalized_cross_entropy``: ``(1 − p_y^q)/q``, integer ``y_true``,
    probabilities ``y_pred``."""
    xp = namespace(y_pred, y_true)
    if not xp.isdtype(y_true.dtype, "integral"):
        y_true = xp.astype(y_true, xp.int64)
    return lossport.generalized_cross_entropy(y_pred, y_true, q=float(q), reduction="none")


def categorical_hinge(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.categorical_hinge``: ``max(0, max((1 − y)·s) − Σ y·s + 1)`` on one-hot ``y_true``: lossport's
    Crammer–Singer hinge with the best other score floored at 0 (``null_score=0``, docs/conventions.md M3)."""
    xp, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    labels = xp.argmax(y_true, axis=-1)
    return lossport.multiclass_hinge(y_pred, labels, null_score=0.0, reduction="none")


# -- embeddings, segmentation, sequences ------------------------------------------------------------------------


def circle(y_true: Array, y_pred: Array, ref_labels: Array | None = None, ref_embeddings: Array | None = None,
           remove_diagonal: bool = True, gamma: float = 80, margin: float = 0.4) -> Array:
    """``keras.losses.circle``: per-sample Circle loss of L2-normalised embeddings ``y_pred`` (not normalised
    again, as in Keras), against the batch or the reference set ``ref_embeddings`` / ``ref_labels``."""
    xp = namespace(y_pred, y_true, ref_labels, ref_embeddings)
    if not xp.isdtype(y_true.dtype, "integral"):
        y_true = xp.astype(y_true, xp.int32)
    if ref_labels is not None and not xp.isdtype(ref_labels.dtype, "integral"):
        ref_labels = xp.astype(ref_labels, xp.int32)
    if ref_embeddings is not None:
        ref_embeddings = xp.astype(ref_embeddings, y_pred.dtype)
    return lossport.circle(y_pred, y_true, gamma=float(gamma), margin=float(margin),
                           remove_diagonal=remove_diagonal, normalize=False, ref_embeddings=ref_embeddings,
                           ref_labels=ref_labels, reduction="none")


def dice(y_true: Array, y_pred: Array, axis: int | tuple[int, ...] | None = None) -> Array:
    """``keras.losses.dice``: ``1 − 2Σ y·p / (Σ y + Σ p + 1e-7)`` over ``axis`` (None: every axis, a scalar)."""
    _, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    return lossport.dice(y_pred, y_true, smooth=0.0, eps=EPSILON, axis=axis, reduction="none")


def tversky(y_true: Array, y_pred: Array, alpha: float = 0.5, beta: float = 0.5,
            axis: int | tuple[int, ...] | None = None) -> Array:
    """``keras.losses.tversky``: ``1 − I / (I + alpha·FN + beta·FP + 1e-7)``: Keras's ``alpha`` multiplies the
    false negatives (lossport's ``beta``)."""
    _, y_true, y_pred = _inputs(y_true, y_pred, same_rank=False)
    return lossport.tversky(y_pred, y_true, alpha=float(beta), beta=float(alpha), smooth=0.0, eps=EPSILON,
                            axis=axis, reduction="none")


def ctc(y_true: Array, y_pred: Array) -> Array:
    """``keras.losses.ctc``: ``y_pred`` logits ``(B, T, C)`` (log-softmaxed), ``y_true`` ``(B, S)`` labels padded
    with 0, which is also the blank; every input length is ``T``. Per-sequence losses."""
    xp = namespace(y_pred, y_true)
    y_true = xp.astype(y_true, xp.int64)  # Keras casts to int32; int64 is what every backend's gather takes
    batch, steps = int(y_pred.shape[0]), int(y_pred.shape[1])
    label_lengths = xp.astype(xp.sum(xp.astype(y_true != 0, xp.int32), axis=-1), y_true.dtype)
    input_lengths = xp.full((batch,), steps, dtype=y_true.dtype)
    return lossport.ctc(log_softmax(y_pred, xp=xp), y_true, input_lengths, label_lengths, blank=0,
                        reduction="none")
