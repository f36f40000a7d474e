"""The embedding, metric-learning and ranking losses: literal values, the conventions where the anchors differ,
edge cases (zero vectors, samples without positives or negatives, padded lists), properties, and bad input.

Where each number comes from: "by hand" values are derived in the docstring or comment beside them; "traps.md
Tn" is docs/traps.md's trap Tn; "measured" numbers were measured with torch 2.13, Keras 3.15
(TF backend) and optax 0.2.8 on CPU, and are re-measured here wherever the framework is installed. The parity of
every case with the native anchors is tests/test_anchors.py's business (backends/parity/anchors/embedding.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from lossport.backends import parity
from support import BACKENDS, device_for, framework, value

import lossport

F32 = np.float32


# ---------------------------------------------------------------------------------------------------------------
# Pairs: cosine_embedding, hinge_embedding, margin_ranking


def test_cosine_embedding_by_hand() -> None:
    """Rows: cos 1/√2 with y = 1 gives 1 − 1/√2 = 0.2928932188134524; cos 1/√2 with y = −1, margin 0.5 gives
    1/√2 − 0.5 = 0.20710678118654757; cos −1/√2 with y = −1 gives 0 (below the margin). ε = 1e-12 moves these
    by ~1e-12 (relative), hence rtol 1e-11."""
    x1 = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    x2 = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    y = np.array([1, -1, -1])
    out = lossport.cosine_embedding(x1, x2, y, margin=0.5, reduction="none")
    np.testing.assert_allclose(out, [1 - 0.5**0.5, 0.5**0.5 - 0.5, 0.0], rtol=1e-11, atol=0)
    assert float(lossport.cosine_embedding(x1, x2, y, margin=0.5, reduction="sum")) == pytest.approx(
        1 - 0.5, rel=1e-11, abs=0)


def test_cosine_embedding_zero_vector_matches_torch() -> None:
    """traps.md T14: a zero vector has cosine 0 (torch adds ε = 1e-12 to each squared norm): loss 1 for y = 1
    and 0 for y = −1 (margin 0); torch gives the same. Gradients stay finite (x2's is 0: cos does not depend on
    it while x1 = 0)."""
    x1 = np.zeros((2, 3))
    x2 = np.array([[1.0, 2.0, 2.0], [1.0, 2.0, 2.0]])
    y = np.array([1, -1])
    np.testing.assert_allclose(lossport.cosine_embedding(x1, x2, y, reduction="none"), [1.0, 0.0], rtol=1e-15)
    torch = framework("torch")
    t1, t2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    native = torch.nn.functional.cosine_embedding_loss(t1, t2, torch.tensor(y), reduction="none")
    np.testing.assert_allclose(value(native), [1.0, 0.0], rtol=1e-15)
    mine = lossport.cosine_embedding(t1, t2, torch.tensor(y), reduction="sum")
    g1, g2 = torch.autograd.grad(mine, (t1, t2))
    assert torch.isfinite(g1).all() and torch.isfinite(g2).all()
    np.testing.assert_allclose(value(g2), 0.0, atol=1e-12)


def test_cosine_embedding_eps_is_torchs() -> None:
    """ε = 1e-12 on each squared norm, as torch: x1 = (1e-7, 0), x2 = (1, 0), y = 1 give cos = 1e-7 /
    sqrt((1e-14 + ε)(1 + ε)) = 0.0995037…, a loss of 0.9004962809790509 (by hand); a smaller ``eps`` moves it
    toward the exact 0. torch's ε is a C++ ``float``, 1e-12 rounded to float32 = 9.999999960041972e-13: it gives
    0.9004962807822205 in float64 (measured; 2e-10 away), which ``eps=float(np.float32(1e-12))`` reproduces.
    The difference is ~ε/‖x‖² relative, below float32's resolution unless a norm is below ~1e-3."""
    x1, x2, y = np.array([[1e-7, 0.0]]), np.array([[1.0, 0.0]]), np.array([1])
    expected = 1 - 1e-7 / math.sqrt(1.01e-12 * (1 + 1e-12))
    assert float(lossport.cosine_embedding(x1, x2, y)) == pytest.approx(expected, rel=1e-12, abs=0)
    assert float(lossport.cosine_embedding(x1, x2, y, eps=1e-30)) == pytest.approx(0.0, abs=1e-12)
    torch_eps = float(np.float32(1e-12))
    torch_value = 1 - 1e-7 / math.sqrt((1e-14 + torch_eps) * (1 + torch_eps))
    assert torch_value == pytest.approx(0.9004962807822205, rel=1e-14, abs=0)
    assert float(lossport.cosine_embedding(x1, x2, y, eps=torch_eps)) == pytest.approx(torch_value, rel=1e-14, abs=0)
    torch = framework("torch")
    native = torch.nn.functional.cosine_embedding_loss(*(torch.tensor(a) for a in (x1, x2, y)))
    assert value(native) == pytest.approx(torch_value, rel=1e-14, abs=0)


def test_cosine_embedding_nearly_parallel_keeps_its_tiny_loss() -> None:
    """x1 = (1, 0), x2 = (1, 1e-4) in float32: 1 − cos = 5.000999709868758e-09 (mpmath, 50 digits, with
    torch's ε = 1e-12; the float32 inputs are exact but 1e-4 → 9.99999974737875e-05). lossport forms it as
    ½‖u − v‖² + the ε terms and gets it to 1e-7; torch's ``1 − cos`` rounds it to 0 in float32 (measured)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    x1, x2, y = np.array([[1.0, 0.0]], F32), np.array([[1.0, 1e-4]], F32), np.array([1])
    b = mpmath.mpf(float(x2[0, 1]))
    exact = float(1 - 1 / mpmath.sqrt((1 + mpmath.mpf(1e-12)) * (1 + b * b + mpmath.mpf(1e-12))))
    assert exact == pytest.approx(5.000999709868758e-09, rel=1e-12, abs=0)
    mine = lossport.cosine_embedding(x1, x2, y)
    assert mine.dtype == F32
    assert float(mine) == pytest.approx(exact, rel=1e-6, abs=0)
    assert float(lossport.cosine_embedding(x1.astype(np.float64), x2.astype(np.float64), y)) == pytest.approx(
        exact, rel=1e-9, abs=0)
    torch = framework("torch")
    native = torch.nn.functional.cosine_embedding_loss(*(torch.tensor(a) for a in (x1, x2, y)))
    assert value(native) == 0.0


def test_hinge_embedding_by_hand_and_torch() -> None:
    """x for y = 1, max(0, m − x) for y = −1: distances [0.3, 2, 0.5], labels [1, −1, −1], m = 1 give
    [0.3, 0, 0.5] (mean 0.26666…); m = 2.5: [0.3, 0.5, 2.0]. torch agrees (measured)."""
    d, y = np.array([0.3, 2.0, 0.5]), np.array([1.0, -1.0, -1.0])
    np.testing.assert_allclose(lossport.hinge_embedding(d, y, reduction="none"), [0.3, 0.0, 0.5], rtol=1e-15)
    np.testing.assert_allclose(lossport.hinge_embedding(d, y, margin=2.5, reduction="none"), [0.3, 0.5, 2.0],
                               rtol=1e-15)
    assert float(lossport.hinge_embedding(d, y)) == pytest.approx(0.8 / 3, rel=1e-15, abs=0)
    torch = framework("torch")
    native = torch.nn.functional.hinge_embedding_loss(torch.tensor(d), torch.tensor(y))
    assert value(native) == pytest.approx(0.8 / 3, rel=1e-15, abs=0)


def test_margin_ranking_by_hand_and_torch() -> None:
    """max(0, −y(x1 − x2) + m), m = 0.1: (0.3, 0.5, y = 1) gives 0.2 + 0.1 = 0.3; (2, 1, y = −1) gives 1.1;
    (2, 1, y = 1) gives max(0, −0.9) = 0. torch agrees (measured)."""
    x1, x2, y = np.array([0.3, 2.0, 2.0]), np.array([0.5, 1.0, 1.0]), np.array([1, -1, 1])
    np.testing.assert_allclose(lossport.margin_ranking(x1, x2, y, margin=0.1, reduction="none"), [0.3, 1.1, 0.0],
                               rtol=1e-15)
    torch = framework("torch")
    native = torch.nn.functional.margin_ranking_loss(
        torch.tensor(x1), torch.tensor(x2), torch.tensor(y, dtype=torch.float64), margin=0.1, reduction="none")
    np.testing.assert_allclose(value(native), [0.3, 1.1, 0.0], rtol=1e-15)


# ---------------------------------------------------------------------------------------------------------------
# Triplets: torch's and optax's eps


TRIPLET = (np.zeros((1, 2)), np.array([[3.0, 4.0]]), np.array([[0.0, 10.0]]))


def test_triplet_margin_by_hand() -> None:
    """eps = 0: anchors 0, positives (3, 4), negatives (0, 1) and (0, 3): 1 + 5 − 1 = 5, and max(0, 1 + 1 − 3) =
    0 with positive (1, 0); p = 1: 1 + 7 − 1 = 7."""
    a = np.zeros((2, 2))
    pos, neg = np.array([[3.0, 4.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [0.0, 3.0]])
    np.testing.assert_array_equal(lossport.triplet_margin(a, pos, neg, eps=0.0, reduction="none"), [5.0, 0.0])
    np.testing.assert_array_equal(lossport.triplet_margin(a, pos, neg, p=1, eps=0.0, reduction="none"), [7.0, 0.0])
    # swap: d(p, n) = ‖(3, 3)‖ = 4.2426 > d(a, n) = 1 in row 1; row 2: d(p, n) = √10 = 3.1623 > 3: no change
    np.testing.assert_array_equal(lossport.triplet_margin(a, pos, neg, eps=0.0, swap=True, reduction="none"),
                                  [5.0, 0.0])
    # swap with the positive nearer the negative: d(p, n) = 0.5 replaces d(a, n) = 2: 1 + 2.5 − 0.5 = 3
    a, pos, neg = np.array([[0.0]]), np.array([[2.5]]), np.array([[2.0]])
    np.testing.assert_array_equal(lossport.triplet_margin(a, pos, neg, eps=0.0, swap=True, reduction="none"),
                                  [3.0])


def test_triplet_margin_eps_conventions() -> None:
    """torch adds eps to the difference, optax to the sum of squares. Anchor 0, positive (3, 4), negative (0, 10),
    margin 6, eps 1e-6, by hand to O(1e-12): torch d(a, p) = √((3 − ε)² + (4 − ε)²) ≈ 5 − 1.4e-6 and
    d(a, n) ≈ 10 − 1e-6, so 1 − 4e-7 = 0.9999996; optax d(a, p) = √(25 + ε) ≈ 5 + 1e-7, d(a, n) ≈ 10 + 5e-8, so
    1 + 5e-8 = 1.00000005. ``eps_in="sum"`` gives optax's; torch's and optax's own calls agree (measured)."""
    a, p, n = TRIPLET
    torch_like = lossport.triplet_margin(a, p, n, margin=6.0, reduction="none")
    optax_like = lossport.triplet_margin(a, p, n, margin=6.0, eps_in="sum", reduction="none")
    np.testing.assert_allclose(torch_like, [0.9999996], rtol=1e-11)
    np.testing.assert_allclose(optax_like, [1.00000005], rtol=1e-11)
    torch = framework("torch")
    native = torch.nn.functional.triplet_margin_loss(*(torch.tensor(x) for x in TRIPLET), margin=6.0,
                                                     reduction="none")
    np.testing.assert_allclose(value(native), torch_like, rtol=1e-14)
    optax = framework("optax")
    np.testing.assert_allclose(value(optax.losses.triplet_margin_loss(a, p, n, margin=6.0)), optax_like, rtol=1e-14)


def test_optax_triplet_p1_has_no_abs() -> None:
    """traps.md T16 (other numbers): optax's ``norm_degree=1`` sums the signed differences. Anchor 0, positive
    (1, −1), negative (1, 1): optax d(a, p) = (−1 + 1) + ε = 1e-6 and d(a, n) = −2 + ε, so 1 + 1e-6 + 2 − 1e-6 …
    = 3.000001 − ε ≈ 3 (measured 3.0); the L1 distances are 2 and 2 − 2ε (torch's ε in the difference), so
    torch and lossport give 1 + 2 − (2 − 2e-6) = 1.000002. The optax anchor runs at p = 2 only."""
    a, p, n = np.zeros((1, 2)), np.array([[1.0, -1.0]]), np.array([[1.0, 1.0]])
    mine = lossport.triplet_margin(a, p, n, p=1, reduction="none")
    np.testing.assert_allclose(mine, [1.000002], rtol=1e-12)
    torch = framework("torch")
    native = torch.nn.functional.triplet_margin_loss(*(torch.tensor(x) for x in (a, p, n)), p=1, reduction="none")
    np.testing.assert_allclose(value(native), mine, rtol=1e-14)
    optax = framework("optax")
    np.testing.assert_allclose(value(optax.losses.triplet_margin_loss(a, p, n, norm_degree=1)), [3.0], rtol=1e-5)


def test_triplet_margin_zero_distance_has_a_finite_gradient() -> None:
    """eps = 0 and the positive equal to the anchor: distance 0, whose root has an infinite derivative; the safe
    root gives the gradient 0 there. Negative at distance 2 along the second axis, margin 3: loss 3 + 0 − 2 = 1,
    gradient −∂d(a, n)/∂a = −(a − n)/‖a − n‖ = (0, 1), for p = 2 and p = 1.5 alike (by hand)."""
    torch = framework("torch")
    a = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    p = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    n = torch.tensor([[1.0, 4.0]], dtype=torch.float64)
    for degree in (2, 1.5):
        loss = lossport.triplet_margin(a, p, n, margin=3.0, eps=0.0, p=degree)
        assert float(loss.detach()) == pytest.approx(1.0, rel=1e-15, abs=0)
        (g,) = torch.autograd.grad(loss, a)
        np.testing.assert_allclose(value(g), [[0.0, 1.0]], rtol=1e-15, atol=1e-15)


# ---------------------------------------------------------------------------------------------------------------
# NT-Xent


def test_ntxent_by_hand_and_optax() -> None:
    """Embeddings (2, 0), (1, 0), (0, 3), (0, 1), labels [0, 0, 1, 1], τ = 1: every anchor has one positive at
    cosine 1 and two negatives at 0, so ℓ = −log(e / (e + 2)) = log(1 + 2/e) = 0.5514447139320511 (by hand);
    "none" gives it per anchor; optax agrees. At τ = 0.5: log(1 + 2e⁻²) = 0.23954622..."""
    e, y = np.array([[2.0, 0.0], [1.0, 0.0], [0.0, 3.0], [0.0, 1.0]]), np.array([0, 0, 1, 1])
    np.testing.assert_allclose(lossport.ntxent(e, y, temperature=1.0, reduction="none"),
                               [math.log1p(2 / math.e)] * 4, rtol=1e-15)
    assert float(lossport.ntxent(e, y, temperature=0.5)) == pytest.approx(math.log1p(2 * math.exp(-2)), rel=1e-15, abs=0)
    optax = framework("optax")
    assert value(optax.losses.ntxent(e, y, temperature=1.0)) == pytest.approx(math.log1p(2 / math.e), rel=1e-14, abs=0)


def test_ntxent_groups_none_sums_over_positives() -> None:
    """Labels [0, 0, 0, 1] with embeddings (1, 0), (1, 0), (0, 1), (0, 1), τ = 1: anchor 0 has positives 1
    (cosine 1) and 2 (cosine 0) and negative 3 (cosine 0): ℓ_01 = log(1 + e⁰/e¹) = log(1 + 1/e) and
    ℓ_02 = log(1 + e⁰/e⁰) = log 2; "none" gives their sum; anchor 3 has no positive: 0. "mean" divides the total
    by the 6 positive pairs (optax's mean; measured equal)."""
    e, y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), np.array([0, 0, 0, 1])
    l_near, l_far = math.log1p(1 / math.e), math.log(2.0)  # positive at cosine 1 / at cosine 0, negative at 0
    l_2 = 2 * math.log1p(math.e)  # anchor 2: positives 0, 1 at cosine 0, negative 3 at cosine 1: log(1 + e) each
    expected = [l_near + l_far, l_near + l_far, l_2, 0.0]
    np.testing.assert_allclose(lossport.ntxent(e, y, temperature=1.0, reduction="none"), expected, rtol=1e-15)
    total = sum(expected)
    assert float(lossport.ntxent(e, y, temperature=1.0, reduction="sum")) == pytest.approx(total, rel=1e-15, abs=0)
    assert float(lossport.ntxent(e, y, temperature=1.0)) == pytest.approx(total / 6, rel=1e-15, abs=0)
    optax = framework("optax")
    assert value(optax.losses.ntxent(e, y, temperature=1.0)) == pytest.approx(total / 6, rel=1e-14, abs=0)


def test_ntxent_tiny_loss_is_accurate_at_temperature_007() -> None:
    """Two pairs of antipodal groups at τ = 0.07: ℓ = log1p(2·e^(−2/0.07)) = 7.809374086400008e-13 (by hand);
    lossport keeps it to 1e-14 relative; optax forms ``s − log(Σ e^s)`` and gets 7.809308755210302e-13, off by
    8e-6 relative (measured)."""
    e, y = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]]), np.array([0, 0, 1, 1])
    exact = math.log1p(2 * math.exp(-2 / 0.07))
    assert float(lossport.ntxent(e, y)) == pytest.approx(exact, rel=1e-14, abs=0)
    optax = framework("optax")
    native = value(optax.losses.ntxent(e, y))
    assert native == pytest.approx(exact, rel=1e-4, abs=0) and native != pytest.approx(exact, rel=1e-6, abs=0)


def test_ntxent_without_positives_or_negatives() -> None:
    """No positive pair at all: the mean over no pair is NaN, as optax's 0/0; no negatives: every pair costs
    log 1 = 0 (optax −0.0). Gradients stay finite in both (the masked log-sum-exp's double where)."""
    e = np.array([[1.0, 0.0], [0.5, 0.5], [-1.0, 0.2], [0.3, -1.0]])
    with np.errstate(invalid="ignore"):
        assert math.isnan(float(lossport.ntxent(e, np.array([0, 1, 2, 3]))))
    np.testing.assert_array_equal(lossport.ntxent(e, np.array([0, 1, 2, 3]), reduction="none"), 0.0)
    assert float(lossport.ntxent(e, np.array([5, 5, 5, 5]))) == 0.0
    torch = framework("torch")
    x = torch.tensor(e, requires_grad=True)
    for labels in ([5, 5, 5, 5], [0, 0, 1, 2]):
        (g,) = torch.autograd.grad(lossport.ntxent(x, torch.tensor(labels), reduction="sum"), x)
        assert torch.isfinite(g).all()


# ---------------------------------------------------------------------------------------------------------------
# Circle


def test_circle_by_hand_and_keras() -> None:
    """Embeddings (1, 0), (1, 0), (0, 1), (0, 1), labels [0, 0, 1, 1], γ = 80, m = 0.4: the positive (d = 0) gives
    −γ·(m + 0)·(m − 0) = −12.8; each negative (d = 1) gives γ·(1 + m − 1)·(1 − m − 1) = −12.8, so
    ℓ = softplus(−12.8 + (−12.8 + log 2)) = log1p(2e^(−25.6)) = 1.5243730388909594e-11 per sample (by hand).
    Keras agrees (measured 1.5243730388909623e-11, float64)."""
    e, y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), np.array([0, 0, 1, 1])
    exact = math.log1p(2 * math.exp(-25.6))
    np.testing.assert_allclose(lossport.circle(e, y, reduction="none"), [exact] * 4, rtol=1e-13)
    keras = framework("keras")
    native = value(keras.losses.Circle(dtype="float64")(y, e))
    assert native == pytest.approx(exact, rel=1e-13, abs=0)


def test_circle_keras_mean_leaves_out_zero_losses() -> None:
    """Labels [0, 0, 1, 2]: samples 2 and 3 have no positive, so their loss is 0. With γ = 1 the others are
    softplus(−0.16 + (−0.16 + log 2)) = log(1 + 2e^(−0.32)) = 0.8970255743673397 (by hand, as above with γ = 1).
    Keras's default reduction masks the zero losses and divides by 2: 0.897026 (measured); lossport's mean
    divides by 4: 0.448513; ``where=`` the samples with a positive reproduces Keras."""
    e, y = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]), np.array([0, 0, 1, 2])
    each = math.log(1 + 2 * math.exp(-0.32))
    np.testing.assert_allclose(lossport.circle(e, y, gamma=1.0, reduction="none"), [each, each, 0.0, 0.0],
                               rtol=1e-15)
    assert float(lossport.circle(e, y, gamma=1.0)) == pytest.approx(each / 2, rel=1e-15, abs=0)
    keep = np.array([True, True, False, False])
    assert float(lossport.circle(e, y, gamma=1.0, where=keep)) == pytest.approx(each, rel=1e-15, abs=0)
    keras = framework("keras")
    assert value(keras.losses.Circle(gamma=1.0, dtype="float64")(y, e)) == pytest.approx(each, rel=1e-14, abs=0)


def test_circle_normalizes_unless_asked_not_to() -> None:
    """Keras's ``circle`` takes the embeddings as they are: scaling them changes its value. lossport normalises
    by default (scale-free, equal to Keras on the normalised embeddings); ``normalize=False`` equals Keras on the
    raw ones (measured)."""
    rng = np.random.default_rng(7)
    e, y = rng.normal(size=(6, 3)), np.array([0, 0, 1, 1, 2, 2])
    u = e / np.linalg.norm(e, axis=-1, keepdims=True)
    default = lossport.circle(e, y, reduction="none")
    np.testing.assert_allclose(lossport.circle(3.0 * e, y, reduction="none"), default, rtol=1e-12)
    keras = framework("keras")
    circle = keras.losses.Circle(gamma=8.0, margin=0.25, reduction=None, dtype="float64")
    raw = 0.4 * e
    np.testing.assert_allclose(lossport.circle(raw, y, gamma=8.0, margin=0.25, normalize=False, reduction="none"),
                               value(circle(y, raw)), rtol=1e-12)
    np.testing.assert_allclose(lossport.circle(raw, y, gamma=8.0, margin=0.25, reduction="none"),
                               value(circle(y, u)), rtol=1e-12)
    assert not np.allclose(value(circle(y, raw)), value(circle(y, u)))


def test_circle_gradient_finite_without_positives() -> None:
    """A sample without positives: its positive log-sum-exp is −inf and its loss 0, with finite gradients."""
    torch = framework("torch")
    x = torch.tensor([[1.0, 0.2], [0.9, 0.1], [0.1, 1.0], [-0.3, -1.0]], dtype=torch.float64, requires_grad=True)
    loss = lossport.circle(x, torch.tensor([0, 0, 1, 2]), reduction="sum")
    (g,) = torch.autograd.grad(loss, x)
    assert torch.isfinite(g).all()


# ---------------------------------------------------------------------------------------------------------------
# Ranking softmax


def test_ranking_softmax_by_hand() -> None:
    """Scores [1, 2, 3], relevance on item 3: −log softmax = log(1 + e⁻¹ + e⁻²) = 0.4076059644443804; scores
    [3, 1, (0)] with the third item padding and relevance [1, 0, (1)]: log(1 + e⁻²) = 0.1269280110429725."""
    s, r = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    keep = np.array([[True, True, True], [True, True, False]])
    expected = [math.log(1 + math.exp(-1) + math.exp(-2)), math.log1p(math.exp(-2))]
    np.testing.assert_allclose(lossport.ranking_softmax(s, r, where=keep, reduction="none"), expected, rtol=1e-15)
    # a (..., 1) mask drops whole lists; the mean is over the kept lists
    lists = np.array([[True], [False]])
    assert float(lossport.ranking_softmax(s, r, where=lists)) == pytest.approx(expected[0], rel=1e-15, abs=0)


def test_ranking_softmax_does_not_normalise_relevance() -> None:
    """optax's ``ranking_softmax_loss`` uses the relevance as given: scores [0, 0], relevance [2, 2] give
    −(2 log ½ + 2 log ½) = 4 log 2 = 2.772588722239781 (by hand; optax agrees, measured). ``normalize=True``
    uses r / Σr = [½, ½]: log 2 (ListNet's, TF-Ranking's convention)."""
    s, r = np.array([[0.0, 0.0]]), np.array([[2.0, 2.0]])
    assert float(lossport.ranking_softmax(s, r)) == pytest.approx(4 * math.log(2), rel=1e-15, abs=0)
    assert float(lossport.ranking_softmax(s, r, normalize=True)) == pytest.approx(math.log(2), rel=1e-15, abs=0)
    optax = framework("optax")
    assert value(optax.losses.ranking_softmax_loss(s, r)) == pytest.approx(4 * math.log(2), rel=1e-15, abs=0)


def test_ranking_softmax_lists_without_relevance_or_valid_items() -> None:
    """Scores [[1, 2], [0, 3]], relevance [[0, 1], [0, 0]]: list 1 costs log(1 + e⁻¹) = 0.31326168751822286, list 2
    (nothing relevant) 0, and it counts: the mean is 0.15663084375911143 (optax agrees, measured; also with
    ``normalize=True``). Padding list 2 entirely leaves it out of the mean: 0.31326… (optax agrees). Padding both
    lists: lossport's mean over nothing is NaN, optax's 0."""
    s, r = np.array([[1.0, 2.0], [0.0, 3.0]]), np.array([[0.0, 1.0], [0.0, 0.0]])
    first = math.log1p(math.exp(-1))
    assert float(lossport.ranking_softmax(s, r)) == pytest.approx(first / 2, rel=1e-15, abs=0)
    assert float(lossport.ranking_softmax(s, r, normalize=True)) == pytest.approx(first / 2, rel=1e-15, abs=0)
    padded = np.array([[True, True], [False, False]])
    assert float(lossport.ranking_softmax(s, r, where=padded)) == pytest.approx(first, rel=1e-15, abs=0)
    nothing = np.zeros((2, 2), dtype=bool)
    with np.errstate(invalid="ignore"):
        assert math.isnan(float(lossport.ranking_softmax(s, r, where=nothing)))
    np.testing.assert_array_equal(lossport.ranking_softmax(s, r, where=nothing, reduction="none"), [0.0, 0.0])
    optax = framework("optax")
    assert value(optax.losses.ranking_softmax_loss(s, r)) == pytest.approx(first / 2, rel=1e-15, abs=0)
    assert value(optax.losses.ranking_softmax_loss(s, r, where=padded)) == pytest.approx(first, rel=1e-15, abs=0)
    assert value(optax.losses.ranking_softmax_loss(s, r, where=nothing)) == 0.0


def test_ranking_softmax_padded_list_gradient_is_finite() -> None:
    """A list of padding only: its scores leave the loss with a zero gradient, not NaN."""
    torch = framework("torch")
    s = torch.tensor([[1.0, 2.0], [0.0, 3.0]], dtype=torch.float64, requires_grad=True)
    r = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    keep = torch.tensor([[True, False], [False, False]])
    (g,) = torch.autograd.grad(lossport.ranking_softmax(s, r, where=keep, reduction="sum"), s)
    np.testing.assert_array_equal(value(g), 0.0)  # list 1's only valid item has relevance 0; list 2 is padding


# ---------------------------------------------------------------------------------------------------------------
# Properties (hypothesis)

SETTINGS = settings(max_examples=30, deadline=None)
COORD = st.floats(-5.0, 5.0, allow_nan=False, width=64)


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, d = draw(st.integers(2, 6)), draw(st.integers(1, 4))
    e = draw(hnp.arrays(np.float64, (n, d), elements=COORD))
    e = e + np.where(np.linalg.norm(e, axis=-1, keepdims=True) < 0.1, 1.0, 0.0)  # keep norms away from 0
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2)))
    return e, y


@SETTINGS
@given(batches(), st.floats(0.1, 10.0))
def test_batch_losses_are_scale_free_and_non_negative(data: tuple[np.ndarray, np.ndarray], scale: float) -> None:
    """ntxent and circle depend on the embeddings through their cosines only: a positive rescaling of each
    embedding leaves them unchanged; both are ≥ 0; permuting the batch permutes "none"."""
    e, y = data
    scales = scale * np.linspace(1.0, 2.0, len(y))[:, None]
    perm = np.arange(len(y))[::-1]
    for loss in (lossport.ntxent, lossport.circle):
        out = loss(e, y, reduction="none")
        assert np.all(out >= 0)
        np.testing.assert_allclose(loss(scales * e, y, reduction="none"), out, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(loss(e[perm], y[perm], reduction="none"), out[perm], rtol=1e-9, atol=1e-12)


@SETTINGS
@given(hnp.arrays(np.float64, (5,), elements=COORD), hnp.arrays(np.float64, (5,), elements=COORD),
       hnp.arrays(np.float64, (5,), elements=st.sampled_from([-1.0, 1.0])), st.floats(-1.0, 1.0))
def test_margin_ranking_swap_symmetry(x1: np.ndarray, x2: np.ndarray, y: np.ndarray, margin: float) -> None:
    """Swapping the two items and the label's sign changes nothing; a perfect ranking by more than the margin
    costs 0; the loss is ≥ 0."""
    out = lossport.margin_ranking(x1, x2, y, margin=margin, reduction="none")
    np.testing.assert_array_equal(lossport.margin_ranking(x2, x1, -y, margin=margin, reduction="none"), out)
    assert np.all(out >= 0)
    ranked = x2 + y * (np.abs(x1 - x2) + abs(margin) + 0.5)
    assert np.all(lossport.margin_ranking(ranked, x2, y, margin=margin, reduction="none") == 0)


@SETTINGS
@given(hnp.arrays(np.float64, (4, 3), elements=COORD), hnp.arrays(np.float64, (4, 3), elements=COORD),
       st.sampled_from([1, 2, 3]))
def test_triplet_margin_zero_when_negative_is_far(a: np.ndarray, p: np.ndarray, degree: int) -> None:
    """A negative farther from the anchor than the positive by more than the margin costs 0; with the
    positive equal to the anchor (eps = 0), the loss is max(0, m − d(a, n))."""
    far = a + 100.0
    assert np.all(lossport.triplet_margin(a, p, far, p=degree, reduction="none") == 0)
    n = p
    expected = np.maximum(0.0, 1.0 - np.sum(np.abs(a - n) ** degree, -1) ** (1 / degree))
    np.testing.assert_allclose(lossport.triplet_margin(a, a, n, p=degree, eps=0.0, reduction="none"), expected,
                               rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Bad input, on numpy and torch

BAD_BACKENDS = [b for b in ("numpy", "torch") if b in BACKENDS]


def arr(backend: str, x: object, dtype: str = "float32") -> object:
    return parity.convert(backend, np.asarray(x), dtype, device_for(backend))


@pytest.fixture(params=BAD_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def test_bad_pair_inputs(backend: str) -> None:
    x = arr(backend, [[1.0, 0.0], [0.0, 1.0]])
    y = arr(backend, [1, -1], "int64")
    with pytest.raises(ValueError, match=r"`labels` must be -1 or \+1; got 0.0; .*`2 \* labels - 1`"):
        lossport.cosine_embedding(x, x, arr(backend, [1.0, 0.0]))
    with pytest.raises(ValueError, match=r"`margin` must be in \[-1, 1\]; got 1.5"):
        lossport.cosine_embedding(x, x, y, margin=1.5)
    with pytest.raises(ValueError, match=r"`eps` must be positive and finite; got 0.0"):
        lossport.cosine_embedding(x, x, y, eps=0.0)
    with pytest.raises(ValueError, match=r"`labels` must have shape \(2,\)"):
        lossport.cosine_embedding(x, x, arr(backend, [1, -1, 1], "int64"))
    with pytest.raises(ValueError, match=r"`axis` must be in \[-2, 2\) for 2-D `x1`; got 2"):
        lossport.cosine_embedding(x, x, y, axis=2)
    with pytest.raises(TypeError, match=r"`x2` must have a real floating dtype"):
        lossport.cosine_embedding(x, arr(backend, [[1, 0], [0, 1]], "int64"), y)
    d = arr(backend, [0.5, 2.0])
    with pytest.raises(ValueError, match=r"`labels` must be -1 or \+1; got 2.0"):
        lossport.hinge_embedding(d, arr(backend, [1.0, 2.0]))
    with pytest.raises(ValueError, match=r"`margin` must be finite; got inf"):
        lossport.hinge_embedding(d, arr(backend, [1.0, -1.0]), margin=math.inf)
    with pytest.raises(ValueError, match=r"`x1` and `labels` must have the same shape"):
        lossport.margin_ranking(d, d, arr(backend, [1.0, -1.0, 1.0]))
    with pytest.raises(TypeError, match=r"`margin` must be a Python number; got str"):
        lossport.margin_ranking(d, d, arr(backend, [1.0, -1.0]), margin="0.1")


def test_bad_triplet_inputs(backend: str) -> None:
    a = arr(backend, [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"`margin` must be positive and finite; got 0.0"):
        lossport.triplet_margin(a, a, a, margin=0.0)
    with pytest.raises(ValueError, match=r"`p` must be positive and finite; got -1"):
        lossport.triplet_margin(a, a, a, p=-1)
    with pytest.raises(ValueError, match=r"`eps` must be non-negative and finite; got -1e-06"):
        lossport.triplet_margin(a, a, a, eps=-1e-6)
    with pytest.raises(ValueError, match=r"`eps_in` must be one of \('difference', 'sum'\); got 'norm'"):
        lossport.triplet_margin(a, a, a, eps_in="norm")
    with pytest.raises(TypeError, match=r"`swap` must be a bool; got int"):
        lossport.triplet_margin(a, a, a, swap=1)
    with pytest.raises(ValueError, match=r"`anchors` and `negatives` must have the same shape"):
        lossport.triplet_margin(a, a, arr(backend, [[1.0, 0.0, 0.0]]))


def test_bad_batch_inputs(backend: str) -> None:
    e = arr(backend, [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = arr(backend, [0, 0, 1], "int64")
    for loss in (lossport.ntxent, lossport.circle):
        with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
            loss(e, arr(backend, [0.0, 0.0, 1.0]))
        with pytest.raises(ValueError, match=r"`embeddings` must have shape \(\.\.\., N, D\)"):
            loss(arr(backend, [1.0, 0.0]), arr(backend, [0, 1], "int64"))
        with pytest.raises(ValueError, match=r"`labels` must have shape \(3,\)"):
            loss(e, arr(backend, [0, 1], "int64"))
        with pytest.raises(TypeError, match=r"`embeddings` must have a real floating dtype"):
            loss(arr(backend, [[1, 0], [0, 1]], "int64"), arr(backend, [0, 1], "int64"))
    with pytest.raises(ValueError, match=r"`temperature` must be positive and finite; got 0.0"):
        lossport.ntxent(e, y, temperature=0.0)
    with pytest.raises(ValueError, match=r"`gamma` must be positive and finite; got -80.0"):
        lossport.circle(e, y, gamma=-80.0)
    with pytest.raises(TypeError, match=r"`normalize` must be a bool; got str"):
        lossport.circle(e, y, normalize="yes")


def test_bad_ranking_inputs(backend: str) -> None:
    s, r = arr(backend, [[1.0, 2.0, 3.0]]), arr(backend, [[0.0, 0.0, 1.0]])
    with pytest.raises(TypeError, match=r"`where` must be a boolean mask"):
        lossport.ranking_softmax(s, r, where=arr(backend, [[1.0, 1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"`where` must broadcast to the scores shape \(1, 3\)"):
        lossport.ranking_softmax(s, r, where=arr(backend, [True, False], "bool"))
    with pytest.raises(ValueError, match=r"`scores` and `relevance` must have the same shape"):
        lossport.ranking_softmax(s, arr(backend, [0.0, 0.0, 1.0]))
    with pytest.raises(TypeError, match=r"`scores` must have a real floating dtype"):
        lossport.ranking_softmax(arr(backend, [[1, 2]], "int64"), arr(backend, [[0.0, 1.0]]))
