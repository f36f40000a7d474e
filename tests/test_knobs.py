"""Knobs as arrays (issue 10, item 4): every numeric knob takes a Python number or a 0-D array of the call's
framework, traced or not, and gives the same loss.

A hyperparameter sweep under ``jax.vmap``, a learnable temperature in torch, a knob fed to a ``tf.function``: each
array knob must give the number the Python knob gives (the reference: the same call with ``float(value)``), its
gradient must be the loss's derivative in the knob (checked against central differences of the Python-number
calls, in float64), and a concrete array knob must be refused exactly where the number is. Knobs that choose a
computation rather than enter one (the class ``axis``, a norm order ``p``, CTC's ``blank``, ``ignore_index``, the
Tweedie ``power``, which picks the distribution and its closed form) stay Python values: STRUCTURAL.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
from typing import Any

import numpy as np
import pytest
from lossport.backends import parity
from lossport.backends.parity.cases import Case, cases_for

import lossport
from lossport._registry import LOSSES

HAS = {name: importlib.util.find_spec(name) is not None for name in ("torch", "jax", "tensorflow")}

# Every numeric knob, with two valid values: the sweep's points (the first is the default where it has one).
KNOBS: dict[str, dict[str, tuple[float, float]]] = {
    "huber": {"delta": (1.0, 0.7)},
    "pseudo_huber": {"delta": (1.0, 0.7)},
    "smooth_l1": {"beta": (1.0, 0.7)},
    "quantile": {"quantile": (0.5, 0.3)},
    "wing": {"width": (10.0, 5.0), "curvature": (2.0, 1.5)},
    "mean_squared_logarithmic_error": {"clip_min": (-0.5, 0.0)},
    "mean_absolute_percentage_error": {"eps": (1e-3, 1e-2)},
    "poisson_nll": {"eps": (1e-8, 1e-3)},
    "gaussian_nll": {"eps": (1e-6, 1e-3)},
    "cosine_distance": {"eps": (1e-8, 1e-3)},
    "l1_penalty": {"scale": (1.0, 0.3)},
    "l2_penalty": {"scale": (1.0, 0.3)},
    "binary_cross_entropy": {"eps": (1e-7, 1e-3)},
    "binary_cross_entropy_with_logits": {"label_smoothing": (0.0, 0.1)},
    "softmax_cross_entropy": {"label_smoothing": (0.0, 0.1), "z_loss": (0.0, 1e-3)},
    "sparse_softmax_cross_entropy": {"label_smoothing": (0.0, 0.1), "z_loss": (0.0, 1e-3)},
    "linear_cross_entropy": {"label_smoothing": (0.0, 0.1), "z_loss": (0.0, 1e-3), "logit_softcap": (30.0, 5.0)},
    "categorical_cross_entropy": {"eps": (1e-7, 1e-3)},
    "sigmoid_focal": {"alpha": (0.25, 0.6), "gamma": (2.0, 1.5), "label_smoothing": (0.0, 0.1)},
    "categorical_focal": {"alpha": (0.25, 0.6), "gamma": (2.0, 1.5), "label_smoothing": (0.0, 0.1),
                          "eps": (1e-7, 1e-3)},
    "poly1_cross_entropy": {"epsilon": (2.0, -0.5)},
    "generalized_cross_entropy": {"q": (0.5, 0.8)},
    "multiclass_hinge": {"null_score": (0.0, 0.5)},
    "multi_margin": {"margin": (1.0, 0.5)},
    "kl_divergence": {"clip": (1e-7, 1e-3)},
    "cosine_embedding": {"margin": (0.0, 0.3), "eps": (1e-12, 1e-3)},
    "hinge_embedding": {"margin": (1.0, 0.5)},
    "margin_ranking": {"margin": (0.0, 0.3)},
    "triplet_margin": {"margin": (1.0, 0.5), "eps": (1e-6, 1e-3)},
    "ntxent": {"temperature": (0.07, 0.5)},
    "circle": {"gamma": (80.0, 32.0), "margin": (0.4, 0.25)},
    "dice": {"smooth": (1.0, 0.5), "eps": (0.0, 1e-3)},
    "tversky": {"alpha": (0.5, 0.3), "beta": (0.5, 0.7), "smooth": (1.0, 0.5), "eps": (0.0, 1e-3)},
    "generalized_dice": {"smooth": (1.0, 0.5), "weight_eps": (1e-7, 1e-3)},
    "focal_tversky": {"alpha": (0.5, 0.3), "beta": (0.5, 0.7), "gamma": (0.75, 1.5), "smooth": (1.0, 0.5),
                      "eps": (0.0, 1e-3)},
    "info_nce": {"temperature": (0.07, 0.5)},
    "supervised_contrastive": {"temperature": (0.07, 0.5), "base_temperature": (0.07, 0.1)},
    "sigmoid_contrastive": {"temperature": (10.0, 5.0), "bias": (-10.0, -2.0)},
    "arcface": {"scale": (64.0, 16.0), "margin": (0.5, 0.2)},
    "cosface": {"scale": (64.0, 16.0), "margin": (0.35, 0.2)},
}

# Python values that choose the computation (see the module docstring).
STRUCTURAL = {"axis", "p", "blank", "ignore_index", "power", "offset", "chunk_size"}

CASES = [(loss, name) for loss in sorted(KNOBS) for name in KNOBS[loss]]


def test_every_numeric_knob_is_listed() -> None:
    """The table holds every keyword-only knob whose default is a number, or None for a number (a numeric
    ``eps``, ``clip``, ...), except the structural ones: a new knob cannot skip these tests."""
    missing = []
    for loss in LOSSES:
        for p in inspect.signature(getattr(lossport, loss)).parameters.values():
            numeric = isinstance(p.default, (int, float)) and not isinstance(p.default, bool)
            if p.kind is p.KEYWORD_ONLY and numeric and p.name not in STRUCTURAL and p.name not in KNOBS.get(loss, {}):
                missing.append(f"{loss}.{p.name}")
    assert not missing, missing
    for loss, knobs in KNOBS.items():
        params = inspect.signature(getattr(lossport, loss)).parameters
        assert set(knobs) <= set(params), (loss, set(knobs) - set(params))


# The case a knob is tested on, where the loss's first case leaves it out of the computation (poisson_nll's eps
# enters only with rates, log_input=False). Where a knob is active only on other data (an eps floor no value
# reaches), the family's tests check its gradient on data chosen for it (test_regression.py, test_margin.py,
# test_divergence.py: test_*_gradient_where_active and friends).
CASE_FOR = {("poisson_nll", "eps"): "rates-none"}


def _case(loss: str, knob: str = "") -> Case:
    cases = cases_for(loss)
    if (loss, knob) in CASE_FOR:
        return next(c for c in cases if c.name == CASE_FOR[loss, knob])
    return next((c for c in cases if c.grad is not None and not c.extreme), cases[0])


def _call(case: Case, backend: str, dtype: str, knob: str, value: Any, *, total: bool = True) -> Any:
    leaves, rebuild = parity.bind(case, backend, dtype)
    args, kwargs = rebuild(leaves)
    out = getattr(lossport, case.loss)(*args, **{**kwargs, knob: value})
    return out


def _number(out: Any) -> float:
    return float(np.sum(parity.to_numpy(out).astype(np.float64)))


@pytest.mark.skipif(not HAS["jax"], reason="jax is not installed")
@pytest.mark.parametrize(("loss", "knob"), CASES)
def test_jax_vmap_over_a_knob(loss: str, knob: str) -> None:
    """``jax.vmap(lambda k: loss(..., knob=k))(ks)`` equals the loss at each Python number (float32)."""
    import jax
    import jax.numpy as jnp

    case = _case(loss, knob)
    points = KNOBS[loss][knob]
    leaves, rebuild = parity.bind(case, "jax", "float32")

    def at(value: Any) -> Any:
        args, kwargs = rebuild(leaves)
        return jnp.sum(getattr(lossport, loss)(*args, **{**kwargs, knob: value}))

    swept = np.asarray(jax.vmap(at)(jnp.asarray(points, dtype=jnp.float32)))
    expected = [float(at(v)) for v in points]
    np.testing.assert_allclose(swept, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not HAS["torch"], reason="torch is not installed")
@pytest.mark.parametrize(("loss", "knob"), CASES)
def test_torch_knob_tensor_and_its_gradient(loss: str, knob: str) -> None:
    """A 0-D float64 tensor knob gives the Python number's loss, and its ``.grad`` is the derivative in the knob
    (central differences of the Python-number loss, float64; step 1e-6 relative)."""
    import torch

    case = _case(loss, knob)
    value = KNOBS[loss][knob][1]
    k = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    out = _call(case, "torch", "float64", knob, k).sum()
    assert out.item() == pytest.approx(_number(_call(case, "numpy", "float64", knob, value)), rel=1e-12, abs=1e-15)
    out.backward()
    h = 1e-6 * max(1.0, abs(value))
    slope = (_number(_call(case, "numpy", "float64", knob, value + h))
             - _number(_call(case, "numpy", "float64", knob, value - h))) / (2 * h)
    assert k.grad is not None
    assert k.grad.item() == pytest.approx(slope, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize(("loss", "knob"), CASES)
def test_numpy_and_tensorflow_knob_arrays(loss: str, knob: str) -> None:
    """A NumPy 0-D array knob on NumPy inputs, a TensorFlow 0-D tensor knob eagerly and as a ``tf.function``
    argument: each the Python number's loss (float64)."""
    case = _case(loss, knob)
    value = KNOBS[loss][knob][1]
    expected = _number(_call(case, "numpy", "float64", knob, value))
    got = _number(_call(case, "numpy", "float64", knob, np.asarray(value)))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    if not HAS["tensorflow"] or "tensorflow" not in parity.available_backends():
        return
    import tensorflow as tf

    assert _number(_call(case, "tensorflow", "float64", knob, tf.constant(value, tf.float64))) == pytest.approx(
        expected, rel=1e-12, abs=1e-15)
    leaves, rebuild = parity.bind(case, "tensorflow", "float64")

    @tf.function
    def traced(k: Any) -> Any:
        args, kwargs = rebuild(leaves)
        return tf.reduce_sum(getattr(lossport, loss)(*args, **{**kwargs, knob: k}))

    assert float(traced(tf.constant(value, tf.float64))) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("loss", "knob"), CASES)
@pytest.mark.parametrize("bad", [math.inf, math.nan, -1.0, 2.0, 0.0])
def test_a_concrete_array_knob_is_refused_where_the_number_is(loss: str, knob: str, bad: float) -> None:
    """A NumPy 0-D array knob raises ValueError exactly where the same Python number does."""
    case = _case(loss, knob)

    def outcome(value: Any) -> str:
        try:
            _call(case, "numpy", "float64", knob, value)
        except ValueError:
            return "ValueError"
        return "ok"

    assert outcome(np.asarray(bad)) == outcome(bad)


def test_a_knob_of_another_framework_is_refused() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="one framework"):
        lossport.huber(torch.zeros(3), torch.ones(3), delta=np.asarray(1.0))
    with pytest.raises(ValueError, match=r"`delta` must be a Python number or a 0-D array; got shape \(2,\)"):
        lossport.huber(np.zeros(3), np.ones(3), delta=np.ones(2))
