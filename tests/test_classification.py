"""The focal, poly-1, Brier, generalized, multi-label soft-margin, sparsemax and ordinal losses: hand-computed values,
properties, the conventions where the native libraries differ, and bad input.

Where each number comes from is said beside it: "hand" (a derivation in the comment), "mpmath" (the definition
evaluated at 50 digits on the same float64 inputs), or "measured" (the native library, run here or with torch 2.13,
TensorFlow 2.21, Keras 3.15 on its TensorFlow backend, optax 0.2.8 and scikit-learn 1.9, as noted). The parity
matrix (tests/test_matrix.py) and the anchors (tests/test_anchors.py) cover these losses on every backend.
"""

from __future__ import annotations

import importlib
import importlib.util
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lossport.backends import parity
from support import BACKENDS, device_for, framework, value

import lossport

mpmath.mp.dps = 50
LOG2 = math.log(2.0)
LOG3 = math.log(3.0)
LOG43 = math.log(4.0 / 3.0)

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def none(loss, *args, **kwargs) -> np.ndarray:
    return np.asarray(getattr(lossport, loss)(*args, reduction="none", **kwargs))


def mp_softplus(x: float) -> mpmath.mpf:
    return mpmath.log1p(mpmath.exp(mpmath.mpf(x)))


def mp_sigmoid(x: float) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


def mp_log_softmax(z: list[float]) -> list[mpmath.mpf]:
    lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(v)) for v in z))
    return [mpmath.mpf(v) - lse for v in z]


# ---------------------------------------------------------------------------------------------------------------
# sigmoid_focal


def test_sigmoid_focal_hand_values() -> None:
    """hand: p = sigmoid(x); y = 1: (1 − p)^γ · (−log p); y = 0: p^γ · (−log(1 − p))."""
    x = np.array([0.0, LOG3, LOG3, -LOG3])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    expected = [
        0.25 * LOG2,  # p = 1/2
        LOG43 / 16,  # p = 3/4, 1 − p = 1/4, −log p = log(4/3)
        (3 / 4) ** 2 * math.log(4.0),  # p = 3/4, y = 0: p² · log 4
        (1 / 4) ** 2 * LOG43,  # p = 1/4, y = 0: p² · log(4/3)
    ]
    np.testing.assert_allclose(none("sigmoid_focal", x, y), expected, rtol=1e-14)
    # alpha weighs the positives by alpha, the negatives by 1 − alpha; gamma = 1: (1 − p_t)^1
    np.testing.assert_allclose(none("sigmoid_focal", x, y, alpha=0.25),
                               np.array(expected) * [0.25, 0.25, 0.75, 0.75], rtol=1e-14)
    np.testing.assert_allclose(none("sigmoid_focal", x[:2], y[:2], gamma=1.0), [0.5 * LOG2, LOG43 / 4], rtol=1e-14)
    # label smoothing 0.2 of y = 1 at x = 0: y' = 0.9, 1 − p_t = 1/2 whatever y', ce = log 2
    np.testing.assert_allclose(none("sigmoid_focal", x[:1], y[:1], label_smoothing=0.2), [0.25 * LOG2],
                               rtol=1e-14)


def test_sigmoid_focal_gamma_zero_is_bce() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(scale=3, size=20), rng.uniform(size=20)
    np.testing.assert_allclose(none("sigmoid_focal", x, y, gamma=0.0),
                               none("binary_cross_entropy_with_logits", x, y), rtol=1e-15)


@pytest.mark.parametrize("x", [-1e4, -300.0, -30.0, -5.0, -0.5, 0.0, 0.5, 5.0, 30.0, 300.0, 1e4])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_sigmoid_focal_is_accurate(x: float, y: float) -> None:
    """mpmath: ce · (1 − p_t)², within a few ulps, down to the smallest losses (log space: no cancellation)."""
    ce = y * mp_softplus(-x) + (1 - y) * mp_softplus(x)
    p = mp_sigmoid(x)
    exact = ce * ((1 - y) * p + y * (1 - p)) ** 2
    got = float(lossport.sigmoid_focal(np.array([x]), np.array([y])))
    if exact < 1e-300:
        assert got == 0.0 or abs(got - float(exact)) < 1e-310
        return
    # exp(γ·log(1 − p_t)) turns the argument's rounding (a few ulps of |γ·log(1 − p_t)|) into relative error: the
    # loss's own condition number in x, as for optax's formula.
    log_1m_pt = abs(float(mpmath.log((1 - y) * p + y * (1 - p))))
    tol = 8 * np.finfo(np.float64).eps * (1 + 2 * log_1m_pt)
    assert abs(got - float(exact)) <= tol * float(exact), (got, exact)


def test_sigmoid_focal_finite_at_1e4() -> None:
    """hand: at ±1e4 the loss is 0 (correct) or |x| (wrong, 1 − p_t = 1); gradients finite (0 and ±1)."""
    x = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    for dtype in (np.float32, np.float64):
        out = none("sigmoid_focal", x.astype(dtype), y.astype(dtype), gamma=0.5)
        np.testing.assert_array_equal(out, np.array([0.0, 0.0, 1e4, 1e4], dtype))
    if "jax" in BACKENDS:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        for gamma in (0.5, 2.0):
            g = jax.grad(lambda v, gamma=gamma: lossport.sigmoid_focal(v, jnp.asarray(y), gamma=gamma,
                                                                       reduction="sum"))(jnp.asarray(x))
            np.testing.assert_array_equal(np.asarray(g), [0.0, 0.0, 1.0, -1.0])


def test_sigmoid_focal_keras_alpha_needs_class_balancing() -> None:
    """measured (traps.md T8): Keras's BinaryFocalCrossentropy ignores ``alpha`` unless
    ``apply_class_balancing=True``: its default is lossport's ``alpha=None``; with balancing, ``alpha=0.25``."""
    keras = framework("keras")
    x = np.array([[0.0, LOG3, LOG3, -LOG3]])
    y = np.array([[1.0, 1.0, 0.0, 0.0]])
    ignored = value(keras.losses.BinaryFocalCrossentropy(from_logits=True, alpha=0.25, dtype="float64")(y, x))
    balanced = value(keras.losses.BinaryFocalCrossentropy(from_logits=True, alpha=0.25, apply_class_balancing=True,
                                                          dtype="float64")(y, x))
    np.testing.assert_allclose(ignored, float(lossport.sigmoid_focal(x, y)), rtol=1e-12)
    np.testing.assert_allclose(balanced, float(lossport.sigmoid_focal(x, y, alpha=0.25)), rtol=1e-12)
    # hand: mean of [log2/4, log(4/3)/16, (9/16) log 4, log(4/3)/16] = 0.24739...; balanced ≠ unbalanced
    np.testing.assert_allclose(ignored, (LOG2 / 4 + LOG43 / 8 + 9 / 16 * math.log(4)) / 4, rtol=1e-12)
    assert abs(float(balanced) - float(ignored)) > 0.05


def test_sigmoid_focal_keras_rounds_one_minus_p_t() -> None:
    """measured: at logit ±30 in float64, Keras forms ``1 − p_t`` from the rounded sigmoid (1 − 9.4e-14): its
    loss is 8.19674e-40 where the exact value (mpmath) is 8.19401e-40, 3.3e-4 relative; lossport is within
    a few ulps. The anchor forgives this rounding (``cancels``), not more."""
    keras = framework("keras")
    x, y = np.array([30.0, -30.0]), np.array([1.0, 0.0])
    exact = float(mp_softplus(-30.0) * mp_sigmoid(-30.0) ** 2)
    np.testing.assert_allclose(exact, 8.1940126239885985e-40, rtol=1e-15)
    native = value(keras.losses.BinaryFocalCrossentropy(from_logits=True, reduction=None, dtype="float64")(
        y[:, None], x[:, None]))
    np.testing.assert_allclose(native, 8.19673985e-40, rtol=1e-8)
    np.testing.assert_allclose(none("sigmoid_focal", x, y), exact, rtol=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# brier_score


def test_brier_score_hand_values() -> None:
    """hand, and scikit-learn's docstring examples (0.0375, 0.146...)."""
    p, y = np.array([0.1, 0.9, 0.8, 0.3]), np.array([0, 1, 1, 0])
    np.testing.assert_allclose(float(lossport.brier_score(p, y)), (0.01 + 0.01 + 0.04 + 0.09) / 4, rtol=1e-14)
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]])
    per_sample = none("brier_score", probs, np.array([0, 1, 2]))
    np.testing.assert_allclose(per_sample, [0.06, 0.14, 0.24], rtol=1e-14)  # .04+.01+.01, .04+.09+.01, ...
    np.testing.assert_allclose(float(lossport.brier_score(probs, np.array([0, 1, 2]))), 0.44 / 3, rtol=1e-14)
    # the class axis elsewhere; a perfect prediction gives 0; the worst gives 2 (multiclass), 1 (binary)
    np.testing.assert_allclose(none("brier_score", probs.T.copy(), np.array([0, 1, 2]), axis=0), per_sample)
    np.testing.assert_array_equal(none("brier_score", np.eye(3), np.array([0, 1, 2])), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(none("brier_score", np.eye(3), np.array([1, 2, 0])), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(none("brier_score", np.array([0.0, 1.0]), np.array([1.0, 0.0])), [1.0, 1.0])


def test_brier_score_sklearn_scale_by_half() -> None:
    """measured: scikit-learn's ``scale_by_half="auto"`` is lossport's convention (binary halved, multiclass not);
    ``scale_by_half=False`` on binary input is twice lossport (0.075), ``True`` on multiclass half (0.0733)."""
    metrics = framework("sklearn")
    p, y = np.array([0.1, 0.9, 0.8, 0.3]), np.array([0, 1, 1, 0])
    mine = float(lossport.brier_score(p, y))
    assert metrics.brier_score_loss(y, p) == pytest.approx(mine, rel=1e-14)
    assert metrics.brier_score_loss(y, p, scale_by_half=False) == pytest.approx(2 * mine, rel=1e-14)
    assert metrics.brier_score_loss(y, p, scale_by_half=False) == pytest.approx(0.075, rel=1e-14)
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]])
    labels = np.array([0, 1, 2])
    mine = float(lossport.brier_score(probs, labels))
    assert metrics.brier_score_loss(labels, probs, labels=[0, 1, 2]) == pytest.approx(mine, rel=1e-14)
    assert metrics.brier_score_loss(labels, probs, labels=[0, 1, 2], scale_by_half=True) == pytest.approx(
        mine / 2, rel=1e-14)


def test_brier_score_one_hot_floats_take_the_elementwise_form() -> None:
    """hand: one-hot float labels of the probabilities' shape are elementwise: the mean is the multiclass one / C."""
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]])
    labels = np.array([0, 1, 2])
    elementwise = float(lossport.brier_score(probs, np.eye(3)[labels]))
    assert elementwise == pytest.approx(float(lossport.brier_score(probs, labels)) / 3, rel=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# multilabel_soft_margin


def test_multilabel_soft_margin_hand_values() -> None:
    """hand: x = [0, log 3], y = [1, 0]: (softplus(0) + softplus(log 3)) / 2 = (log 2 + log 4) / 2; class weights
    [1, 3] multiply inside the class mean: (log 2 + 3 log 4) / 2 (torch's convention, not ÷ Σw)."""
    x, y = np.array([[0.0, LOG3]]), np.array([[1.0, 0.0]])
    np.testing.assert_allclose(none("multilabel_soft_margin", x, y), [1.5 * LOG2], rtol=1e-14)
    np.testing.assert_allclose(none("multilabel_soft_margin", x, y, class_weights=np.array([1.0, 3.0])),
                               [(LOG2 + 3 * math.log(4)) / 2], rtol=1e-14)
    np.testing.assert_allclose(none("multilabel_soft_margin", x.T.copy(), y.T.copy(), axis=0), [1.5 * LOG2],
                               rtol=1e-14)


def test_multilabel_soft_margin_torch_class_weights_are_not_a_denominator() -> None:
    """measured: torch, x = [0, 0], y = [1, 0], weight [1, 3]: (log 2 + 3 log 2) / 2 = 1.386294 (a weighted mean
    would be 0.693147); lossport gives the same."""
    torch = framework("torch")
    x, y, w = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([1.0, 3.0])
    native = torch.nn.functional.multilabel_soft_margin_loss(torch.from_numpy(x), torch.from_numpy(y),
                                                             weight=torch.from_numpy(w))
    np.testing.assert_allclose(value(native), 2 * LOG2, rtol=1e-14)
    np.testing.assert_allclose(float(lossport.multilabel_soft_margin(x, y, class_weights=w)), 2 * LOG2, rtol=1e-14)


def test_multilabel_soft_margin_is_keras_bce_with_logits() -> None:
    """measured: Keras's BinaryCrossentropy(from_logits=True) averages the last axis: per sample, the same loss."""
    keras = framework("keras")
    rng = np.random.default_rng(2)
    x, y = rng.normal(scale=2, size=(5, 4)), (rng.uniform(size=(5, 4)) > 0.5).astype(np.float64)
    native = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None, dtype="float64")(y, x)
    np.testing.assert_allclose(value(native), none("multilabel_soft_margin", x, y), rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# categorical_focal


def test_categorical_focal_hand_values() -> None:
    """hand: z = [log 3, 0] → p = [3/4, 1/4]; one-hot on class 0: (1/4)² log(4/3); on class 1: (3/4)² log 4;
    soft [1/2, 1/2]: their mean; per-class alpha [2, 1] doubles the first."""
    z = np.array([[LOG3, 0.0], [LOG3, 0.0], [LOG3, 0.0]])
    q = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    a, b = LOG43 / 16, 9 / 16 * math.log(4)
    np.testing.assert_allclose(none("categorical_focal", z, q), [a, b, (a + b) / 2], rtol=1e-14)
    np.testing.assert_allclose(none("categorical_focal", z, q, alpha=np.array([2.0, 1.0])), [2 * a, b, a + b / 2],
                               rtol=1e-14)
    np.testing.assert_allclose(none("categorical_focal", z, q, alpha=0.5), [a / 2, b / 2, (a + b) / 4], rtol=1e-14)
    # gamma = 1: (1 − p)·(−log p)
    np.testing.assert_allclose(none("categorical_focal", z[:1], q[:1], gamma=1.0), [LOG43 / 4], rtol=1e-14)


def test_categorical_focal_gamma_zero_is_softmax_cross_entropy() -> None:
    rng = np.random.default_rng(3)
    z, q = rng.normal(scale=2, size=(6, 5)), rng.dirichlet(np.ones(5), size=6)
    np.testing.assert_allclose(none("categorical_focal", z, q, gamma=0.0),
                               none("softmax_cross_entropy", z, q), rtol=1e-14)


def test_categorical_focal_confident_prediction() -> None:
    """mpmath: z = [30, 0, 0] on class 0: ``(1 − p)² (−log p)`` ≈ 6.5552e-39, kept to a few ulps (``1 − p`` is the
    probability of the other classes, not 1 minus a rounded p). At [200, 0, 0] in float32 p rounds to 1 (its
    log-softmax is exactly 0) and the gradient stays finite (log1mexp at 0 would give NaN)."""
    z = np.array([[30.0, 0.0, 0.0]])
    q = np.array([[1.0, 0.0, 0.0]])
    logp = mp_log_softmax([30.0, 0.0, 0.0])
    exact = (1 - mpmath.exp(logp[0])) ** 2 * -logp[0]
    np.testing.assert_allclose(none("categorical_focal", z, q), [float(exact)], rtol=1e-13)
    np.testing.assert_allclose(float(exact), 6.5552101e-39, rtol=1e-7)
    big, qf = np.array([[200.0, 0.0, 0.0]], np.float32), q.astype(np.float32)
    assert float(lossport.categorical_focal(big, qf)) == 0.0
    if "jax" in BACKENDS:
        import jax
        import jax.numpy as jnp

        g = jax.grad(lambda v: lossport.categorical_focal(v, jnp.asarray(qf)))(jnp.asarray(big))
        assert np.all(np.isfinite(np.asarray(g)))
    if "torch" in BACKENDS:
        import torch

        t = torch.from_numpy(big).requires_grad_(True)
        lossport.categorical_focal(t, torch.from_numpy(qf)).backward()
        assert torch.isfinite(t.grad).all()


def test_categorical_focal_ties_and_masked_logits() -> None:
    """hand: zero logits (tied, as at initialisation) over 4 classes: p = 1/4, (3/4)² log 4 (not 0: the argmax's
    ``1 − p`` counts the tied classes); a masked (-inf) logit under a zero label gives a finite loss."""
    np.testing.assert_allclose(none("categorical_focal", np.zeros((1, 4)), np.eye(4)[:1]),
                               [9 / 16 * math.log(4)], rtol=1e-14)
    z = np.array([[0.0, -np.inf, 0.0]])
    out = none("categorical_focal", z, np.array([[1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(out, [0.25 * LOG2], rtol=1e-14)  # p = 1/2 between the two unmasked classes
    one_class = none("categorical_focal", np.array([[3.0, -np.inf]]), np.array([[1.0, 0.0]]))
    np.testing.assert_array_equal(one_class, [0.0])


def test_categorical_focal_keras_always_applies_alpha() -> None:
    """measured (traps.md T8): Keras's CategoricalFocalCrossentropy multiplies by alpha = 0.25 always:
    0.0433217 at z = [0, 0], where the focal loss is (1/2)² log 2 = 0.173287 (hand); ``alpha=0.25, eps=1e-7``
    reproduces Keras, lossport's default is the unweighted loss."""
    keras = framework("keras")
    z, q = np.array([[0.0, 0.0]], np.float32), np.array([[1.0, 0.0]], np.float32)
    native = value(keras.losses.CategoricalFocalCrossentropy(from_logits=True)(q, z))
    np.testing.assert_allclose(native, 0.0433217, rtol=1e-6)
    np.testing.assert_allclose(float(lossport.categorical_focal(z, q, alpha=0.25, eps=1e-7)), native, rtol=1e-6)
    np.testing.assert_allclose(float(lossport.categorical_focal(z, q)), 0.25 * LOG2, rtol=1e-6)


def test_categorical_focal_keras_clips_at_1e7() -> None:
    """measured: Keras float64 at z = [1e4, -1e4, 0] on class 0 clips p to 1 − 1e-7: 0.25 · (1e-7)² · 1e-7 =
    2.5e-22 (hand); lossport with ``eps=1e-7`` gives it, and 0 without (exact: the loss underflows)."""
    keras = framework("keras")
    z, q = np.array([[1e4, -1e4, 0.0]]), np.array([[1.0, 0.0, 0.0]])
    native = value(keras.losses.CategoricalFocalCrossentropy(from_logits=True, reduction=None, dtype="float64")(q, z))
    np.testing.assert_allclose(native, [2.5e-22], rtol=1e-6)
    np.testing.assert_allclose(none("categorical_focal", z, q, alpha=0.25, eps=1e-7), native, rtol=1e-12)
    np.testing.assert_array_equal(none("categorical_focal", z, q), [0.0])


# ---------------------------------------------------------------------------------------------------------------
# poly1_cross_entropy


def test_poly1_hand_values() -> None:
    """hand: z = [log 3, 0] → p = [3/4, 1/4]: class 0: log(4/3) + ε/4; class 1: log 4 + 3ε/4."""
    z = np.array([[LOG3, 0.0], [LOG3, 0.0]])
    q = np.eye(2)
    np.testing.assert_allclose(none("poly1_cross_entropy", z, q), [LOG43 + 0.5, math.log(4) + 1.5], rtol=1e-14)
    np.testing.assert_allclose(none("poly1_cross_entropy", z, q, epsilon=-1.0),
                               [LOG43 - 0.25, math.log(4) - 0.75], rtol=1e-14)
    np.testing.assert_allclose(none("poly1_cross_entropy", z, q, epsilon=0.0),
                               none("softmax_cross_entropy", z, q), rtol=1e-15)


def test_poly1_optax_rounds_confident_prediction_to_zero() -> None:
    """measured: optax at z = [30, 0, 0] on class 0 in float32 gives 0.0 (jax's log_softmax rounds 1 + 2e-13 to 1,
    and 1 − p to 0); lossport gives 5.614574e-13, the exact −log p + 2(1 − p), s = 2e^-30: log1p(s) + 2s/(1+s)
    = 5.6145737813e-13 (mpmath). The anchor forgives this cancellation (``cancels``)."""
    optax = framework("optax")
    z, q = np.array([[30.0, 0.0, 0.0]], np.float32), np.array([[1.0, 0.0, 0.0]], np.float32)
    assert float(optax.losses.poly_loss_cross_entropy(z, q)[0]) == 0.0
    s = 2 * mpmath.exp(-30)
    exact = float(mpmath.log1p(s) + 2 * s / (1 + s))
    np.testing.assert_allclose(exact, 5.6145737813032291e-13, rtol=1e-15)
    np.testing.assert_allclose(none("poly1_cross_entropy", z, q), [exact], rtol=2e-6)
    np.testing.assert_allclose(none("poly1_cross_entropy", z.astype(np.float64), q.astype(np.float64)), [exact],
                               rtol=1e-14)


def test_poly1_masked_logits() -> None:
    """measured: a masked (-inf) logit under a zero label: optax gives NaN (0 · -inf in its cross-entropy);
    lossport is finite: z = [0, -inf, 1], q = [1/2, 0, 1/2]: p = [1/(1+e), 0, e/(1+e)] (hand)."""
    z, q = np.array([[0.0, -np.inf, 1.0]]), np.array([[0.5, 0.0, 0.5]])
    e = math.e
    p0, p2 = 1 / (1 + e), e / (1 + e)
    expected = -0.5 * (math.log(p0) + math.log(p2)) + 2 * 0.5 * ((1 - p0) + (1 - p2))
    np.testing.assert_allclose(none("poly1_cross_entropy", z, q), [expected], rtol=1e-14)
    np.testing.assert_allclose(expected, 1.81326169, rtol=1e-8)
    if importlib.util.find_spec("optax") is not None:
        optax = framework("optax")
        assert np.isnan(float(optax.losses.poly_loss_cross_entropy(z, q)[0]))


# ---------------------------------------------------------------------------------------------------------------
# generalized_cross_entropy


def test_generalized_ce_hand_values() -> None:
    """hand, on Keras's docstring example: (1 − sqrt(p_y)) / 0.5 for p_y = 0.7, 0.8, 0.6, 0.6; q = 1 is 1 − p_y;
    p_y = 0 gives 1/q and p_y = 1 gives 0."""
    p = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    y = np.array([0, 1, 0, 1])
    py = np.array([0.7, 0.8, 0.6, 0.6])
    np.testing.assert_allclose(none("generalized_cross_entropy", p, y), 2 * (1 - np.sqrt(py)), rtol=1e-14)
    np.testing.assert_allclose(none("generalized_cross_entropy", p, y, q=1.0), 1 - py, rtol=1e-14)
    np.testing.assert_allclose(none("generalized_cross_entropy", p.T.copy(), y, axis=0), 2 * (1 - np.sqrt(py)),
                               rtol=1e-14)
    edge = none("generalized_cross_entropy", np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([0, 1]), q=0.25)
    np.testing.assert_array_equal(edge, [4.0, 0.0])


def test_generalized_ce_limits() -> None:
    """mpmath: near p_y = 1 the loss keeps its relative accuracy (−expm1(q log p)/q); as q → 0 it tends to −log p."""
    p = np.array([[1 - 1e-12, 1e-12]])
    exact = float((1 - mpmath.mpf(1 - 1e-12) ** mpmath.mpf(0.5)) / mpmath.mpf(0.5))
    np.testing.assert_allclose(none("generalized_cross_entropy", p, np.array([0])), [exact], rtol=1e-12)
    p = np.array([[0.3, 0.7]])
    np.testing.assert_allclose(none("generalized_cross_entropy", p, np.array([0]), q=1e-9), [-math.log(0.3)],
                               rtol=1e-8)


def test_generalized_ce_keras_subtracts() -> None:
    """measured: Keras forms ``(1 − p^q)/q`` by subtraction: at p_y = 1 − 1e-6 in float32 it gives 1.0728836e-06
    where the exact value is 1.0132792e-06 (mpmath, on the float32 input; 5.9 % off); lossport's
    ``−expm1(q log p)/q`` gives it to float32 rounding. The anchor forgives ``4·eps/q`` (``cancels``)."""
    keras = framework("keras")
    p = np.array([[1 - 1e-6, 1e-6]], np.float32)
    exact = float(2 * (1 - mpmath.sqrt(mpmath.mpf(float(p[0, 0])))))
    np.testing.assert_allclose(exact, 1.013279217865204e-06, rtol=1e-12)
    native = value(keras.losses.CategoricalGeneralizedCrossEntropy(reduction=None)(np.array([0]), p))
    np.testing.assert_allclose(native, [1.0728836e-06], rtol=1e-6)
    np.testing.assert_allclose(none("generalized_cross_entropy", p, np.array([0])), [exact], rtol=1e-6)


def test_generalized_ce_keras_restricts_q() -> None:
    """measured: Keras raises for q outside (0, 1), so q = 1 (the MAE end) is lossport's only."""
    keras = framework("keras")
    with pytest.raises(ValueError, match="q must be in the interval"):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=1.0)


# ---------------------------------------------------------------------------------------------------------------
# sparsemax


def _projection_simplex(z: np.ndarray) -> np.ndarray:
    s = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    support = 1 + k * s > np.cumsum(s, axis=-1)
    tau = (np.sum(np.where(support, s, 0.0), -1, keepdims=True) - 1) / support.sum(-1, keepdims=True)
    return np.clip(z - tau, 0.0, None)


def test_sparsemax_hand_values() -> None:
    """hand: z = [1, .5, -1]: support {0, 1}, τ = (1.5 − 1)/2 = 0.25, p = [.75, .25, 0]; loss = <p, z> − z_y +
    ½(1 − ‖p‖²) = .875 − z_y + .1875: y = 0 → .0625, y = 1 → .5625, y = 2 → 2.0625. z = [2, 0, 0]: p = e_0,
    loss = 2 − z_y: 0, 2, 2."""
    z = np.array([[1.0, 0.5, -1.0]] * 3 + [[2.0, 0.0, 0.0]] * 3)
    y = np.array([0, 1, 2, 0, 1, 2])
    np.testing.assert_allclose(none("sparsemax", z, y), [0.0625, 0.5625, 2.0625, 0.0, 2.0, 2.0], rtol=1e-14)
    np.testing.assert_allclose(none("sparsemax", z + 100.0, y), none("sparsemax", z, y), rtol=1e-13)  # shift


def test_sparsemax_binary_form() -> None:
    """hand: s(x) = 0 below −1, (x + 1)²/4 on [−1, 1], x above 1; y = 1 → s(−x), y = 0 → s(x); a soft label y
    subtracts y(1 − y) and is 0 where sparse_sigmoid(x) = (x + 1)/2 equals y. It is the two-class case on [0, x]."""
    x = np.array([0.0, 0.5, 3.0, -3.0, 0.5, 0.5])
    y = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.75])
    # the last: 0.25 · s(0.5) + 0.75 · s(−0.5) − 0.75 · 0.25 = 0.140625 + 0.046875 − 0.1875 = 0, as
    # sparse_sigmoid(0.5) = 0.75 is the label
    expected = [0.25, 0.0625, 0.0, 3.0, 0.5625, 0.0]
    np.testing.assert_allclose(none("sparsemax", x, y), expected, rtol=1e-14, atol=1e-16)
    two = np.stack([np.zeros_like(x[:5]), x[:5]], axis=-1)
    np.testing.assert_allclose(none("sparsemax", two, y[:5].astype(np.int64)), expected[:5], rtol=1e-14)
    # the trap: one-hot float labels take the binary (multi-label) form, integer labels the multiclass one
    z, onehot = np.array([[1.0, 0.5, -1.0]]), np.array([[0.0, 1.0, 0.0]])
    assert float(lossport.sparsemax(z, onehot)) != float(lossport.sparsemax(z, np.array([1])))


def test_sparsemax_small_loss_is_accurate() -> None:
    """mpmath: two classes at d = z0 − z1 = 1 − 2δ, y = 0: p = [1 − δ, δ], loss = δ² (= (1 − d)²/4)."""
    z = np.array([[0.0, -(1 - 2e-6)]])
    d = mpmath.mpf(0) - mpmath.mpf(z[0, 1])
    exact = float((1 - d) ** 2 / 4)
    np.testing.assert_allclose(none("sparsemax", z, np.array([0])), [exact], rtol=1e-8)


def test_sparsemax_optax_cancels_near_zero() -> None:
    """measured: optax forms ``<p, z − z_y> + ½(1 − ‖p‖²)`` by subtraction: on the case above in float64 it gives
    9.9996661e-13 for the exact 9.99999999946e-13 (3.3e-5 relative); lossport 1e-12 to 1e-8. The anchor forgives
    ``4·eps·(max |z| + 1)`` (``cancels``)."""
    optax = framework("optax")
    z = np.array([[0.0, -(1 - 2e-6)]])
    native = np.asarray(optax.losses.multiclass_sparsemax_loss(z, np.array([0])))
    np.testing.assert_allclose(native, [9.9996661e-13], rtol=1e-7)


def test_sparsemax_gradient_is_p_minus_onehot() -> None:
    """hand: the Fenchel–Young gradient is sparsemax(z) − onehot(y), by JAX and torch autodiff of the sort-based
    projection (away from ties and support changes)."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(6, 5))
    y = rng.integers(0, 5, size=6)
    expected = _projection_simplex(z) - np.eye(5)[y]
    if "jax" in BACKENDS:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        g = jax.grad(lambda v: lossport.sparsemax(v, jnp.asarray(y), reduction="sum"))(jnp.asarray(z))
        np.testing.assert_allclose(np.asarray(g), expected, atol=1e-14)
    if "torch" in BACKENDS:
        import torch

        t = torch.from_numpy(z).requires_grad_(True)
        lossport.sparsemax(t, torch.from_numpy(y), reduction="sum").backward()
        np.testing.assert_allclose(t.grad.numpy(), expected, atol=1e-14)


def test_sparsemax_binary_matches_optax_gradient() -> None:
    """measured: optax's sparsemax_loss and its JAX gradient, on the binary form (away from |x| = 1)."""
    optax = framework("optax")
    import jax
    import jax.numpy as jnp

    x = jnp.array([-2.5, -0.4, 0.3, 0.8, 1.7, -1.3])
    y = jnp.array([1, 0, 1, 0, 0, 1])
    native = jax.grad(lambda v: jnp.sum(optax.losses.sparsemax_loss(v, y)))(x)
    mine = jax.grad(lambda v: lossport.sparsemax(v, y.astype(v.dtype), reduction="sum"))(x)
    np.testing.assert_allclose(np.asarray(mine), np.asarray(native), rtol=1e-14)
    np.testing.assert_allclose(none("sparsemax", np.asarray(x), np.asarray(y, np.float64)),
                               np.asarray(optax.losses.sparsemax_loss(x, y)), rtol=1e-14)


@SETTINGS
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=6), st.data())
def test_sparsemax_properties(z: list[float], data: st.DataObject) -> None:
    """Non-negative, 0 exactly when p = onehot(y) (the label's score leads the next by at least 1), shift-invariant."""
    z = np.array([z])
    y = np.array([data.draw(st.integers(0, z.shape[-1] - 1))])
    loss = float(lossport.sparsemax(z, y))
    assert loss >= 0.0
    others = np.delete(z[0], y[0])
    if z[0, y[0]] - others.max() >= 1.001:
        assert loss == 0.0
    elif z[0, y[0]] - others.max() < 0.999:
        assert loss > 0.0
    assert float(lossport.sparsemax(z + 7.0, y)) == pytest.approx(loss, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# ordinal


def test_ordinal_hand_values() -> None:
    """hand: K = 4, x = [log 3, 0, −log 3]; softplus(±log 3) = log 4, log(4/3); softplus(0) = log 2.
    rank 0, targets [0,0,0]: log 4 + log 2 + log(4/3); rank 1, [1,0,0]: log(4/3) + log 2 + log(4/3);
    rank 2, [1,1,0]: log(4/3) + log 2 + log(4/3); rank 3, [1,1,1]: log(4/3) + log 2 + log 4."""
    x = np.array([[LOG3, 0.0, -LOG3]] * 4)
    ranks = np.array([0, 1, 2, 3])
    l4 = math.log(4)
    expected = [l4 + LOG2 + LOG43, 2 * LOG43 + LOG2, 2 * LOG43 + LOG2, LOG43 + LOG2 + l4]
    np.testing.assert_allclose(none("ordinal", x, ranks), expected, rtol=1e-14)
    # threshold weights multiply each threshold's term
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(none("ordinal", x[:1], ranks[1:2], threshold_weights=w),
                               [LOG43 + 2 * LOG2 + 3 * LOG43], rtol=1e-14)
    np.testing.assert_allclose(none("ordinal", x.T.copy(), ranks, axis=0), expected, rtol=1e-14)
    # mean over samples
    np.testing.assert_allclose(float(lossport.ordinal(x, ranks)), np.mean(expected), rtol=1e-14)


def test_ordinal_is_coral_sum_of_bce() -> None:
    """CORAL's definition: Σ_k BCE-with-logits(x_k, [r > k]), summed over thresholds (not averaged)."""
    rng = np.random.default_rng(6)
    x, r = rng.normal(scale=2, size=(5, 6)), rng.integers(0, 7, size=5)
    levels = (r[:, None] > np.arange(6)).astype(np.float64)
    expected = none("binary_cross_entropy_with_logits", x, levels).sum(-1)
    np.testing.assert_allclose(none("ordinal", x, r), expected, rtol=1e-14)


@SETTINGS
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=6))
def test_ordinal_properties(x: list[float]) -> None:
    """Non-negative; the rank step ``loss(r + 1) − loss(r) = −x_r``; with decreasing (rank-consistent) logits, the
    loss grows with the distance from the predicted rank ``r̂ = #{k : x_k > 0}`` on either side."""
    x = np.array(x)
    k = x.size
    ranks = np.arange(k + 1)
    loss = none("ordinal", np.tile(x, (k + 1, 1)), ranks)
    assert np.all(loss >= 0)
    assert np.all(np.abs(np.diff(loss) + x) <= 1e-12 * (1 + np.abs(loss[:-1]))), (np.diff(loss), -x)
    ordered = np.sort(x)[::-1]
    loss = none("ordinal", np.tile(ordered, (k + 1, 1)), ranks)
    predicted = int(np.sum(ordered > 0))
    tol = 1e-12 * (1 + np.abs(loss))
    assert np.all(np.diff(loss[predicted:]) >= -tol[predicted + 1:])  # above r̂: non-decreasing
    assert np.all(np.diff(loss[:predicted + 1]) <= tol[1:predicted + 1])  # below r̂: non-increasing
    assert loss[predicted] == pytest.approx(loss.min(), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("margin", [10.0, 30.0, 100.0])
def test_ordinal_confident_correct_prediction_tends_to_zero(margin: float) -> None:
    """hand: x_k = +m below the rank and −m from it: each term is softplus(−m) = log1p(e^−m), so the loss is
    (K − 1)·log1p(e^−m) → 0 (4.54e-5·4 at m = 10, 3.7e-43·4 at m = 100), with full relative accuracy."""
    rank = 2
    x = np.where(np.arange(4) < rank, margin, -margin)[None, :]
    np.testing.assert_allclose(none("ordinal", x, np.array([rank])), [4 * math.log1p(math.exp(-margin))],
                               rtol=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# Bad input, on NumPy and torch


BAD_BACKENDS = [b for b in ("numpy", "torch") if b in BACKENDS]


@pytest.fixture(params=BAD_BACKENDS)
def backend(request) -> str:
    return request.param


def arr(backend: str, v, dtype: str = "float32"):
    return parity.convert(backend, np.asarray(v), dtype, device_for(backend))


def test_bad_focal_knobs(backend: str) -> None:
    x, y = arr(backend, [0.5, -0.5]), arr(backend, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1\]; got 1.5"):
        lossport.sigmoid_focal(x, y, alpha=1.5)
    with pytest.raises(ValueError, match=r"`alpha` must be non-negative and finite; got -0.1"):
        lossport.sigmoid_focal(x, y, alpha=-0.1)
    with pytest.raises(ValueError, match=r"`gamma` must be non-negative and finite; got -1.0"):
        lossport.sigmoid_focal(x, y, gamma=-1.0)
    with pytest.raises(TypeError, match=r"`gamma` must be a Python number or a 0-D array; got str"):
        lossport.sigmoid_focal(x, y, gamma="2")
    with pytest.raises(ValueError, match=r"`labels` must be probabilities in \[0, 1\]; got 2.0"):
        lossport.sigmoid_focal(x, arr(backend, [1.0, 2.0]))
    with pytest.raises(TypeError, match=r"`logits` must have a real floating dtype"):
        lossport.sigmoid_focal(arr(backend, [1, 0], "int64"), y)
    z, q = arr(backend, [[0.5, -0.5, 0.0]]), arr(backend, [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"`alpha` must have shape \(3,\) \(one weight per class\); got \(2,\)"):
        lossport.categorical_focal(z, q, alpha=arr(backend, [1.0, 2.0]))
    with pytest.raises(TypeError, match=r"`alpha` must have a real floating dtype"):
        lossport.categorical_focal(z, q, alpha=arr(backend, [1, 2, 3], "int64"))
    with pytest.raises(ValueError, match=r"`alpha` must be positive and finite; got -0.25"):
        lossport.categorical_focal(z, q, alpha=-0.25)
    with pytest.raises(ValueError, match=r"`eps` must be positive and finite; got 0.0"):
        lossport.categorical_focal(z, q, eps=0.0)
    with pytest.raises(ValueError, match=r"`eps` must be in \(0, 0.5\); got 0.5"):
        lossport.categorical_focal(z, q, eps=0.5)
    with pytest.raises(ValueError, match=r"`eps` must be in \(0, 0.5\); got 0.5"):  # a concrete 0-D array too
        lossport.categorical_focal(z, q, eps=arr(backend, 0.5))
    with pytest.raises(ValueError, match=r"`alpha` must be positive and finite; got -0.25"):
        lossport.categorical_focal(z, q, alpha=arr(backend, -0.25))  # a 0-D alpha: a number, not class weights
    with pytest.raises(ValueError, match=r"`label_smoothing` must be in \[0, 1\]; got 1.5"):
        lossport.categorical_focal(z, q, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"same shape; got \(1, 3\) and \(1, 2\)"):
        lossport.categorical_focal(z, arr(backend, [[1.0, 0.0]]))


def test_bad_poly1_and_gce(backend: str) -> None:
    z, q = arr(backend, [[0.5, -0.5]]), arr(backend, [[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"`epsilon` must be finite; got inf"):
        lossport.poly1_cross_entropy(z, q, epsilon=math.inf)
    with pytest.raises(TypeError, match=r"`epsilon` must be a Python number or a 0-D array; got NoneType"):
        lossport.poly1_cross_entropy(z, q, epsilon=None)
    p = arr(backend, [[0.3, 0.7], [0.6, 0.4]])
    labels = arr(backend, [0, 1], "int64")
    with pytest.raises(ValueError, match=r"`q` must be positive and finite; got 0.0"):
        lossport.generalized_cross_entropy(p, labels, q=0.0)
    with pytest.raises(ValueError, match=r"`q` must be in \(0, 1\]; got 1.5"):
        lossport.generalized_cross_entropy(p, labels, q=1.5)
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        lossport.generalized_cross_entropy(p, arr(backend, [0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 2\); got 2"):
        lossport.generalized_cross_entropy(p, arr(backend, [0, 2], "int64"))
    with pytest.raises(ValueError, match=r"`probabilities` must be probabilities in \[0, 1\]; got -0.5"):
        lossport.generalized_cross_entropy(arr(backend, [[1.5, -0.5], [0.6, 0.4]]), labels)


def test_bad_brier_and_multilabel(backend: str) -> None:
    p = arr(backend, [[0.3, 0.7], [0.6, 0.4]])
    with pytest.raises(ValueError, match=r"`probabilities` must be probabilities in \[0, 1\]; got 1.5"):
        lossport.brier_score(arr(backend, [0.5, 1.5]), arr(backend, [1.0, 0.0]))
    with pytest.raises(ValueError, match=r"`labels` must be probabilities in \[0, 1\]; got -1.0"):
        lossport.brier_score(arr(backend, [0.5, 0.5]), arr(backend, [1.0, -1.0]))
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        lossport.brier_score(p, arr(backend, [0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 2\); got 3"):
        lossport.brier_score(p, arr(backend, [3, 0], "int64"))
    with pytest.raises(ValueError, match=r"same shape; got \(2, 2\) and \(2, 3\)"):
        lossport.brier_score(p, arr(backend, [[0.0, 1.0, 0.0]] * 2))
    x, y = arr(backend, [[0.5, -0.5]]), arr(backend, [[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"`class_weights` must have shape \(2,\) \(one weight per class\)"):
        lossport.multilabel_soft_margin(x, y, class_weights=arr(backend, [1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=r"`class_weights` must have a real floating dtype"):
        lossport.multilabel_soft_margin(x, y, class_weights=arr(backend, [1, 2], "int64"))
    with pytest.raises(TypeError, match=r"`class_weights` must be an array.*got list"):
        lossport.multilabel_soft_margin(x, y, class_weights=[1.0, 2.0])


def test_bad_sparsemax_and_ordinal(backend: str) -> None:
    z = arr(backend, [[0.5, -0.5, 0.0], [0.1, 0.2, 0.3]])
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        lossport.sparsemax(z, arr(backend, [0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 3\); got -1"):
        lossport.sparsemax(z, arr(backend, [0, -1], "int64"))
    with pytest.raises(ValueError, match=r"`labels` must be probabilities in \[0, 1\]; got 2.0"):
        lossport.sparsemax(arr(backend, [0.5, 0.1]), arr(backend, [2.0, 0.0]))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(2, 2\)"):
        lossport.sparsemax(arr(backend, [[[0.5, 0.1]] * 2] * 2), arr(backend, [[0, 1]], "int64"))
    x = arr(backend, [[2.0, 0.0, -2.0]] * 2)  # K = 4 ranks
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 4\); got 4"):
        lossport.ordinal(x, arr(backend, [0, 4], "int64"))
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 4\); got -1"):
        lossport.ordinal(x, arr(backend, [-1, 3], "int64"))
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        lossport.ordinal(x, arr(backend, [0.0, 3.0]))
    with pytest.raises(TypeError, match=r"`logits` must have a real floating dtype"):
        lossport.ordinal(arr(backend, [[2, 0, -2]], "int64"), arr(backend, [0], "int64"))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(2,\)"):
        lossport.ordinal(x, arr(backend, [0, 1, 2], "int64"))
    with pytest.raises(ValueError, match=r"`threshold_weights` must have shape \(3,\) \(one weight per threshold\)"):
        lossport.ordinal(x, arr(backend, [0, 3], "int64"), threshold_weights=arr(backend, [1.0, 2.0]))
    with pytest.raises(ValueError, match=r"`axis` must be in \[-2, 2\)"):
        lossport.ordinal(x, arr(backend, [0, 3], "int64"), axis=2)


# -- z-loss (CATALOG.md, Catalog II) ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_sparse_z_loss_adds_the_squared_log_partition(backend: str) -> None:
    """``z_loss·lse²`` per row (PaLM; Liger Kernel's and OLMo's definition), scaled by the row's class weight,
    nothing for an ignored row: against a float64 reference computed here with scipy's logsumexp."""
    from scipy.special import logsumexp

    rng = np.random.default_rng(3)
    z = rng.normal(scale=3.0, size=(6, 5))
    y = np.array([0, 4, -100, 2, 1, 3])
    cw = rng.uniform(0.5, 2.0, size=5)
    keep = y != -100
    lse = logsumexp(z, axis=-1)
    ce = lse - z[np.arange(6), np.where(keep, y, 0)]
    expected = np.where(keep, cw[np.where(keep, y, 0)] * (ce + 0.01 * lse**2), 0.0)
    def arr(a: np.ndarray) -> object:
        return parity.convert(backend, a, "float64" if a.dtype.kind == "f" else "int64", device_for(backend))

    kwargs = {"z_loss": 0.01, "ignore_index": -100, "class_weights": arr(cw)}
    got = lossport.sparse_softmax_cross_entropy(arr(z), arr(y), reduction="none", **kwargs)
    np.testing.assert_allclose(value(got), expected, rtol=1e-12)
    mean = lossport.sparse_softmax_cross_entropy(arr(z), arr(y), **kwargs)
    np.testing.assert_allclose(float(value(mean)), expected.sum() / cw[y[keep]].sum(), rtol=1e-12)


def test_z_loss_must_be_non_negative() -> None:
    with pytest.raises(ValueError, match="z_loss"):
        lossport.sparse_softmax_cross_entropy(np.zeros((1, 2)), np.array([0]), z_loss=-1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_soft_z_loss_adds_the_squared_log_partition(backend: str) -> None:
    """The same term on soft labels, outside label smoothing: against scipy's logsumexp in float64."""
    from scipy.special import log_softmax as scipy_log_softmax
    from scipy.special import logsumexp

    rng = np.random.default_rng(4)
    z, q = rng.normal(scale=3.0, size=(4, 5)), rng.dirichlet(np.ones(5), size=4)
    smoothed = 0.9 * q + 0.1 / 5
    expected = -(smoothed * scipy_log_softmax(z, axis=-1)).sum(-1) + 0.02 * logsumexp(z, axis=-1) ** 2

    def arr(a: np.ndarray) -> object:
        return parity.convert(backend, a, "float64", device_for(backend))

    got = lossport.softmax_cross_entropy(arr(z), arr(q), z_loss=0.02, label_smoothing=0.1, reduction="none")
    np.testing.assert_allclose(value(got), expected, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# class weights with labels of more than one dimension (segmentation, sequences)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("loss", ["sparse_softmax_cross_entropy", "nll"])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_class_weights_with_multidimensional_labels(backend: str, loss: str, dtype: str) -> None:
    """(N, d) labels with class weights: torch's ``take`` wants 1-D indices and raised (issue 10). Expected, by
    hand in NumPy float64: ``ℓ = −w_y·log p_y`` per entry, and their mean ``Σ ℓ / Σ w_y`` (torch's convention)."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3, 4, 5))
    if loss == "nll":
        z = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # log-probabilities
    y = rng.integers(0, 5, size=(3, 4))
    cw = np.array([0.5, 1.0, 2.0, 0.25, 1.5])
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    expected = -cw[y] * np.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]

    def on(a: np.ndarray, kind: str) -> object:
        return parity.convert(backend, a, kind, device_for(backend))

    args = (on(z, "float64"), on(y, dtype))
    got = getattr(lossport, loss)(*args, class_weights=on(cw, "float64"), reduction="none")
    np.testing.assert_allclose(value(got), expected, rtol=1e-12)
    got = getattr(lossport, loss)(*args, class_weights=on(cw, "float64"))
    np.testing.assert_allclose(value(got), expected.sum() / cw[y].sum(), rtol=1e-12)
