"""Native anchors of the regression losses (lossport/regression.py); docs/conventions.md is their table,
tests/test_regression.py pins the differences with numbers.

scikit-learn only averages, over flattened inputs (a 2-D input is multi-output there, and its RMSE and Tweedie
deviance treat it differently): sums, and per-element values where ``multioutput="raw_values"`` does not give them,
are declined. torch's ``smooth_l1_loss``, ``poisson_nll_loss`` and ``gaussian_nll_loss`` take no per-element
weights: weighted or masked cases are declined. optax and ``tf.nn`` return unreduced values. Keras averages the
last axis first (``_keras_call``'s trailing-axis translation), multiplies MAPE by 100 and returns ``−cos``: the anchor
functions undo both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import (
    KERAS_EPS,
    UNREDUCED,
    Anchor,
    _args,
    _keras_call,
    _keras_elementwise,
    _optax,
    _reduction,
    _sample_weights,
    _sklearn_elementwise,
    _sklearn_metrics,
    _tf,
    _tf_v1,
    _torch,
    _torch_elementwise,
    _weighted,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


def _sklearn_flat(name: str, case: Case, dtype: str, *, per_element: bool = True, **knobs: Any) -> Any:
    """``sklearn.metrics.<name>(y_true, y_pred, sample_weight=, **knobs)`` on flattened arrays.

    Per-element values (``per_element``): ``multioutput="raw_values"`` on a ``(1, N)`` array, one sample of N
    outputs. Sums, and weighted per-element values, are declined.
    """
    p, t = _args(case, dtype)
    metric = getattr(_sklearn_metrics(), name)
    if _reduction(case) == "none" and per_element and not _weighted(case):
        return metric(t.reshape(1, -1), p.reshape(1, -1), multioutput="raw_values", **knobs).reshape(p.shape)
    if _reduction(case) != "mean":
        return None
    weight = _sample_weights(case, p.shape, dtype)
    return metric(t.ravel(), p.ravel(), sample_weight=None if weight is None else weight.ravel(), **knobs)


# -- root mean squared error, percentage error, smooth L1 ------------------------------------------------------


def _sklearn_rmse(case: Case, dtype: str) -> Any:
    # per column, raw_values is sqrt(e²) = |e|: lossport's "none" is e² (the terms under the root); declined
    return _sklearn_flat("root_mean_squared_error", case, dtype, per_element=False)


def _keras_mape(case: Case, dtype: str) -> Any:
    return _keras_elementwise("MeanAbsolutePercentageError", case, dtype) / 100.0  # Keras: percent


def _sklearn_mape(case: Case, dtype: str) -> Any:
    return _sklearn_flat("mean_absolute_percentage_error", case, dtype)


def _torch_smooth_l1(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # smooth_l1_loss has no weight
    torch = _torch()
    p, t = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.smooth_l1_loss(p, t, reduction=_reduction(case),
                                              beta=float(case.kwargs.get("beta", 1.0)))


# -- log-cosh, quantile -----------------------------------------------------------------------------------------


def _log_cosh_size(case: Case, dtype: str) -> np.ndarray:
    """``|e| + log 2``: Keras and optax form the loss as ``|e| + softplus(−2|e|) − log 2`` (in effect)."""
    p, t = _args(case, dtype)
    return np.abs(p.astype(np.float64) - t) + np.log(2.0)


def _keras_log_cosh(case: Case, dtype: str) -> Any:
    return _keras_elementwise("LogCosh", case, dtype)


def _optax_log_cosh(case: Case, dtype: str) -> Any:
    p, t = _args(case, dtype)
    return _optax().losses.log_cosh(p, t)


def _sklearn_pinball(case: Case, dtype: str) -> Any:
    return _sklearn_flat("mean_pinball_loss", case, dtype, alpha=float(case.kwargs.get("quantile", 0.5)))


# -- Poisson and Gaussian likelihoods ---------------------------------------------------------------------------


def _torch_poisson_nll(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # poisson_nll_loss has no weight
    torch = _torch()
    p, t = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.poisson_nll_loss(
        p, t, log_input=case.kwargs.get("log_input", True), full=case.kwargs.get("full", False),
        eps=case.kwargs.get("eps", 1e-8), reduction=_reduction(case))


def _keras_poisson(case: Case, dtype: str) -> Any:
    """Rates: ``y_pred − y_true·log(y_pred + 1e-7)``. The case's predictions are read as rates (the override
    ``log_input=False``), which needs them non-negative; Keras has no Stirling term."""
    p, _ = _args(case, dtype)
    if case.kwargs.get("full") or np.any(p < 0):
        return None
    return _keras_elementwise("Poisson", case, dtype)


def _tf_log_poisson(case: Case, dtype: str) -> Any:
    """Log-rates: ``exp(x) − t·x`` (+ Stirling where t > 1): the case's predictions read as log-rates."""
    p, t = _args(case, dtype)
    return _tf().nn.log_poisson_loss(t, p, compute_full_loss=case.kwargs.get("full", False))


def _torch_gaussian_nll(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # gaussian_nll_loss has no weight
    torch = _torch()
    p, t, v = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.gaussian_nll_loss(
        p, t, v, full=case.kwargs.get("full", False), eps=case.kwargs.get("eps", 1e-6),
        reduction=_reduction(case))


# -- Tweedie deviance -------------------------------------------------------------------------------------------


def _sklearn_tweedie(case: Case, dtype: str) -> Any:
    # mean_tweedie_deviance refuses multi-output input: no per-element values
    return _sklearn_flat("mean_tweedie_deviance", case, dtype, per_element=False,
                         power=float(case.kwargs.get("power", 0.0)))


def _sklearn_poisson_deviance(case: Case, dtype: str) -> Any:
    return _sklearn_flat("mean_poisson_deviance", case, dtype, per_element=False)


def _sklearn_gamma_deviance(case: Case, dtype: str) -> Any:
    if np.any(_args(case, dtype)[1] <= 0):
        return None  # the gamma deviance needs positive targets (scikit-learn raises; so does lossport)
    return _sklearn_flat("mean_gamma_deviance", case, dtype, per_element=False)


# -- cosine distance --------------------------------------------------------------------------------------------


def _vectors_last(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    p, t = _args(case, dtype)
    axis = case.kwargs.get("axis", -1)
    return np.moveaxis(p, axis, -1), np.moveaxis(t, axis, -1)


def _per_sample_ones(case: Case, dtype: str) -> np.ndarray:
    """1 per sample: torch and optax form ``1 − cos`` by subtraction, so cannot resolve a distance below ~eps."""
    return np.ones(_vectors_last(case, dtype)[0].shape[:-1])


def _optax_cosine_distance(case: Case, dtype: str) -> Any:
    if not case.kwargs.get("normalize", True):
        return None  # 1 − p·t unnormalised: no anchor has it (compat.tf's v1 cosine_distance is tested against TF)
    p, t = _args(case, dtype)
    eps = float(case.kwargs.get("eps", 1e-8))
    # optax floors the squared norm at epsilon: epsilon = eps² is lossport's floor eps on the norm
    return _optax().losses.cosine_distance(p, t, epsilon=eps * eps, axis=case.kwargs.get("axis", -1))


def _keras_cosine_similarity(case: Case, dtype: str) -> Any:
    if not case.kwargs.get("normalize", True):
        return None  # 1 − p·t unnormalised: no anchor has it (compat.tf's v1 cosine_distance is tested against TF)
    p, t = _vectors_last(case, dtype)
    out = _keras_call("CosineSimilarity", t, p, case, dtype, per_element=False)  # Σ or mean of w·(−cos)
    # w·(1 − cos) = w + w·(−cos): add back w per sample ("none"), Σw ("sum"), or 1 (a weighted mean)
    weight = _sample_weights(case, p.shape[:-1], dtype)
    if weight is None:
        weight = np.ones(p.shape[:-1], dtype=dtype)
    offset = {"none": weight, "sum": np.sum(weight), "mean": 1.0}[_reduction(case)]
    return offset + out


def _torch_cosine_similarity(case: Case, dtype: str) -> Any:
    if not case.kwargs.get("normalize", True):
        return None  # 1 − p·t unnormalised: no anchor has it (compat.tf's v1 cosine_distance is tested against TF)
    torch = _torch()
    p, t = (torch.from_numpy(a) for a in _args(case, dtype))
    cos = torch.nn.functional.cosine_similarity(p, t, dim=case.kwargs.get("axis", -1),
                                                eps=float(case.kwargs.get("eps", 1e-8)))
    return 1.0 - cos


SKLEARN_MAPE_EPS = {"eps": float(np.finfo(np.float64).eps)}  # scikit-learn's, whatever the input dtype

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


TABLE: tuple[Anchor, ...] = (
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
    Anchor("sklearn.root_mean_squared_error", "sklearn", "root_mean_squared_error", _sklearn_rmse),
    Anchor("keras.MeanAbsolutePercentageError", "keras", "mean_absolute_percentage_error", _keras_mape,
           KERAS_EPS),
    Anchor("sklearn.mean_absolute_percentage_error", "sklearn", "mean_absolute_percentage_error", _sklearn_mape,
           SKLEARN_MAPE_EPS),
    Anchor("torch.smooth_l1_loss", "torch", "smooth_l1", _torch_smooth_l1),
    # float32 only: Keras computes log 2 in float32 whatever the dtype, so its float64 loss is off by
    # 1.9e-9 (−1.9e-9 at a perfect prediction): tests/test_regression.py::test_log_cosh_keras_float64_log2
    Anchor("keras.LogCosh", "keras", "log_cosh", _keras_log_cosh, dtypes=("float32",),
           cancels=_log_cosh_size),
    Anchor("optax.log_cosh", "optax", "log_cosh", _optax_log_cosh, UNREDUCED, cancels=_log_cosh_size),
    Anchor("sklearn.mean_pinball_loss", "sklearn", "quantile", _sklearn_pinball),
    Anchor("torch.poisson_nll_loss", "torch", "poisson_nll", _torch_poisson_nll),
    Anchor("keras.Poisson", "keras", "poisson_nll", _keras_poisson, {"log_input": False, **KERAS_EPS}),
    Anchor("tensorflow.log_poisson_loss", "tensorflow", "poisson_nll", _tf_log_poisson,
           {**UNREDUCED, "log_input": True}),
    Anchor("torch.gaussian_nll_loss", "torch", "gaussian_nll", _torch_gaussian_nll),
    Anchor("sklearn.mean_tweedie_deviance", "sklearn", "tweedie_deviance", _sklearn_tweedie),
    Anchor("sklearn.mean_poisson_deviance", "sklearn", "tweedie_deviance", _sklearn_poisson_deviance,
           {"power": 1}),
    Anchor("sklearn.mean_gamma_deviance", "sklearn", "tweedie_deviance", _sklearn_gamma_deviance,
           {"power": 2}),
    Anchor("optax.cosine_distance", "optax", "cosine_distance", _optax_cosine_distance, UNREDUCED,
           cancels=_per_sample_ones),
    Anchor("keras.CosineSimilarity", "keras", "cosine_distance", _keras_cosine_similarity, KERAS_EPS),
    Anchor("torch.cosine_similarity", "torch", "cosine_distance", _torch_cosine_similarity, UNREDUCED,
           cancels=_per_sample_ones),
)
