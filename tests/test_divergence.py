"""Divergences and overlap losses: hand-checked values, the native libraries' differences, properties, bad input.

Every expected number says where it comes from: a derivation by hand (written next to it), an mpmath evaluation of
the definition, or "the anchor X gives Y", measured with torch 2.13, Keras 3.15 (TensorFlow backend), optax 0.2.8 on
CPU (docs/traps.md T4 and T15 describe the same traps on other inputs). None is copied from lossport's output.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lossport.backends import parity
from support import BACKENDS, device_for, framework, value

import lossport

LOG2 = math.log(2.0)
F32 = np.float32


def log(x: object) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(x, dtype=np.float64))


AUTODIFF = [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS]


def grad_of_sum(backend: str, loss, x: np.ndarray, *rest: np.ndarray, **kwargs) -> np.ndarray:
    """d sum(loss(x, *rest)) / dx by the backend's own autodiff, in float64."""
    args = [parity.convert(backend, a, "float64", device_for(backend)) for a in (x, *rest)]
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda v: jnp.sum(loss(v, *args[1:], **kwargs)))(args[0]))
    if backend == "torch":
        import torch

        v = args[0].detach().requires_grad_(True)
        (g,) = torch.autograd.grad(torch.sum(loss(v, *args[1:], **kwargs)), v)
        return g.numpy()
    import tensorflow as tf

    v = args[0]
    with tf.GradientTape() as tape:
        tape.watch(v)
        out = tf.reduce_sum(loss(v, *args[1:], **kwargs))
    return tape.gradient(out, v).numpy()


# ---------------------------------------------------------------------------------------------------------------
# KL divergence

# Row 0: P = (1, 0), Q = (½, ½): 1·log(1/½) + 0·log 0 = log 2.
# Row 1: P = (½, ½), Q = (¼, ¾): ½ log(½/¼) + ½ log(½/¾) = ½ log 2 + ½ log(2/3) = ½ log(4/3).
KL_Q = np.array([[0.5, 0.5], [0.25, 0.75]])
KL_P = np.array([[1.0, 0.0], [0.5, 0.5]])
KL_ROWS = np.array([LOG2, 0.5 * math.log(4 / 3)])


def test_kl_hand_values() -> None:
    np.testing.assert_allclose(lossport.kl_divergence(log(KL_Q), KL_P, reduction="none"), KL_ROWS, rtol=1e-15)
    np.testing.assert_allclose(lossport.kl_divergence(log(KL_Q), KL_P), KL_ROWS.mean(), rtol=1e-15)
    np.testing.assert_allclose(lossport.kl_divergence(log(KL_Q), KL_P, reduction="sum"), KL_ROWS.sum(), rtol=1e-15)
    # log targets: log 0 = -inf is p = 0
    np.testing.assert_allclose(
        lossport.kl_divergence(log(KL_Q), log(KL_P), log_targets=True, reduction="none"), KL_ROWS, rtol=1e-15)
    # the class axis first
    np.testing.assert_allclose(
        lossport.kl_divergence(log(KL_Q).T, KL_P.T, axis=0, reduction="none"), KL_ROWS, rtol=1e-15)
    # per-sample weights (1, 3): (log 2 + 3·½ log(4/3)) / 4; a mask keeps row 0 only
    np.testing.assert_allclose(lossport.kl_divergence(log(KL_Q), KL_P, weights=np.array([1.0, 3.0])),
                               (KL_ROWS[0] + 3 * KL_ROWS[1]) / 4, rtol=1e-15)
    np.testing.assert_allclose(lossport.kl_divergence(log(KL_Q), KL_P, where=np.array([True, False])),
                               LOG2, rtol=1e-15)


def test_kl_torch_mean_divides_by_elements() -> None:
    """traps.md T4: torch's default ``"mean"`` divides by N·C (4 here), ``"batchmean"`` by N: lossport's mean
    (and the KL divergence) is ``"batchmean"``, torch's ``"mean"`` is it divided by C."""
    torch = framework("torch")
    x, y = torch.from_numpy(log(KL_Q)), torch.from_numpy(KL_P)
    assert value(torch.nn.functional.kl_div(x, y, reduction="batchmean")) == pytest.approx(KL_ROWS.sum() / 2)
    with pytest.warns(UserWarning, match="batchmean"):
        torch_mean = value(torch.nn.functional.kl_div(x, y, reduction="mean"))
    assert torch_mean == pytest.approx(KL_ROWS.sum() / 4, rel=1e-15)
    assert float(lossport.kl_divergence(log(KL_Q), KL_P)) / 2 == pytest.approx(torch_mean, rel=1e-15)


def test_kl_zero_targets_give_zero_where_torch_and_optax_give_nan() -> None:
    """P = (0, ½, ½), Q = (0, ½, ½): every term is 0 (0·log 0 = 0, and ½·log(½/½) = 0), so KL = 0. torch's
    ``kl_div`` and optax's ``kl_divergence`` give NaN (0·(log 0 − log 0) as 0·inf, measured); so do both with log
    targets. With log targets torch gives NaN even where q > 0: P = (0, ½, ½), Q = (0.2, 0.3, 0.5) has
    KL = ½ log(½/0.3) = ½ log(5/3) = 0.255413 (torch's ``log_target=False`` gets it), torch ``log_target=True``
    NaN."""
    torch, optax = framework("torch"), framework("optax")
    p = np.array([[0.0, 0.5, 0.5]])
    log_q = log(p)
    assert float(lossport.kl_divergence(log_q, p)) == 0.0
    assert float(lossport.kl_divergence(log_q, log(p), log_targets=True)) == 0.0
    kl_div = torch.nn.functional.kl_div
    assert np.isnan(value(kl_div(torch.from_numpy(log_q), torch.from_numpy(p), reduction="sum")))
    assert np.isnan(value(optax.losses.kl_divergence(log_q, p))).all()
    assert np.isnan(value(optax.losses.kl_divergence_with_log_targets(log_q, log(p)))).all()
    log_q = log([[0.2, 0.3, 0.5]])
    expected = 0.5 * math.log(5 / 3)
    assert float(lossport.kl_divergence(log_q, log(p), log_targets=True)) == pytest.approx(expected, rel=1e-15)
    assert value(kl_div(torch.from_numpy(log_q), torch.from_numpy(p), reduction="sum")) == pytest.approx(expected)
    assert np.isnan(value(kl_div(torch.from_numpy(log_q), torch.from_numpy(log(p)), reduction="sum",
                                 log_target=True)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_kl_zero_targets_on_every_backend(backend: str) -> None:
    """The p = 0 terms are 0 on every backend, also where q = 0, eager and in float32."""
    p = np.array([[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    log_q = log([[0.0, 0.5, 0.5], [0.25, 0.25, 0.5]])  # row 1: 1·log(1/½) = log 2
    for dtype in ("float32", "float64"):
        dev = device_for(backend)
        out = lossport.kl_divergence(parity.convert(backend, log_q, dtype, dev), parity.convert(backend, p, dtype, dev),
                                     reduction="none")
        np.testing.assert_allclose(parity.to_numpy(out), [0.0, LOG2], rtol=1e-7)


@pytest.mark.parametrize("backend", AUTODIFF)
def test_kl_gradient_is_finite_at_zero_probabilities(backend: str) -> None:
    """d KL / d log q = −p: 0 at a class with p = 0, also where log q = -inf (no NaN from the unselected branch)."""
    p = np.array([[0.0, 0.5, 0.5]])
    g = grad_of_sum(backend, lossport.kl_divergence, log([[0.0, 0.5, 0.5]]), p)
    np.testing.assert_array_equal(g, -p)


def test_kl_zero_prediction_is_infinite_keras_clips() -> None:
    """P = (½, ½), Q = (1, 0): KL = inf (torch, optax, lossport). Keras clips q to 1e-7:
    ½ log(½/1) + ½ log(½/1e-7) = ½ log(2.5e6) = 7.365901; ``clip=1e-7`` reproduces it (traps.md T4b)."""
    keras = framework("keras")
    p, q = np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])
    assert float(lossport.kl_divergence(log(q), p)) == math.inf
    expected = 0.5 * math.log(2.5e6)
    for dtype, rtol in ((np.float64, 1e-12), (F32, 1e-6)):
        native = value(keras.losses.KLDivergence(dtype=np.dtype(dtype).name)(p.astype(dtype), q.astype(dtype)))
        assert native == pytest.approx(expected, rel=rtol)
        mine = lossport.kl_divergence(log(q).astype(dtype), p.astype(dtype), clip=1e-7)
        assert float(mine) == pytest.approx(float(native), rel=rtol)


def test_kl_keras_clip_gives_zero_targets_a_small_term() -> None:
    """P = (0, 1), Q = (½, ½): KL = log 2 exactly; Keras clips p = 0 to 1e-7, adding 1e-7·log(1e-7/½) = −1.54e-6:
    0.69314564 (float64); ``clip=1e-7`` reproduces it."""
    keras = framework("keras")
    p, q = np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
    expected = LOG2 + 1e-7 * math.log(2e-7)
    native = value(keras.losses.KLDivergence(dtype="float64")(p, q))
    assert native == pytest.approx(expected, rel=1e-12)
    assert float(lossport.kl_divergence(log(q), p, clip=1e-7)) == pytest.approx(expected, rel=1e-12)
    assert float(lossport.kl_divergence(log(q), p)) == LOG2


# ---------------------------------------------------------------------------------------------------------------
# Generalized KL divergence


def test_generalized_kl_hand_values() -> None:
    # (1, 2) vs (2, 2): 1·log(1/2) − 1 + 2 + 2·log(2/2) − 2 + 2 = 1 − log 2
    # (0, 1) vs (3, 1): the p = 0 term is q = 3; the other 0
    # (2, 1) vs (0, 1): q = 0 < p: inf
    p = np.array([[1.0, 2.0], [0.0, 1.0], [2.0, 1.0]])
    q = np.array([[2.0, 2.0], [3.0, 1.0], [0.0, 1.0]])
    out = lossport.generalized_kl_divergence(log(q), p, reduction="none")
    np.testing.assert_allclose(out, [1 - LOG2, 3.0, math.inf], rtol=1e-15)


def test_generalized_kl_is_kl_for_distributions() -> None:
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(5), size=4), rng.dirichlet(np.ones(5), size=4)
    np.testing.assert_allclose(lossport.generalized_kl_divergence(log(q), p, reduction="none"),
                               lossport.kl_divergence(log(q), p, reduction="none"), rtol=1e-13)


def test_generalized_kl_tiny_values_keep_their_digits() -> None:
    """P = (1, 2), log Q = log P + (1e-6, −2e-6): each term is about p·r²/2 (r = log q − log p), 4.5e-12 in all, by
    mpmath on the same float64 inputs. Its condition number in p is 2/|r| (2e6), so an error of 2·eps/|r| ≈ 2e-10 is
    the best any method reaches; lossport is within it. optax's textbook sum is off by 2.8e-5 (measured)."""
    optax = framework("optax")
    p = np.array([[1.0, 2.0]])
    log_q = np.log(p) + np.array([[1e-6, -2e-6]])
    mpmath.mp.dps = 50
    exact = sum(mpmath.mpf(a) * (mpmath.log(mpmath.mpf(a)) - mpmath.mpf(b)) - mpmath.mpf(a) + mpmath.exp(b)
                for a, b in zip(p[0], log_q[0]))
    mine = float(lossport.generalized_kl_divergence(log_q, p))
    assert abs(mine - exact) / exact < 4 * 2 / 1e-6 * np.finfo(np.float64).eps
    native = float(value(optax.losses.generalized_kl_divergence(log_q, p))[0])
    assert abs(native - exact) / exact > 1e-6


# ---------------------------------------------------------------------------------------------------------------
# Jensen–Shannon divergence (no native anchor)


def test_js_hand_values() -> None:
    cases = [
        # P = Q: 0 exactly
        ([0.2, 0.3, 0.5], [0.2, 0.3, 0.5], 0.0),
        # disjoint supports: M = (½, ½, 0): ½·1·log 2 + ½·1·log 2 = log 2, the maximum
        ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], LOG2),
        # Q = (1, 0, 0), P = (½, ½, 0), M = (¾, ¼, 0): ½[½ log(2/3) + ½ log 2] + ½ log(4/3) = ¾ log(4/3)
        ([1.0, 0.0, 0.0], [0.5, 0.5, 0.0], 0.75 * math.log(4 / 3)),
        # Q = (½, ½, 0), P = (0, ½, ½), M = (¼, ½, ¼): ½[½ log 2 + 0] + ½[0 + ½ log 2] = ½ log 2
        ([0.5, 0.5, 0.0], [0.0, 0.5, 0.5], 0.5 * LOG2),
    ]
    for q, p, expected in cases:
        out = float(lossport.js_divergence(log([q]), log([p])))
        assert out == pytest.approx(expected, rel=1e-15, abs=0.0), (q, p)


def test_js_is_half_kl_to_the_mixture() -> None:
    """JS(P, Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M), M = ½(P + Q), checked with lossport's own KL on random rows."""
    rng = np.random.default_rng(2)
    p, q = rng.dirichlet(np.ones(5), size=6), rng.dirichlet(np.ones(5), size=6)
    log_m = np.log((p + q) / 2)
    expected = 0.5 * (lossport.kl_divergence(log_m, p, reduction="none")
                      + lossport.kl_divergence(log_m, q, reduction="none"))
    np.testing.assert_allclose(lossport.js_divergence(log(q), log(p), reduction="none"), expected, rtol=1e-13)


def test_js_tiny_values_keep_their_digits() -> None:
    """Nearly equal P and Q (log-ratios 1e-7): JS = 5.357143e-16 by mpmath on the same inputs; lossport is within
    4 ulps, the textbook ``½ Σ p log(p/m) + q log(q/m)`` in float64 is 7 % off (its terms are 1e-8)."""
    log_p = np.log(np.array([[0.3, 0.7]]))
    log_q = log_p + np.array([[1e-7, -1e-7 * 0.3 / 0.7]])
    mpmath.mp.dps = 50
    p, q = ([mpmath.exp(mpmath.mpf(x)) for x in row[0]] for row in (log_p, log_q))
    exact = sum(a * mpmath.log(2 * a / (a + b)) + b * mpmath.log(2 * b / (a + b)) for a, b in zip(p, q)) / 2
    mine = float(lossport.js_divergence(log_q, log_p))
    assert abs(mine - exact) / exact < 4 * np.finfo(np.float64).eps
    pp, qq = np.exp(log_p), np.exp(log_q)
    textbook = 0.5 * np.sum(pp * np.log(2 * pp / (pp + qq)) + qq * np.log(2 * qq / (pp + qq)))
    assert abs(textbook - exact) / exact > 1e-3


@pytest.mark.parametrize("backend", AUTODIFF)
def test_js_gradient_is_finite_at_zero_probabilities(backend: str) -> None:
    """Zero probabilities (-inf) in one or both arguments: finite gradients (0 at the -inf entries)."""
    log_q = log([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    log_p = log([[0.0, 0.2, 0.8], [0.0, 0.0, 1.0]])
    g = grad_of_sum(backend, lossport.js_divergence, log_q, log_p)
    assert np.all(np.isfinite(g))
    assert g[0, 0] == 0.0 and g[1, 2] == 0.0


def _distribution(size: int) -> st.SearchStrategy:
    weights = st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1.0)), min_size=size, max_size=size)
    return weights.filter(lambda w: sum(w) > 0).map(lambda w: np.array(w) / sum(w))


PAIRS = st.integers(2, 6).flatmap(lambda c: st.tuples(_distribution(c), _distribution(c)))


@settings(max_examples=200, deadline=None)
@given(PAIRS)
def test_js_properties(pair: tuple[np.ndarray, np.ndarray]) -> None:
    """Symmetric (bit for bit), in [0, log 2], 0 exactly when the log-probabilities are equal and only then."""
    p, q = (log(a)[None] for a in pair)
    forward = float(lossport.js_divergence(q, p))
    assert forward == float(lossport.js_divergence(p, q))
    assert 0.0 <= forward <= LOG2 * (1 + 1e-14)
    assert float(lossport.js_divergence(p, p)) == 0.0
    assert (forward == 0.0) == bool(np.array_equal(p, q))


@settings(max_examples=100, deadline=None)
@given(PAIRS)
def test_kl_properties(pair: tuple[np.ndarray, np.ndarray]) -> None:
    """KL(P ‖ Q) ≥ 0 (up to rounding), 0 at P = Q, and the generalized KL agrees on distributions."""
    p, q = pair
    kl = float(lossport.kl_divergence(log(q)[None], p[None]))
    assert kl >= -1e-15 or math.isinf(kl)
    assert float(lossport.kl_divergence(log(p)[None], p[None])) == 0.0
    general = float(lossport.generalized_kl_divergence(log(q)[None], p[None]))
    assert general >= 0.0
    if math.isfinite(kl):
        assert general == pytest.approx(kl, rel=1e-9, abs=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# Dice, Tversky

# One sample, 4 pixels, 1 class: Σpt = 1.25, Σp = 1.5, Σt = 2, FP = Σp(1 − t) = 0.25, FN = Σt(1 − p) = 0.75.
P1 = np.array([0.75, 0.5, 0.25, 0.0])[None, :, None]
T1 = np.array([1.0, 1.0, 0.0, 0.0])[None, :, None]


def test_dice_hand_values() -> None:
    assert float(lossport.dice(P1, T1)) == pytest.approx(1 / 4.5, rel=1e-15)  # 1 − (2.5 + 1)/(3.5 + 1)
    assert float(lossport.dice(P1, T1, smooth=0.0)) == pytest.approx(2 / 7, rel=1e-15)  # 1 − 2.5/3.5
    assert lossport.dice(P1, T1, reduction="none").shape == (1, 1)
    # Two classes, two samples: the default loss is per (sample, class); axis=None reduces to 0-D; (0, 1) to (C,)
    p = np.concatenate([P1, 1 - P1], axis=-1).repeat(2, axis=0)
    t = np.concatenate([T1, 1 - T1], axis=-1).repeat(2, axis=0)
    # class 1: p = (¼, ½, ¾, 1), t = (0, 0, 1, 1): Σpt = 1.75, Σp = 2.5, Σt = 2: 1 − (3.5 + 1)/(4.5 + 1) = 1/5.5
    expected = np.array([[1 / 4.5, 1 / 5.5]] * 2)
    np.testing.assert_allclose(lossport.dice(p, t, reduction="none"), expected, rtol=1e-15)
    assert lossport.dice(p, t, axis=None, reduction="none").shape == ()
    assert lossport.dice(p, t, axis=(0, 1), reduction="none").shape == (2,)
    # class weights (1, 3) as `weights`: Σ w·ℓ / Σ w
    np.testing.assert_allclose(lossport.dice(p, t, weights=np.array([1.0, 3.0])), (1 / 4.5 + 3 / 5.5) / 4,
                               rtol=1e-15)


def test_dice_keras_docstring_example() -> None:
    """Keras's own example (keras.losses.Dice docstring): per sample [0.5, 0.75757575], over everything
    0.6164384. By hand: sample 0: Σyp = 1, Σy = Σp = 2: 1 − 2/4; sample 1: Σyp = 0.4, Σp = 1.3: 1 − 0.8/3.3;
    all: 1 − 2.8/7.3. Keras's ε = 1e-7 sits in the denominator only: ``smooth=0, eps=1e-7``."""
    keras = framework("keras")
    y = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
    p = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
    per_sample, everything = np.array([0.5, 1 - 0.8 / 3.3]), 1 - 2.8 / 7.3
    keras_kw = {"smooth": 0.0, "eps": 1e-7}
    np.testing.assert_allclose(lossport.dice(p, y, axis=(1, 2, 3), reduction="none", **keras_kw), per_sample,
                               rtol=1e-7)
    assert float(lossport.dice(p, y, axis=None, **keras_kw)) == pytest.approx(everything, rel=1e-7)
    native = value(keras.losses.Dice(axis=(1, 2, 3), reduction=None, dtype="float64")(y, p))
    np.testing.assert_allclose(native, lossport.dice(p, y, axis=(1, 2, 3), reduction="none", **keras_kw),
                               rtol=1e-14)
    native = value(keras.losses.Dice(dtype="float64")(y, p))
    assert native == pytest.approx(float(lossport.dice(p, y, axis=None, **keras_kw)), rel=1e-14)


# Two pixels, two classes, softmax-like rows: class 0: Σpt = 0.75, Σp = 1.25, Σt = 1; class 1: 0.5, 0.75, 1.
P2 = np.array([[[0.75, 0.25], [0.5, 0.5]]])
T2 = np.array([[[1.0, 0.0], [0.0, 1.0]]])


def test_dice_optax_smooth_is_half_of_lossports() -> None:
    """optax's ``dice_loss(smooth=1, apply_softmax=False)``: 1 − (I + 1)/(½(P + T) + 1): class 0
    1 − 1.75/2.125 = 0.176471, class 1 1 − 1.5/1.875 = 0.2; that is lossport's (2I + 2)/(P + T + 2), ``smooth=2``.
    By default optax applies softmax to what it gets (probabilities here): lossport on ``softmax(p)``."""
    optax = framework("optax")
    expected = np.array([[1 - 1.75 / 2.125, 1 - 1.5 / 1.875]])
    native = value(optax.losses.dice_loss(P2, T2, apply_softmax=False, reduction="none"))
    np.testing.assert_allclose(native, expected, rtol=1e-14)
    np.testing.assert_allclose(lossport.dice(P2, T2, smooth=2.0, reduction="none"), expected, rtol=1e-14)
    # lossport's default smooth=1: 1 − 2.5/3.25 and 1 − 2/2.75
    np.testing.assert_allclose(lossport.dice(P2, T2, reduction="none"), [[1 - 2.5 / 3.25, 1 - 2 / 2.75]],
                               rtol=1e-14)
    soft = np.exp(P2) / np.exp(P2).sum(-1, keepdims=True)
    native = value(optax.losses.dice_loss(P2, T2, reduction="none"))
    np.testing.assert_allclose(native, lossport.dice(soft, T2, smooth=2.0, reduction="none"), rtol=1e-14)
    assert not np.allclose(native, expected)


def test_dice_optax_class_weights_and_ignore_background() -> None:
    """optax ``class_weights=(1, 3)`` then its mean over classes: (0.176471 + 3·0.2)/2 = 0.388235; lossport's
    weighted mean Σw·ℓ/Σw = 0.194118, so optax's is ``reduction="sum"`` over C (one sample). ``ignore_background``
    is ``where=classes > 0``: 0.2."""
    optax = framework("optax")
    w = np.array([1.0, 3.0])
    losses = np.array([1 - 1.75 / 2.125, 0.2])
    native = float(value(optax.losses.dice_loss(P2, T2, apply_softmax=False, class_weights=w))[0])
    assert native == pytest.approx((losses @ w) / 2, rel=1e-14)
    assert float(lossport.dice(P2, T2, smooth=2.0, weights=w)) == pytest.approx((losses @ w) / 4, rel=1e-14)
    assert float(lossport.dice(P2, T2, smooth=2.0, weights=w, reduction="sum")) / 2 == pytest.approx(native,
                                                                                                   rel=1e-14)
    native = float(value(optax.losses.dice_loss(P2, T2, apply_softmax=False, ignore_background=True))[0])
    assert native == pytest.approx(0.2, rel=1e-14)
    assert float(lossport.dice(P2, T2, smooth=2.0, where=np.arange(2) > 0)) == pytest.approx(native, rel=1e-14)


def test_optax_binary_dice_loss_rejects_one_channel_probabilities() -> None:
    """traps.md T15, an optax bug: ``binary_dice_loss(apply_sigmoid=False)`` checks that the probabilities sum to
    1 over the class axis, which a one-channel input cannot pass (0.5 here); lossport takes them as they are."""
    optax = framework("optax")
    p, t = np.full((1, 4, 1), 0.5), np.array([1.0, 1.0, 0.0, 0.0])[None, :, None]
    with pytest.raises(ValueError, match="sum to 1"):
        optax.losses.binary_dice_loss(p, t, apply_sigmoid=False)
    # Σpt = 1, Σp = 2, Σt = 2: 1 − (2 + 1)/(4 + 1) = 0.4
    assert float(lossport.dice(p, t)) == pytest.approx(0.4, rel=1e-15)


def test_overlap_losses_on_empty_masks() -> None:
    """Σt = Σp = 0: (FP + FN + ε)/(Σp + Σt + s + ε) = ε/(s + ε): 0 with smooth > 0, 1 with Keras's s = 0, ε = 1e-7
    (Keras gives 1.0 for both Dice and Tversky, measured), NaN (0/0) with both 0. An empty prediction of a target
    of volume 2: 1 − s/(2 + s) = 2/3 for s = 1."""
    z = np.zeros((1, 4, 1))
    for loss in (lossport.dice, lossport.tversky):
        assert float(loss(z, z)) == 0.0
        assert float(loss(z, z, smooth=0.0, eps=1e-7)) == 1.0
        with np.errstate(invalid="ignore"):
            assert np.isnan(float(loss(z, z, smooth=0.0)))
    assert float(lossport.dice(z, T1)) == pytest.approx(2 / 3, rel=1e-15)
    assert float(lossport.generalized_dice(np.zeros((1, 4, 2)), np.zeros((1, 4, 2)))) == 0.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(float(lossport.generalized_dice(np.zeros((1, 4, 2)), np.zeros((1, 4, 2)), smooth=0.0)))
    keras = framework("keras")
    assert value(keras.losses.Dice(dtype="float64")(z, z)) == 1.0
    assert value(keras.losses.Tversky(dtype="float64")(z, z)) == 1.0


def test_dice_near_perfect_prediction_keeps_its_digits() -> None:
    """A perfect binary prediction gives exactly 0. One pixel off by 1e-9 (Σp + Σt = 4 + 1e-9), Keras's settings:
    (1e-9 + 1e-7)/(4 + 1e-9 + 1e-7) = 2.525e-8 by mpmath; lossport is within an ulp or two. Keras computes
    1 − ratio: 2.5e-9 relative error in float64, and 0.0 in float32 (measured), where lossport keeps 2.525e-8."""
    keras = framework("keras")
    assert float(lossport.dice(T1, T1, smooth=0.0)) == 0.0
    assert float(lossport.tversky(T1, T1, smooth=0.0, alpha=0.3, beta=0.9)) == 0.0
    p = T1.copy()
    p[0, 2, 0] = 1e-9
    mpmath.mp.dps = 40
    exact = (mpmath.mpf(1e-9) + mpmath.mpf(1e-7)) / (4 + mpmath.mpf(1e-9) + mpmath.mpf(1e-7))
    mine = float(lossport.dice(p, T1, smooth=0.0, eps=1e-7, axis=None))
    assert abs(mine - exact) / exact < 4 * np.finfo(np.float64).eps
    native = float(value(keras.losses.Dice(dtype="float64")(T1, p)))
    assert abs(native - exact) / exact > 1e-10
    assert float(value(keras.losses.Dice()(T1.astype(F32), p.astype(F32)))) == 0.0
    mine32 = float(lossport.dice(p.astype(F32), T1.astype(F32), smooth=0.0, eps=1e-7, axis=None))
    assert mine32 == pytest.approx(float(exact), rel=1e-6)


def test_tversky_hand_values_and_special_cases() -> None:
    # FP = 0.25, FN = 0.75, I = 1.25: (0.3·0.25 + 0.7·0.75)/(1.25 + 0.075 + 0.525) = 0.6/1.85
    assert float(lossport.tversky(P1, T1, alpha=0.3, beta=0.7, smooth=0.0)) == pytest.approx(0.6 / 1.85, rel=1e-15)
    # α = β = 1: the soft Jaccard loss 1 − I/(P + T − I) = 1 − 1.25/2.25
    assert float(lossport.tversky(P1, T1, alpha=1.0, beta=1.0, smooth=0.0)) == pytest.approx(1 / 2.25, rel=1e-15)
    rng = np.random.default_rng(3)
    p, t = rng.uniform(size=(2, 3, 4, 2)), (rng.uniform(size=(2, 3, 4, 2)) > 0.5).astype(float)
    # α = β = ½ is Dice with half the smoothing
    np.testing.assert_allclose(lossport.tversky(p, t, smooth=0.75, reduction="none"),
                               lossport.dice(p, t, smooth=1.5, reduction="none"), rtol=1e-14)


def test_keras_tversky_swaps_alpha_and_beta() -> None:
    """y = (1, 1, 0, 0), p = (0.9, 0.2, 0.6, 0): I = 1.1, FP = Σp(1 − y) = 0.6, FN = Σy(1 − p) = 0.9. Salehi et al.
    (and optax): α on FP: 1 − 1.1/(1.1 + 0.3·0.6 + 0.7·0.9) = 0.424084. Keras's ``Tversky(alpha=0.3, beta=0.7)``
    gives 0.385475 = 1 − 1.1/(1.1 + 0.3·0.9 + 0.7·0.6 + 1e-7): its alpha weighs the false negatives."""
    keras, optax = framework("keras"), framework("optax")
    y, p = np.array([1.0, 1.0, 0.0, 0.0])[None, :, None], np.array([0.9, 0.2, 0.6, 0.0])[None, :, None]
    salehi, swapped = 1 - 1.1 / 1.91, 1 - 1.1 / (1.79 + 1e-7)
    native = float(value(keras.losses.Tversky(alpha=0.3, beta=0.7, dtype="float64")(y, p)))
    assert native == pytest.approx(swapped, rel=1e-14)
    assert float(lossport.tversky(p, y, alpha=0.7, beta=0.3, smooth=0.0, eps=1e-7, axis=None)) == pytest.approx(
        native, rel=1e-14)
    assert float(lossport.tversky(p, y, alpha=0.3, beta=0.7, smooth=0.0)) == pytest.approx(salehi, rel=1e-14)
    # optax: 1 − (I + s)/(I + α·FP + β·FN + s); with a tiny smooth, Salehi's value
    logits = log(p) - np.log1p(-p)  # optax applies a sigmoid to one channel
    native = float(value(optax.losses.dice_loss(logits, y, alpha=0.3, beta=0.7, smooth=1e-12))[0])
    assert native == pytest.approx(salehi, rel=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# Generalized Dice

# One sample, 3 pixels, 2 classes. T = (2, 1): weights ∝ (1/4, 1), normalised (0.2, 0.8) (up to ε = 1e-7).
# E_c = Σ p(1 − t) + t(1 − p) = (1, 1); P + T = (1.5 + 2, 1.5 + 1) = (3.5, 2.5).
P3 = np.array([[[0.75, 0.25], [0.5, 0.5], [0.25, 0.75]]])
T3 = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])


def test_generalized_dice_hand_values() -> None:
    # Sudre: (0.2·1 + 0.8·1)/(0.2·3.5 + 0.8·2.5 + s) = 1/(2.7 + s)
    assert float(lossport.generalized_dice(P3, T3)) == pytest.approx(1 / 3.7, rel=1e-7)
    assert float(lossport.generalized_dice(P3, T3, smooth=0.0)) == pytest.approx(1 / 2.7, rel=1e-7)
    # weighted mean of Dice losses: 0.2·1/4.5 + 0.8·1/3.5
    assert float(lossport.generalized_dice(P3, T3, combine="mean")) == pytest.approx(0.2 / 4.5 + 0.8 / 3.5,
                                                                                    rel=1e-7)
    assert lossport.generalized_dice(np.repeat(P3, 2, axis=0), np.repeat(T3, 2, axis=0),
                                     reduction="none").shape == (2,)


def test_generalized_dice_with_one_class_is_dice() -> None:
    rng = np.random.default_rng(4)
    p, t = rng.uniform(size=(3, 4, 2, 1)), (rng.uniform(size=(3, 4, 2, 1)) > 0.5).astype(float)
    np.testing.assert_allclose(lossport.generalized_dice(p, t, smooth=0.5, reduction="none"),
                               lossport.dice(p, t, smooth=0.5, reduction="none")[:, 0], rtol=1e-14)


def test_generalized_dice_optax_is_a_weighted_mean_of_dice_losses() -> None:
    """optax's ``multiclass_generalized_dice_loss(smooth=0.5, apply_softmax=False)`` on P3, T3 is
    0.2·1/4.5 + 0.8·1/3.5 = 0.273016 (its Dice with smooth 0.5 is lossport's with smooth 1; weights (0.2, 0.8)·C,
    then a plain mean over classes): ``combine="mean", batch_weights=True``. Sudre's ratio, which optax's docstring
    cites, is 1/3.7 = 0.270270."""
    optax = framework("optax")
    native = float(value(optax.losses.multiclass_generalized_dice_loss(P3, T3, smooth=0.5, apply_softmax=False)))
    assert native == pytest.approx(0.2 / 4.5 + 0.8 / 3.5, rel=1e-7)
    mine = lossport.generalized_dice(P3, T3, combine="mean", batch_weights=True)
    assert float(mine) == pytest.approx(native, rel=1e-14)
    assert float(lossport.generalized_dice(P3, T3)) == pytest.approx(1 / 3.7, rel=1e-7)


def test_generalized_dice_absent_class_dominates() -> None:
    """Class 1 absent from the target: T = (2, 0), weights ∝ (1/4, 1e7), normalised ≈ (2.5e-8, 1). E = (0.3, 0.3),
    P + T = (3.7, 0.3): the loss is ≈ 0.3/(0.3 + 1) = 0.230769, the probability predicted for the absent class.
    With batch weights from a batch where the class is present (volume 2 in the other sample): weights (¼, ¼)
    normalised (½, ½): (0.15 + 0.15)/(1.85 + 0.15 + 1) = 0.1 for that sample."""
    p, t = np.array([[[0.9, 0.1], [0.8, 0.2]]]), np.array([[[1.0, 0.0], [1.0, 0.0]]])
    assert float(lossport.generalized_dice(p, t)) == pytest.approx(0.3 / 1.3, rel=1e-6)
    p2, t2 = np.concatenate([p, t[:, :, ::-1]]), np.concatenate([t, t[:, :, ::-1]])  # sample 1: perfect, class 1
    out = lossport.generalized_dice(p2, t2, batch_weights=True, reduction="none")
    assert out[0] == pytest.approx(0.3 / 3.0, rel=1e-12)
    assert out[1] == 0.0


# ---------------------------------------------------------------------------------------------------------------
# Bad input, on NumPy and torch

BAD_BACKENDS = [b for b in ("numpy", "torch") if b in BACKENDS]


def arr(backend: str, x, dtype: str = "float32"):
    return parity.convert(backend, np.asarray(x), dtype, device_for(backend))


@pytest.fixture(params=BAD_BACKENDS)
def backend(request) -> str:
    return request.param


def test_kl_bad_input(backend: str) -> None:
    lq, p = arr(backend, np.log([[0.5, 0.5]])), arr(backend, [[0.5, 0.5]])
    with pytest.raises(ValueError, match=r"`targets` must be probabilities in \[0, 1\]; got 1.5"):
        lossport.kl_divergence(lq, arr(backend, [[1.5, 0.5]]))
    lossport.kl_divergence(lq, arr(backend, [[0.5, 1.5]]), log_targets=True)  # log targets: not checked
    for clip in (0.0, 1.0, -1e-7):
        with pytest.raises(ValueError, match=rf"`clip` must be in \(0, 1\); got {clip}"):
            lossport.kl_divergence(lq, p, clip=clip)
    with pytest.raises(TypeError, match="`clip` must be a Python number, a 0-D array or None; got str"):
        lossport.kl_divergence(lq, p, clip="1e-7")
    with pytest.raises(ValueError, match=r"`axis` must be in \[-2, 2\) for 2-D `log_predictions`; got 2"):
        lossport.kl_divergence(lq, p, axis=2)
    with pytest.raises(TypeError, match="`axis` must be an int; got tuple"):
        lossport.kl_divergence(lq, p, axis=(0, 1))
    with pytest.raises(TypeError, match="`log_predictions` must have a real floating dtype"):
        lossport.kl_divergence(arr(backend, [[0, 1]], "int64"), p)
    with pytest.raises(ValueError, match=r"`log_predictions` and `targets` must have the same shape"):
        lossport.kl_divergence(lq, arr(backend, [0.5, 0.5]))
    with pytest.raises(ValueError, match="`log_predictions` must have a class axis"):
        lossport.kl_divergence(arr(backend, 0.0), arr(backend, 1.0))


def test_generalized_kl_and_js_bad_input(backend: str) -> None:
    lq = arr(backend, [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"`targets` must be non-negative; got -0\.5"):
        lossport.generalized_kl_divergence(lq, arr(backend, [[1.0, -0.5]]))
    with pytest.raises(ValueError, match="`targets` must be non-negative; got nan"):
        lossport.generalized_kl_divergence(lq, arr(backend, [[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r"`log_predictions` and `log_targets` must have the same shape"):
        lossport.js_divergence(lq, arr(backend, [[0.0, 0.0, 0.0]]))
    with pytest.raises(TypeError, match="`log_predictions` must have a real floating dtype"):
        lossport.js_divergence(arr(backend, [[0, 0]], "int64"), lq)


@pytest.mark.parametrize("loss", ["dice", "tversky", "generalized_dice"])
def test_overlap_bad_input(backend: str, loss: str) -> None:
    fn = getattr(lossport, loss)
    p, t = arr(backend, np.full((1, 2, 2), 0.5)), arr(backend, np.ones((1, 2, 2)))
    for knob in ("smooth", "eps", "alpha", "beta"):
        if knob in ("eps", "alpha", "beta") and loss == "generalized_dice":
            continue
        if knob in ("alpha", "beta") and loss != "tversky":
            continue
        with pytest.raises(ValueError, match=rf"`{knob}` must be non-negative and finite; got -1.0"):
            fn(p, t, **{knob: -1.0})
    with pytest.raises(ValueError, match=r"`axis` must be 'spatial', None, an int or a non-empty tuple"):
        fn(p, t, axis="all")
    with pytest.raises(TypeError, match=r"`axis` must be 'spatial', None, an int or a non-empty tuple"):
        fn(p, t, axis=[1])
    with pytest.raises(ValueError, match=r"`axis` must not repeat an axis; got \(1, -2\)"):
        fn(p, t, axis=(1, -2))
    with pytest.raises(ValueError, match=r"`axis` must hold axes in \[-3, 3\) for 3-D inputs; got 3"):
        fn(p, t, axis=3)
    with pytest.raises(ValueError, match=r"`axis='spatial'` \(the default\) needs inputs of shape"):
        fn(arr(backend, [[0.5, 0.5]]), arr(backend, [[1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"`predictions` must be probabilities in \[0, 1\]; got 1.5"):
        fn(arr(backend, np.full((1, 2, 2), 1.5)), t)
    with pytest.raises(ValueError, match=r"`targets` must be probabilities in \[0, 1\]; got 2.0"):
        fn(p, arr(backend, np.full((1, 2, 2), 2.0)))
    with pytest.raises(ValueError, match=r"`predictions` and `targets` must have the same shape"):
        fn(p, arr(backend, np.ones((1, 2, 3))))
    with pytest.raises(TypeError, match=r"`predictions` must have a real floating dtype"):
        fn(arr(backend, np.ones((1, 2, 2)), "int64"), t)


def test_generalized_dice_bad_input(backend: str) -> None:
    p, t = arr(backend, np.full((1, 2, 2), 0.5)), arr(backend, np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match=r"`axis` must not include the class axis \(the last, 2\); got -1"):
        lossport.generalized_dice(p, t, axis=-1)
    with pytest.raises(ValueError, match=r"`axis` must not include the class axis"):
        lossport.generalized_dice(p, t, axis=None)
    for bad in (0.0, -1e-7):
        with pytest.raises(ValueError, match=rf"`weight_eps` must be positive and finite; got {bad}"):
            lossport.generalized_dice(p, t, weight_eps=bad)
    with pytest.raises(ValueError, match=r"`combine` must be one of \('ratio', 'mean'\); got 'sum'"):
        lossport.generalized_dice(p, t, combine="sum")
    with pytest.raises(TypeError, match="`batch_weights` must be a bool; got int"):
        lossport.generalized_dice(p, t, batch_weights=1)


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("log_targets", [False, True])
def test_clip_tensor_and_its_gradient(log_targets: bool) -> None:
    """A 0-D tensor `clip` that lifts a zero target: the loss and its derivative in the knob (hand computation).
    tests/test_knobs.py's case clips nothing, where that derivative is 0."""
    import torch

    c = torch.tensor(1e-3, dtype=torch.float64, requires_grad=True)
    log_q = torch.log(torch.tensor([[0.99, 0.01]], dtype=torch.float64))
    p = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    out = lossport.kl_divergence(log_q, torch.log(p) if log_targets else p, log_targets=log_targets, clip=c)
    # p becomes (1, c): ℓ = −log 0.99 + c·(log c − log 0.01), ∂ℓ/∂c = log(c/0.01) + 1 = 1 − log 10
    assert out.item() == pytest.approx(-math.log(0.99) + 1e-3 * math.log(0.1), rel=1e-14)
    out.backward()
    assert c.grad is not None
    assert c.grad.item() == pytest.approx(1.0 - math.log(10.0), rel=1e-14)
