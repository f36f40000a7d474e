"""The regression losses added after the seed: hand-computed values, the native anchors' conventions pinned with
numbers, accuracy against an mpmath oracle, properties (hypothesis), and bad input.

Where a number comes from: "hand" values are derived in the comment beside them; "traps.md Tn" is
docs/traps.md's trap Tn, reproduced here; "measured" numbers were measured with torch 2.13,
TensorFlow 2.21, Keras 3.15 (TF backend), optax 0.2.8 and scikit-learn 1.9 on CPU (the tests re-measure them where
the framework is installed). None is copied from lossport's own output.
"""

from __future__ import annotations

import math
import re

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from lossport.backends import parity
from support import BACKENDS, backend_params, device_for, framework, value

import lossport

F32, F64 = np.float32, np.float64
LOG2 = math.log(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def ulps(actual: np.ndarray, exact: np.ndarray, dtype: type) -> np.ndarray:
    """``|actual − exact|`` in units of the spacing of ``dtype`` at ``exact``."""
    exact = np.asarray(exact, dtype=np.float64)
    return np.abs(np.asarray(actual, dtype=np.float64) - exact) / np.spacing(np.abs(exact).astype(dtype)).astype(
        np.float64)


def arr(backend: str, values: object, dtype: str = "float64") -> object:
    return parity.convert(backend, np.asarray(values, dtype=np.float64), dtype, device_for(backend))


# ---------------------------------------------------------------------------------------------------------------
# root_mean_squared_error


P2, T2 = np.array([2.0, 3.0]), np.array([1.0, 0.0])  # errors [1, 3], squared [1, 9]


def test_rmse_hand_values() -> None:
    assert float(lossport.root_mean_squared_error(P2, T2)) == math.sqrt(5.0)  # sqrt((1 + 9) / 2)
    w = np.array([1.0, 3.0])
    assert float(lossport.root_mean_squared_error(P2, T2, weights=w)) == math.sqrt(7.0)  # sqrt((1 + 27) / 4)
    assert float(lossport.root_mean_squared_error(P2, T2, where=np.array([True, False]))) == 1.0
    assert float(lossport.root_mean_squared_error(P2, T2, reduction="sum")) == math.sqrt(10.0)  # sqrt(1 + 9)
    # "none": the terms under the root, w·e², not rooted
    np.testing.assert_array_equal(lossport.root_mean_squared_error(P2, T2, reduction="none"), [1.0, 9.0])
    np.testing.assert_array_equal(lossport.root_mean_squared_error(P2, T2, weights=w, reduction="none"),
                                  [1.0, 27.0])


@pytest.mark.parametrize("backend", [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS])
def test_rmse_gradient_is_zero_at_a_perfect_prediction(backend: str) -> None:
    """sqrt'(0)·0 would be NaN; the double where gives 0, a subgradient of the norm at 0."""
    t = np.array([0.5, -1.0, 2.0])
    if backend == "jax":
        import jax

        g = jax.grad(lambda p: lossport.root_mean_squared_error(p, arr("jax", t)))(arr("jax", t))
    elif backend == "torch":
        import torch

        p = torch.tensor(t, requires_grad=True)
        (g,) = torch.autograd.grad(lossport.root_mean_squared_error(p, torch.tensor(t)), p)
    else:
        import tensorflow as tf

        p = tf.constant(t)
        with tf.GradientTape() as tape:
            tape.watch(p)
            out = lossport.root_mean_squared_error(p, tf.constant(t))
        g = tape.gradient(out, p)
    np.testing.assert_array_equal(value(g), [0.0, 0.0, 0.0])


def test_rmse_sklearn_averages_columns_of_2d_input() -> None:
    """Measured: on a 2-D input scikit-learn is multi-output and averages the per-column RMSEs: errors
    ``[[1, 0], [1, 2]]`` give (sqrt(2/2) + sqrt(4/2)) / 2 = 1.2071068; lossport's RMSE of all four errors is
    sqrt(6/4) = 1.2247449. Per column, lossport with a column mask gives sklearn's two numbers."""
    metrics = framework("sklearn")
    p, t = np.array([[1.0, 0.0], [1.0, 2.0]]), np.zeros((2, 2))
    assert metrics.root_mean_squared_error(t, p) == pytest.approx((1.0 + math.sqrt(2.0)) / 2, rel=1e-15)
    assert float(lossport.root_mean_squared_error(p, t)) == pytest.approx(math.sqrt(1.5), rel=1e-15)
    columns = [float(lossport.root_mean_squared_error(p, t, where=np.array([j == k for k in range(2)])))
               for j in range(2)]
    np.testing.assert_allclose(columns, metrics.root_mean_squared_error(t, p, multioutput="raw_values"),
                               rtol=1e-15)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, (3, 4), elements=st.floats(-1e3, 1e3)), hnp.arrays(F64, (3, 4), elements=st.floats(-1e3, 1e3)),
       hnp.arrays(F64, (3, 1), elements=st.floats(0.1, 10.0)))
def test_rmse_is_the_root_of_mse(p: np.ndarray, t: np.ndarray, w: np.ndarray) -> None:
    for reduction in ("mean", "sum"):
        mse = float(lossport.mean_squared_error(p, t, weights=w, reduction=reduction))
        rmse = float(lossport.root_mean_squared_error(p, t, weights=w, reduction=reduction))
        assert rmse == pytest.approx(math.sqrt(mse), rel=1e-14, abs=1e-300)


# ---------------------------------------------------------------------------------------------------------------
# mean_absolute_percentage_error


def test_mape_hand_values() -> None:
    p, t = np.array([3.0, 1.0]), np.array([2.0, 4.0])
    assert float(lossport.mean_absolute_percentage_error(p, t)) == 0.625  # (1/2 + 3/4) / 2
    # a zero target: |p| / eps, eps = 2⁻⁵² (scikit-learn's)
    assert float(lossport.mean_absolute_percentage_error(np.array([1.0]), np.array([0.0]))) == 2.0**52


def test_mape_keras_percent_and_sklearn_fraction() -> None:
    """traps.md T13: y_true = [0, 2], y_pred = [.1, 1]: Keras 5e7 (percent, eps 1e-7), scikit-learn 2.25e14
    (fraction, eps 2⁻⁵²). By hand: Keras (0.1/1e-7 + 0.5)/2·100 = 50000025 (50000024 in float32); scikit-learn
    (0.1·2⁵² + 0.5)/2 = 2.2517998136852505e14. lossport gives each with its eps, as a fraction."""
    t, p = np.array([0.0, 2.0]), np.array([0.1, 1.0])
    np.testing.assert_allclose(float(lossport.mean_absolute_percentage_error(p, t, eps=1e-7)), 500000.25, rtol=1e-15)
    np.testing.assert_allclose(float(lossport.mean_absolute_percentage_error(p, t)), 2.2517998136852505e14,
                               rtol=1e-15)
    keras = framework("keras")
    native = value(keras.losses.MeanAbsolutePercentageError()(t.astype(F32), p.astype(F32)))
    assert native == 50000024.0
    mine = float(lossport.mean_absolute_percentage_error(p.astype(F32), t.astype(F32), eps=1e-7))
    np.testing.assert_allclose(100 * mine, native, rtol=1e-7)
    metrics = framework("sklearn")
    np.testing.assert_allclose(metrics.mean_absolute_percentage_error(t, p), 2.2517998136852505e14, rtol=1e-15)
    # scikit-learn's eps is float64's for float32 inputs too
    np.testing.assert_allclose(metrics.mean_absolute_percentage_error(t.astype(F32), p.astype(F32)),
                               float(lossport.mean_absolute_percentage_error(p.astype(F32), t.astype(F32))),
                               rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# smooth_l1


def test_smooth_l1_hand_values_and_huber() -> None:
    """traps.md T3: errors [3, 0.5]: torch ``smooth_l1_loss(beta=2)`` = 1.03125 = ((3 − 1) + ½·0.25/2) / 2, and
    Huber(δ=2) = 2.0625 = 2 × that (smooth L1 is Huber / β)."""
    e = np.array([3.0, 0.5])
    assert float(lossport.smooth_l1(e, np.zeros(2), beta=2.0)) == 1.03125
    assert float(lossport.huber(e, np.zeros(2), delta=2.0)) == 2.0625
    np.testing.assert_array_equal(lossport.smooth_l1(e, np.zeros(2), reduction="none"), [2.5, 0.125])


def test_smooth_l1_beta_zero_is_l1_without_division() -> None:
    e = np.array([3.0, -0.5, 0.0])
    with np.errstate(all="raise"):  # no 0/0 anywhere
        np.testing.assert_array_equal(lossport.smooth_l1(e, np.zeros(3), beta=0.0, reduction="none"), np.abs(e))
    torch = framework("torch")
    native = torch.nn.functional.smooth_l1_loss(torch.tensor(e), torch.zeros(3, dtype=torch.float64), beta=0.0)
    assert float(native) == float(lossport.smooth_l1(e, np.zeros(3), beta=0.0))
    p = torch.tensor([3.0, -0.5], requires_grad=True)
    (g,) = torch.autograd.grad(lossport.smooth_l1(p, torch.zeros(2), beta=0.0, reduction="sum"), p)
    np.testing.assert_array_equal(value(g), [1.0, -1.0])


def test_smooth_l1_on_torch_is_its_kernel_within_4_ulps() -> None:
    """Eager torch computes the elementwise loss with ``F.smooth_l1_loss``'s kernel (backends/torch.py: one pass
    where the generic form makes seven): bit for bit that kernel, and within DESIGN.md's 4 ulps of the float64 loss
    of the same float32 inputs, across both branches, the kink and a β that is not dyadic."""
    torch = framework("torch")
    rng = np.random.default_rng(3)
    e = np.concatenate([rng.normal(0.0, 1.0, 500), rng.normal(0.0, 1e3, 500), [0.3, -0.3, 0.0, 1e-30]])
    p = torch.tensor(e, dtype=torch.float32)
    t = torch.tensor(rng.normal(0.0, 1.0, e.size), dtype=torch.float32)
    got = lossport.smooth_l1(p, t, beta=0.3, reduction="none")
    native = torch.nn.functional.smooth_l1_loss(p, t, beta=0.3, reduction="none")
    np.testing.assert_array_equal(value(got), value(native))
    d = np.abs(value(p).astype(np.float64) - value(t).astype(np.float64))
    beta = float(np.float32(0.3))  # the knob as the kernel sees it (a float32 scalar)
    exact = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    ulps = np.abs(value(got) - exact) / np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    # p − t rounds once in float32 (doubled by the square), then the product and the division: 1.93 ulps measured
    assert float(np.max(ulps)) <= 4.0


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, 6, elements=st.floats(-50, 50)), st.floats(0.01, 10.0))
def test_smooth_l1_times_beta_is_huber(e: np.ndarray, beta: float) -> None:
    zeros = np.zeros_like(e)
    smooth = lossport.smooth_l1(e, zeros, beta=beta, reduction="none")
    np.testing.assert_allclose(beta * smooth, lossport.huber(e, zeros, delta=beta, reduction="none"),
                               rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(smooth, lossport.smooth_l1(-e, zeros, beta=beta, reduction="none"))


# ---------------------------------------------------------------------------------------------------------------
# log_cosh

LOG_COSH_POINTS = (1e-8, 1e-3, 1.0, 20.0, 1e4)


def _log_cosh_exact(x: float) -> float:
    with mpmath.workdps(60):
        return float(mpmath.log(mpmath.cosh(mpmath.mpf(x))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_log_cosh_against_mpmath(backend: str, dtype: str) -> None:
    """A few ulps at every scale, both signs: 1e-8 (5e-17, where ``logaddexp(x, −x) − log 2`` gives 0), 1e-3, 1,
    20 and 1e4 (where ``log(cosh x)`` overflows)."""
    x = np.array([s * v for v in LOG_COSH_POINTS for s in (1.0, -1.0)]).astype(dtype)
    exact = np.array([_log_cosh_exact(float(v)) for v in x])
    out = value(lossport.log_cosh(arr(backend, x, dtype), arr(backend, np.zeros_like(x), dtype), reduction="none"))
    assert np.max(ulps(out, exact, np.dtype(dtype).type)) <= 4, (out, exact)


def test_log_cosh_gradient_is_tanh() -> None:
    jax = framework("jax")
    x = np.array([s * v for v in (0.0, *LOG_COSH_POINTS, 1.99, 2.01) for s in (1.0, -1.0)])
    g = jax.grad(lambda e: lossport.log_cosh(e, jax.numpy.zeros_like(e), reduction="sum"))(jax.numpy.asarray(x))
    np.testing.assert_allclose(value(g), np.tanh(x), rtol=1e-14, atol=1e-300)


def test_log_cosh_keras_and_optax_cancel_at_small_residuals() -> None:
    """Measured, float32: Keras's ``x + softplus(−2x) − log 2`` and optax's ``logaddexp(x, −x) − log 2`` give
    5.364418e-7 at x = 1e-3 (exact 4.9999996e-7, 7% off) and 0 at x = 1e-8 (exact 5e-17); lossport is within
    2 ulps of both. The anchors forgive
    ``4·eps·(|x| + log 2)`` per element for this (``cancels=``)."""
    optax, keras = framework("optax"), framework("keras")
    for x, native_value in ((1e-3, 5.364418029785156e-07), (1e-8, 0.0)):
        e = np.array([x], F32)
        assert float(optax.losses.log_cosh(e)[0]) == native_value
        assert value(keras.losses.log_cosh(e[None], np.zeros((1, 1), F32)))[0] == native_value
        mine = value(lossport.log_cosh(e, np.zeros(1, F32), reduction="none"))
        assert ulps(mine, [_log_cosh_exact(float(e[0]))], F32)[0] <= 2


def test_log_cosh_keras_float64_log2() -> None:
    """Measured: Keras computes ``log 2`` in float32 whatever the loss's dtype, so ``LogCosh(dtype="float64")`` is
    off by float32(log 2) − log 2 = 1.904654323148236e-9: −1.9e-9 at a perfect prediction. The anchor runs in
    float32 only; lossport gives 0."""
    keras = framework("keras")
    zero = np.zeros((1, 1))
    native = value(keras.losses.LogCosh(dtype="float64")(zero, zero))
    assert native == pytest.approx(LOG2 - float(F32(LOG2)), rel=1e-12)
    assert native == pytest.approx(-1.904654323148236e-09, rel=1e-12)
    assert float(lossport.log_cosh(zero, zero)) == 0.0


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(F64, 8, elements=st.floats(-1e4, 1e4)))
def test_log_cosh_bounds(e: np.ndarray) -> None:
    """``max(|e| − log 2, e²/2 − e⁴/12) <= log cosh e <= min(|e|, e²/2)``, and it is even."""
    loss = lossport.log_cosh(e, np.zeros_like(e), reduction="none")
    a = np.abs(e)
    lower = np.maximum(a - LOG2, np.where(a < 1, e * e / 2 - e**4 / 12, 0.0))
    upper = np.minimum(a, e * e / 2)
    assert np.all(loss >= lower * (1 - 1e-14)) and np.all(loss <= upper * (1 + 1e-14))
    np.testing.assert_array_equal(loss, lossport.log_cosh(-e, np.zeros_like(e), reduction="none"))


# ---------------------------------------------------------------------------------------------------------------
# quantile


def test_quantile_hand_values() -> None:
    p, t = np.array([0.0, 3.0]), np.array([2.0, 1.0])  # e = t − p = [2, −2]
    np.testing.assert_array_equal(lossport.quantile(p, t, quantile=0.75, reduction="none"), [1.5, 0.5])
    metrics = framework("sklearn")
    assert metrics.mean_pinball_loss(t, p, alpha=0.75) == 1.0 == float(lossport.quantile(p, t, quantile=0.75))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, 6, elements=st.floats(-1e3, 1e3)), hnp.arrays(F64, 6, elements=st.floats(-1e3, 1e3)),
       st.floats(0.0, 1.0))
def test_quantile_properties(p: np.ndarray, t: np.ndarray, q: float) -> None:
    """Non-negative, zero at p = t, ``ℓ_q(p, t) = ℓ_{1−q}(t, p)``, and q = ½ is half the absolute error."""
    loss = lossport.quantile(p, t, quantile=q, reduction="none")
    assert np.all(loss >= 0)
    np.testing.assert_allclose(loss, lossport.quantile(t, p, quantile=1.0 - q, reduction="none"),
                               rtol=1e-12, atol=1e-9)
    assert float(lossport.quantile(t, t, quantile=q)) == 0.0
    np.testing.assert_array_equal(lossport.quantile(p, t, reduction="none"), 0.5 * np.abs(p - t))


# ---------------------------------------------------------------------------------------------------------------
# poisson_nll

RATES, COUNTS = np.array([0.5, 2.0, 3.0]), np.array([0.0, 3.0, 2.0])
# by hand: λ − t log λ = [0.5, 2 − 3 log 2, 3 − 2 log 3]; Stirling for t = 3 and t = 2
NLL_RATES = (0.5 + (2 - 3 * LOG2) + (3 - 2 * math.log(3))) / 3
STIRLING = sum(t * math.log(t) - t + 0.5 * math.log(2 * math.pi * t) for t in (3.0, 2.0)) / 3


def test_poisson_nll_conventions() -> None:
    """traps.md T12: rates [.5, 2, 3], counts [0, 3, 2]: Keras ``poisson`` 0.407778 (rates, eps 1e-7), TF
    ``log_poisson_loss`` on log-rates 0.407778, torch ``log_input=False`` 0.407778, torch's default fed the rates
    as log-rates 5.70777 (= (e^.5 + e² − 6 + e³ − 6)/3), ``full=True`` 1.21307."""
    assert abs(NLL_RATES - 0.407778) < 1e-6
    np.testing.assert_allclose(float(lossport.poisson_nll(RATES, COUNTS, log_input=False, eps=0.0)), NLL_RATES,
                               rtol=1e-15)
    np.testing.assert_allclose(float(lossport.poisson_nll(np.log(RATES), COUNTS)), NLL_RATES, rtol=1e-15)
    as_log = (math.exp(0.5) + math.exp(2) - 6 + math.exp(3) - 6) / 3
    assert as_log == pytest.approx(5.70777, abs=1e-5)
    np.testing.assert_allclose(float(lossport.poisson_nll(RATES, COUNTS)), as_log, rtol=1e-15)
    assert abs(NLL_RATES + STIRLING - 1.21307) < 1e-5
    np.testing.assert_allclose(float(lossport.poisson_nll(np.log(RATES), COUNTS, full=True)), NLL_RATES + STIRLING,
                               rtol=1e-14)


def test_poisson_nll_zero_rate_eps() -> None:
    """traps.md T12: a zero rate with count 1: Keras 16.1181 = −log 1e-7, torch 18.4207 = −log 1e-8; lossport's
    ``eps`` gives either, and ``eps=0`` the exact inf (and exactly 0 for a zero count: 0·log 0 = 0)."""
    zero, one = np.array([0.0]), np.array([1.0])
    assert float(lossport.poisson_nll(zero, one, log_input=False, eps=1e-7)) == pytest.approx(-math.log(1e-7))
    assert float(lossport.poisson_nll(zero, one, log_input=False)) == pytest.approx(-math.log(1e-8))
    assert float(lossport.poisson_nll(zero, one, log_input=False, eps=0.0)) == math.inf
    assert float(lossport.poisson_nll(zero, zero, log_input=False, eps=0.0)) == 0.0
    # log_input: a log-rate of −inf is a zero rate; 0·(−inf) counts as 0
    assert float(lossport.poisson_nll(np.array([-np.inf]), zero)) == 0.0
    keras, torch = framework("keras"), framework("torch")
    native = value(keras.losses.Poisson()(one[None].astype(F32), zero[None].astype(F32)))
    np.testing.assert_allclose(native, 16.11809539794922, rtol=1e-7)
    np.testing.assert_allclose(value(torch.nn.functional.poisson_nll_loss(
        torch.zeros(1), torch.ones(1), log_input=False)), 18.42068099975586, rtol=1e-7)


def test_poisson_nll_stirling_only_above_one() -> None:
    """torch and TF add Stirling's term only where t > 1: at t = 1 it would be log(2π)/2 − 1 = −0.0811, not log 1! = 0.
    ``x = 0, t = 1, full=True`` gives exp(0) − 0 = 1 (torch: 1.0, measured)."""
    assert float(lossport.poisson_nll(np.array([0.0]), np.array([1.0]), full=True)) == 1.0
    torch = framework("torch")
    assert float(torch.nn.functional.poisson_nll_loss(torch.zeros(1), torch.ones(1), full=True)) == 1.0


def test_poisson_nll_and_tweedie_deviance() -> None:
    """The Poisson deviance is twice the NLL minus the saturated NLL: ``d(y, μ) = 2(ℓ(μ; y) − ℓ(y; y))``;
    scikit-learn's ``mean_poisson_deviance`` on T12's numbers is 0.603643 (measured)."""
    nll = lossport.poisson_nll(RATES, COUNTS, log_input=False, eps=0.0, reduction="none")
    saturated = lossport.poisson_nll(COUNTS, COUNTS, log_input=False, eps=0.0, reduction="none")
    dev = lossport.tweedie_deviance(RATES, COUNTS, power=1, reduction="none")
    np.testing.assert_allclose(dev, 2 * (nll - saturated), rtol=1e-14)
    assert float(np.mean(dev)) == pytest.approx(0.603643, abs=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# gaussian_nll


def test_gaussian_nll_full() -> None:
    """traps.md T23: p = [1, 0], t = 0, v = 1: ``full=False`` omits ½ log 2π: 0.25 vs 1.16894."""
    p, t, v = np.array([1.0, 0.0]), np.zeros(2), np.ones(2)
    assert float(lossport.gaussian_nll(p, t, v)) == 0.25  # (½(0 + 1) + ½(0 + 0)) / 2
    assert float(lossport.gaussian_nll(p, t, v, full=True)) == pytest.approx(0.25 + HALF_LOG_2PI, rel=1e-15)
    assert abs(0.25 + HALF_LOG_2PI - 1.16894) < 1e-5


def test_gaussian_nll_variance_shapes() -> None:
    """Predictions (2, 2): a ``(2,)`` variance is one per *row* (torch's rule: expanded on the last axis), not
    NumPy's per-column broadcasting. Rows [1, 1] and [2, 2] with variances [1, 4]: ½(0 + 1) = 0.5 and
    ½(log 4 + 4/4) = 1.1931472 for each entry of the row (hand)."""
    p, t = np.array([[1.0, 1.0], [2.0, 2.0]]), np.zeros((2, 2))
    row = 0.5 * (math.log(4.0) + 1.0)
    expected = np.array([[0.5, 0.5], [row, row]])
    for v in (np.array([1.0, 4.0]), np.array([[1.0], [4.0]]), np.array([[1.0, 1.0], [4.0, 4.0]])):
        np.testing.assert_allclose(lossport.gaussian_nll(p, t, v, reduction="none"), expected, rtol=1e-15)
    # one variance per column: the shape with axis 0 of size 1
    np.testing.assert_allclose(lossport.gaussian_nll(p, t, np.array([[1.0, 4.0]]), reduction="none"),
                               [[0.5, 0.5 * (math.log(4.0) + 0.25)], [2.0, 0.5 * (math.log(4.0) + 1.0)]],
                               rtol=1e-15)
    torch = framework("torch")
    native = torch.nn.functional.gaussian_nll_loss(torch.tensor(p), torch.tensor(t), torch.tensor([1.0, 4.0],
                                                   dtype=torch.float64), reduction="none")
    np.testing.assert_allclose(value(native), expected, rtol=1e-15)


def test_gaussian_nll_clamp_value_matches_torch_gradient_does_not() -> None:
    """A variance below eps is clamped: v = 1e-8, eps = 1e-6, e = 1: ½(log 1e-6 + 1e6) = 499993.0922447 (hand;
    torch: the same, measured). torch clamps under ``no_grad`` and passes the gradient through as if unclamped,
    ½(1/v_c − e²/v_c²) at v_c = 1e-6, i.e. −5e11; lossport's clamp has gradient 0 there."""
    torch = framework("torch")
    expected = 0.5 * (math.log(1e-6) + 1e6)
    p, t = np.array([1.0]), np.array([0.0])
    assert float(lossport.gaussian_nll(p, t, np.array([1e-8]))) == pytest.approx(expected, rel=1e-15)
    assert float(lossport.gaussian_nll(p, t, np.array([0.0]))) == pytest.approx(expected, rel=1e-15)
    v = torch.tensor([1e-8], dtype=torch.float64, requires_grad=True)
    native = torch.nn.functional.gaussian_nll_loss(torch.tensor(p), torch.tensor(t), v)
    assert float(native) == pytest.approx(expected, rel=1e-15)
    (native_grad,) = torch.autograd.grad(native, v)
    assert float(native_grad) == pytest.approx(0.5 * (1e6 - 1e12), rel=1e-12)
    v = torch.tensor([1e-8], dtype=torch.float64, requires_grad=True)
    (mine,) = torch.autograd.grad(lossport.gaussian_nll(torch.tensor(p), torch.tensor(t), v), v)
    assert float(mine) == 0.0


# ---------------------------------------------------------------------------------------------------------------
# tweedie_deviance


def _tweedie_exact(y: float, mu: float, power: float) -> float:
    with mpmath.workdps(60):
        y_, mu_, p = mpmath.mpf(y), mpmath.mpf(mu), mpmath.mpf(power)
        if power == 0:
            return float((y_ - mu_) ** 2)
        if power == 1:
            return float(2 * ((y_ * mpmath.log(y_ / mu_) if y > 0 else 0) - y_ + mu_))
        if power == 2:
            return float(2 * (mpmath.log(mu_ / y_) + y_ / mu_ - 1))
        yp = max(y_, 0) if power < 0 else y_
        return float(2 * (yp ** (2 - p) / ((1 - p) * (2 - p)) - y_ * mu_ ** (1 - p) / (1 - p) + mu_ ** (2 - p) / (2 - p)))


def test_tweedie_hand_values() -> None:
    mu, y = np.array([2.0, 1.0]), np.array([0.0, 2.0])
    np.testing.assert_array_equal(lossport.tweedie_deviance(mu, y, reduction="none"), [4.0, 1.0])  # (y − μ)²
    # Poisson: 2μ at y = 0; 2(2 log 2 − 2 + 1)
    np.testing.assert_allclose(lossport.tweedie_deviance(mu, y, power=1, reduction="none"),
                               [4.0, 2 * (2 * LOG2 - 1)], rtol=1e-15)
    one, two = np.array([1.0]), np.array([2.0])
    assert float(lossport.tweedie_deviance(one, two, power=2)) == pytest.approx(2 * (1 - LOG2), rel=1e-15)
    assert float(lossport.tweedie_deviance(one, two, power=3)) == pytest.approx(0.5, rel=1e-15)  # (y−μ)²/(yμ²)
    # 1 < p < 2 at y = 0: 2μ^(2−p)/(2−p) = 2·2/0.5 = 8 at μ = 4, p = 1.5
    assert float(lossport.tweedie_deviance(np.array([4.0]), np.array([0.0]), power=1.5)) == pytest.approx(8.0)
    # p < 0, y <= 0 (scikit-learn's max(y, 0)): 2(−yμ²/2 + μ³/3): y = −1, μ = 1 → 5/3; y = 0, μ = 2 → 16/3
    np.testing.assert_allclose(lossport.tweedie_deviance(np.array([1.0, 2.0]), np.array([-1.0, 0.0]), power=-1,
                                                         reduction="none"), [5 / 3, 16 / 3], rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_tweedie_against_mpmath(backend: str, dtype: str) -> None:
    """A few ulps everywhere, for every kind of power, near-perfect predictions (deviance ~1e-14·μ) included, where
    scikit-learn's textbook formula loses every digit. Ratios y/μ in [0.5, 0.8] catch XLA's float64 ``log1p`` of
    negative arguments (up to 130 ulps off there), which lossport avoids."""
    ratios = np.array([1e-3, 0.2, 0.6, 0.75, 0.99, 1 - 1e-4, 1 + 1e-6, 1.001, 1.3, 2.5, 10.0, 300.0])
    mu = np.array([0.4, 1.0, 3.0])
    y, mu = (np.outer(mu, ratios)).ravel().astype(dtype), np.repeat(mu, ratios.size).astype(dtype)
    for power in (-1.0, 0.0, 1.0, 1.2, 1.5, 1.7, 1.999, 2.0, 3.0):
        exact = np.array([_tweedie_exact(float(a), float(b), power) for a, b in zip(y, mu)])
        out = value(lossport.tweedie_deviance(arr(backend, mu, dtype), arr(backend, y, dtype), power=power,
                                              reduction="none"))
        assert np.max(ulps(out, exact, np.dtype(dtype).type)) <= 8, power


def test_tweedie_sklearn_loses_digits_near_a_perfect_prediction() -> None:
    """Measured, float64, y = 1 + 1e-7, μ = 1: scikit-learn gives 9.992007e-15 (power 1, exact 9.9999997e-15) and
    9.769963e-15 (power 1.5, exact 9.9999995e-15; 2.3% off); lossport is within an ulp or two."""
    metrics = framework("sklearn")
    y, mu = np.array([1 + 1e-7]), np.array([1.0])
    for power, native in ((1, 9.992007221626409e-15), (1.5, 9.769962616701378e-15)):
        assert metrics.mean_tweedie_deviance(y, mu, power=power) == native
        exact = _tweedie_exact(float(y[0]), 1.0, power)
        assert float(lossport.tweedie_deviance(mu, y, power=power)) == pytest.approx(exact, rel=1e-15)


def test_tweedie_gradient() -> None:
    """``∂d/∂μ = 2(μ − y)/μ^p`` (from ``d = 2∫_μ^y (y − s)/s^p ds``), in the series zone and beyond."""
    jax = framework("jax")
    mu = np.array([0.5, 1.0, 2.0, 1.0, 3.0, 0.3])
    y = np.array([0.5 * 1.01, 0.2, 2.0 * 0.9, 7.0, 0.0, 0.3])
    for power in (1.0, 1.3, 1.5, 1.8, 2.0, 3.0, -1.0):
        if power >= 2:
            y = np.where(y > 0, y, 0.5)
        g = jax.grad(lambda m, y=y, p=power: lossport.tweedie_deviance(m, jax.numpy.asarray(y), power=p,
                                                                        reduction="sum"))(jax.numpy.asarray(mu))
        np.testing.assert_allclose(value(g), 2 * (mu - y) / mu**power, rtol=1e-12, atol=1e-15)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, 6, elements=st.floats(0.01, 100.0)), hnp.arrays(F64, 6, elements=st.floats(0.01, 100.0)),
       st.sampled_from([-0.5, 1.0, 1.4, 1.5, 1.9, 2.0, 2.5, 3.0]))
def test_tweedie_properties(mu: np.ndarray, y: np.ndarray, power: float) -> None:
    """Non-negative, zero at a perfect prediction, and power 0 is the squared error."""
    assert np.all(lossport.tweedie_deviance(mu, y, power=power, reduction="none") >= 0)
    assert float(lossport.tweedie_deviance(y, y, power=power, reduction="sum")) == 0.0
    np.testing.assert_array_equal(lossport.tweedie_deviance(mu, y, reduction="none"), (mu - y) ** 2)


# ---------------------------------------------------------------------------------------------------------------
# cosine_distance


def test_cosine_distance_conventions() -> None:
    """traps.md T14: y_true = [0, 1], y_pred = [1, 1]: Keras −0.707107 (−cos), optax ``cosine_distance`` and torch
    ``1 − cosine_similarity`` 0.292893 = 1 − 1/√2; a zero vector: Keras −0 (so 1 + Keras = 1), optax NaN (its
    default epsilon=0; lossport's eps=0 too), torch 1.0 (cos = 0). A vector shorter than eps counts as that short:
    [1e-9, 0] against [1, 0] with eps = 1e-8 has cos = 0.1 (torch: 0.1, measured)."""
    p, t = np.array([[1.0, 1.0]]), np.array([[0.0, 1.0]])
    assert float(lossport.cosine_distance(p, t)) == pytest.approx(1 - 1 / math.sqrt(2), rel=1e-15)
    zero, e1 = np.zeros((1, 2)), np.array([[1.0, 0.0]])
    assert float(lossport.cosine_distance(zero, e1)) == 1.0
    assert float(lossport.cosine_distance(e1, zero)) == 1.0
    with np.errstate(invalid="ignore"):
        assert math.isnan(float(lossport.cosine_distance(zero, e1, eps=0.0)))
    assert float(lossport.cosine_distance(np.array([[1e-9, 0.0]]), e1)) == pytest.approx(0.9, rel=1e-15)

    keras, optax, torch = framework("keras"), framework("optax"), framework("torch")
    assert value(keras.losses.CosineSimilarity()(t.astype(F32), p.astype(F32))) == pytest.approx(-0.707107, abs=1e-6)
    assert value(keras.losses.CosineSimilarity()(e1.astype(F32), zero.astype(F32))) == 0.0
    assert math.isnan(float(optax.losses.cosine_distance(zero, e1)[0]))
    assert float(optax.losses.cosine_distance(zero, e1, epsilon=1e-16)[0]) == 1.0  # epsilon floors the squared norm
    assert float(torch.nn.functional.cosine_similarity(torch.tensor(zero), torch.tensor(e1))[0]) == 0.0
    assert float(torch.nn.functional.cosine_similarity(torch.tensor([[1e-9, 0.0]]), torch.tensor(e1))[0]) == \
        pytest.approx(0.1, rel=1e-6)


def test_cosine_distance_accuracy_and_range() -> None:
    """Nearly parallel vectors [1, 1e-6] and [1, 0], float64: exact 1 − 1/sqrt(1 + 1e-12) = 4.99999999999625e-13;
    torch and optax form 1 − cos and give 5.000444502911705e-13 (measured, 9e-5 off); lossport's ½‖p̂ − t̂‖² is
    exact to an ulp. float32 [1e30, 1e30] against [1e30, 0]: torch and optax overflow the norm and give 1.0;
    lossport scales it: 1 − 1/√2."""
    p, t = np.array([[1.0, 1e-6]]), np.array([[1.0, 0.0]])
    with mpmath.workdps(50):
        exact = float(1 - 1 / mpmath.sqrt(1 + mpmath.mpf(1e-6) ** 2))
    assert float(lossport.cosine_distance(p, t)) == pytest.approx(exact, rel=1e-15)
    torch = framework("torch")
    native = 1 - float(torch.nn.functional.cosine_similarity(torch.tensor(p), torch.tensor(t))[0])
    assert native == pytest.approx(5.000444502911705e-13, rel=1e-12)
    big, e1 = np.array([[1e30, 1e30]], F32), np.array([[1e30, 0.0]], F32)
    assert float(lossport.cosine_distance(big, e1)) == pytest.approx(1 - 1 / math.sqrt(2), rel=1e-6)
    assert 1 - float(torch.nn.functional.cosine_similarity(torch.tensor(big), torch.tensor(e1))[0]) == 1.0


@pytest.mark.parametrize("backend", [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS])
def test_cosine_distance_gradient_finite_at_zero_vectors(backend: str) -> None:
    p = np.array([[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]])
    t = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    if backend == "jax":
        import jax

        g = jax.grad(lambda x: lossport.cosine_distance(x, arr("jax", t), reduction="sum"))(arr("jax", p))
    elif backend == "torch":
        import torch

        x = torch.tensor(p, requires_grad=True)
        (g,) = torch.autograd.grad(lossport.cosine_distance(x, torch.tensor(t), reduction="sum"), x)
    else:
        import tensorflow as tf

        x = tf.constant(p)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = lossport.cosine_distance(x, tf.constant(t), reduction="sum")
        g = tape.gradient(out, x)
    g = value(g)
    assert np.all(np.isfinite(g))
    # a zero prediction against t: d/dp (1 − p·t̂/eps) = −t̂/eps (torch's too); against a zero target: 0
    np.testing.assert_allclose(g, [[-1e8, 0.0], [0.0, 0.0], [0.0, 0.0]], rtol=1e-12, atol=1e-12)


def test_cosine_distance_axis_and_shapes() -> None:
    rng = np.random.default_rng(0)
    p, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    per_sample = lossport.cosine_distance(p, t, reduction="none")
    assert per_sample.shape == (3,)
    np.testing.assert_allclose(lossport.cosine_distance(p.T, t.T, axis=0, reduction="none"), per_sample, rtol=1e-15)
    w = np.array([1.0, 2.0, 0.0])
    np.testing.assert_allclose(float(lossport.cosine_distance(p, t, weights=w)),
                               np.sum(w * per_sample) / 3.0, rtol=1e-14)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, (3, 4), elements=st.floats(-100, 100)), hnp.arrays(F64, (3, 4), elements=st.floats(-100, 100)),
       st.floats(0.01, 100.0))
def test_cosine_distance_properties(p: np.ndarray, t: np.ndarray, c: float) -> None:
    """In [0, 2], symmetric, invariant to positive scaling (of vectors longer than eps), 0 for ``p = c·t``."""
    d = lossport.cosine_distance(p, t, reduction="none")
    assert np.all(d >= 0) and np.all(d <= 2 + 1e-15)
    np.testing.assert_allclose(d, lossport.cosine_distance(t, p, reduction="none"), rtol=1e-13, atol=1e-15)
    long_enough = (np.linalg.norm(p, axis=-1) > 1e-6) & (np.linalg.norm(t, axis=-1) > 1e-6)
    scaled = lossport.cosine_distance(c * p, t, reduction="none")
    np.testing.assert_allclose(scaled[long_enough], d[long_enough], rtol=1e-12, atol=1e-14)
    same = lossport.cosine_distance(c * t, t, reduction="none")
    assert np.all(same[np.linalg.norm(t, axis=-1) > 1e-6] <= 1e-15)


# ---------------------------------------------------------------------------------------------------------------
# wing (no framework has it: hand values, an mpmath oracle, properties)


def mp_wing(e: float, w: float, c: float) -> float:
    """Feng et al.'s definition, in 50 digits: w·ln(1 + |e|/ε) below w, |e| − (w − w·ln(1 + w/ε)) from w on."""
    mpmath.mp.dps = 50
    a, w_, c_ = abs(mpmath.mpf(e)), mpmath.mpf(w), mpmath.mpf(c)
    return float(w_ * mpmath.log1p(a / c_) if a < w_ else a - (w_ - w_ * mpmath.log1p(w_ / c_)))


def test_wing_hand_values() -> None:
    # w = 10, ε = 2: 10·ln(1 + 2/2) = 10 ln 2 at e = 2; 12 − C = 12 − 10 + 10 ln 6 at e = −12
    got = lossport.wing(np.array([0.0, 2.0, -12.0]), np.zeros(3), reduction="none")
    np.testing.assert_allclose(got, [0.0, 10 * LOG2, 2 + 10 * math.log(6.0)], rtol=1e-15, atol=0)
    # w = 1, ε = 1: ln 2 at the switch from either side
    assert float(lossport.wing(np.array([1.0]), np.zeros(1), width=1.0, curvature=1.0)) == pytest.approx(LOG2, 1e-15)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize(("w", "c"), [(10.0, 2.0), (1.0, 0.5), (1e-3, 10.0), (5.0, 1e-3)])
def test_wing_continuous_at_the_switch(dtype: type, w: float, c: float) -> None:
    """The trap: |e| = w, and one ulp on either side, all within a few ulps of w·ln(1 + w/ε) (the two pieces meet).
    The oracle takes the knobs as the data's dtype holds them (float32's 1e-3 is 1e-3 + 4.7e-11, and at w/ε = 1e-4
    the loss near the switch, about w²/ε = 1e-7, moves by that much)."""
    at = dtype(w)
    e = np.array([np.nextafter(at, dtype(0)), at, np.nextafter(at, dtype(np.inf))], dtype=dtype)
    got = lossport.wing(e, np.zeros(3, dtype), width=w, curvature=c, reduction="none")
    exact = np.array([mp_wing(float(v), float(dtype(w)), float(dtype(c))) for v in e])
    assert np.max(ulps(got, exact, dtype)) <= 4, (got, exact)
    assert np.all(np.diff(got.astype(F64)) >= 0)  # non-decreasing through the switch


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("e", [1e-30, 1e-6, 0.5, 3.0, 9.99, 10.5, 1e3, 1e30])
@pytest.mark.parametrize(("w", "c"), [(10.0, 2.0), (1e-3, 10.0)])
def test_wing_against_mpmath(dtype: type, e: float, w: float, c: float) -> None:
    """Within 4 ulps over the range; with w/ε = 1e-4, |e| − C would cancel just past the switch (C ≈ w)."""
    x = dtype(e)
    got = lossport.wing(np.array([x]), np.zeros(1, dtype=dtype), width=w, curvature=c, reduction="none")
    assert np.max(ulps(got, np.array([mp_wing(float(x), w, c)]), dtype)) <= 4


@settings(max_examples=50, deadline=None, database=None)
@given(hnp.arrays(F64, 8, elements=st.floats(-1e4, 1e4)), st.floats(0.01, 100.0), st.floats(0.01, 100.0))
def test_wing_properties(e: np.ndarray, w: float, c: float) -> None:
    """Non-negative, 0 exactly at e = 0, symmetric, non-decreasing in |e|, below max(w/ε, 1)·|e| (log1p(x) <= x
    below w; slope 1 beyond)."""
    zeros = np.zeros_like(e)
    loss = lossport.wing(e, zeros, width=w, curvature=c, reduction="none")
    assert np.all(loss >= 0)
    np.testing.assert_array_equal(lossport.wing(-e, zeros, width=w, curvature=c, reduction="none"), loss)
    assert float(lossport.wing(zeros, zeros, width=w, curvature=c)) == 0.0
    order = np.argsort(np.abs(e))
    assert np.all(np.diff(loss[order]) >= -4 * np.finfo(F64).eps * loss[order][1:])
    # Subnormal |e|/ε carries an absolute rounding of half a subnormal ulp, not a relative one (hypothesis found
    # e = 2.2e-313, w = 2, ε = 1.75): that, times w, is allowed on top of the relative bound.
    slack = 2 * (w + 1) * np.finfo(F64).smallest_subnormal
    assert np.all(loss <= max(w / c, 1.0) * np.abs(e) * (1 + 4 * np.finfo(F64).eps) + slack)


# ---------------------------------------------------------------------------------------------------------------
# chamfer_distance (PyTorch3D's definition; PyTorch3D does not install here: a float64 loop reference)


def chamfer_reference(x: np.ndarray, y: np.ndarray, squared: bool = True, bidirectional: bool = True) -> np.ndarray:
    """Loops over the leading indices and points, in float64: mean nearest distance from x to y (+ from y to x)."""
    lead = x.shape[:-2]
    out = np.zeros(lead)
    for idx in np.ndindex(*lead):
        a, b = x[idx].astype(F64), y[idx].astype(F64)
        d = np.array([[np.sum((p - q) ** 2) for q in b] for p in a])  # (P, Q)
        d = d if squared else np.sqrt(d)
        out[idx] = d.min(axis=1).mean() + (d.min(axis=0).mean() if bidirectional else 0.0)
    return out


def test_chamfer_hand_values_p_ne_q() -> None:
    """hand: x = {(0,0), (2,0)}, y = {(0,1), (2,0), (5,0)} (P = 2 ≠ Q = 3): x → y (1 + 0)/2, y → x (1 + 0 + 9)/3;
    Euclidean: (1 + 0)/2 + (1 + 0 + 3)/3."""
    x, y = np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.0], [5.0, 0.0]])
    assert float(lossport.chamfer_distance(x, y)) == pytest.approx(0.5 + 10 / 3, rel=1e-15)
    assert float(lossport.chamfer_distance(x, y, squared=False)) == pytest.approx(0.5 + 4 / 3, rel=1e-15)
    assert float(lossport.chamfer_distance(x, y, bidirectional=False)) == 0.5
    assert float(lossport.chamfer_distance(y, x, bidirectional=False)) == pytest.approx(10 / 3, rel=1e-15)


@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_chamfer_matches_the_loop_reference(squared: bool, bidirectional: bool) -> None:
    """``"none"`` gives one value per leading index, shape (2, 3) here, with P = 5 ≠ Q = 8."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(2, 3, 8, 4))
    got = lossport.chamfer_distance(x, y, squared=squared, bidirectional=bidirectional, reduction="none")
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, chamfer_reference(x, y, squared, bidirectional), rtol=1e-14)
    w = rng.uniform(0.5, 2.0, size=(2, 3))
    np.testing.assert_allclose(float(lossport.chamfer_distance(x, y, squared=squared, bidirectional=bidirectional,
                                                               weights=w)),
                               np.sum(w * chamfer_reference(x, y, squared, bidirectional)) / w.sum(), rtol=1e-14)


def test_chamfer_near_neighbours_far_from_the_origin() -> None:
    """Points at 1e3 with neighbours 1e-3 away, float32: the differences give the distance to a few ulps of the
    float64 value of the same (rounded) points; the expansion ‖x‖² + ‖y‖² − 2x·y is off by its whole size."""
    rng = np.random.default_rng(7)
    x = (1e3 + rng.normal(size=(6, 3))).astype(F32)
    y = (x + rng.normal(scale=1e-3, size=(6, 3))).astype(F32)
    exact = chamfer_reference(x, y)
    got = float(lossport.chamfer_distance(x, y))
    assert abs(got - exact) <= 1e-5 * exact, (got, exact)
    expanded = (x * x).sum(-1)[:, None] + (y * y).sum(-1)[None, :] - 2 * x @ y.T  # float32
    naive = np.maximum(expanded, 0).min(1).mean() + np.maximum(expanded, 0).min(0).mean()
    assert abs(naive - exact) > 10 * abs(got - exact)


@pytest.mark.parametrize("backend", backend_params(autodiff=True))
def test_chamfer_euclidean_gradient_at_a_shared_point(backend: str) -> None:
    """A point of x that is also in y: distance 0, gradient 0 there (not sqrt'(0) = inf); hand: x = {(0,0), (3,4)},
    y = {(0,0)}, one way: (0 + 5)/2, ∂/∂x = (0, 0) and (3, 4)/5/2."""
    x, y = [[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0]]
    (g, _) = _rule_gradients(backend, "chamfer_distance", [x, y], squared=False, bidirectional=False,
                             reduction="mean")
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.3, 0.4]], rtol=1e-15)


@settings(max_examples=30, deadline=None, database=None)
@given(hnp.arrays(F64, (4, 3), elements=st.floats(-100, 100)), hnp.arrays(F64, (6, 3), elements=st.floats(-100, 100)))
def test_chamfer_properties(x: np.ndarray, y: np.ndarray) -> None:
    """Symmetric (bidirectional), invariant to the order of the points, 0 between a set and itself, non-negative."""
    d = float(lossport.chamfer_distance(x, y))
    assert d >= 0
    assert float(lossport.chamfer_distance(y, x)) == pytest.approx(d, rel=1e-12, abs=1e-300)
    assert float(lossport.chamfer_distance(x[::-1], y[[2, 0, 1, 5, 4, 3]])) == pytest.approx(d, rel=1e-12, abs=1e-300)
    assert float(lossport.chamfer_distance(x, x)) == 0.0


# ---------------------------------------------------------------------------------------------------------------
# Non-negativity and zero at a perfect prediction (the losses that are distances)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, 6, elements=st.floats(-1e3, 1e3)), hnp.arrays(F64, 6, elements=st.floats(-1e3, 1e3)))
def test_non_negative_and_zero_at_perfect_prediction(p: np.ndarray, t: np.ndarray) -> None:
    for loss in ("root_mean_squared_error", "mean_absolute_percentage_error", "smooth_l1", "log_cosh", "quantile"):
        fn = getattr(lossport, loss)
        assert np.all(fn(p, t, reduction="none") >= 0), loss
        assert float(fn(t, t)) == 0.0, loss


# ---------------------------------------------------------------------------------------------------------------
# Traced arrays skip value checks


def test_value_checks_skip_traced_arrays() -> None:
    jax = framework("jax")
    x, bad = jax.numpy.asarray([0.5, 1.0]), jax.numpy.asarray([-1.0, 2.0])
    with pytest.raises(ValueError, match="`targets` must be non-negative"):
        lossport.poisson_nll(x, bad)
    out = jax.jit(lambda a, b: lossport.poisson_nll(a, b))(x, bad)  # no check under jit: a value comes out
    assert out.shape == ()
    jax.jit(lambda a, b, v: lossport.gaussian_nll(a, b, v))(x, x, bad)


# ---------------------------------------------------------------------------------------------------------------
# Bad input, on every installed backend


@pytest.fixture(params=backend_params())
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


ONE, ZERO = [1.0, 2.0], [0.5, 1.5]


@pytest.mark.parametrize("beta", [-1.0, float("inf"), float("nan")])
def test_bad_beta(backend: str, beta: float) -> None:
    with pytest.raises(ValueError, match=r"`beta` must be non-negative and finite; got"):
        lossport.smooth_l1(arr(backend, ONE), arr(backend, ZERO), beta=beta)
    with pytest.raises(TypeError, match=r"`beta` must be a Python number or a 0-D array; got str"):
        lossport.smooth_l1(arr(backend, ONE), arr(backend, ZERO), beta="1")


@pytest.mark.parametrize("eps", [0.0, -1e-7])
def test_bad_mape_eps(backend: str, eps: float) -> None:
    with pytest.raises(ValueError, match=r"`eps` must be positive and finite; got"):
        lossport.mean_absolute_percentage_error(arr(backend, ONE), arr(backend, ZERO), eps=eps)


@pytest.mark.parametrize("loss", ["poisson_nll", "cosine_distance"])
def test_negative_eps(backend: str, loss: str) -> None:
    with pytest.raises(ValueError, match=r"`eps` must be non-negative and finite; got -1.0"):
        getattr(lossport, loss)(arr(backend, [ONE]), arr(backend, [ZERO]), eps=-1.0)
    with pytest.raises(ValueError, match=r"`eps` must be non-negative and finite; got -1.0"):
        lossport.gaussian_nll(arr(backend, ONE), arr(backend, ZERO), arr(backend, ONE), eps=-1.0)


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_bad_quantile(backend: str, q: float) -> None:
    with pytest.raises(ValueError, match=r"`quantile` must be"):
        lossport.quantile(arr(backend, ONE), arr(backend, ZERO), quantile=q)


@pytest.mark.parametrize("clip_min", [-1.0, -2.0, float("inf"), float("nan")])
def test_bad_clip_min(backend: str, clip_min: float) -> None:
    """``clip_min <= -1`` would take ``log1p(−1) = −∞`` (NaN where both sides are clipped): refused, as a number and
    as a concrete 0-D array."""
    for knob in (clip_min, np.asarray(clip_min)):
        with pytest.raises(ValueError, match=r"`clip_min` must be (greater than -1|finite); got"):
            lossport.mean_squared_logarithmic_error(np.asarray(ONE), np.asarray(ZERO), clip_min=knob)
    with pytest.raises(ValueError, match=r"`clip_min` must be (greater than -1|finite); got"):
        lossport.mean_squared_logarithmic_error(arr(backend, ONE), arr(backend, ZERO), clip_min=clip_min)


@pytest.mark.parametrize("loss", ["l1_penalty", "l2_penalty"])
def test_bad_penalty_scale(backend: str, loss: str) -> None:
    for scale in (float("inf"), float("nan"), np.asarray(float("nan"))):
        with pytest.raises(ValueError, match=r"`scale` must be finite; got"):
            getattr(lossport, loss)([np.asarray(ONE)], scale=scale)
    with pytest.raises(TypeError, match=r"`scale` must be a Python number or a 0-D array; got str"):
        getattr(lossport, loss)([arr(backend, ONE)], scale="1")
    with pytest.raises(ValueError, match=r"`scale` must be a Python number or a 0-D array; got shape \(2,\)"):
        getattr(lossport, loss)([np.asarray(ONE)], scale=np.asarray(ONE))


def test_bad_poisson_input(backend: str) -> None:
    x, counts = arr(backend, ONE), arr(backend, [0.0, 3.0])
    with pytest.raises(TypeError, match=r"`log_input` must be a bool; got int"):
        lossport.poisson_nll(x, counts, log_input=1)
    with pytest.raises(TypeError, match=r"`full` must be a bool; got str"):
        lossport.poisson_nll(x, counts, full="yes")
    with pytest.raises(ValueError, match=r"`targets` must be non-negative; got -2.0"):
        lossport.poisson_nll(x, arr(backend, [1.0, -2.0]))
    with pytest.raises(ValueError, match=r"`predictions` must be non-negative; got -1.0"):
        lossport.poisson_nll(arr(backend, [-1.0, 1.0]), counts, log_input=False)
    lossport.poisson_nll(arr(backend, [-1.0, 1.0]), counts)  # log-rates may be negative


def test_bad_gaussian_input(backend: str) -> None:
    p, t = arr(backend, [[1.0, 2.0]] * 3), arr(backend, [[0.0, 0.0]] * 3)
    with pytest.raises(ValueError, match=r"`variances` must be non-negative; got -1.0"):
        lossport.gaussian_nll(p, t, arr(backend, [[1.0, -1.0]] * 3))
    for shape in ((3, 3), (1, 1), (2,), (3, 2, 1)):
        with pytest.raises(ValueError, match=r"`variances` must have the predictions' shape \(3, 2\).*got "
                           + re.escape(str(shape))):
            lossport.gaussian_nll(p, t, arr(backend, np.ones(shape)))
    with pytest.raises(TypeError, match=r"`variances` must be an array; got float"):
        lossport.gaussian_nll(p, t, 1.0)
    with pytest.raises(TypeError, match=r"`full` must be a bool"):
        lossport.gaussian_nll(p, t, arr(backend, np.ones((3, 2))), full=None)
    with pytest.raises(ValueError, match=r"`predictions` and `targets` must have the same shape"):
        lossport.gaussian_nll(p, arr(backend, [0.0, 0.0]), arr(backend, np.ones((3, 2))))
    with pytest.raises(TypeError, match=r"`predictions` must have a real floating dtype"):
        integer = parity.convert(backend, np.array([1]), "float32", device_for(backend))  # stays int64
        lossport.gaussian_nll(integer, arr(backend, [1.0]), arr(backend, [1.0]))


@pytest.mark.parametrize("power", [0.5, float("inf"), float("nan")])
def test_bad_tweedie_power(backend: str, power: float) -> None:
    with pytest.raises(ValueError, match=r"`power` must be finite and <= 0 or >= 1"):
        lossport.tweedie_deviance(arr(backend, ONE), arr(backend, ZERO), power=power)


def test_tweedie_domain(backend: str) -> None:
    mu, y = arr(backend, ONE), arr(backend, ZERO)
    with pytest.raises(TypeError, match=r"`power` must be a Python number; got str"):
        lossport.tweedie_deviance(mu, y, power="1")
    with pytest.raises(ValueError, match=r"`predictions` must be positive; got -1.0"):
        lossport.tweedie_deviance(arr(backend, [-1.0, 1.0]), y, power=-1)
    with pytest.raises(ValueError, match=r"`predictions` must be positive; got 0.0"):
        lossport.tweedie_deviance(arr(backend, [0.0, 1.0]), y, power=1.5)
    with pytest.raises(ValueError, match=r"`targets` must be non-negative; got -0.5"):
        lossport.tweedie_deviance(mu, arr(backend, [-0.5, 1.0]), power=1)
    with pytest.raises(ValueError, match=r"`targets` must be positive; got 0.0"):
        lossport.tweedie_deviance(mu, arr(backend, [0.0, 1.0]), power=2)
    lossport.tweedie_deviance(arr(backend, [-1.0, 1.0]), arr(backend, [-3.0, 1.0]))  # power 0: any reals
    lossport.tweedie_deviance(mu, arr(backend, [-3.0, 0.0]), power=-2)  # p < 0: any targets


def test_bad_cosine_input(backend: str) -> None:
    p = arr(backend, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"`axis` must be in \[-2, 2\) for 2-D `predictions`; got 2"):
        lossport.cosine_distance(p, p, axis=2)
    with pytest.raises(TypeError, match=r"`axis` must be an int; got float"):
        lossport.cosine_distance(p, p, axis=1.0)
    with pytest.raises(ValueError, match=r"must have a feature axis"):
        lossport.cosine_distance(arr(backend, 1.0), arr(backend, 1.0))
    with pytest.raises(ValueError, match=r"same shape"):
        lossport.cosine_distance(p, arr(backend, [[1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"`weights` must broadcast to the unreduced loss shape \(2,\)"):
        lossport.cosine_distance(p, p, weights=arr(backend, [1.0, 2.0, 3.0]))


# ---------------------------------------------------------------------------------------------------------------
# pseudo_huber: no framework has it, so hand-computed values, an mpmath oracle and properties


def test_pseudo_huber_by_hand() -> None:
    """δ²(sqrt(1 + (e/δ)²) − 1): e = 0.75, δ = 1 gives sqrt(1.5625) − 1 = 0.25; e = 1.5, δ = 2 gives
    4·(sqrt(1.5625) − 1) = 1; e = 3, δ = 4 gives 16·(1.25 − 1) = 4 (3-4-5 triangles: the roots are exact)."""
    p = np.array([0.75, 1.5, -3.0])
    out = [float(lossport.pseudo_huber(p[i : i + 1], np.zeros(1), delta=d)) for i, d in enumerate((1.0, 2.0, 4.0))]
    assert out == [0.25, 1.0, 4.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("e", [1e-30, 1e-8, 1e-3, 0.5, 1.0, 30.0, 1e8, 1e30])
def test_pseudo_huber_accurate_over_the_range(dtype: type, e: float) -> None:
    """Within 4 ulps of the exact value: ½e² for tiny e (the cancelling form gives 0 there), δ|e| − δ² far out
    (and no overflow from e² at 1e30 in float32)."""
    mpmath.mp.dps = 50
    x = dtype(e)
    exact = float(mpmath.mpf(float(x)) ** 2 / (mpmath.sqrt(1 + mpmath.mpf(float(x)) ** 2) + 1))
    got = lossport.pseudo_huber(np.array([x]), np.zeros(1, dtype=dtype), reduction="none")[0]
    assert np.isfinite(got)
    assert abs(float(got) - exact) <= 4 * float(np.spacing(dtype(exact))), (got, exact)


@settings(max_examples=60, deadline=None, database=None)
@given(
    e=hnp.arrays(np.float64, 6, elements=st.floats(-1e6, 1e6)),
    delta=st.floats(1e-3, 1e3),
)
def test_pseudo_huber_properties(e: np.ndarray, delta: float) -> None:
    """Non-negative; zero exactly at a perfect prediction; symmetric in the error; below both ½e² and δ|e|;
    non-decreasing in |e|."""
    zeros = np.zeros_like(e)
    loss = lossport.pseudo_huber(e, zeros, delta=delta, reduction="none")
    assert np.all(loss >= 0)
    np.testing.assert_array_equal(lossport.pseudo_huber(zeros, zeros, delta=delta, reduction="none"), 0.0)
    np.testing.assert_array_equal(lossport.pseudo_huber(-e, zeros, delta=delta, reduction="none"), loss)
    slack = 1 + 4 * np.finfo(np.float64).eps
    assert np.all(loss <= 0.5 * e * e * slack)
    assert np.all(loss <= delta * np.abs(e) * slack)
    order = np.argsort(np.abs(e))
    assert np.all(np.diff(loss[order]) >= 0)


# ---------------------------------------------------------------------------------------------------------------
# The rules' gradients (lossport/_gradients.py), by hand, on every autodiff framework


def _rule_gradients(backend: str, loss: str, arrays: list[list[float]], **kwargs: object) -> list[np.ndarray]:
    """float64 gradients of ``Σ loss(*arrays, reduction="none")`` in every array."""
    fn = getattr(lossport, loss)
    kwargs = {"reduction": "none", **kwargs}
    if backend == "jax":
        jax = framework("jax")
        xs = [arr("jax", a) for a in arrays]
        grads = jax.grad(lambda *v: jax.numpy.sum(fn(*v, **kwargs)), argnums=tuple(range(len(xs))))(*xs)
        return [value(g) for g in grads]
    if backend == "torch":
        import torch

        xs = [arr("torch", a).requires_grad_(True) for a in arrays]
        return [value(g) for g in torch.autograd.grad(fn(*xs, **kwargs).sum(), xs)]
    import tensorflow as tf

    xs = [tf.Variable(arr("tensorflow", a)) for a in arrays]
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(fn(*xs, **kwargs))
    return [value(tf.convert_to_tensor(g)) for g in tape.gradient(out, xs)]


E = math.e
RULE_GRADIENTS = [
    # (loss, [predictions, targets(, variances)], knobs, [∂/∂predictions, ∂/∂targets(, ∂/∂variances)]), by hand
    # sign(p − t), 0 at the kink on every framework (the composition gave 1 in JAX)
    ("mean_absolute_error", [[2.0, -0.5, 1.0], [0.0, 0.0, 1.0]], {}, [[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0]]),
    # clip(e/β, −1, 1): exact for a tiny residual, where the composition's (m/β − 1) + 1 rounds it to 0
    ("smooth_l1", [[0.25, 2.0, -1e-300], [0.0, 0.0, 0.0]], {"beta": 0.5},
     [[0.5, 1.0, -2e-300], [-0.5, -1.0, 2e-300]]),
    # e / sqrt(1 + (e/δ)²): 0.75 / 1.25; δ·sign(e) far out (the composition gave 2 at 1e200 in JAX)
    ("pseudo_huber", [[0.75, -1e200, 0.0], [0.0, 0.0, 0.0]], {}, [[0.6, -1.0, 0.0], [-0.6, 1.0, 0.0]]),
    # tanh(e)
    ("log_cosh", [[0.0, 1e-8, 20.0], [0.0, 0.0, 0.0]], {}, [[0.0, 1e-8, 1.0], [0.0, -1e-8, -1.0]]),
    # 1 − q above the target, −q below, ½ − q at it (maximum's even split) on every framework
    ("quantile", [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], {"quantile": 0.75},
     [[0.25, -0.75, -0.25], [-0.25, 0.75, 0.25]]),
    # 2(log1p(p) − log1p(t)) / (1 + p): p = e − 1, t = 0 gives 2/e; and −2·log(e)/(1 + 0) in t
    ("mean_squared_logarithmic_error", [[E - 1.0], [0.0]], {}, [[2.0 / E], [-2.0]]),
    # eˣ − t, and −x in the counts, at a zero count too (the composition's mul0 gives 0 there)
    ("poisson_nll", [[0.0, 1.0, -30.0], [0.0, 2.0, 0.0]], {}, [[1.0, E - 2.0, math.exp(-30.0)], [0.0, -1.0, 30.0]]),
    # rates, eps = 0: 1 − t/λ (1 at λ = t = 0, where the loss is 0) and −log λ
    ("poisson_nll", [[0.0, 2.0, 4.0], [0.0, 1.0, 4.0]], {"log_input": False, "eps": 0.0},
     [[1.0, 0.5, 0.0], [math.inf, -LOG2, -2.0 * LOG2]]),
    # e/v and ½(1/v − e²/v²): e = 1, v = 2 gives 0.5 and 0.125; 0 in v below the floor eps = 0.5
    ("gaussian_nll", [[1.0, 1.0], [0.0, 0.0], [2.0, 0.25]], {"eps": 0.5}, [[0.5, 2.0], [-0.5, -2.0], [0.125, 0.0]]),
    # sign(e)·w/(ε + |e|) below w = 10 (ε = 2): 10/4 at e = 2; sign(e) beyond; 0 at e = 0 (finite at the kink)
    ("wing", [[2.0, -12.0, 0.0], [0.0, 0.0, 0.0]], {}, [[2.5, -1.0, 0.0], [-2.5, 1.0, 0.0]]),
]


@pytest.mark.parametrize("backend", backend_params(autodiff=True))
@pytest.mark.parametrize(("loss", "arrays", "knobs", "expected"), RULE_GRADIENTS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(RULE_GRADIENTS)])
def test_rule_gradients_by_hand(backend: str, loss: str, arrays: list, knobs: dict, expected: list) -> None:
    for got, want in zip(_rule_gradients(backend, loss, arrays, **knobs), expected):
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("backend", backend_params(autodiff=True))
def test_poisson_rate_gradient_is_accurate_near_the_optimum(backend: str) -> None:
    """``1 − t/(λ + ε)`` cancels where ``t ≈ λ + ε``: at λ = t = 3, ε = 1e-8 it is ε/(3 + ε) = 3.33333332e-9, which
    ``1 − t/(λ + ε)`` gets with a relative error of about 2e-8; ``((λ − t) + ε)/(λ + ε)`` is within a few ulps."""
    (g, _) = _rule_gradients(backend, "poisson_nll", [[3.0], [3.0]], log_input=False, eps=1e-8)
    exact = float(mpmath.mpf(1e-8) / (3 + mpmath.mpf(1e-8)))
    assert np.max(ulps(g, np.array([exact]), np.float64)) <= 4, (g, exact)


@pytest.mark.parametrize("knob", ["width", "curvature"])
def test_bad_wing_knobs(backend: str, knob: str) -> None:
    with pytest.raises(ValueError, match=f"`{knob}` must be positive and finite; got 0.0"):
        lossport.wing(arr(backend, ONE), arr(backend, ZERO), **{knob: 0.0})


def test_bad_chamfer_shapes(backend: str) -> None:
    x = arr(backend, np.zeros((2, 4, 3)))
    for y in (np.zeros((2, 5, 2)), np.zeros((3, 5, 3)), np.zeros((2, 0, 3)), np.zeros(3)):
        with pytest.raises(ValueError, match="must be point sets"):
            lossport.chamfer_distance(x, arr(backend, y))
    with pytest.raises(TypeError, match="`squared` must be a bool"):
        lossport.chamfer_distance(x, x, squared=1)


def test_cosine_distance_unnormalized() -> None:
    """``normalize=False``: ``1 − p·t`` as given (TF v1's form), by hand: 1 − (0.6·0 + 0.8·1) = 0.2 and
    1 − (2·1 + 0) = −1 (not a distance off the unit sphere)."""
    p, t = np.array([[0.6, 0.8], [2.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(lossport.cosine_distance(p, t, normalize=False, reduction="none"), [0.2, -1.0],
                               rtol=1e-15)
    with pytest.raises(TypeError, match="`normalize` must be a bool"):
        lossport.cosine_distance(p, t, normalize=1)


# ---------------------------------------------------------------------------------------------------------------
# Knobs as arrays where the knob is active (tests/test_knobs.py's shared cases leave eps and clip_min inactive)

# (loss, knob, value, data, keywords): data where the knob changes the loss, so its derivative is not 0.
ACTIVE_KNOBS = [
    ("mean_absolute_percentage_error", "eps", 0.5, ([1.0, 2.0, 3.0], [0.1, -0.2, 4.0]), {}),  # |t| < ε twice
    ("gaussian_nll", "eps", 0.5, ([1.0, 0.0, 2.0], [0.0, 0.5, 1.0], [0.1, 0.3, 2.0]), {}),  # v < ε twice
    ("cosine_distance", "eps", 2.0, ([[0.3, 0.4], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]), {}),  # norms 0.5, 1 < ε
    ("poisson_nll", "eps", 0.1, ([0.5, 1.0, 2.0], [0.0, 1.0, 3.0]), {"log_input": False}),
    ("mean_squared_logarithmic_error", "clip_min", 0.2, ([0.1, 1.0, -0.5], [0.5, 0.0, 2.0]), {}),  # 3 clipped
    ("smooth_l1", "beta", 0.7, ([1.0, -2.0, 0.5], [0.0, 0.0, 0.0]), {}),  # both pieces
]


@pytest.mark.parametrize(("loss", "knob", "point", "data", "keywords"), ACTIVE_KNOBS,
                         ids=[f"{c[0]}-{c[1]}" for c in ACTIVE_KNOBS])
@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_array_knob_gradient_where_active(backend: str, loss: str, knob: str, point: float, data: tuple,
                                          keywords: dict) -> None:
    """A 0-D float64 array knob gives the Python number's loss, and autodiff's derivative in it equals central
    differences of the Python-number loss (NumPy, float64, step 1e-6), which is not 0 here."""
    fn = getattr(lossport, loss)
    numbers = [np.asarray(d, dtype=F64) for d in data]
    at = lambda k: float(fn(*numbers, **keywords, **{knob: k}))  # noqa: E731
    h = 1e-6
    slope = (at(point + h) - at(point - h)) / (2 * h)
    assert abs(slope) > 1e-3, slope  # the knob is active: the test can fail
    if backend == "torch":
        torch = framework("torch")
        k = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        out = fn(*[torch.asarray(d) for d in numbers], **keywords, **{knob: k})
        out.backward()
        got_value, got_slope = out.item(), k.grad.item()
    else:
        jax = framework("jax")
        arrays = [jax.numpy.asarray(d) for d in numbers]
        got = jax.value_and_grad(lambda k: fn(*arrays, **keywords, **{knob: k}))(jax.numpy.asarray(point, F64))
        got_value, got_slope = float(got[0]), float(got[1])
    assert got_value == pytest.approx(at(point), rel=1e-12)
    assert got_slope == pytest.approx(slope, rel=1e-6)


def test_smooth_l1_array_beta_zero() -> None:
    """An array ``β = 0`` is the L1 loss, as the number is, with no 0/0; its derivative in β there is the one-sided
    −½ per entry (by hand: ``|e| − β/2`` on every entry with ``|e| ≥ β``), not NaN."""
    p, t = np.array([1.0, -2.0, 0.5, 0.0]), np.zeros(4)
    np.testing.assert_array_equal(lossport.smooth_l1(p, t, beta=np.asarray(0.0), reduction="none"), np.abs(p))
    torch = framework("torch")
    k = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    out = lossport.smooth_l1(torch.asarray(p), torch.asarray(t), beta=k, reduction="sum")
    out.backward()
    assert out.item() == 3.5  # |1| + |−2| + |0.5| + 0
    assert k.grad.item() == -2.0  # −½ × 4 entries (e = 0 included: |0| ≥ 0)
