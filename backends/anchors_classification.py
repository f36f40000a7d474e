"""Native anchors of the focal, poly-1, Brier, generalized, multi-label soft-margin and sparsemax losses.

Each function runs the native library on a parity case (backends/cases_classification.py), translated only as its
API demands; docs/_conventions_classification.md is the table of these translations. ``ordinal`` has no anchor:
no native library has an ordinal-regression loss.

Where the native function forms a small loss by subtracting or rounding quantities of order 1 (Keras's
``1 − p_t`` from a rounded sigmoid, ``1 − p^q``; optax's ``1 − ‖p‖²``), its per-element rounding is forgiven
through ``Anchor.cancels``: the size returned is the sensitivity of the loss to an absolute error of about one ulp
in those quantities (tests/test_classification.py pins the numbers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.anchors import (
    UNREDUCED,
    Anchor,
    _args,
    _class_axis_to,
    _keras_call,
    _optax,
    _reduction,
    _sample_weights,
    _sklearn_metrics,
    _smoothed,
    _torch,
    _weighted,
)
from lossport.backends.cases import Case

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


TABLE: tuple[Anchor, ...] = (
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
)
