"""What every family's anchors are made of: the :class:`Anchor` record, lazy framework imports, shared translations.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from lossport.backends.parity import runner as parity
from lossport.backends.parity.cases import Case

__all__ = ["DTYPES", "KERAS_EPS", "SKLEARN_EPS", "UNREDUCED", "Anchor", "installed"]

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
    parity.before_tensorflow()  # torch and triton first: the other order crashes the process
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
    passed, not as broadcast (docs/traps.md T31).
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



def _eps_of(dtype: str) -> float:
    return float(np.finfo(dtype).eps)


KERAS_EPS = {"eps": 1e-7}
SKLEARN_EPS = {"eps": _eps_of}
