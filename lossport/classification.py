"""Cross-entropy losses: binary and multiclass, on logits, probabilities and log-probabilities."""

from __future__ import annotations

from typing import Any

from lossport._namespace import array_namespace
from lossport._numerics import clamped_log, log_softmax, log_softmax_at, mul0, softplus
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    check_floating,
    check_in_unit_interval,
    check_integer,
    check_labels_in_range,
    check_positive,
    check_same_shape,
    check_shape,
    compute_dtype,
    elementwise_inputs,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "nll",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]

Array = Any


def _check_smoothing(label_smoothing: float) -> None:
    check_positive("label_smoothing", label_smoothing, allow_zero=True)
    if label_smoothing > 1:
        msg = f"`label_smoothing` must be in [0, 1]; got {label_smoothing!r}"
        raise ValueError(msg)


def _class_last(x: Array, axis: int, /, *, xp: Any) -> Array:
    """``x`` with its class axis moved last (a no-op for the default ``axis=-1``)."""
    ndim = len(x.shape)
    if ndim == 0:
        msg = f"the scores must have a class axis; got a 0-D array of shape {tuple(x.shape)}"
        raise ValueError(msg)
    if not -ndim <= axis < ndim:
        msg = f"`axis` must be in [{-ndim}, {ndim}) for {ndim}-D scores; got {axis}"
        raise ValueError(msg)
    return x if axis in (-1, ndim - 1) else xp.moveaxis(x, axis, -1)


def _sparse_inputs(
    name: str,
    scores: Array,
    labels: Array,
    axis: int,
    ignore_index: int | None,
    class_weights: Array | None,
    weights: Array | None,
    where: Array | None,
    xp: Any,
) -> tuple[Any, Array, Array, Any, Array | None]:
    """The shared entry of the integer-label losses; returns ``xp, scores, labels, out_dtype, keep``."""
    xp = array_namespace(
        scores, labels, class_weights, weights, where, xp=xp,
        names=(name, "labels", "class_weights", "weights", "where"),
    )
    check_floating(name, scores, xp=xp)
    check_integer("labels", labels, xp=xp)
    scores = _class_last(scores, axis, xp=xp)
    check_shape("labels", labels, tuple(scores.shape)[:-1], f"`{name}`'s shape without the class axis")
    num_classes = tuple(scores.shape)[-1]
    if class_weights is not None:
        check_shape("class_weights", class_weights, (num_classes,), "one weight per class")
    dtype, out_dtype = compute_dtype(scores, xp=xp)
    scores = xp.astype(scores, dtype, copy=False)
    check_labels_in_range("labels", labels, num_classes, ignore_index=ignore_index, xp=xp)
    keep = None
    if ignore_index is not None:
        keep = labels != ignore_index
        labels = xp.where(keep, labels, xp.zeros_like(labels))  # any valid index; the entry is masked
    return xp, scores, labels, out_dtype, keep


def _and(a: Array | None, b: Array | None, /, *, xp: Any) -> Array | None:
    if a is None:
        return b
    return a if b is None else xp.logical_and(a, b)


def _picked_weights(class_weights: Array, labels: Array, dtype: Any, /, *, xp: Any) -> Array:
    return xp.take(xp.astype(class_weights, dtype, copy=False), labels, axis=0)


def sparse_softmax_cross_entropy(
    logits: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    ignore_index: int | None = None,
    class_weights: Array | None = None,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Softmax cross-entropy between logits and integer class labels.

    .. math:: \ell_i = \operatorname{logsumexp}_c z_{ic} - z_{i y_i}

    computed as ``(m − z_y) + log1p(Σ_{c≠argmax} exp(z_c − m))`` with ``m = max_c z_c``, so that a confident
    correct prediction's tiny loss keeps its relative accuracy. With class weights ``w`` and label smoothing
    ``ε`` (torch's convention):

    .. math:: \ell_i = (1 - \varepsilon)\, w_{y_i} (-\log p_{i y_i})
              + \frac{\varepsilon}{C} \sum_c w_c (-\log p_{ic})

    and ``"mean"`` divides by ``Σ_i w_{y_i}`` over the kept samples. For a sequence loss over
    ``(batch, time, classes)``, pass the padding mask as ``where``.

    Parameters
    ----------
    logits : array, shape ``(..., C)`` (class axis `axis`), real floating
    labels : array, shape ``(...)``, integer in ``[0, C)``
    axis : int, default -1
        The class axis of `logits`.
    ignore_index : int, optional
        Samples with this label are left out of the loss and of the mean's denominator (torch's default is
        -100; lossport's default is to ignore nothing).
    class_weights : array, shape ``(C,)``, optional
    label_smoothing : float, default 0.0
        Mixes the one-hot target with the uniform distribution: ``(1 − ε)·onehot + ε/C``.
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the class axis removed) for ``reduction="none"``; ignored samples give 0.

    Raises
    ------
    TypeError
        If `logits` is not floating or `labels` not integer.
    ValueError
        If `labels` has the wrong shape or (on concrete arrays) a label outside ``[0, C)``.

    See Also
    --------
    torch.nn.functional.cross_entropy, tf.nn.sparse_softmax_cross_entropy_with_logits,
    optax.softmax_cross_entropy_with_integer_labels, keras.losses.SparseCategoricalCrossentropy

    Examples
    --------
    >>> import numpy as np, lossport
    >>> logits = np.array([[0.0, 0.0], [0.0, 0.0]])
    >>> float(lossport.sparse_softmax_cross_entropy(logits, np.array([0, 1])))  # log 2
    0.6931471805599453
    """
    check_reduction(reduction)
    _check_smoothing(label_smoothing)
    xp, logits, labels, out_dtype, keep = _sparse_inputs(
        "logits", logits, labels, axis, ignore_index, class_weights, weights, where, xp
    )
    scale = None
    if label_smoothing == 0:
        loss = -log_softmax_at(logits, labels, xp=xp)
        if class_weights is not None:
            scale = _picked_weights(class_weights, labels, logits.dtype, xp=xp)
            loss = scale * loss
    else:
        logp = log_softmax(logits, xp=xp)
        picked = -xp.squeeze(xp.take_along_axis(logp, xp.expand_dims(labels, axis=-1), axis=-1), axis=-1)
        if class_weights is not None:
            cw = xp.astype(class_weights, logits.dtype, copy=False)
            scale = xp.take(cw, labels, axis=0)
            picked = scale * picked
            logp = logp * cw
        num_classes = tuple(logits.shape)[-1]
        loss = (1.0 - label_smoothing) * picked - (label_smoothing / num_classes) * xp.sum(logp, axis=-1)
    mask = _and(keep, where, xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=mask, scale=scale, out_dtype=out_dtype, xp=xp)


def nll(
    log_probabilities: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    ignore_index: int | None = None,
    class_weights: Array | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Negative log-likelihood of integer labels under log-probabilities.

    .. math:: \ell_i = -w_{y_i} \log p_{i y_i}

    ``"mean"`` divides by ``Σ_i w_{y_i}`` over kept samples (torch's ``nll_loss``). The inputs are not checked to
    be normalised.

    Parameters
    ----------
    log_probabilities : array, shape ``(..., C)``, real floating
    labels : array, shape ``(...)``, integer in ``[0, C)``
    axis, ignore_index, class_weights, weights, where, reduction, xp
        As in :func:`sparse_softmax_cross_entropy`.

    Returns
    -------
    array
        0-D, or shape ``(...)`` for ``reduction="none"``; ignored samples give 0.

    See Also
    --------
    torch.nn.functional.nll_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> float(lossport.nll(np.log(np.array([[0.25, 0.75]])), np.array([0])))  # -log 0.25
    1.3862943611198906
    """
    check_reduction(reduction)
    xp, logp, labels, out_dtype, keep = _sparse_inputs(
        "log_probabilities", log_probabilities, labels, axis, ignore_index, class_weights, weights, where, xp
    )
    loss = -xp.squeeze(xp.take_along_axis(logp, xp.expand_dims(labels, axis=-1), axis=-1), axis=-1)
    scale = None
    if class_weights is not None:
        scale = _picked_weights(class_weights, labels, logp.dtype, xp=xp)
        loss = scale * loss
    mask = _and(keep, where, xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=mask, scale=scale, out_dtype=out_dtype, xp=xp)


def _soft_inputs(
    name: str, scores: Array, labels: Array, axis: int, weights: Array | None, where: Array | None, xp: Any
) -> tuple[Any, Array, Array, Any]:
    """The shared entry of the label-distribution losses; returns ``xp, scores, labels, out_dtype``."""
    xp = array_namespace(
        scores, labels, weights, where, xp=xp, names=(name, "labels", "weights", "where")
    )
    check_floating(name, scores, xp=xp)
    check_same_shape(name, scores, "labels", labels)
    dtype, out_dtype = compute_dtype(scores, labels, xp=xp)
    scores = xp.astype(_class_last(scores, axis, xp=xp), dtype, copy=False)
    labels = xp.astype(_class_last(labels, axis, xp=xp), dtype, copy=False)
    return xp, scores, labels, out_dtype


def softmax_cross_entropy(
    logits: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Softmax cross-entropy between logits and label distributions (soft labels).

    .. math:: \ell_i = -\sum_c q_{ic} \log \operatorname{softmax}(z_i)_c,
              \quad q = (1 - \varepsilon)\, y + \varepsilon / C

    A term with ``q = 0`` counts as 0 even where its logit is ``-inf``, so masked (``-inf``) logits give a finite
    loss and finite gradients, as optax's ``safe_softmax_cross_entropy`` does (torch, TensorFlow, Keras and
    optax's ``softmax_cross_entropy`` give NaN there). With ``label_smoothing > 0`` every class gets mass, so a
    ``-inf`` logit makes the loss infinite.

    Parameters
    ----------
    logits : array, shape ``(..., C)``, real floating
    labels : array, the same shape as `logits`
        Distributions over the class axis (one-hot or soft); not checked to sum to 1.
    axis : int, default -1
    label_smoothing : float, default 0.0
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the class axis removed) for ``reduction="none"``.

    See Also
    --------
    tf.nn.softmax_cross_entropy_with_logits, optax.safe_softmax_cross_entropy,
    keras.losses.CategoricalCrossentropy, torch.nn.functional.cross_entropy (probability targets)

    Examples
    --------
    >>> import numpy as np, lossport
    >>> logits = np.array([[0.0, -np.inf, 0.0]])
    >>> float(lossport.softmax_cross_entropy(logits, np.array([[1.0, 0.0, 0.0]])))  # log 2
    0.6931471805599453
    """
    check_reduction(reduction)
    _check_smoothing(label_smoothing)
    xp, logits, labels, out_dtype = _soft_inputs("logits", logits, labels, axis, weights, where, xp)
    if label_smoothing:
        labels = (1.0 - label_smoothing) * labels + label_smoothing / tuple(logits.shape)[-1]
    loss = -xp.sum(mul0(labels, log_softmax(logits, xp=xp), xp=xp), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def categorical_cross_entropy(
    probabilities: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    eps: float | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Cross-entropy between predicted probabilities and labels (distributions or integer classes).

    .. math:: \ell_i = -\sum_c y_{ic} \max(\log p_{ic}, -100)

    Exact where finite; each log term is clamped at -100 (torch's convention), so a probability of 0 on the
    true class gives a large finite loss. ``eps`` clips the probabilities to ``[eps, 1 − eps]`` first (Keras:
    ``1e-7``; scikit-learn: the dtype's machine epsilon). Keras also renormalises the probabilities to sum to 1;
    lossport does not (divide by the sum first to reproduce it).

    Parameters
    ----------
    probabilities : array, shape ``(..., C)``, real floating, in ``[0, 1]``
    labels : array
        Either distributions of the same shape as `probabilities`, or integer class indices of shape ``(...)``.
    axis : int, default -1
    eps : float, optional
    weights, where, reduction, xp
        As in :func:`softmax_cross_entropy`.

    Returns
    -------
    array
        0-D, or shape ``(...)`` for ``reduction="none"``.

    Raises
    ------
    ValueError
        If (on concrete arrays) a probability lies outside ``[0, 1]``, or a class index outside ``[0, C)``.

    See Also
    --------
    keras.losses.CategoricalCrossentropy, sklearn.metrics.log_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([[0.15, 0.75, 0.1], [0.75, 0.15, 0.1]])
    >>> round(float(lossport.categorical_cross_entropy(p, np.array([[0, 1, 0], [1, 0, 0]]))), 7)  # -log .75
    0.2876821
    >>> round(float(lossport.categorical_cross_entropy(p, np.array([1, 0]))), 7)
    0.2876821
    """
    check_reduction(reduction)
    if eps is not None:
        check_positive("eps", eps)
    sparse = hasattr(labels, "shape") and hasattr(probabilities, "shape") and (
        len(labels.shape) == len(probabilities.shape) - 1
    )
    if sparse:
        xp, probabilities, labels, out_dtype, _ = _sparse_inputs(
            "probabilities", probabilities, labels, axis, None, None, weights, where, xp
        )
    else:
        xp, probabilities, labels, out_dtype = _soft_inputs(
            "probabilities", probabilities, labels, axis, weights, where, xp
        )
    check_in_unit_interval("probabilities", probabilities, xp=xp)
    if eps is not None:
        probabilities = xp.clip(probabilities, min=float(eps), max=1.0 - float(eps))
    if sparse:
        picked = xp.take_along_axis(probabilities, xp.expand_dims(labels, axis=-1), axis=-1)
        loss = -xp.squeeze(clamped_log(picked, xp=xp), axis=-1)
    else:
        loss = -xp.sum(labels * clamped_log(probabilities, xp=xp), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def binary_cross_entropy(
    probabilities: Array,
    labels: Array,
    /,
    *,
    eps: float | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Binary cross-entropy on probabilities.

    .. math:: \ell_i = -\left(y_i \max(\log p_i, -100) + (1 - y_i) \max(\log(1 - p_i), -100)\right)

    Exact where finite, each log term clamped at -100 (torch's convention). ``eps`` clips the probabilities to
    ``[eps, 1 − eps]`` first: ``eps=1e-7`` reproduces Keras, the dtype's machine epsilon scikit-learn. Prefer
    :func:`binary_cross_entropy_with_logits` when logits are at hand: it is exact where this one saturates.

    Parameters
    ----------
    probabilities : array, shape ``(...)``, real floating, in ``[0, 1]``
    labels : array, shape ``(...)``, in ``[0, 1]`` (soft labels allowed)
    eps : float, optional
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If (on concrete arrays) a probability or label lies outside ``[0, 1]``, or the shapes differ.

    See Also
    --------
    torch.nn.functional.binary_cross_entropy, keras.losses.BinaryCrossentropy, sklearn.metrics.log_loss,
    tf.compat.v1.losses.log_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.binary_cross_entropy(np.array([0.5, 0.0]), np.array([1.0, 1.0]), reduction="none")
    array([  0.69314718, 100.        ])
    """
    check_reduction(reduction)
    if eps is not None:
        check_positive("eps", eps)
    xp, probabilities, labels, out_dtype = elementwise_inputs(
        probabilities, labels, weights, where, names=("probabilities", "labels"), xp=xp
    )
    check_in_unit_interval("probabilities", probabilities, xp=xp)
    check_in_unit_interval("labels", labels, xp=xp)
    if eps is not None:
        probabilities = xp.clip(probabilities, min=float(eps), max=1.0 - float(eps))
    log_p = clamped_log(probabilities, xp=xp)
    log_q = clamped_log(1.0 - probabilities, xp=xp)
    loss = -(labels * log_p + (1.0 - labels) * log_q)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def binary_cross_entropy_with_logits(
    logits: Array,
    labels: Array,
    /,
    *,
    pos_weight: float | Array | None = None,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Binary cross-entropy on logits (sigmoid cross-entropy).

    .. math:: \ell_i = w_+ \, y_i \operatorname{softplus}(-x_i) + (1 - y_i) \operatorname{softplus}(x_i)

    with ``w₊ = pos_weight`` (1 by default). Both terms are non-negative, so nothing cancels: the loss keeps its
    relative accuracy down to the smallest values (``softplus(x) − y·x`` loses it for very negative ``x``), and a
    term whose coefficient is 0 counts as 0 even at ``x = ±inf``, so the loss is exact there (torch gives NaN at
    ``-inf``). ``label_smoothing=ε`` replaces ``y`` by ``(1 − ε)·y + ε/2`` (Keras).

    Parameters
    ----------
    logits : array, shape ``(...)``, real floating
    labels : array, shape ``(...)``, in ``[0, 1]`` (soft labels allowed)
    pos_weight : float or array, optional
        Weight of the positive term, broadcast against the loss (per class along the last axis, as in torch and
        ``tf.nn.weighted_cross_entropy_with_logits``).
    label_smoothing : float, default 0.0
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    See Also
    --------
    torch.nn.functional.binary_cross_entropy_with_logits, tf.nn.sigmoid_cross_entropy_with_logits,
    tf.nn.weighted_cross_entropy_with_logits, optax.sigmoid_binary_cross_entropy,
    keras.losses.BinaryCrossentropy(from_logits=True)

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.binary_cross_entropy_with_logits(
    ...     np.array([0.0, np.inf, -np.inf]), np.array([1.0, 1.0, 0.0]), reduction="none")
    array([0.69314718, 0.        , 0.        ])
    """
    check_reduction(reduction)
    _check_smoothing(label_smoothing)
    xp, logits, labels, out_dtype = elementwise_inputs(
        logits, labels, weights, where, names=("logits", "labels"), xp=xp
    )
    if label_smoothing:
        labels = (1.0 - label_smoothing) * labels + 0.5 * label_smoothing
    positive = mul0(labels, softplus(-logits, xp=xp), xp=xp)
    if pos_weight is not None:
        if not isinstance(pos_weight, (int, float)):
            check_floating("pos_weight", pos_weight, xp=xp)
            pos_weight = xp.astype(pos_weight, logits.dtype, copy=False)
        positive = pos_weight * positive
    loss = positive + mul0(1.0 - labels, softplus(logits, xp=xp), xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
