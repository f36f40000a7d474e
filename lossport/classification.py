"""Cross-entropy losses: binary and multiclass, on logits, probabilities and log-probabilities."""

from __future__ import annotations

import math
from typing import Any

from lossport._cross_entropy import (
    PROBABILITY_CE,
    SIGMOID_CE,
    SIGMOID_FOCAL,
    SOFT_CE,
    SPARSE_CE,
    picked_weights,
)
from lossport._gradients import (
    apply,
)
from lossport._namespace import array_namespace, device
from lossport._numerics import (
    clamped_log,
    log1mexp,
    log_softmax,
    logsumexp,
    mul0,
    one_hot,
    softplus,
)
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    axis_last,
    check_finite,
    check_floating,
    check_fraction,
    check_in_unit_interval,
    check_integer,
    check_labels_in_range,
    check_positive,
    check_same_shape,
    check_shape,
    class_index_inputs,
    compute_dtype,
    elementwise_inputs,
    is_array_knob,
    is_zero,
    knob,
    values_checked,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "brier_score",
    "categorical_cross_entropy",
    "categorical_focal",
    "generalized_cross_entropy",
    "multilabel_soft_margin",
    "nll",
    "ordinal",
    "poly1_cross_entropy",
    "sigmoid_focal",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
    "sparsemax",
]

Array = Any


def _check_below_half(name: str, value: float | Array) -> None:
    """A checked positive knob must also be below 1/2 (a 0-D array: when its value can be read, as _validation's
    checks; the comparison's result is tested too, as it is traced under ``jax.jit`` even for a concrete knob)."""
    if is_array_knob(value):
        below = value < 0.5 if values_checked(value) else None
        failed = below is not None and values_checked(below) and not bool(below)
    else:
        failed = value >= 0.5
    if failed:
        msg = f"`{name}` must be in (0, 0.5); got {float(value)!r}"
        raise ValueError(msg)


def _and(a: Array | None, b: Array | None, /, *, xp: Any) -> Array | None:
    if a is None:
        return b
    return a if b is None else xp.logical_and(a, b)


def sparse_softmax_cross_entropy(
    logits: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    ignore_index: int | None = None,
    class_weights: Array | None = None,
    label_smoothing: float = 0.0,
    z_loss: float = 0.0,
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
    label_smoothing : float or 0-D array, default 0.0
        Mixes the one-hot target with the uniform distribution: ``(1 − ε)·onehot + ε/C``.
    z_loss : float or 0-D array, default 0.0
        Adds ``z_loss·(log Σ_c e^{z_c})²`` to each row (PaLM's auxiliary loss; Liger Kernel's and OLMo's
        ``z_loss``), scaled by the row's class weight; ignored rows add nothing.
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
    check_fraction("label_smoothing", label_smoothing)
    check_positive("z_loss", z_loss, allow_zero=True)
    xp, logits, labels, out_dtype, keep = class_index_inputs(
        "logits", logits, labels, axis, ignore_index, class_weights, weights, where, xp
    )
    mask = _and(keep, where, xp=xp)
    if class_weights is not None:
        class_weights = xp.astype(class_weights, logits.dtype, copy=False)
    params = (knob(label_smoothing, logits, xp=xp), knob(z_loss, logits, xp=xp), reduction)
    loss = apply(SPARSE_CE, params, logits, labels, weights, mask, class_weights, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


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
    xp, logp, labels, out_dtype, keep = class_index_inputs(
        "log_probabilities", log_probabilities, labels, axis, ignore_index, class_weights, weights, where, xp
    )
    loss = -xp.squeeze(xp.take_along_axis(logp, xp.expand_dims(labels, axis=-1), axis=-1), axis=-1)
    scale = None
    if class_weights is not None:
        scale = picked_weights(class_weights, labels, logp.dtype, xp=xp)
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
    scores = xp.astype(axis_last(name, scores, axis, xp=xp), dtype, copy=False)
    labels = xp.astype(axis_last("labels", labels, axis, xp=xp), dtype, copy=False)
    return xp, scores, labels, out_dtype


def softmax_cross_entropy(
    logits: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    label_smoothing: float = 0.0,
    z_loss: float = 0.0,
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
    label_smoothing : float or 0-D array, default 0.0
    z_loss : float or 0-D array, default 0.0
        Adds ``z_loss·(log Σ_c e^{z_c})²`` to each row (PaLM's auxiliary loss; Liger Kernel's and OLMo's).
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
    tf.nn.softmax_cross_entropy_with_logits, optax.safe_softmax_cross_entropy, keras.losses.CategoricalCrossentropy
    torch.nn.functional.cross_entropy : With probability targets.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> logits = np.array([[0.0, -np.inf, 0.0]])
    >>> float(lossport.softmax_cross_entropy(logits, np.array([[1.0, 0.0, 0.0]])))  # log 2
    0.6931471805599453
    """
    check_reduction(reduction)
    check_fraction("label_smoothing", label_smoothing)
    check_positive("z_loss", z_loss, allow_zero=True)
    xp, logits, labels, out_dtype = _soft_inputs("logits", logits, labels, axis, weights, where, xp)
    knobs = (knob(label_smoothing, logits, xp=xp), knob(z_loss, logits, xp=xp))
    loss = apply(SOFT_CE, (knobs, reduction), logits, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


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
    eps : float or 0-D array, optional
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
        xp, probabilities, labels, out_dtype, _ = class_index_inputs(
            "probabilities", probabilities, labels, axis, None, None, weights, where, xp
        )
    else:
        xp, probabilities, labels, out_dtype = _soft_inputs(
            "probabilities", probabilities, labels, axis, weights, where, xp
        )
    check_in_unit_interval("probabilities", probabilities, xp=xp)
    knobs = (None if eps is None else knob(eps, probabilities, xp=xp),)
    loss = apply(PROBABILITY_CE, (knobs, reduction), probabilities, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


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
    eps : float or 0-D array, optional
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
        eps = knob(eps, probabilities, xp=xp)
        probabilities = xp.clip(probabilities, min=eps, max=1.0 - eps)
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
    label_smoothing : float or 0-D array, default 0.0
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    See Also
    --------
    torch.nn.functional.binary_cross_entropy_with_logits, tf.nn.sigmoid_cross_entropy_with_logits,
    tf.nn.weighted_cross_entropy_with_logits, optax.sigmoid_binary_cross_entropy
    keras.losses.BinaryCrossentropy : With ``from_logits=True``.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.binary_cross_entropy_with_logits(
    ...     np.array([0.0, np.inf, -np.inf]), np.array([1.0, 1.0, 0.0]), reduction="none")
    array([0.69314718, 0.        , 0.        ])
    """
    check_reduction(reduction)
    check_fraction("label_smoothing", label_smoothing)
    xp, logits, labels, out_dtype = elementwise_inputs(
        logits, labels, weights, where, names=("logits", "labels"), xp=xp
    )
    extras = ()
    if pos_weight is not None and not isinstance(pos_weight, (int, float)):
        check_floating("pos_weight", pos_weight, xp=xp)
        extras, pos_weight = (xp.astype(pos_weight, logits.dtype, copy=False),), None
    params = ((knob(label_smoothing, logits, xp=xp), None if pos_weight is None else float(pos_weight)), reduction)
    loss = apply(SIGMOID_CE, params, logits, labels, weights, where, *extras, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


# -- focal, poly-1, Brier, generalized and multi-label cross-entropies ---------------------------------------------


def sigmoid_focal(
    logits: Array,
    labels: Array,
    /,
    *,
    alpha: float | None = None,
    gamma: float = 2.0,
    label_smoothing: float = 0.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Sigmoid focal loss (Lin et al.), on logits.

    .. math:: \ell_i = \alpha_{t,i}\,(1 - p_{t,i})^\gamma\,
              \bigl(y_i \operatorname{softplus}(-x_i) + (1 - y_i) \operatorname{softplus}(x_i)\bigr)

    with ``p = sigmoid(x)``, ``1 − p_t = (1 − y)·p + y·(1 − p)`` and ``α_t = α·y + (1 − α)·(1 − y)`` (1 when
    ``alpha`` is None). The last factor is :func:`binary_cross_entropy_with_logits`. Fully in log space, as optax:
    ``log(1 − p_t) = logaddexp(log(1 − y) + log p, log y + log(1 − p))`` with ``log p = −softplus(−x)``, and
    ``(1 − p_t)^γ = exp(γ·log(1 − p_t))``; so the loss is exact and finite at any finite logit (±1e4 included),
    exact at ±inf (0 for a correct prediction), and ``γ < 1`` has no NaN gradient at a finite logit.

    Parameters
    ----------
    logits : array, shape ``(...)``, real floating
    labels : array, shape ``(...)``, in ``[0, 1]`` (soft labels allowed)
    alpha : float or 0-D array in [0, 1], optional
        Weight of the positive class (``1 − alpha`` for the negative one); None applies no balancing (optax's
        default). Keras's ``BinaryFocalCrossentropy`` applies its ``alpha`` only with
        ``apply_class_balancing=True``: ``alpha=None`` reproduces its default.
    gamma : float or 0-D array, default 2.0
        The focusing exponent, non-negative; 0 gives the binary cross-entropy.
    label_smoothing : float or 0-D array, default 0.0
        Replaces ``y`` by ``(1 − ε)·y + ε/2`` everywhere (Keras's convention).
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If the shapes differ, a knob is out of range, or (on concrete arrays) a label lies outside ``[0, 1]``.

    See Also
    --------
    optax.sigmoid_focal_loss
    keras.losses.BinaryFocalCrossentropy : With ``from_logits=True``.

    References
    ----------
    Lin, Goyal, Girshick, He, Dollár, "Focal Loss for Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> loss = lossport.sigmoid_focal(np.array([0.0, np.log(3.0)]), np.array([1.0, 1.0]), reduction="none")
    >>> np.round(loss, 10).tolist()  # p_t = 1/2, 3/4: (1/2)² log 2, (1/4)² log(4/3)
    [0.1732867951, 0.0179801295]
    """
    check_reduction(reduction)
    if alpha is not None:
        check_fraction("alpha", alpha)
    check_positive("gamma", gamma, allow_zero=True)
    check_fraction("label_smoothing", label_smoothing)
    xp, logits, labels, out_dtype = elementwise_inputs(
        logits, labels, weights, where, names=("logits", "labels"), xp=xp
    )
    check_in_unit_interval("labels", labels, xp=xp)
    knobs = (None if alpha is None else knob(alpha, logits, xp=xp), knob(gamma, logits, xp=xp),
             knob(label_smoothing, logits, xp=xp))
    loss = apply(SIGMOID_FOCAL, (knobs, reduction), logits, labels, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def brier_score(
    probabilities: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Brier score: the squared error of predicted probabilities.

    Two forms, told apart by the labels' shape (static metadata):

    - binary or multi-label, labels of the probabilities' shape: :math:`\ell_i = (p_i - y_i)^2`, elementwise;
    - multiclass, integer labels with the class axis removed:
      :math:`\ell_i = \sum_c (p_{ic} - [c = y_i])^2`, per sample, in ``[0, 2]``.

    scikit-learn's ``brier_score_loss`` with its default ``scale_by_half="auto"`` gives the same numbers: it
    halves the two-class sum for binary input (which is the binary form here) and keeps the sum for three or more
    classes. Its ``scale_by_half=False`` on binary input is twice the binary form; ``scale_by_half=True`` on
    multiclass input is half the multiclass form. One-hot float labels of the probabilities' shape take the
    elementwise form, whose ``"mean"`` is the multiclass mean divided by ``C``.

    Parameters
    ----------
    probabilities : array, shape ``(...)`` or ``(..., C)``, real floating, in ``[0, 1]``
    labels : array
        Of the probabilities' shape, in ``[0, 1]`` (soft labels allowed); or integer class indices in ``[0, C)``,
        of shape ``(...)``.
    axis : int, default -1
        The class axis, for integer labels.
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`; per element or per sample.

    Returns
    -------
    array
        0-D; for ``reduction="none"``, of the probabilities' shape (binary) or ``(...)`` (multiclass).

    Raises
    ------
    ValueError
        If the shapes do not match either form, or (on concrete arrays) a probability or label lies outside
        ``[0, 1]``, or a class index outside ``[0, C)``.

    See Also
    --------
    sklearn.metrics.brier_score_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> loss = lossport.brier_score(np.array([0.1, 0.9, 0.8, 0.3]), np.array([0, 1, 1, 0]))
    >>> round(float(loss), 12)  # (.01 + .01 + .04 + .09) / 4, scikit-learn's example
    0.0375
    >>> p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]])
    >>> lossport.brier_score(p, np.array([0, 1]), reduction="none")  # .04 + .01 + .01, .04 + .09 + .01
    array([0.06, 0.14])
    """
    check_reduction(reduction)
    sparse = hasattr(labels, "shape") and hasattr(probabilities, "shape") and (
        len(labels.shape) == len(probabilities.shape) - 1
    )
    if sparse:
        xp, probabilities, labels, out_dtype, _ = class_index_inputs(
            "probabilities", probabilities, labels, axis, None, None, weights, where, xp
        )
        check_in_unit_interval("probabilities", probabilities, xp=xp)
        num_classes = tuple(probabilities.shape)[-1]
        error = probabilities - one_hot(labels, num_classes, dtype=probabilities.dtype, xp=xp)
        loss = xp.sum(error * error, axis=-1)
    else:
        xp, probabilities, labels, out_dtype = elementwise_inputs(
            probabilities, labels, weights, where, names=("probabilities", "labels"), xp=xp
        )
        check_in_unit_interval("probabilities", probabilities, xp=xp)
        check_in_unit_interval("labels", labels, xp=xp)
        error = probabilities - labels
        loss = error * error
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def multilabel_soft_margin(
    logits: Array,
    labels: Array,
    /,
    *,
    class_weights: Array | None = None,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Multi-label soft-margin loss: the class-mean of the weighted binary cross-entropies on logits.

    .. math:: \ell_i = \frac{1}{C} \sum_c w_c \bigl(y_{ic} \operatorname{softplus}(-x_{ic})
              + (1 - y_{ic}) \operatorname{softplus}(x_{ic})\bigr)

    Each term is :func:`binary_cross_entropy_with_logits`'s, exact at ±inf. The class weights ``w`` are inside
    each sample's loss: ``"mean"`` divides by the number of samples, not by the weights (torch's convention).

    Parameters
    ----------
    logits : array, shape ``(..., C)``, real floating
    labels : array, the same shape as `logits`, in ``[0, 1]`` (soft labels allowed; not checked)
    class_weights : array, shape ``(C,)``, optional
    axis : int, default -1
        The class axis.
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
    ValueError
        If the shapes differ or `class_weights` is not of shape ``(C,)``.

    See Also
    --------
    torch.nn.functional.multilabel_soft_margin_loss
    keras.losses.BinaryCrossentropy : With ``from_logits=True``, it averages the last axis the same way (without
        class weights).

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x, y = np.array([[0.0, np.log(3.0)]]), np.array([[1.0, 0.0]])
    >>> np.round(lossport.multilabel_soft_margin(x, y, reduction="none"), 10).tolist()  # (log 2 + log 4) / 2
    [1.0397207708]
    """
    check_reduction(reduction)
    xp = array_namespace(
        logits, labels, class_weights, weights, where, xp=xp,
        names=("logits", "labels", "class_weights", "weights", "where"),
    )
    xp, logits, labels, out_dtype = _soft_inputs("logits", logits, labels, axis, weights, where, xp)
    loss = mul0(labels, softplus(-logits, xp=xp), xp=xp) + mul0(1.0 - labels, softplus(logits, xp=xp), xp=xp)
    num_classes = tuple(logits.shape)[-1]
    if class_weights is not None:
        check_floating("class_weights", class_weights, xp=xp)
        check_shape("class_weights", class_weights, (num_classes,), "one weight per class")
        loss = loss * xp.astype(class_weights, logits.dtype, copy=False)
    loss = xp.mean(loss, axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def _log1m_softmax(z: Array, log_p: Array, /, *, xp: Any) -> Array:
    """``log(1 − softmax(z))`` along the last axis, accurate and with finite gradients at finite logits.

    Below probability 1/2 it is ``log1mexp(log p)``. At the (first) argmax, where ``p`` may round to 1 (and
    ``log1mexp`` at 0 has an infinite slope), it is the log-probability of the other classes,
    ``logsumexp_{j≠top}(z_j) − logsumexp_j(z_j)``, finite for finite logits. A row whose other entries are all
    ``-inf`` (one class, or the others masked) gives ``-inf`` there, with a zero gradient.
    """
    num_classes = tuple(z.shape)[-1]
    top = xp.argmax(z, axis=-1, keepdims=True)
    first = xp.arange(num_classes, dtype=top.dtype, device=device(z)) == top
    m = xp.max(z, axis=-1, keepdims=True)
    shifted = z - xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    others = xp.where(first, xp.full_like(z, -math.inf), shifted)
    none_other = xp.max(others, axis=-1, keepdims=True) == -math.inf
    others = xp.where(none_other, xp.zeros_like(others), others)  # the double where: keep logsumexp finite
    top_value = logsumexp(others, axis=-1, keepdims=True, xp=xp) - logsumexp(shifted, axis=-1, keepdims=True, xp=xp)
    top_value = xp.where(none_other, xp.full_like(top_value, -math.inf), top_value)
    below_half = log1mexp(xp.where(first, -xp.ones_like(log_p), log_p), xp=xp)
    return xp.where(first, top_value, below_half)


def categorical_focal(
    logits: Array,
    labels: Array,
    /,
    *,
    alpha: float | Array | None = None,
    gamma: float = 2.0,
    axis: int = -1,
    label_smoothing: float = 0.0,
    eps: float | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Categorical (softmax) focal loss, on logits and label distributions.

    .. math:: \ell_i = -\sum_c \alpha_c\, q_{ic}\, (1 - p_{ic})^\gamma \log p_{ic},
              \quad p_i = \operatorname{softmax}(z_i), \quad q = (1 - \varepsilon)\, y + \varepsilon / C

    In log space: ``log p`` is :func:`log_softmax`'s and ``(1 − p)^γ = exp(γ·log(1 − p))``, with ``log(1 − p)``
    accurate even where ``p`` rounds to 1 (there it is the log-probability of the other classes), so that a
    confident correct prediction's loss keeps its relative accuracy and its gradient stays finite. A term with
    ``q = 0`` counts as 0, so masked (``-inf``) logits give a finite loss, as in :func:`softmax_cross_entropy`.

    Keras's ``CategoricalFocalCrossentropy(from_logits=True)`` always multiplies by its ``alpha`` (default 0.25)
    and clips the probabilities to ``[1e-7, 1 − 1e-7]``: ``alpha=0.25, eps=1e-7`` reproduces its defaults.

    Parameters
    ----------
    logits : array, shape ``(..., C)``, real floating
    labels : array, the same shape as `logits`
        Distributions over the class axis (one-hot or soft); not checked to sum to 1.
    alpha : float, 0-D array or array of shape ``(C,)``, optional
        Class weights (a positive number or 0-D array weighs every class alike, a pure scale); None means 1.
    gamma : float or 0-D array, default 2.0
        The focusing exponent, non-negative; 0 gives :func:`softmax_cross_entropy` (times `alpha`).
    axis : int, default -1
    label_smoothing : float or 0-D array, default 0.0
    eps : float or 0-D array, optional
        Clip the probabilities to ``[eps, 1 − eps]`` first, in the compute dtype (Keras: ``1e-7``); the
        log-space evaluation is then replaced by Keras's ``log(p)`` and ``(1 − p)^γ`` on the clipped values.
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
    ValueError
        If the shapes differ, `alpha` is not of shape ``(C,)``, or a knob is out of range.

    See Also
    --------
    keras.losses.CategoricalFocalCrossentropy : With ``from_logits=True``.

    References
    ----------
    Lin, Goyal, Girshick, He, Dollár, "Focal Loss for Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> z, q = np.array([[np.log(3.0), 0.0]]), np.array([[1.0, 0.0]])
    >>> np.round(lossport.categorical_focal(z, q, reduction="none"), 10).tolist()  # p = 3/4: (1/4)² log(4/3)
    [0.0179801295]
    """
    check_reduction(reduction)
    check_positive("gamma", gamma, allow_zero=True)
    check_fraction("label_smoothing", label_smoothing)
    if eps is not None:
        check_positive("eps", eps)
        _check_below_half("eps", eps)
    # Class weights of shape (C,), or one number: a Python number or a 0-D array (a knob)
    alpha_array = alpha is not None and not isinstance(alpha, (int, float)) and (
        tuple(getattr(alpha, "shape", (0,))) != ()
    )
    if alpha is not None and not alpha_array:
        check_positive("alpha", alpha)
    xp = array_namespace(
        logits, labels, alpha if alpha_array else None, weights, where, xp=xp,
        names=("logits", "labels", "alpha", "weights", "where"),
    )
    xp, logits, labels, out_dtype = _soft_inputs("logits", logits, labels, axis, weights, where, xp)
    num_classes = tuple(logits.shape)[-1]
    if alpha_array:
        check_floating("alpha", alpha, xp=xp)
        check_shape("alpha", alpha, (num_classes,), "one weight per class")
    elif alpha is not None:
        alpha = knob(alpha, logits, xp=xp)
    gamma, label_smoothing = knob(gamma, logits, xp=xp), knob(label_smoothing, logits, xp=xp)
    if not is_zero(label_smoothing):
        labels = (1.0 - label_smoothing) * labels + label_smoothing / num_classes
    log_p = log_softmax(logits, xp=xp)
    if eps is None:
        log_1m_p = None if is_zero(gamma) else _log1m_softmax(logits, log_p, xp=xp)
    else:
        eps = knob(eps, logits, xp=xp)
        p = xp.clip(xp.exp(log_p), min=eps, max=1.0 - eps)
        log_p = xp.log(p)
        log_1m_p = xp.log1p(-p)
    term = -log_p if log_1m_p is None else -log_p * xp.exp(gamma * log_1m_p)
    term = mul0(labels, term, xp=xp)
    if alpha_array:
        term = term * xp.astype(alpha, logits.dtype, copy=False)
    elif alpha is not None:
        term = alpha * term
    loss = xp.sum(term, axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def poly1_cross_entropy(
    logits: Array,
    labels: Array,
    /,
    *,
    epsilon: float = 2.0,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Poly-1 cross-entropy (Leng et al.): softmax cross-entropy plus ``ε`` times ``1 − p_t``.

    .. math:: \ell_i = -\sum_c q_{ic} \log p_{ic} + \varepsilon \sum_c q_{ic} (1 - p_{ic}),
              \quad p_i = \operatorname{softmax}(z_i)

    For one-hot labels the second sum is ``1 − p_t``, the probability of the wrong classes. ``1 − p`` is
    computed as ``−expm1(log p)``, accurate where ``p`` is close to 1. A term with ``q = 0`` counts as 0, so
    masked (``-inf``) logits give a finite loss (optax gives NaN there). ``ε ≥ −1`` keeps the loss non-negative.

    Parameters
    ----------
    logits : array, shape ``(..., C)``, real floating
    labels : array, the same shape as `logits`
        Distributions over the class axis (one-hot or soft); not checked to sum to 1.
    epsilon : float or 0-D array, default 2.0
        Any finite number (optax's default 2.0).
    axis : int, default -1
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
    optax.poly_loss_cross_entropy

    References
    ----------
    Leng et al., "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions", ICLR 2022.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> z, q = np.array([[np.log(3.0), 0.0]]), np.array([[1.0, 0.0]])
    >>> np.round(lossport.poly1_cross_entropy(z, q, reduction="none"), 10).tolist()  # log(4/3) + 2 · 1/4
    [0.7876820725]
    """
    check_reduction(reduction)
    check_finite("epsilon", epsilon)
    xp, logits, labels, out_dtype = _soft_inputs("logits", logits, labels, axis, weights, where, xp)
    epsilon = knob(epsilon, logits, xp=xp)
    log_p = log_softmax(logits, xp=xp)
    loss = -xp.sum(mul0(labels, log_p, xp=xp), axis=-1)
    if not is_zero(epsilon):
        loss = loss + epsilon * xp.sum(labels * -xp.expm1(log_p), axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def generalized_cross_entropy(
    probabilities: Array,
    labels: Array,
    /,
    *,
    q: float = 0.5,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Generalized cross-entropy (Zhang and Sabuncu), noise-robust, on probabilities and integer labels.

    .. math:: \ell_i = \frac{1 - p_{i y_i}^{\,q}}{q}

    computed as ``−expm1(q · log p_y) / q``, accurate where ``p_y`` is close to 1. It tends to the
    cross-entropy ``−log p_y`` as ``q → 0`` and is ``1 − p_y`` (MAE on the true class) at ``q = 1``. A true-class
    probability of 0 gives ``1/q``, with a zero gradient there (the exact slope is infinite for ``q < 1``).

    Parameters
    ----------
    probabilities : array, shape ``(..., C)``, real floating, in ``[0, 1]``
    labels : array, shape ``(...)``, integer in ``[0, C)``
    q : float or 0-D array in (0, 1], default 0.5
    axis : int, default -1
        The class axis of `probabilities`.
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `labels` is not integer.
    ValueError
        If `q` is outside ``(0, 1]``, or (on concrete arrays) a probability lies outside ``[0, 1]`` or a label
        outside ``[0, C)``.

    See Also
    --------
    keras.losses.CategoricalGeneralizedCrossEntropy

    References
    ----------
    Zhang, Sabuncu, "Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels",
    NeurIPS 2018.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    >>> loss = lossport.generalized_cross_entropy(p, np.array([0, 1, 0, 1]), reduction="none")
    >>> np.round(loss, 10).tolist()  # 2 (1 − sqrt(p_y)) for p_y = .7, .8, .6, .6
    [0.3266799469, 0.211145618, 0.4508066615, 0.4508066615]
    """
    check_reduction(reduction)
    check_fraction("q", q, open_low=True)
    xp, probabilities, labels, out_dtype, _ = class_index_inputs(
        "probabilities", probabilities, labels, axis, None, None, weights, where, xp
    )
    check_in_unit_interval("probabilities", probabilities, xp=xp)
    q = knob(q, probabilities, xp=xp)
    p = xp.squeeze(xp.take_along_axis(probabilities, xp.expand_dims(labels, axis=-1), axis=-1), axis=-1)
    positive = p > 0
    log_p = xp.log(xp.where(positive, p, xp.ones_like(p)))
    at_zero = xp.ones_like(p) / q if is_array_knob(q) else xp.full_like(p, 1.0 / q)
    loss = xp.where(positive, -xp.expm1(q * log_p) / q, at_zero)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


# -- sparsemax and ordinal ---------------------------------------------------------------------------------------


def _sparse_plus(x: Array, /, *, xp: Any) -> Array:
    """``0`` below −1, ``(x + 1)²/4`` on [−1, 1], ``x`` above 1 (the conjugate of the binary Gini entropy)."""
    t = xp.clip(x, min=-1.0, max=1.0)
    return 0.25 * (t + 1.0) * (t + 1.0) + xp.clip(x - 1.0, min=0.0)


def _sparsemax_threshold(u: Array, /, *, xp: Any) -> Array:
    """The threshold ``τ`` of the Euclidean projection of the rows of ``u`` onto the simplex (kept last axis).

    With ``u`` sorted in decreasing order and ``c_k`` its cumulative sums, the support is the ``k`` with
    ``1 + k·u_(k) > c_k`` (a prefix), and ``τ = (Σ_{support} u − 1) / |support|``; no value branches.
    """
    num_classes = tuple(u.shape)[-1]
    ordered = xp.sort(u, axis=-1, descending=True)
    cumulative = xp.cumulative_sum(ordered, axis=-1)
    k = xp.arange(1, num_classes + 1, dtype=u.dtype, device=device(u))
    support = 1.0 + k * ordered > cumulative
    size = xp.sum(xp.astype(support, u.dtype), axis=-1, keepdims=True)
    total = xp.sum(xp.where(support, ordered, xp.zeros_like(ordered)), axis=-1, keepdims=True)
    return (total - 1.0) / size


def sparsemax(
    logits: Array,
    labels: Array,
    /,
    *,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Sparsemax loss (Martins and Astudillo): the Fenchel–Young loss of the Gini entropy.

    Two forms, told apart by the labels' shape (static metadata):

    - multiclass, integer labels with the class axis removed. With ``p = sparsemax(z)``, the Euclidean projection
      of ``z`` onto the simplex (``p = max(z − τ, 0)``), the loss is
      :math:`\ell_i = \langle p, z \rangle - z_y + \tfrac12 (1 - \lVert p \rVert^2)`, computed as

      .. math:: \ell_i = \tfrac12 \Bigl(\sum_{j \ne y} p_j^2 + r^2\Bigr) + r \max(\tau - z_y, 0),
                \quad r = \sum_{j \ne y} p_j

      (a sum of non-negative terms: it keeps its accuracy near 0). Its gradient is ``p − onehot(y)``. ``τ``
      comes from a descending sort and a cumulative sum, without value branches;
    - binary or multi-label, labels of the logits' shape, in ``[0, 1]``: the two-class case on scores
      ``[0, x]`` with the label distribution ``[1 − y, y]``,

      .. math:: \ell_i = (1 - y_i)\, s(x_i) + y_i\, s(-x_i) - y_i (1 - y_i),

      with :math:`s(x) = 0` below −1, :math:`(x + 1)^2/4` on ``[−1, 1]`` and ``x`` above 1 (JAX's
      ``sparse_plus``). For 0/1 labels this is optax's ``sparsemax_loss``, which equals optax's
      ``multiclass_sparsemax_loss`` on ``[0, x]``. One-hot float labels of the logits' shape take this binary
      (multi-label) form: pass integer labels for the multiclass loss.

    Zero when ``sparsemax(z)`` (``sparse_sigmoid(x)``) equals the label; not differentiable where a class enters or
    leaves the support (``z_j = τ``; ``|x| = 1``).

    Parameters
    ----------
    logits : array, shape ``(..., C)`` (multiclass) or ``(...)`` (binary), real floating
    labels : array
        Integer class indices in ``[0, C)``, of shape ``(...)``; or labels in ``[0, 1]`` of the logits' shape.
    axis : int, default -1
        The class axis, for integer labels.
    weights, where, reduction, xp
        As in :func:`sparse_softmax_cross_entropy` (multiclass) or :func:`lossport.mean_squared_error` (binary).

    Returns
    -------
    array
        0-D; for ``reduction="none"``, shape ``(...)`` (multiclass, the class axis removed) or the logits' shape
        (binary).

    Raises
    ------
    TypeError
        If `logits` is not floating, or multiclass labels are not integer.
    ValueError
        If the shapes match neither form, or (on concrete arrays) a label is out of range.

    See Also
    --------
    optax.multiclass_sparsemax_loss, optax.sparsemax_loss

    References
    ----------
    Martins, Astudillo, "From Softmax to Sparsemax", ICML 2016; Blondel, Martins, Niculae, "Learning with
    Fenchel-Young Losses", JMLR 2020.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> z = np.array([[1.0, 0.5, -1.0], [2.0, 0.0, 0.0]])
    >>> lossport.sparsemax(z, np.array([1, 1]), reduction="none")  # p = [.75, .25, 0]; p = [1, 0, 0]
    array([0.5625, 2.    ])
    >>> lossport.sparsemax(np.array([0.0, 3.0, -3.0]), np.array([1.0, 1.0, 1.0]), reduction="none")
    array([0.25, 0.  , 3.  ])
    """
    check_reduction(reduction)
    sparse = hasattr(labels, "shape") and hasattr(logits, "shape") and (
        len(labels.shape) == len(logits.shape) - 1
    )
    if not sparse:
        xp, logits, labels, out_dtype = elementwise_inputs(
            logits, labels, weights, where, names=("logits", "labels"), xp=xp
        )
        check_in_unit_interval("labels", labels, xp=xp)
        loss = (
            mul0(1.0 - labels, _sparse_plus(logits, xp=xp), xp=xp)
            + mul0(labels, _sparse_plus(-logits, xp=xp), xp=xp)
            - labels * (1.0 - labels)
        )
        return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
    xp, logits, labels, out_dtype, _ = class_index_inputs(
        "logits", logits, labels, axis, None, None, weights, where, xp
    )
    # Shift by the row's maximum (the loss is shift-invariant): the support test then compares small numbers.
    m = xp.max(logits, axis=-1, keepdims=True)
    u = logits - xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    tau = _sparsemax_threshold(u, xp=xp)
    num_classes = tuple(u.shape)[-1]
    index = xp.expand_dims(labels, axis=-1)
    is_label = xp.arange(num_classes, dtype=labels.dtype, device=device(labels)) == index
    p_other = xp.where(is_label, xp.zeros_like(u), xp.clip(u - tau, min=0.0))
    r = xp.sum(p_other, axis=-1, keepdims=True)
    u_label = xp.take_along_axis(u, index, axis=-1)
    loss = 0.5 * (xp.sum(p_other * p_other, axis=-1, keepdims=True) + r * r) + mul0(
        r, xp.clip(tau - u_label, min=0.0), xp=xp
    )
    loss = xp.squeeze(loss, axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def ordinal(
    logits: Array,
    labels: Array,
    /,
    *,
    threshold_weights: Array | None = None,
    axis: int = -1,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Ordinal-regression loss, cumulative-link form (CORAL, Cao, Mirjalili and Raschka 2020).

    For ``K`` ordered ranks, the model gives ``K − 1`` threshold logits ``x_k`` (``k = 0 … K−2``), ``x_k`` the
    logit of ``P(rank > k)``; a rank ``r`` gives the binary targets ``[r > k]``. The loss sums the binary
    cross-entropies over the thresholds (CORAL's normalisation), weighted by ``λ_k`` (1 by default):

    .. math:: \ell_i = \sum_{k=0}^{K-2} \lambda_k \bigl([r_i > k] \operatorname{softplus}(-x_{ik})
              + [r_i \le k] \operatorname{softplus}(x_{ik})\bigr)

    Each term is :func:`binary_cross_entropy_with_logits`'s, exact at ±inf. For fixed logits, going from rank
    ``r`` to ``r + 1`` changes the loss by ``−x_r``: with decreasing (rank-consistent) logits the loss is convex in
    ``r`` and smallest at the predicted rank ``#{k : x_k > 0}``. The predicted rank is ``Σ_k [x_k > 0]``
    (or ``Σ_k sigmoid(x_k)`` in expectation). No native library has this loss.

    Parameters
    ----------
    logits : array, shape ``(..., K − 1)``, real floating
        The threshold logits (threshold axis `axis`).
    labels : array, shape ``(...)``, integer ranks in ``[0, K)``
    threshold_weights : array, shape ``(K − 1,)``, optional
        CORAL's importance weights ``λ``.
    axis : int, default -1
        The threshold axis of `logits`.
    weights, where : array, optional
        Per-sample weights and mask, broadcast against shape ``(...)``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(...)`` (the threshold axis removed) for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `logits` is not floating or `labels` not integer.
    ValueError
        If the shapes differ, or (on concrete arrays) a rank lies outside ``[0, K)``.

    References
    ----------
    Cao, Mirjalili, Raschka, "Rank consistent ordinal regression for neural networks with application to age
    estimation", Pattern Recognition Letters 140, 2020.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x = np.array([[np.log(3.0), 0.0, -np.log(3.0)]])  # K = 4 ranks
    >>> np.round(lossport.ordinal(x, np.array([1]), reduction="none"), 10).tolist()  # targets [1, 0, 0]
    [1.2685113255]
    """
    check_reduction(reduction)
    xp = array_namespace(
        logits, labels, threshold_weights, weights, where, xp=xp,
        names=("logits", "labels", "threshold_weights", "weights", "where"),
    )
    check_floating("logits", logits, xp=xp)
    check_integer("labels", labels, xp=xp)
    logits = axis_last("logits", logits, axis, xp=xp)
    check_shape("labels", labels, tuple(logits.shape)[:-1], "`logits`'s shape without the threshold axis")
    num_thresholds = tuple(logits.shape)[-1]
    dtype, out_dtype = compute_dtype(logits, xp=xp)
    logits = xp.astype(logits, dtype, copy=False)
    ranks = None if num_thresholds is None else num_thresholds + 1
    check_labels_in_range("labels", labels, ranks, ignore_index=None, xp=xp)
    thresholds = xp.arange(num_thresholds, dtype=labels.dtype, device=device(labels))
    above = xp.expand_dims(labels, axis=-1) > thresholds
    loss = xp.where(above, softplus(-logits, xp=xp), softplus(logits, xp=xp))
    if threshold_weights is not None:
        check_floating("threshold_weights", threshold_weights, xp=xp)
        check_shape("threshold_weights", threshold_weights, (num_thresholds,), "one weight per threshold")
        loss = loss * xp.astype(threshold_weights, dtype, copy=False)
    loss = xp.sum(loss, axis=-1)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
