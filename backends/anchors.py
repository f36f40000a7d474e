"""The native anchors: each framework's own implementation of a lossport loss, run on a parity case.

One :class:`Anchor` per id in ``lossport._registry.LOSSES[...].anchors``. Its ``fn(case, dtype)`` computes the
native library's value on the case's inputs (cast to ``dtype``), translated only as the native API demands
(argument order, class axis, label encoding, its reduction and weight vocabulary), or returns None where the native
function cannot express the case (a knob it lacks, a different weighted-mean convention). ``overrides`` are the
lossport keywords that make lossport compute the same quantity: ``reduction="none"`` for an anchor that returns
per-element or per-sample values, Keras's ``eps=1e-7`` clipping, scikit-learn's ``eps = finfo(dtype).eps``.
docs/conventions.md is the table of these translations; tests/test_anchors.py checks the differences that no
override reproduces, with their numbers.

Like is compared with like: lossport runs on NumPy **in the anchor's dtype**, on the same inputs. A dtype-dependent
convention (Keras's ``1 − 1e-7`` is ``1 − 2⁻²³`` in float32, scikit-learn's eps is the dtype's) is then reproduced
exactly, and the tolerance is :func:`parity.tolerance` of that dtype. lossport's own float32 accuracy against float64
is the backend matrix's business, not the anchors'.

Dtypes: torch, optax (with ``jax_enable_x64``), ``tf.nn`` and scikit-learn run float32 and float64. Keras Loss
classes are built with ``dtype=`` the case's dtype (their default ``floatx()`` casts float64 inputs to float32).
``tf.compat.v1.losses`` casts its inputs to float32 whatever they are (``losses_impl.py``), so those anchors run in
float32 only.

Frameworks are imported lazily, torch before TensorFlow and Keras (the reverse order has crashed in one process);
Keras runs on its TensorFlow backend unless ``KERAS_BACKEND`` says otherwise.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from lossport.backends import parity
from lossport.backends.cases import Case

__all__ = ["ANCHORS", "Anchor", "compare_case", "installed", "run_anchor"]

DTYPES: tuple[str, ...] = ("float32", "float64")
UNREDUCED: dict[str, Any] = {"reduction": "none", "weights": None, "where": None}
"""Overrides for an anchor that returns the unreduced loss (optax, ``tf.nn``): compare lossport's per-element values."""

Native = Callable[[Case, str], Any]


@dataclass(frozen=True)
class Anchor:
    """A native implementation of one lossport loss.

    ``fn(case, dtype)`` returns the native value (any framework's array, or a float), or None when the native
    function cannot express the case. ``overrides`` are lossport keywords added to the case's own; a callable value
    is called with the dtype (scikit-learn's eps). ``dtypes`` are those the native function computes in.

    ``cancels(case, dtype)``, where set, is the size of the terms that the native formula subtracts to form each
    unreduced output (``|x|`` for ``x + softplus(−x)``, ``max |z|`` for ``logsumexp(z) − z_y``). Such a native
    function cannot resolve a loss smaller than a few ulps of that size (torch gives 0 for the exact 9.36e-14 at
    logit −30 in float32): per-element differences within ``4 · eps(dtype) · size`` are its rounding, not a
    disagreement, and are forgiven (tests/test_anchors.py pins the numbers: ``test_cancellation_*``).
    """

    id: str
    framework: str
    loss: str
    fn: Native
    overrides: Mapping[str, Any] = field(default_factory=dict)
    dtypes: tuple[str, ...] = DTYPES
    cancels: Callable[[Case, str], np.ndarray] | None = None

    def lossport_kwargs(self, dtype: str) -> dict[str, Any]:
        return {k: v(dtype) if callable(v) else v for k, v in self.overrides.items()}


# ---------------------------------------------------------------------------------------------------------------
# Frameworks, imported on first use


def installed(framework: str) -> bool:
    """Whether the anchor framework ``framework`` (its module's name) can be imported, without importing it."""
    return importlib.util.find_spec(framework) is not None


def _torch() -> ModuleType:
    return importlib.import_module("torch")


def _tf() -> ModuleType:
    if installed("torch"):
        _torch()  # torch first: the other order has crashed in one process
    return importlib.import_module("tensorflow")


def _keras() -> ModuleType:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if os.environ["KERAS_BACKEND"] == "tensorflow":
        _tf()
    return importlib.import_module("keras")


def _optax() -> ModuleType:
    jax = importlib.import_module("jax")
    jax.config.update("jax_enable_x64", True)  # else float64 inputs are computed in float32
    return importlib.import_module("optax")


def _sklearn_metrics() -> ModuleType:
    return importlib.import_module("sklearn.metrics")


# ---------------------------------------------------------------------------------------------------------------
# The case's data, as NumPy arrays of the dtype under test


def _args(case: Case, dtype: str) -> tuple[Any, ...]:
    """The positional data, floating arrays cast to ``dtype`` (integer labels keep theirs)."""
    return tuple(parity.convert("numpy", a, dtype) for a in case.args)


def _kw(case: Case, name: str, dtype: str, default: Any = None) -> Any:
    return parity.convert("numpy", case.kwargs.get(name, default), dtype)


def _reduction(case: Case) -> str:
    return case.kwargs.get("reduction", "mean")


def _weighted(case: Case) -> bool:
    return case.kwargs.get("weights") is not None or case.kwargs.get("where") is not None


def _sample_weights(case: Case, shape: tuple[int, ...], dtype: str) -> np.ndarray | None:
    """``weights · where``, broadcast to the unreduced loss's ``shape``: a mask as 0/1 weights.

    Broadcast before the call, because Keras's ``mean_with_sample_weight`` divides by the sum of the weights as
    passed, not as broadcast (research/ANCHORS.md T31).
    """
    if not _weighted(case):
        return None
    out = np.ones(shape, dtype=dtype)
    for name in ("weights", "where"):
        if case.kwargs.get(name) is not None:
            out = out * _kw(case, name, dtype).astype(dtype)
    return out


def _class_axis_to(x: np.ndarray, case: Case, position: int) -> np.ndarray:
    """``x`` with the case's class axis (``axis``, default -1) moved to ``position``."""
    return np.moveaxis(x, case.kwargs.get("axis", -1), position)


def _smoothed(labels: np.ndarray, case: Case, classes: int) -> np.ndarray:
    """Labels smoothed by hand, for a native function without the knob: ``(1 − ε)·y + ε/classes``."""
    eps = case.kwargs.get("label_smoothing", 0.0)
    return labels if not eps else (1.0 - eps) * labels + np.asarray(eps / classes, dtype=labels.dtype)


# ---------------------------------------------------------------------------------------------------------------
# Shared translations, one per native API family


def _torch_elementwise(name: str, case: Case, dtype: str, *, weighted_mean: bool = True, **knobs: Any) -> Any:
    """``F.<name>(input, target, reduction=, weight=)``: torch 2.13's elementwise ``weight`` takes a mask as 0/1.

    With ``weight``, ``mse_loss`` and ``l1_loss`` mean Σw·l/Σw (lossport's convention) but ``huber_loss`` means
    mean(w·l) (``weighted_mean=False``): that case is declined, and tested in tests/test_anchors.py.
    """
    torch = _torch()
    p, t = (torch.from_numpy(a) for a in _args(case, dtype))
    weight = _sample_weights(case, tuple(p.shape), dtype)
    if weight is not None and _reduction(case) == "mean" and not weighted_mean:
        return None
    extra = {} if weight is None else {"weight": torch.from_numpy(weight)}
    return getattr(torch.nn.functional, name)(p, t, reduction=_reduction(case), **extra, **knobs)


_KERAS_REDUCTION = {"none": None, "sum": "sum", "mean": "mean_with_sample_weight"}


def _keras_call(cls: str, y_true: np.ndarray, y_pred: np.ndarray, case: Case, dtype: str,
                *, per_element: bool, **knobs: Any) -> Any:
    """``keras.losses.<cls>(reduction=, dtype=, **knobs)(y_true, y_pred, sample_weight=)``.

    Keras's loss functions average the last axis before the reduction sees them. A plain mean is the same either
    way. Otherwise, for an elementwise loss (``per_element``), a trailing axis of 1 makes that average a no-op, so
    that ``reduction=None`` returns the per-element loss and ``"mean_with_sample_weight"`` is Σw·l/Σw.
    """
    keras = _keras()
    reduction = _reduction(case)
    if per_element and (reduction != "mean" or _weighted(case)):
        y_true, y_pred = y_true[..., None], y_pred[..., None]
    weight = _sample_weights(case, y_pred.shape[:-1], dtype)
    if weight is None and reduction == "mean":
        loss = getattr(keras.losses, cls)(dtype=dtype, **knobs)  # default "sum_over_batch_size"
    else:
        loss = getattr(keras.losses, cls)(reduction=_KERAS_REDUCTION[reduction], dtype=dtype, **knobs)
    return loss(y_true, y_pred, sample_weight=weight)


def _keras_elementwise(cls: str, case: Case, dtype: str, **knobs: Any) -> Any:
    p, t = _args(case, dtype)
    return _keras_call(cls, t, p, case, dtype, per_element=True, **knobs)


def _sklearn_elementwise(name: str, case: Case, dtype: str) -> Any:
    """``sklearn.metrics.<name>(y_true, y_pred, sample_weight=)``, on flattened arrays (2-D means multi-output).

    Per-element values come from ``multioutput="raw_values"`` on a ``(1, N)`` array: one sample of N outputs.
    scikit-learn only averages: a sum, or per-element values with weights, is declined.
    """
    p, t = _args(case, dtype)
    metric = getattr(_sklearn_metrics(), name)
    if _reduction(case) == "none" and not _weighted(case):
        return metric(t.reshape(1, -1), p.reshape(1, -1), multioutput="raw_values").reshape(p.shape)
    if _reduction(case) != "mean":
        return None
    weight = _sample_weights(case, p.shape, dtype)
    return metric(t.ravel(), p.ravel(), sample_weight=None if weight is None else weight.ravel())


def _tf_v1(name: str, labels: np.ndarray, predictions: np.ndarray, case: Case, dtype: str, **knobs: Any) -> Any:
    """``tf.compat.v1.losses.<name>(labels, predictions, weights=, reduction=)``; it computes in float32 only.

    Its default reduction divides by the number of non-zero weights; ``Reduction.MEAN`` is Σw·l/Σw, lossport's.
    """
    tf = _tf()
    v1 = tf.compat.v1.losses
    reduction = {"none": v1.Reduction.NONE, "sum": v1.Reduction.SUM, "mean": v1.Reduction.MEAN}[_reduction(case)]
    weight = _sample_weights(case, predictions.shape, dtype)
    return getattr(v1, name)(labels, predictions, weights=1.0 if weight is None else weight,
                             reduction=reduction, **knobs)


def _plain(case: Case, *knobs: str) -> bool:
    """True when the case uses no weights, mask, or any of ``knobs`` (which the native function lacks)."""
    unset = [case.kwargs.get(k) is None or (isinstance(case.kwargs[k], float) and not case.kwargs[k])
             for k in knobs]
    return not _weighted(case) and all(unset)


# ---------------------------------------------------------------------------------------------------------------
# Regression


def _torch_mse(case: Case, dtype: str) -> Any:
    return _torch_elementwise("mse_loss", case, dtype)


def _keras_mse(case: Case, dtype: str) -> Any:
    return _keras_elementwise("MeanSquaredError", case, dtype)


def _optax_squared_error(case: Case, dtype: str) -> Any:
    p, t = _args(case, dtype)
    return _optax().losses.squared_error(p, t)


def _sklearn_mse(case: Case, dtype: str) -> Any:
    return _sklearn_elementwise("mean_squared_error", case, dtype)


def _torch_l1(case: Case, dtype: str) -> Any:
    return _torch_elementwise("l1_loss", case, dtype)


def _keras_mae(case: Case, dtype: str) -> Any:
    return _keras_elementwise("MeanAbsoluteError", case, dtype)


def _sklearn_mae(case: Case, dtype: str) -> Any:
    return _sklearn_elementwise("mean_absolute_error", case, dtype)


def _keras_msle(case: Case, dtype: str) -> Any:
    return _keras_elementwise("MeanSquaredLogarithmicError", case, dtype)  # clips both at 1e-7


def _sklearn_msle(case: Case, dtype: str) -> Any:
    if case.kwargs.get("clip_min") is not None:
        return None  # scikit-learn raises on values <= -1 instead of clipping
    return _sklearn_elementwise("mean_squared_log_error", case, dtype)


def _delta(case: Case) -> float:
    return float(case.kwargs.get("delta", 1.0))


def _torch_huber(case: Case, dtype: str) -> Any:
    return _torch_elementwise("huber_loss", case, dtype, weighted_mean=False, delta=_delta(case))


def _keras_huber(case: Case, dtype: str) -> Any:
    return _keras_elementwise("Huber", case, dtype, delta=_delta(case))


def _optax_huber(case: Case, dtype: str) -> Any:
    p, t = _args(case, dtype)
    return _optax().losses.huber_loss(p, t, delta=_delta(case))


def _tf_v1_huber(case: Case, dtype: str) -> Any:
    p, t = _args(case, dtype)
    return _tf_v1("huber_loss", t, p, case, dtype, delta=_delta(case))


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
# Regularisation


def _tf_l2_loss(case: Case, dtype: str) -> Any:
    (params,) = _args(case, dtype)
    tf = _tf()
    return tf.add_n([tf.nn.l2_loss(w) for w in params])  # ½ Σ w² per tensor, summed: the weight-decay idiom


# ---------------------------------------------------------------------------------------------------------------
# The table


def _eps_of(dtype: str) -> float:
    return float(np.finfo(dtype).eps)


KERAS_EPS = {"eps": 1e-7}
SKLEARN_EPS = {"eps": _eps_of}

_TABLE: tuple[Anchor, ...] = (
    Anchor("torch.mse_loss", "torch", "mean_squared_error", _torch_mse),
    Anchor("keras.MeanSquaredError", "keras", "mean_squared_error", _keras_mse),
    Anchor("optax.squared_error", "optax", "mean_squared_error", _optax_squared_error, UNREDUCED),
    Anchor("sklearn.mean_squared_error", "sklearn", "mean_squared_error", _sklearn_mse),
    Anchor("torch.l1_loss", "torch", "mean_absolute_error", _torch_l1),
    Anchor("keras.MeanAbsoluteError", "keras", "mean_absolute_error", _keras_mae),
    Anchor("sklearn.mean_absolute_error", "sklearn", "mean_absolute_error", _sklearn_mae),
    Anchor("keras.MeanSquaredLogarithmicError", "keras", "mean_squared_logarithmic_error", _keras_msle,
           {"clip_min": 1e-7}),
    Anchor("sklearn.mean_squared_log_error", "sklearn", "mean_squared_logarithmic_error", _sklearn_msle),
    Anchor("torch.huber_loss", "torch", "huber", _torch_huber),
    Anchor("keras.Huber", "keras", "huber", _keras_huber),
    Anchor("optax.huber_loss", "optax", "huber", _optax_huber, UNREDUCED),
    Anchor("tensorflow.v1.huber_loss", "tensorflow", "huber", _tf_v1_huber, dtypes=("float32",)),
    Anchor("keras.Hinge", "keras", "hinge", _keras_hinge),
    Anchor("optax.hinge_loss", "optax", "hinge", _optax_hinge, UNREDUCED),
    Anchor("sklearn.hinge_loss", "sklearn", "hinge", _sklearn_hinge),
    Anchor("tensorflow.v1.hinge_loss", "tensorflow", "hinge", _tf_v1_hinge, dtypes=("float32",)),
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
    Anchor("tensorflow.nn.l2_loss", "tensorflow", "l2_penalty", _tf_l2_loss, {"scale": 0.5}),
)

ANCHORS: dict[str, Anchor] = {a.id: a for a in _TABLE}
# Each family's anchors live in backends/anchors_<family>.py, as a TABLE tuple of Anchor records.
for _family in ("regression", "classification", "margin", "embedding", "divergence", "sequence"):
    _module = f"lossport.backends.anchors_{_family}"
    if importlib.util.find_spec(_module) is not None:
        ANCHORS.update({a.id: a for a in importlib.import_module(_module).TABLE})


# ---------------------------------------------------------------------------------------------------------------
# Running them


def compare_case(anchor: Anchor, case: Case, dtype: str) -> float | None:
    """The native value against lossport on NumPy at ``dtype`` (with the overrides), in units of the tolerance.

    None when the anchor declines the case.
    """
    result = _compare_case(anchor, case, dtype)
    return None if result is None else result[0]


def _compare_case(anchor: Anchor, case: Case, dtype: str) -> tuple[float, float] | None:
    """``(error in units of the tolerance, relative error)``, or None when the anchor declines the case."""
    native = anchor.fn(case, dtype)
    if native is None:
        return None
    actual = parity.to_numpy(native)
    expected = parity.to_numpy(parity.run_case(case, "numpy", dtype, **anchor.lossport_kwargs(dtype)))
    size = None if anchor.cancels is None else anchor.cancels(case, dtype)
    if size is not None and size.shape == expected.shape:  # unreduced outputs only
        rounding = np.abs(actual - expected) <= 4 * np.finfo(dtype).eps * size
        actual = np.where(rounding, expected, actual)
    return parity.compare(actual, expected, dtype), parity.relative_error(actual, expected)


def run_anchor(anchor_id: str, loss: str, cases: Iterable[Case]) -> parity.Row | None:
    """One parity row: the worst error of ``anchor_id`` over the cases it accepts and its dtypes.

    None when the anchor's framework is not installed. ``Row.cases`` counts the (case, dtype) pairs compared; an
    exception names its case and dtype in ``Row.error``.
    """
    anchor = ANCHORS[anchor_id]
    if anchor.loss != loss:
        msg = f"anchor `{anchor_id}` is for `{anchor.loss}`; got loss={loss!r}"
        raise ValueError(msg)
    if not installed(anchor.framework):
        return None
    worst, rel, count, error = 0.0, 0.0, 0, ""
    for case in cases:
        for dtype in anchor.dtypes:
            try:
                result = _compare_case(anchor, case, dtype)
            except Exception as e:  # the report names the failure; Row.ok is then False
                error = f"{case.name}/{dtype}: {type(e).__name__}: {e}"
                continue
            if result is not None:
                worst, rel, count = max(worst, result[0]), max(rel, result[1]), count + 1
    return parity.Row(loss, anchor_id, anchor.framework, count, worst, error, rel)
