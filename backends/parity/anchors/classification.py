"""Native anchors of the classification losses: the cross-entropies, focal, poly-1, Brier, generalized, multi-label
soft-margin and sparsemax.

Each function runs the native library on a parity case (backends/parity/cases/classification.py), translated only as its
API demands; docs/conventions.md is the table of these translations. ``ordinal`` has no anchor:
no native library has an ordinal-regression loss.

Where the native function forms a small loss by subtracting or rounding quantities of order 1 (Keras's
``1 − p_t`` from a rounded sigmoid, ``1 − p^q``; optax's ``1 − ‖p‖²``), its per-element rounding is forgiven
through ``Anchor.cancels``: the size returned is the sensitivity of the loss to an absolute error of about one ulp
in those quantities (tests/test_classification.py pins the numbers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import (
    KERAS_EPS,
    SKLEARN_EPS,
    UNREDUCED,
    Anchor,
    _args,
    _class_axis_to,
    _keras_call,
    _optax,
    _plain,
    _reduction,
    _sample_weights,
    _sklearn_metrics,
    _smoothed,
    _tf,
    _tf_v1,
    _torch,
    _weighted,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


# ---------------------------------------------------------------------------------------------------------------
# Sigmoid focal


def _smoothed_binary(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = _args(case, dtype)
    return x, _smoothed(y, case, 2)


def _optax_sigmoid_focal(case: Case, dtype: str) -> Any:
    x, y = _smoothed_binary(case, dtype)  # optax has no smoothing knob: its labels may be soft
    return _optax().losses.sigmoid_focal_loss(x, y, alpha=case.kwargs.get("alpha"),
                                              gamma=case.kwargs.get("gamma", 2.0))


def _keras_sigmoid_focal(case: Case, dtype: str) -> Any:
    x, y = _args(case, dtype)
    alpha = case.kwargs.get("alpha")
    knobs = {"apply_class_balancing": alpha is not None, "alpha": 0.25 if alpha is None else alpha}
    return _keras_call("BinaryFocalCrossentropy", y, x, case, dtype, per_element=True, from_logits=True,
                       gamma=case.kwargs.get("gamma", 2.0),
                       label_smoothing=case.kwargs.get("label_smoothing", 0.0), **knobs)


def _focal_sensitivity(case: Case, dtype: str) -> np.ndarray:
    """``α_t·γ·ce·(1 − p_t)^(γ−1)``: Keras forms ``1 − p_t`` from a rounded sigmoid (absolute error ~ an ulp)."""
    x, y = (a.astype(np.float64) for a in _smoothed_binary(case, dtype))
    gamma = case.kwargs.get("gamma", 2.0)
    p = _sigmoid(x)
    ce = y * np.logaddexp(0.0, -x) + (1 - y) * np.logaddexp(0.0, x)
    one_minus_pt = (1 - y) * p + y * (1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = gamma * ce * np.where(one_minus_pt > 0, one_minus_pt ** (gamma - 1), 0.0)
    alpha = case.kwargs.get("alpha")
    if alpha is not None:
        size = size * (alpha * y + (1 - alpha) * (1 - y))
    return np.nan_to_num(size, nan=0.0, posinf=0.0)


# ---------------------------------------------------------------------------------------------------------------
# Brier score


def _sklearn_brier(case: Case, dtype: str) -> Any:
    """``brier_score_loss(y, p, labels=, sample_weight=)``; ``scale_by_half="auto"`` is lossport's convention.

    Binary: labels of the probabilities' shape, 0/1 only (flattened: one sample per element). Multiclass: integer
    labels, rows of probabilities. Per-element values come from one call per sample; no sum, no soft labels.
    """
    p, y = _args(case, dtype)
    multiclass = y.ndim == p.ndim - 1
    if multiclass:
        p = _class_axis_to(p, case, -1)
        p = p.reshape(-1, p.shape[-1])
        knobs: dict[str, Any] = {"labels": list(range(p.shape[-1]))}
    else:
        if not np.all((y == 0) | (y == 1)):
            return None  # y_true must be class labels
        p, knobs = p.reshape(-1), {"pos_label": 1}  # also for a one-sample call whose label is 0
    shape = y.shape
    y = y.reshape(-1).astype(np.int64)
    metric = _sklearn_metrics().brier_score_loss
    weight = _sample_weights(case, shape, dtype)
    if _reduction(case) == "none" and weight is None:
        return np.array([metric(y[i:i + 1], p[i:i + 1], **knobs) for i in range(y.size)]).reshape(shape)
    if _reduction(case) != "mean":
        return None
    return metric(y, p, sample_weight=None if weight is None else weight.reshape(-1), **knobs)


# ---------------------------------------------------------------------------------------------------------------
# Multi-label soft margin


def _torch_multilabel_soft_margin(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # torch has per-class weights only
    torch = _torch()
    x, y = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    classes = x.shape[-1]
    cw = case.kwargs.get("class_weights")
    out = torch.nn.functional.multilabel_soft_margin_loss(
        torch.from_numpy(np.ascontiguousarray(x.reshape(-1, classes))),
        torch.from_numpy(np.ascontiguousarray(y.reshape(-1, classes))),
        weight=None if cw is None else torch.from_numpy(cw.astype(dtype)), reduction=_reduction(case))
    return out.reshape(x.shape[:-1]) if _reduction(case) == "none" else out


# ---------------------------------------------------------------------------------------------------------------
# Categorical focal


def _keras_categorical_focal(case: Case, dtype: str) -> Any:
    z, q = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    alpha = case.kwargs.get("alpha")
    if alpha is None:
        alpha = 1.0  # Keras always multiplies by alpha: 1.0 is lossport's None
    elif isinstance(alpha, np.ndarray):
        alpha = alpha.astype(dtype)
    return _keras_call("CategoricalFocalCrossentropy", q, z, case, dtype, per_element=False, from_logits=True,
                       alpha=alpha, gamma=case.kwargs.get("gamma", 2.0),
                       label_smoothing=case.kwargs.get("label_smoothing", 0.0))


def _categorical_focal_sensitivity(case: Case, dtype: str) -> np.ndarray:
    """``Σ_c α_c q_c |d/dp [(1 − p)^γ (−log p)]|`` at the clipped probabilities, per sample.

    Keras and lossport round ``p`` differently (``softmax`` against ``exp(log_softmax)``) by about an ulp; where
    ``p`` is close to 1 that is a large relative change of the tiny ``(1 − p)^γ``.
    """
    z, q = (_class_axis_to(a, case, -1).astype(np.float64) for a in _args(case, dtype))
    classes = z.shape[-1]
    eps = case.kwargs.get("label_smoothing", 0.0)
    q = (1 - eps) * q + eps / classes
    gamma = case.kwargs.get("gamma", 2.0)
    p = np.clip(np.exp(z - np.logaddexp.reduce(z, axis=-1, keepdims=True)), 1e-7, 1 - 1e-7)
    slope = gamma * (1 - p) ** (gamma - 1) * -np.log(p) + (1 - p) ** gamma / p
    alpha = case.kwargs.get("alpha")
    alpha = 1.0 if alpha is None else np.asarray(alpha, dtype=np.float64)
    return np.sum(alpha * q * slope, axis=-1)


# ---------------------------------------------------------------------------------------------------------------
# Poly-1


def _optax_poly1(case: Case, dtype: str) -> Any:
    z, q = _args(case, dtype)
    return _optax().losses.poly_loss_cross_entropy(z, q, epsilon=case.kwargs.get("epsilon", 2.0),
                                                   axis=case.kwargs.get("axis", -1))


def _poly1_size(case: Case, dtype: str) -> np.ndarray:
    """``(max |z| + 1 + |ε|)·Σq``: optax's ``log_softmax`` subtracts the row's maximum, and forms ``1 − p``."""
    z, q = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    size = np.max(np.abs(np.where(np.isfinite(z), z, 0.0)), axis=-1) + 1.0 + abs(case.kwargs.get("epsilon", 2.0))
    return size * np.sum(q, axis=-1)


# ---------------------------------------------------------------------------------------------------------------
# Generalized cross-entropy


def _keras_generalized_ce(case: Case, dtype: str) -> Any:
    p, y = _args(case, dtype)
    return _keras_call("CategoricalGeneralizedCrossEntropy", y, _class_axis_to(p, case, -1), case, dtype,
                       per_element=False, q=case.kwargs.get("q", 0.5))


def _generalized_ce_size(case: Case, dtype: str) -> np.ndarray:
    """``1/q``: Keras forms ``(1 − p^q)/q`` by subtraction."""
    return np.full(case.args[1].shape, 1.0 / case.kwargs.get("q", 0.5))


# ---------------------------------------------------------------------------------------------------------------
# Sparsemax: optax's binary loss is its multiclass loss on [0, x] (shift-invariance: on [z0, z1], x = z1 − z0)


def _binary_form(case: Case) -> bool:
    return case.args[1].ndim == case.args[0].ndim


def _hard(labels: np.ndarray) -> bool:
    return bool(np.all((labels == 0) | (labels == 1)))


def _optax_multiclass_sparsemax(case: Case, dtype: str) -> Any:
    z, y = _args(case, dtype)
    if not _binary_form(case):
        z = _class_axis_to(z, case, -1)
    elif _hard(y):
        z, y = np.stack([np.zeros_like(z), z], axis=-1), y.astype(np.int64)
    else:
        return None  # the multiclass loss takes class indices
    out = _optax().losses.multiclass_sparsemax_loss(z.reshape(-1, z.shape[-1]), y.reshape(-1))
    return np.asarray(out).reshape(y.shape)


def _optax_binary_sparsemax(case: Case, dtype: str) -> Any:
    z, y = _args(case, dtype)
    if not _binary_form(case):
        z = _class_axis_to(z, case, -1)
        if z.shape[-1] != 2:
            return None  # the binary loss is the two-class case
        z = z[..., 1] - z[..., 0]
    if not _hard(y):
        return None  # optax's binary loss takes 0/1 labels (`where(labels, ...)`)
    return _optax().losses.sparsemax_loss(z, y.astype(np.int64))


def _sparsemax_size(case: Case, dtype: str) -> np.ndarray:
    """``max |z| + 1``: optax shifts by the true class's score and forms ``½(1 − ‖p‖²)`` by subtraction."""
    z = _args(case, dtype)[0]
    if _binary_form(case):
        return np.abs(z) + 1.0
    z = _class_axis_to(z, case, -1)
    return np.max(np.abs(np.where(np.isfinite(z), z, 0.0)), axis=-1) + 1.0


# ---------------------------------------------------------------------------------------------------------------
# Binary cross-entropy on probabilities


def _torch_bce(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # torch's weight= means mean(w·l)
    torch = _torch()
    p, y = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.binary_cross_entropy(p, y, reduction=_reduction(case))  # log clamped at -100


def _keras_bce(case: Case, dtype: str) -> Any:
    p, y = _args(case, dtype)
    return _keras_call("BinaryCrossentropy", y, p, case, dtype, per_element=True)  # clips to [1e-7, 1 - 1e-7]


def _sklearn_log_loss_rows(y: np.ndarray, p: np.ndarray, case: Case, dtype: str, classes: int) -> Any:
    """``log_loss`` per sample (one call each) for ``"none"``, else the (weighted) mean; no sum, no soft labels.

    ``y`` holds integer labels (any shape), ``p`` the probabilities: of class 1 (binary) or ``y.shape + (C,)``.
    """
    log_loss = _sklearn_metrics().log_loss
    labels = list(range(classes))
    weight = _sample_weights(case, y.shape, dtype)
    y, p = y.reshape(-1), p.reshape(y.size, -1) if p.ndim > y.ndim else p.reshape(-1)
    if _reduction(case) == "none" and weight is None:
        return np.array([log_loss(y[i:i + 1], p[i:i + 1], labels=labels) for i in range(y.size)])
    if _reduction(case) != "mean":
        return None
    return log_loss(y, p, labels=labels, sample_weight=None if weight is None else weight.reshape(-1))


def _sklearn_log_loss(case: Case, dtype: str) -> Any:
    p, y = _args(case, dtype)
    if not np.all((y == 0) | (y == 1)):
        return None  # y_true must be class labels
    return _sklearn_log_loss_rows(y.astype(np.int64), p, case, dtype, 2)


def _tf_v1_log_loss(case: Case, dtype: str) -> Any:
    if case.extreme:
        return None  # log(p + 1e-7) is not a clip: tests/test_anchors.py::test_tf_v1_log_loss_adds_epsilon
    p, y = _args(case, dtype)
    return _tf_v1("log_loss", y, p, case, dtype)


# ---------------------------------------------------------------------------------------------------------------
# Binary cross-entropy on logits


def _logit_size(case: Case, dtype: str) -> np.ndarray:
    """``|x|``: torch and ``tf.nn.weighted_…`` form ``softplus(x)`` as ``x + softplus(−x)`` where ``y = 0``."""
    return np.abs(_args(case, dtype)[0])


def _binary_smoothed(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = _args(case, dtype)
    return x, _smoothed(y, case, 2)


def _torch_bce_logits(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None
    torch = _torch()
    x, y = (torch.from_numpy(a) for a in _binary_smoothed(case, dtype))
    pos_weight = case.kwargs.get("pos_weight")
    if pos_weight is not None:
        pos_weight = torch.as_tensor(np.asarray(pos_weight, dtype=dtype))
    return torch.nn.functional.binary_cross_entropy_with_logits(
        x, y, pos_weight=pos_weight, reduction=_reduction(case))


def _tf_sigmoid_ce(case: Case, dtype: str) -> Any:
    if case.kwargs.get("pos_weight") is not None:
        return None  # that is weighted_cross_entropy_with_logits
    x, y = _binary_smoothed(case, dtype)
    return _tf().nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x)


def _tf_weighted_ce(case: Case, dtype: str) -> Any:
    x, y = _binary_smoothed(case, dtype)
    pos_weight = np.asarray(case.kwargs.get("pos_weight", 1.0), dtype=dtype)
    return _tf().nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=pos_weight)


def _optax_sigmoid_bce(case: Case, dtype: str) -> Any:
    if case.kwargs.get("pos_weight") is not None:
        return None
    x, y = _binary_smoothed(case, dtype)
    return _optax().losses.sigmoid_binary_cross_entropy(x, y)


def _keras_bce_logits(case: Case, dtype: str) -> Any:
    if case.kwargs.get("pos_weight") is not None:
        return None
    x, y = _args(case, dtype)
    return _keras_call("BinaryCrossentropy", y, x, case, dtype, per_element=True, from_logits=True,
                       label_smoothing=case.kwargs.get("label_smoothing", 0.0))


# ---------------------------------------------------------------------------------------------------------------
# Softmax cross-entropy, label distributions


def _masked_logits(case: Case) -> bool:
    """Masked (``-inf``) logits, under zero labels: every soft-label CE but optax's ``safe_`` one gives NaN (T29)."""
    return bool(np.isneginf(case.args[0]).any())


def _soft_class_last(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    z, q = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    return z, _smoothed(q, case, z.shape[-1])


def _tf_softmax_ce(case: Case, dtype: str) -> Any:
    if _masked_logits(case):
        return None  # NaN: test_soft_label_ce_at_masked_logits
    z, q = _soft_class_last(case, dtype)
    return _tf().nn.softmax_cross_entropy_with_logits(labels=q, logits=z)


def _optax_softmax_ce(case: Case, dtype: str) -> Any:
    if _masked_logits(case):
        return None  # NaN: test_soft_label_ce_at_masked_logits
    optax = _optax()
    z, q = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    if case.kwargs.get("label_smoothing"):
        q = optax.smooth_labels(q, case.kwargs["label_smoothing"])  # optax's own idiom
    return optax.losses.softmax_cross_entropy(z, q)


def _optax_safe_softmax_ce(case: Case, dtype: str) -> Any:
    optax = _optax()
    z, q = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    if case.kwargs.get("label_smoothing"):
        q = optax.smooth_labels(q, case.kwargs["label_smoothing"])
    return optax.losses.safe_softmax_cross_entropy(z, q)


def _keras_cce_logits(case: Case, dtype: str) -> Any:
    if _masked_logits(case):
        return None  # NaN: test_soft_label_ce_at_masked_logits
    z, q = (_class_axis_to(a, case, -1) for a in _args(case, dtype))
    return _keras_call("CategoricalCrossentropy", q, z, case, dtype, per_element=False, from_logits=True,
                       label_smoothing=case.kwargs.get("label_smoothing", 0.0))


def _torch_ce_probabilities(case: Case, dtype: str) -> Any:
    if _masked_logits(case) or _weighted(case):
        return None  # NaN at masked logits: test_soft_label_ce_at_masked_logits
    torch = _torch()
    z, q = (torch.from_numpy(_class_axis_to(a, case, 1)) for a in _args(case, dtype))  # torch: class dim 1
    return torch.nn.functional.cross_entropy(
        z, q, reduction=_reduction(case), label_smoothing=case.kwargs.get("label_smoothing", 0.0))


# ---------------------------------------------------------------------------------------------------------------
# Softmax cross-entropy and NLL, integer labels


def _torch_class_indexed(name: str, case: Case, dtype: str, **knobs: Any) -> Any:
    """``F.cross_entropy`` / ``F.nll_loss`` with torch's class dim 1; ``ignore_index`` passed explicitly."""
    if _weighted(case):
        return None  # no per-sample weights in torch: only per-class ones
    torch = _torch()
    z, y = _args(case, dtype)
    z = torch.from_numpy(np.ascontiguousarray(_class_axis_to(z, case, 1)))
    class_weights = case.kwargs.get("class_weights")
    weight = None if class_weights is None else torch.from_numpy(class_weights.astype(dtype))
    ignore_index = case.kwargs.get("ignore_index")
    return getattr(torch.nn.functional, name)(
        z, torch.from_numpy(y), weight=weight, reduction=_reduction(case),
        ignore_index=-100 if ignore_index is None else ignore_index, **knobs)


def _torch_ce(case: Case, dtype: str) -> Any:
    return _torch_class_indexed("cross_entropy", case, dtype,
                                label_smoothing=case.kwargs.get("label_smoothing", 0.0))


def _torch_nll(case: Case, dtype: str) -> Any:
    return _torch_class_indexed("nll_loss", case, dtype)


def _row_size(case: Case, dtype: str) -> np.ndarray:
    """``max_c |z_c|`` per sample: every native integer-label CE forms ``logsumexp(z) − z_y`` by subtraction."""
    z = _class_axis_to(_args(case, dtype)[0], case, -1)
    return np.max(np.abs(np.where(np.isfinite(z), z, 0)), axis=-1)


def _tf_sparse_ce(case: Case, dtype: str) -> Any:
    if not _plain(case, "ignore_index", "class_weights", "label_smoothing"):
        return None  # labels of -100 raise on CPU; no class weights or smoothing
    z, y = _args(case, dtype)
    return _tf().nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=_class_axis_to(z, case, -1))


def _optax_integer_ce(case: Case, dtype: str) -> Any:
    if not _plain(case, "class_weights", "label_smoothing"):
        return None
    z, y = _args(case, dtype)
    ignore_index = case.kwargs.get("ignore_index")
    keep = None if ignore_index is None else y != ignore_index
    if keep is not None:
        y = np.where(keep, y, 0)  # any valid index: the mask zeroes the entry (its gather would be NaN)
    return _optax().losses.softmax_cross_entropy_with_integer_labels(
        _class_axis_to(z, case, -1), y, where=keep)


def _keras_sparse_cce_logits(case: Case, dtype: str) -> Any:
    if not _plain(case, "class_weights", "label_smoothing"):
        return None  # Keras's SparseCategoricalCrossentropy has neither knob
    z, y = _args(case, dtype)
    return _keras_call("SparseCategoricalCrossentropy", y, _class_axis_to(z, case, -1), case, dtype,
                       per_element=False, from_logits=True, ignore_class=case.kwargs.get("ignore_index"))


# ---------------------------------------------------------------------------------------------------------------
# Categorical cross-entropy on probabilities


def _one_hot_labels(p: np.ndarray, y: np.ndarray, dtype: str) -> np.ndarray:
    return np.eye(p.shape[-1], dtype=dtype)[y] if y.ndim == p.ndim - 1 else y


def _keras_cce(case: Case, dtype: str) -> Any:
    p, y = _args(case, dtype)
    return _keras_call("CategoricalCrossentropy", _one_hot_labels(p, y, dtype), p, case, dtype,
                       per_element=False)  # renormalises p, then clips to [1e-7, 1 - 1e-7]


def _sklearn_log_loss_multiclass(case: Case, dtype: str) -> Any:
    p, y = _args(case, dtype)
    if y.ndim == p.ndim:
        if not np.all(y.sum(-1) == 1) or not np.all((y == 0) | (y == 1)):
            return None  # soft labels: y_true must be class labels
        y = y.argmax(-1)
    return _sklearn_log_loss_rows(y, p, case, dtype, p.shape[-1])


# ---------------------------------------------------------------------------------------------------------------
# Linear cross-entropy (lossport/linear.py): torch's F.linear_cross_entropy, and the dense form


def _linear_logits(case: Case, dtype: str) -> np.ndarray:
    """``hidden @ weight.T + bias``, soft-capped, in ``dtype``: the logits linear_cross_entropy never holds."""
    h, w, _ = _args(case, dtype)
    z = h @ w.T
    bias = case.kwargs.get("bias")
    if bias is not None:
        z = z + bias.astype(dtype)
    cap = case.kwargs.get("logit_softcap")
    return z if cap is None else (cap * np.tanh(z / cap)).astype(dtype)


def _linear_row_size(case: Case, dtype: str) -> np.ndarray:
    """``max_c |z_c|`` per token, as ``_row_size``: torch forms ``logsumexp(z) − z_y`` by subtraction."""
    return np.max(np.abs(_linear_logits(case, dtype)), axis=-1)


def _torch_linear_ce(case: Case, dtype: str) -> Any:
    """``F.linear_cross_entropy`` (torch 2.14): 2-D hidden states only (torch's class dim is 1), no soft-capping,
    per-sample weights or mask; ``ignore_index=None`` ignores nothing there too."""
    h, w, y = _args(case, dtype)
    if h.ndim != 2 or not _plain(case, "logit_softcap"):
        return None
    torch = _torch()
    bias, cw = case.kwargs.get("bias"), case.kwargs.get("class_weights")
    return torch.nn.functional.linear_cross_entropy(
        torch.from_numpy(h), torch.from_numpy(w), torch.from_numpy(y),
        linear_bias=None if bias is None else torch.from_numpy(bias.astype(dtype)),
        weight=None if cw is None else torch.from_numpy(cw.astype(dtype)), reduction=_reduction(case),
        ignore_index=case.kwargs.get("ignore_index"), label_smoothing=case.kwargs.get("label_smoothing", 0.0))


def _dense_linear_ce(case: Case, dtype: str) -> Any:
    """lossport's own ``sparse_softmax_cross_entropy`` of the materialised logits, on NumPy: the definition."""
    import lossport

    y = _args(case, dtype)[2]
    knobs = {k: v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
             for k, v in case.kwargs.items() if k not in ("bias", "chunk_size", "logit_softcap")}
    return lossport.sparse_softmax_cross_entropy(_linear_logits(case, dtype), y, **knobs)


TABLE: tuple[Anchor, ...] = (
    Anchor("torch.binary_cross_entropy", "torch", "binary_cross_entropy", _torch_bce),
    Anchor("keras.BinaryCrossentropy", "keras", "binary_cross_entropy", _keras_bce, KERAS_EPS),
    Anchor("sklearn.log_loss", "sklearn", "binary_cross_entropy", _sklearn_log_loss, SKLEARN_EPS),
    Anchor("tensorflow.v1.log_loss", "tensorflow", "binary_cross_entropy", _tf_v1_log_loss, KERAS_EPS,
           dtypes=("float32",)),
    Anchor("torch.binary_cross_entropy_with_logits", "torch", "binary_cross_entropy_with_logits",
           _torch_bce_logits, cancels=_logit_size),
    Anchor("tensorflow.sigmoid_cross_entropy_with_logits", "tensorflow", "binary_cross_entropy_with_logits",
           _tf_sigmoid_ce, UNREDUCED),
    Anchor("tensorflow.weighted_cross_entropy_with_logits", "tensorflow", "binary_cross_entropy_with_logits",
           _tf_weighted_ce, UNREDUCED, cancels=_logit_size),
    Anchor("optax.sigmoid_binary_cross_entropy", "optax", "binary_cross_entropy_with_logits",
           _optax_sigmoid_bce, UNREDUCED),
    Anchor("keras.BinaryCrossentropy(from_logits=True)", "keras", "binary_cross_entropy_with_logits",
           _keras_bce_logits),
    Anchor("tensorflow.softmax_cross_entropy_with_logits", "tensorflow", "softmax_cross_entropy",
           _tf_softmax_ce, UNREDUCED),
    Anchor("optax.softmax_cross_entropy", "optax", "softmax_cross_entropy", _optax_softmax_ce, UNREDUCED),
    Anchor("optax.safe_softmax_cross_entropy", "optax", "softmax_cross_entropy", _optax_safe_softmax_ce,
           UNREDUCED),
    Anchor("keras.CategoricalCrossentropy(from_logits=True)", "keras", "softmax_cross_entropy",
           _keras_cce_logits),
    Anchor("torch.cross_entropy(probabilities)", "torch", "softmax_cross_entropy", _torch_ce_probabilities),
    Anchor("torch.cross_entropy", "torch", "sparse_softmax_cross_entropy", _torch_ce, cancels=_row_size),
    Anchor("tensorflow.sparse_softmax_cross_entropy_with_logits", "tensorflow",
           "sparse_softmax_cross_entropy", _tf_sparse_ce, UNREDUCED, cancels=_row_size),
    Anchor("optax.softmax_cross_entropy_with_integer_labels", "optax", "sparse_softmax_cross_entropy",
           _optax_integer_ce, UNREDUCED, cancels=_row_size),
    Anchor("keras.SparseCategoricalCrossentropy(from_logits=True)", "keras", "sparse_softmax_cross_entropy",
           _keras_sparse_cce_logits, cancels=_row_size),
    Anchor("keras.CategoricalCrossentropy", "keras", "categorical_cross_entropy", _keras_cce, KERAS_EPS),
    Anchor("sklearn.log_loss(multiclass)", "sklearn", "categorical_cross_entropy",
           _sklearn_log_loss_multiclass, SKLEARN_EPS),
    Anchor("torch.nll_loss", "torch", "nll", _torch_nll),
    Anchor("optax.sigmoid_focal_loss", "optax", "sigmoid_focal", _optax_sigmoid_focal, UNREDUCED),
    Anchor("keras.BinaryFocalCrossentropy(from_logits=True)", "keras", "sigmoid_focal", _keras_sigmoid_focal,
           cancels=_focal_sensitivity),
    Anchor("sklearn.brier_score_loss", "sklearn", "brier_score", _sklearn_brier),
    Anchor("torch.multilabel_soft_margin_loss", "torch", "multilabel_soft_margin",
           _torch_multilabel_soft_margin),
    Anchor("keras.CategoricalFocalCrossentropy(from_logits=True)", "keras", "categorical_focal",
           _keras_categorical_focal, {"eps": 1e-7}, cancels=_categorical_focal_sensitivity),
    Anchor("optax.poly_loss_cross_entropy", "optax", "poly1_cross_entropy", _optax_poly1, UNREDUCED,
           cancels=_poly1_size),
    Anchor("keras.CategoricalGeneralizedCrossEntropy", "keras", "generalized_cross_entropy",
           _keras_generalized_ce, cancels=_generalized_ce_size),
    Anchor("optax.multiclass_sparsemax_loss", "optax", "sparsemax", _optax_multiclass_sparsemax, UNREDUCED,
           cancels=_sparsemax_size),
    Anchor("optax.sparsemax_loss", "optax", "sparsemax", _optax_binary_sparsemax, UNREDUCED),
    Anchor("torch.linear_cross_entropy", "torch", "linear_cross_entropy", _torch_linear_ce,
           cancels=_linear_row_size),
    Anchor("numpy.sparse_softmax_cross_entropy(dense logits)", "numpy", "linear_cross_entropy", _dense_linear_ce),
)
