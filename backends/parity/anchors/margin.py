"""Native anchors of the margin losses (lossport/margin.py); docs/conventions.md is their table.

torch's multiclass losses take 1-D or 2-D inputs with the class on dim 1: the anchors move the case's class axis
last and flatten the batch, then restore its shape for ``reduction="none"``. torch has no per-sample weights on
these losses, and ``multi_margin_loss(weight=)`` averages over samples, not over the weights: those cases are
declined (tests/test_margin.py pins the difference with numbers). optax returns unreduced values and has neither
weights nor knobs; Keras averages the last axis of an elementwise loss first (the trailing-axis translation of
``_keras_call``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import (
    UNREDUCED,
    Anchor,
    _args,
    _class_axis_to,
    _keras_call,
    _optax,
    _reduction,
    _sample_weights,
    _sklearn_metrics,
    _tf_v1,
    _torch,
    _weighted,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


# -- ±1 labels ---------------------------------------------------------------------------------------------------


def _keras_squared_hinge(case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    return _keras_call("SquaredHinge", y, s, case, dtype, per_element=True)  # ±1 labels pass unconverted


def _torch_soft_margin(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # soft_margin_loss has no weight
    torch = _torch()
    s, y = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.soft_margin_loss(s, y.to(s.dtype), reduction=_reduction(case))


def _optax_perceptron(case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    return _optax().losses.perceptron_loss(s, y.astype(s.dtype))


# -- torch's multiclass losses: (N, C) only ----------------------------------------------------------------------


def _torch_rows(name: str, case: Case, dtype: str, *, labels_like_scores: bool, **knobs: Any) -> Any:
    """``F.<name>(scores (N, C), labels, reduction=)`` on the case's data, class axis last, batch flattened."""
    if _weighted(case):
        return None  # no per-sample weights in torch
    torch = _torch()
    s, y = _args(case, dtype)
    s = _class_axis_to(s, case, -1)
    batch, classes = s.shape[:-1], s.shape[-1]
    y = _class_axis_to(y, case, -1).reshape(-1, classes) if labels_like_scores else y.reshape(-1)
    scores = torch.from_numpy(np.ascontiguousarray(s.reshape(-1, classes)))
    labels = torch.from_numpy(np.ascontiguousarray(y)).to(torch.int64)
    out = getattr(torch.nn.functional, name)(scores, labels, reduction=_reduction(case), **knobs)
    return out.reshape(batch) if _reduction(case) == "none" else out


def _torch_multilabel_margin(case: Case, dtype: str) -> Any:
    return _torch_rows("multilabel_margin_loss", case, dtype, labels_like_scores=True)


def _torch_multi_margin(case: Case, dtype: str) -> Any:
    class_weights = case.kwargs.get("class_weights")
    if class_weights is not None and _reduction(case) == "mean":
        return None  # torch divides by N, lossport by Σ w[y]: test_multi_margin_class_weighted_mean_vs_torch
    torch = _torch()
    weight = None if class_weights is None else torch.from_numpy(class_weights.astype(dtype))
    return _torch_rows("multi_margin_loss", case, dtype, labels_like_scores=False,
                       p=case.kwargs.get("p", 1), margin=case.kwargs.get("margin", 1.0), weight=weight)


# -- optax and Keras on integer labels ---------------------------------------------------------------------------


def _optax_class(name: str, case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    return getattr(_optax().losses, name)(_class_axis_to(s, case, -1), y)


def _optax_multiclass_hinge(case: Case, dtype: str) -> Any:
    if case.kwargs.get("null_score") is not None:
        return None  # that is Keras's variant
    return _optax_class("multiclass_hinge_loss", case, dtype)


def _optax_multiclass_perceptron(case: Case, dtype: str) -> Any:
    return _optax_class("multiclass_perceptron_loss", case, dtype)


def _keras_categorical_hinge(case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    s = _class_axis_to(s, case, -1)
    onehot = np.eye(s.shape[-1], dtype=dtype)[y]
    return _keras_call("CategoricalHinge", onehot, s, case, dtype, per_element=False)


# ---------------------------------------------------------------------------------------------------------------
# Hinge (lossport: ±1 labels)


def _keras_hinge(case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    return _keras_call("Hinge", y, s, case, dtype, per_element=True)  # ±1 labels pass through unconverted


def _optax_hinge(case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    return _optax().losses.hinge_loss(s, y)


def _sklearn_hinge(case: Case, dtype: str) -> Any:
    if _reduction(case) != "mean":
        return None  # scikit-learn averages only
    s, y = _args(case, dtype)
    weight = _sample_weights(case, s.shape, dtype)
    return _sklearn_metrics().hinge_loss(y.ravel(), s.ravel(),
                                         sample_weight=None if weight is None else weight.ravel())


def _tf_v1_hinge(case: Case, dtype: str) -> Any:
    s, y = _args(case, dtype)
    # TF v1 always maps labels by 2y - 1, so it takes 0/1 labels: (y + 1) / 2 (±1 labels would become -3/+1).
    return _tf_v1("hinge_loss", ((y + 1) // 2).astype(dtype), s, case, dtype)


TABLE: tuple[Anchor, ...] = (
    Anchor("keras.Hinge", "keras", "hinge", _keras_hinge),
    Anchor("optax.hinge_loss", "optax", "hinge", _optax_hinge, UNREDUCED),
    Anchor("sklearn.hinge_loss", "sklearn", "hinge", _sklearn_hinge),
    Anchor("tensorflow.v1.hinge_loss", "tensorflow", "hinge", _tf_v1_hinge, dtypes=("float32",)),
    Anchor("keras.SquaredHinge", "keras", "squared_hinge", _keras_squared_hinge),
    Anchor("torch.soft_margin_loss", "torch", "soft_margin", _torch_soft_margin),
    Anchor("optax.perceptron_loss", "optax", "perceptron", _optax_perceptron, UNREDUCED),
    Anchor("torch.multilabel_margin_loss", "torch", "multilabel_margin", _torch_multilabel_margin),
    Anchor("optax.multiclass_hinge_loss", "optax", "multiclass_hinge", _optax_multiclass_hinge, UNREDUCED),
    Anchor("keras.CategoricalHinge", "keras", "multiclass_hinge", _keras_categorical_hinge, {"null_score": 0.0}),
    Anchor("torch.multi_margin_loss", "torch", "multi_margin", _torch_multi_margin),
    Anchor("optax.multiclass_perceptron_loss", "optax", "multiclass_perceptron", _optax_multiclass_perceptron,
           UNREDUCED),
)
