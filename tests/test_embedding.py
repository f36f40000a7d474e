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
from hypothesis import assume, given, settings
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
    with pytest.raises(TypeError, match=r"`margin` must be a Python number or a 0-D array; got str"):
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


# ---------------------------------------------------------------------------------------------------------------
# Catalog II: info_nce, supervised_contrastive, sigmoid_contrastive (contrastive), arcface, cosface (margin heads).
# "pml" is pytorch-metric-learning 2.9 (measured with torch 2.14, float64 unless said otherwise); the float64
# references below are written from the papers, never with lossport.


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _info_nce_reference(q: np.ndarray, k: np.ndarray, mask: np.ndarray, tau: float) -> np.ndarray:
    """−log(Σ_pos e^{s/τ} / Σ_all e^{s/τ}) per query (van den Oord et al.), 0 for a query without a positive."""
    s = _unit_rows(q) @ _unit_rows(k).T / tau
    e = np.exp(s - s.max(-1, keepdims=True))
    with np.errstate(divide="ignore"):
        out = -np.log(np.sum(e * mask, -1) / np.sum(e, -1))
    return np.where(mask.any(-1), out, 0.0)


def _supcon_reference(e: np.ndarray, y: np.ndarray, tau: float, tau_b: float) -> np.ndarray:
    """Khosla et al.'s L_out per anchor, as the paper writes it (loops), 0 for an anchor without a positive."""
    s = _unit_rows(e) @ _unit_rows(e).T / tau
    out = np.zeros(len(y))
    for i in range(len(y)):
        others = [a for a in range(len(y)) if a != i]
        positives = [p for p in others if y[p] == y[i]]
        if positives:
            log_den = np.log(np.sum(np.exp(s[i, others])))
            out[i] = -(tau / tau_b) * np.mean([s[i, p] - log_den for p in positives])
    return out


def _siglip_reference(x: np.ndarray, y: np.ndarray, t: float, b: float) -> np.ndarray:
    """Zhai et al.'s (big_vision's) per-image −Σ_j log σ(z_ij (t x_i·y_j + b)), z = 2·I − 1."""
    logits = t * _unit_rows(x) @ _unit_rows(y).T + b
    z = 2 * np.eye(len(x)) - 1
    return np.sum(np.logaddexp(0.0, -z * logits), axis=-1)


def test_info_nce_by_hand() -> None:
    """Query (1, 0) against keys (3, 0), (0, 1), (−1, 0) at τ = 1: cosines 1, 0, −1. Key 0 positive:
    log(1 + (e⁰ + e⁻¹)/e¹) = 0.4076059644443804; keys 0 and 1 positive: log((e + 1 + e⁻¹)/(e + 1)) =
    0.09434427692615739 (by hand). The index form equals the one-positive mask form."""
    q, k = np.array([[1.0, 0.0]]), np.array([[3.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    e = math.e
    one = math.log1p((1 + 1 / e) / e)
    two = math.log((e + 1 + 1 / e) / (e + 1))
    assert float(lossport.info_nce(q, k, np.array([0]), temperature=1.0)) == pytest.approx(one, rel=1e-15, abs=0)
    mask = np.array([[True, False, False]])
    assert float(lossport.info_nce(q, k, mask, temperature=1.0)) == pytest.approx(one, rel=1e-15, abs=0)
    mask2 = np.array([[True, True, False]])
    assert float(lossport.info_nce(q, k, mask2, temperature=1.0)) == pytest.approx(two, rel=1e-14, abs=0)
    # normalize=False: dot products 3, 0, -1 with key 0 positive: log(1 + (1 + e⁻¹)/e³)
    raw = lossport.info_nce(q, k, np.array([0]), temperature=1.0, normalize=False)
    assert float(raw) == pytest.approx(math.log1p((1 + 1 / e) / e**3), rel=1e-15, abs=0)


def test_info_nce_matches_the_paper_and_pml_ntxent() -> None:
    """Random data against the float64 reference (index and multi-positive mask forms), and against pml's
    NTXentLoss with ``ref_emb`` (one positive key per query: queries labelled 0..N−1, the positive key with its
    query's label, the others with labels of their own); pml agrees to 1e-15 (measured)."""
    rng = np.random.default_rng(11)
    q, k = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    positives = np.array([3, 0, 6, 1, 4])
    mask = np.arange(7) == positives[:, None]
    expected = _info_nce_reference(q, k, mask, 0.3)
    np.testing.assert_allclose(lossport.info_nce(q, k, positives, temperature=0.3, reduction="none"), expected,
                               rtol=1e-13)
    multi = rng.uniform(size=(5, 7)) < 0.4
    multi[:, 0] = True
    np.testing.assert_allclose(lossport.info_nce(q, k, multi, temperature=0.3, reduction="none"),
                               _info_nce_reference(q, k, multi, 0.3), rtol=1e-13)
    torch = framework("torch")
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    key_labels = np.arange(5, 12)
    key_labels[positives] = np.arange(5)
    native = losses.NTXentLoss(temperature=0.3)(torch.tensor(q), torch.arange(5), None, torch.tensor(k),
                                                torch.tensor(key_labels))
    assert value(native) == pytest.approx(float(np.mean(expected)), rel=1e-14, abs=0)


def test_info_nce_query_without_positive_is_left_out() -> None:
    """A mask row with no positive: loss 0 in "none", left out of "mean" (the others' mean), finite zero
    gradients for that query; no negative at all: loss 0 (log 1)."""
    rng = np.random.default_rng(3)
    q, k = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    mask = np.array([[True, False, False, False], [False] * 4, [False, True, True, False]])
    out = lossport.info_nce(q, k, mask, temperature=0.5, reduction="none")
    assert out[1] == 0.0 and np.all(out[[0, 2]] > 0)
    assert float(lossport.info_nce(q, k, mask, temperature=0.5)) == pytest.approx(
        (out[0] + out[2]) / 2, rel=1e-15, abs=0)
    assert float(lossport.info_nce(q, k, np.ones((3, 4), dtype=bool))) == 0.0
    torch = framework("torch")
    x = torch.tensor(q, requires_grad=True)
    (g,) = torch.autograd.grad(lossport.info_nce(x, torch.tensor(k), torch.tensor(mask)), x)
    assert torch.isfinite(g).all() and torch.all(g[1] == 0)


def test_contrastive_tiny_loss_is_accurate_at_temperature_007() -> None:
    """A positive at cosine 1 and negatives at cosine −1, τ = 0.07: the exact loss is log1p(c·e^(−2/0.07)), c
    the number of negatives (2: 7.809374086400008e-13). lossport keeps it to 1e-14 relative (the softplus
    form); pml's NTXentLoss gives 7.809308755216401e-13 (8e-6 off) and SupConLoss 7.810418978234926e-13 (1e-4
    off), both forming ``log(ratio)`` of rounded terms (measured, float64)."""
    exact = math.log1p(2 * math.exp(-2 / 0.07))
    q, k = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]])
    assert float(lossport.info_nce(q, k, np.array([0]))) == pytest.approx(exact, rel=1e-14, abs=0)
    e, y = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [-1.0, 0.0]]), np.array([0, 0, 1, 1])
    assert float(lossport.supervised_contrastive(e, y)) == pytest.approx(exact, rel=1e-14, abs=0)
    torch = framework("torch")
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    ntx = value(losses.NTXentLoss(temperature=0.07)(torch.tensor(q), torch.tensor([0]), None, torch.tensor(k),
                                                   torch.tensor([0, 1, 2])))
    supcon = value(losses.SupConLoss(temperature=0.07)(torch.tensor(e), torch.tensor(y)))
    for native in (ntx, supcon):
        assert native == pytest.approx(exact, rel=1e-3, abs=0) and native != pytest.approx(exact, rel=1e-6, abs=0)


def test_supervised_contrastive_by_hand() -> None:
    """The docstring's batch at τ = τ_b = 1: anchors 0 and 1 have one positive (cosine 1) and two negatives
    (cosine 0): log(1 + 2/e) = 0.5514447139320511; anchors 2 and 3 have no positive. τ = 0.5, τ_b = 1: the
    anchors cost ½·log(1 + 2e⁻²) = 0.11977311… (the factor τ/τ_b); "mean" is over anchors 0 and 1."""
    e, y = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, -1.0]]), np.array([0, 0, 1, 2])
    each = math.log1p(2 / math.e)
    np.testing.assert_allclose(
        lossport.supervised_contrastive(e, y, temperature=1.0, base_temperature=1.0, reduction="none"),
        [each, each, 0.0, 0.0], rtol=1e-15)
    half = 0.5 * math.log1p(2 * math.exp(-2))
    assert float(lossport.supervised_contrastive(e, y, temperature=0.5, base_temperature=1.0)) == pytest.approx(
        half, rel=1e-15, abs=0)


def test_supervised_contrastive_anchor_without_positive_is_excluded_not_nan() -> None:
    """SupCon's trap: an anchor whose label no other sample has. The paper's ``mean_log_prob_pos`` divides by
    |P(i)| = 0 (NaN in the original code); lossport gives it 0 in "none" and leaves it out of "mean", as pml's
    AvgNonZeroReducer does (measured: equal to 1e-15 on random data). Its gradient is finite; with no positive
    anywhere the mean over nothing is NaN and the gradients stay finite."""
    rng = np.random.default_rng(5)
    e, y = rng.normal(size=(6, 3)), np.array([0, 1, 0, 2, 1, 3])  # labels 2 and 3: no positive
    expected = _supcon_reference(e, y, 0.2, 0.1)
    out = lossport.supervised_contrastive(e, y, temperature=0.2, base_temperature=0.1, reduction="none")
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    assert out[3] == 0.0 and out[5] == 0.0
    mean = float(lossport.supervised_contrastive(e, y, temperature=0.2, base_temperature=0.1))
    assert mean == pytest.approx(expected.sum() / 4, rel=1e-14, abs=0)
    torch = framework("torch")
    x = torch.tensor(e, requires_grad=True)
    (g,) = torch.autograd.grad(lossport.supervised_contrastive(x, torch.tensor(y)), x)
    assert torch.isfinite(g).all()
    with np.errstate(invalid="ignore"):
        assert math.isnan(float(lossport.supervised_contrastive(e, np.arange(6))))
    (g,) = torch.autograd.grad(lossport.supervised_contrastive(x, torch.arange(6), reduction="sum"), x)
    assert torch.all(g == 0)
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    native = value(losses.SupConLoss(temperature=0.2)(torch.tensor(e), torch.tensor(y)))
    assert native * 2.0 == pytest.approx(mean, rel=1e-13, abs=0)  # pml has no τ_b: times τ/τ_b = 2


def _shards(x: np.ndarray, ranks: int) -> list[np.ndarray]:
    return np.split(x, ranks)


def test_contrastive_gathered_equals_single_device() -> None:
    """Distributed use: each of 2 "devices" holds 4 samples and the gathered keys of both. Its "none" values
    are its rows of the single-device "none" on the concatenated batch (so the shards' sums add up to the whole
    "sum", and the mean of equal shards' means is the whole mean), for info_nce (positive indices into the
    gathered keys), supervised_contrastive (``keys``, ``key_labels``, ``offset = rank·4``) and
    sigmoid_contrastive (``offset = rank·4``). torch gradients of the summed shard losses equal the whole's."""
    rng = np.random.default_rng(17)
    q, k, x, t = (rng.normal(size=(8, 3)) for _ in range(4))
    y = np.array([0, 1, 2, 0, 1, 2, 3, 0])
    pos = rng.permutation(8)
    full = {
        "info_nce": lossport.info_nce(q, k, pos, temperature=0.2, reduction="none"),
        "supcon": lossport.supervised_contrastive(x, y, temperature=0.2, reduction="none"),
        "siglip": lossport.sigmoid_contrastive(x, t, reduction="none"),
    }
    parts: dict[str, list[np.ndarray]] = {key: [] for key in full}
    for r in range(2):
        rows = slice(4 * r, 4 * r + 4)
        parts["info_nce"].append(lossport.info_nce(q[rows], k, pos[rows], temperature=0.2, reduction="none"))
        parts["supcon"].append(lossport.supervised_contrastive(
            x[rows], y[rows], keys=x, key_labels=y, offset=4 * r, temperature=0.2, reduction="none"))
        parts["siglip"].append(lossport.sigmoid_contrastive(x[rows], t, offset=4 * r, reduction="none"))
    for key, whole in full.items():
        np.testing.assert_allclose(np.concatenate(parts[key]), whole, rtol=1e-14, atol=1e-15, err_msg=key)
    assert float(np.mean([np.mean(p) for p in parts["siglip"]])) == pytest.approx(
        float(lossport.sigmoid_contrastive(x, t)), rel=1e-14, abs=0)
    torch = framework("torch")
    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    yt = torch.tensor(y)
    whole = (lossport.supervised_contrastive(xt, yt, reduction="sum")
             + lossport.sigmoid_contrastive(xt, tt, reduction="sum"))
    g_whole = torch.autograd.grad(whole, (xt, tt))
    sharded = sum(lossport.supervised_contrastive(xt[4 * r:4 * r + 4], yt[4 * r:4 * r + 4], keys=xt,
                                                  key_labels=yt, offset=4 * r, reduction="sum")
                  + lossport.sigmoid_contrastive(xt[4 * r:4 * r + 4], tt, offset=4 * r, reduction="sum")
                  for r in range(2))
    g_sharded = torch.autograd.grad(sharded, (xt, tt))
    for a, b in zip(g_whole, g_sharded):
        np.testing.assert_allclose(value(b), value(a), rtol=1e-12, atol=1e-14)


def test_contrastive_offset_may_be_traced() -> None:
    """Under JAX the rank is a traced value (``lax.axis_index`` in ``shard_map``): ``offset`` as a traced 0-D
    integer array, here ``jax.vmap`` over the ranks under ``jax.jit``, gives the per-rank values."""
    jax = framework("jax")
    jnp = jax.numpy
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    y = np.array([0, 1, 0, 1, 2, 2])
    shards, labels, offsets = jnp.asarray(x.reshape(3, 2, 3)), jnp.asarray(y.reshape(3, 2)), jnp.arange(3) * 2

    @jax.jit
    def per_rank(xs, ys, offset):
        return (lossport.supervised_contrastive(xs, ys, keys=jnp.asarray(x), key_labels=jnp.asarray(y),
                                                offset=offset, reduction="none"),
                lossport.sigmoid_contrastive(xs, jnp.asarray(t), offset=offset, reduction="none"))

    supcon, siglip = jax.vmap(per_rank)(shards, labels, offsets)
    np.testing.assert_allclose(np.asarray(supcon).ravel(),
                               lossport.supervised_contrastive(x, y, reduction="none"), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(siglip).ravel(), lossport.sigmoid_contrastive(x, t, reduction="none"),
                               rtol=1e-13)


def test_sigmoid_contrastive_by_hand_and_paper() -> None:
    """Orthogonal unit pairs, t = 2, b = −1: every matched pair costs softplus(−(2 − 1)) and every mismatched one
    softplus(0 − 1), both log1p(e⁻¹) = 0.31326168751822286: 2 per image (by hand). Random data: the float64
    reference from the paper to 1e-13."""
    x = np.eye(2)
    np.testing.assert_allclose(lossport.sigmoid_contrastive(x, x, temperature=2.0, bias=-1.0, reduction="none"),
                               [2 * math.log1p(math.exp(-1))] * 2, rtol=1e-15)
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(lossport.sigmoid_contrastive(a, b, reduction="none"),
                               _siglip_reference(a, b, 10.0, -10.0), rtol=1e-13)
    assert float(lossport.sigmoid_contrastive(a, b, temperature=3.0, bias=0.5)) == pytest.approx(
        float(np.mean(_siglip_reference(a, b, 3.0, 0.5))), rel=1e-13, abs=0)


def _siglip_knob_gradients(x: np.ndarray, y: np.ndarray, t: float, b: float) -> tuple[float, float]:
    """d mean / dt and d mean / db by hand: (1/N) Σ_ij −z σ(−z·L) · (cos, 1), L = t·cos + b."""
    cos = _unit_rows(x) @ _unit_rows(y).T
    z = 2 * np.eye(len(x)) - 1
    w = -z / (1 + np.exp(z * (t * cos + b)))
    return float(np.sum(w * cos) / len(x)), float(np.sum(w) / len(x))


def test_sigmoid_contrastive_learnable_temperature_and_bias() -> None:
    """SigLIP learns t′ (t = exp t′) and b: as 0-D arrays they carry gradients in torch, JAX and TensorFlow,
    equal to the float64 gradients by hand (the chain rule through exp included for torch)."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    t, b = 3.0, -2.0
    dt, db = _siglip_knob_gradients(x, y, t, b)
    torch = framework("torch")
    log_t = torch.tensor(math.log(t), dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = lossport.sigmoid_contrastive(torch.tensor(x), torch.tensor(y), temperature=torch.exp(log_t), bias=bias)
    g_log_t, g_b = torch.autograd.grad(loss, (log_t, bias))
    assert value(g_log_t) == pytest.approx(dt * t, rel=1e-12, abs=0)
    assert value(g_b) == pytest.approx(db, rel=1e-12, abs=0)
    jax = framework("jax")
    jnp = jax.numpy
    grads = jax.grad(lambda tt, bb: lossport.sigmoid_contrastive(jnp.asarray(x), jnp.asarray(y), temperature=tt,
                                                                 bias=bb), argnums=(0, 1))(jnp.asarray(t),
                                                                                           jnp.asarray(b))
    np.testing.assert_allclose([float(g) for g in grads], [dt, db], rtol=1e-12)
    tf = framework("tensorflow")
    tv, bv = tf.Variable(t, dtype=tf.float64), tf.Variable(b, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = lossport.sigmoid_contrastive(tf.constant(x), tf.constant(y), temperature=tv, bias=bv)
    np.testing.assert_allclose([float(g) for g in tape.gradient(loss, [tv, bv])], [dt, db], rtol=1e-12)
    # float32 embeddings with float32 knobs stay float32
    out = lossport.sigmoid_contrastive(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32),
                                       temperature=torch.tensor(t, dtype=torch.float32))
    assert out.dtype == torch.float32


# -- margin heads ---------------------------------------------------------------------------------------------


def _arcface_reference(c: np.ndarray, labels: np.ndarray, s: float, m: float) -> np.ndarray:
    """Deng et al. through the angle (acos), with insightface's fallback cos θ − m·sin m where θ + m > π."""
    rows = np.arange(len(labels))
    theta = np.arccos(c[rows, labels])
    z = c.copy()
    z[rows, labels] = np.where(theta + m < math.pi, np.cos(theta + m), np.cos(theta) - m * math.sin(m))
    z = s * z
    top = z.max(-1)
    return top + np.log(np.sum(np.exp(z - top[:, None]), -1)) - z[rows, labels]


def test_arcface_by_hand() -> None:
    """θ = π/3 on the label (cos ½) with m = π/6 becomes π/2 (cos 0), tying the other class: log 2. easy_margin
    leaves a negative cosine alone: [[−0.5, 0]] with label 0 and s = 1 gives log(1 + e^0.5) = 0.9740769841801067
    (by hand), and the margin applies where the cosine is positive."""
    c = np.array([[0.5, 0.0]])
    assert float(lossport.arcface(c, np.array([0]), scale=1.0, margin=math.pi / 6)) == pytest.approx(
        math.log(2), rel=1e-15, abs=0)
    neg = np.array([[-0.5, 0.0]])
    assert float(lossport.arcface(neg, np.array([0]), scale=1.0, easy_margin=True)) == pytest.approx(
        math.log1p(math.exp(0.5)), rel=1e-15, abs=0)
    assert float(lossport.arcface(c, np.array([0]), scale=1.0, margin=math.pi / 6, easy_margin=True)) == (
        pytest.approx(math.log(2), rel=1e-15, abs=0))


def test_arcface_fallback_past_pi() -> None:
    """The trap of θ + m > π (the issue in pml's tracker that asked for insightface's fallback): label cosine
    −0.95 (θ = 2.824), m = 0.5. cos(θ + m) = −0.9970 would *reward* a larger angle; insightface uses
    cos θ − m·sin m = −0.95 − 0.5·sin 0.5 = −1.1897127693021015 (by hand), and so do lossport and pml 2.9
    (measured). Random rows on both sides of θ = π − m agree with the acos reference to 1e-13."""
    c, y = np.array([[-0.95, 0.1, 0.0]]), np.array([0])
    phi = -0.95 - 0.5 * math.sin(0.5)
    expected = math.log(math.exp(phi) + math.exp(0.1) + 1.0) - phi
    assert float(lossport.arcface(c, y, scale=1.0)) == pytest.approx(expected, rel=1e-15, abs=0)
    rng = np.random.default_rng(9)
    cs = rng.uniform(-0.99, 0.99, size=(20, 4))
    ys = rng.integers(0, 4, size=20)
    np.testing.assert_allclose(lossport.arcface(cs, ys, scale=16.0, reduction="none"),
                               _arcface_reference(cs, ys, 16.0, 0.5), rtol=1e-13)
    torch = framework("torch")
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    pml = losses.ArcFaceLoss(num_classes=3, embedding_size=4, margin=math.degrees(0.5), scale=1.0)
    pml.W.data = torch.eye(4, 3, dtype=torch.float64)  # orthonormal centres: the cosines are the coordinates
    emb = torch.tensor([[-0.95, 0.1, 0.0, math.sqrt(1 - 0.9025 - 0.01)]], dtype=torch.float64)
    assert value(pml(emb, torch.tensor(y))) == pytest.approx(expected, rel=1e-14, abs=0)


def test_arcface_monotone_in_the_angle() -> None:
    """With the fallback the label's logit decreases with θ on all of [0, π] (for m ≤ π/2), jump included: the
    loss never decreases as the label's cosine falls."""
    c = np.zeros((400, 3))
    c[:, 0] = np.linspace(1.0, -1.0, 400)
    for m in (0.2, 0.5, 1.0, math.pi / 2):
        out = lossport.arcface(c, np.zeros(400, dtype=np.int64), scale=8.0, margin=m, reduction="none")
        assert np.all(np.diff(out) >= 0), m


def test_arcface_gradient_at_unit_cosine() -> None:
    """At |cos θ| = 1, sin θ = sqrt(1 − c²) has an infinite derivative. lossport takes 0 there (a safe sqrt), so
    the label's gradient is s·cos m·(p − 1) at c = 1 and s·(p − 1) at c = −1 (the fallback), finite in torch,
    JAX and TensorFlow. The plain ``sqrt(clip(1 − c², 0, 1))`` under ``jax.grad`` gives −inf at c = 1 and NaN at
    c = −1 (the unselected branch poisons the ``where``; measured)."""
    c = np.array([[1.0, 0.2, 0.0], [-1.0, 0.2, 0.0]])
    y = np.array([0, 0])
    s, m = 4.0, 0.5
    z = s * np.array([[math.cos(m), 0.2, 0.0], [-1.0 - m * math.sin(m), 0.2, 0.0]])
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    expected = s * (p - np.eye(3)[y]) * np.array([[math.cos(m), 1, 1], [1, 1, 1]])
    torch = framework("torch")
    ct = torch.tensor(c, requires_grad=True)
    (g,) = torch.autograd.grad(lossport.arcface(ct, torch.tensor(y), scale=s, reduction="sum"), ct)
    np.testing.assert_allclose(value(g), expected, rtol=1e-13)
    jax = framework("jax")
    jnp = jax.numpy
    g = jax.grad(lambda a: lossport.arcface(a, jnp.asarray(y), scale=s, reduction="sum"))(jnp.asarray(c))
    np.testing.assert_allclose(np.asarray(g), expected, rtol=1e-13)

    def naive(a):
        t = a[:, 0]
        phi = t * math.cos(m) - jnp.sqrt(jnp.clip(1.0 - t * t, 0, 1)) * math.sin(m)
        phi = jnp.where(t > -math.cos(m), phi, t - m * math.sin(m))
        zz = s * a.at[:, 0].set(phi)
        return jnp.sum(jax.nn.logsumexp(zz, axis=-1) - zz[:, 0])

    bad = np.asarray(jax.grad(naive)(jnp.asarray(c)))
    assert bad[0, 0] == -np.inf and np.isnan(bad[1, 0])
    tf = framework("tensorflow")
    cv = tf.Variable(c)
    with tf.GradientTape() as tape:
        loss = lossport.arcface(cv, tf.constant(y), scale=s, reduction="sum")
    np.testing.assert_allclose(tape.gradient(loss, cv).numpy(), expected, rtol=1e-13)


def test_margin_heads_tiny_losses_are_accurate() -> None:
    """A confident correct row [0.95, 0, 0], s = 64: ArcFace's φ = 0.95 cos ½ − sqrt(1 − 0.95²) sin ½, loss
    log1p(2e^(−64φ)) = 1.9465938024009054e-19; CosFace's log1p(2e^(−64·0.6)) = 4.208447275355246e-17 (mpmath, 50
    digits). lossport keeps both to 1e-13; pml (torch's cross-entropy, ``lse − z``) gives 0 (measured)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    c, y = np.array([[0.95, 0.0, 0.0]]), np.array([0])
    c95 = mpmath.mpf(0.95)
    phi = c95 * mpmath.cos(mpmath.mpf(0.5)) - mpmath.sqrt(1 - c95**2) * mpmath.sin(mpmath.mpf(0.5))
    arc = float(mpmath.log1p(2 * mpmath.exp(-64 * phi)))
    cos = float(mpmath.log1p(2 * mpmath.exp(-64 * (c95 - mpmath.mpf(0.35)))))
    assert arc == pytest.approx(1.9465938024009054e-19, rel=1e-14, abs=0)
    assert float(lossport.arcface(c, y)) == pytest.approx(arc, rel=1e-13, abs=0)
    assert float(lossport.cosface(c, y)) == pytest.approx(cos, rel=1e-13, abs=0)
    assert float(lossport.cosface(c.astype(F32), y)) == pytest.approx(cos, rel=1e-5, abs=0)
    torch = framework("torch")
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    emb = torch.tensor([[0.95, 0.0, 0.0, math.sqrt(1 - 0.9025)]], dtype=torch.float64)
    for cls, knobs in ((losses.ArcFaceLoss, {"margin": math.degrees(0.5)}), (losses.CosFaceLoss, {})):
        native = cls(num_classes=3, embedding_size=4, scale=64, **knobs)
        native.W.data = torch.eye(4, 3, dtype=torch.float64)
        assert value(native(emb, torch.tensor(y))) == 0.0


def test_margin_heads_without_margin_are_scaled_cross_entropy() -> None:
    """m = 0: both are ``sparse_softmax_cross_entropy(s · c, y)``; CosFace at m is that of ``s·(c − m·onehot)``."""
    rng = np.random.default_rng(6)
    c, y = rng.uniform(-1, 1, size=(5, 4)), rng.integers(0, 4, size=5)
    ce = lossport.sparse_softmax_cross_entropy(30.0 * c, y, reduction="none")
    np.testing.assert_allclose(lossport.arcface(c, y, scale=30.0, margin=0.0, reduction="none"), ce, rtol=1e-13)
    np.testing.assert_allclose(lossport.cosface(c, y, scale=30.0, margin=0.0, reduction="none"), ce, rtol=1e-13)
    shifted = 30.0 * (c - 0.35 * np.eye(4)[y])
    np.testing.assert_allclose(lossport.cosface(c, y, scale=30.0, reduction="none"),
                               lossport.sparse_softmax_cross_entropy(shifted, y, reduction="none"), rtol=1e-13)


@SETTINGS
@given(batches(), st.floats(0.05, 2.0))
def test_contrastive_losses_match_the_papers(data: tuple[np.ndarray, np.ndarray], tau: float) -> None:
    """supervised_contrastive against the paper's loops and info_nce (queries = keys, each sample's positives
    its same-label others) against its definition, in float64; both scale-free and ≥ 0."""
    e, y = data
    out = lossport.supervised_contrastive(e, y, temperature=tau, base_temperature=0.07, reduction="none")
    np.testing.assert_allclose(out, _supcon_reference(e, y, tau, 0.07), rtol=1e-9, atol=1e-12)
    assert np.all(out >= 0)
    np.testing.assert_allclose(lossport.supervised_contrastive(3.0 * e, y, temperature=tau, reduction="none"),
                               lossport.supervised_contrastive(e, y, temperature=tau, reduction="none"),
                               rtol=1e-9, atol=1e-12)
    mask = (y[:, None] == y[None, :]) & ~np.eye(len(y), dtype=bool)
    nce = lossport.info_nce(e, e, mask, temperature=tau, reduction="none")
    np.testing.assert_allclose(nce, _info_nce_reference(e, e, mask, tau), rtol=1e-9, atol=1e-12)
    assert np.all(nce >= 0)


@SETTINGS
@given(batches(), st.floats(0.5, 20.0), st.floats(-15.0, 5.0))
def test_sigmoid_contrastive_matches_the_paper(data: tuple[np.ndarray, np.ndarray], t: float, b: float) -> None:
    """Against big_vision's formula in float64; permuting both batches alike permutes "none"."""
    e, _ = data
    other = e[::-1] + 0.5
    # The paper's formula divides by the norms: a zero vector (hypothesis found e = [[-0.5], [-0.5]]) is
    # lossport's floor case, tested by hand elsewhere, not the paper's.
    assume(np.all(np.linalg.norm(other, axis=-1) > 1e-6) and np.all(np.linalg.norm(e, axis=-1) > 1e-6))
    out = lossport.sigmoid_contrastive(e, other, temperature=t, bias=b, reduction="none")
    np.testing.assert_allclose(out, _siglip_reference(e, other, t, b), rtol=1e-9, atol=1e-12)
    perm = np.roll(np.arange(len(e)), 1)
    np.testing.assert_allclose(lossport.sigmoid_contrastive(e[perm], other[perm], temperature=t, bias=b,
                                                            reduction="none"), out[perm], rtol=1e-12, atol=1e-14)


def test_bad_contrastive_inputs(backend: str) -> None:
    q, k = arr(backend, [[1.0, 0.0], [0.0, 1.0]]), arr(backend, [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r"`positives` must be class indices in \[0, 3\); got 3"):
        lossport.info_nce(q, k, arr(backend, [0, 3], "int64"))
    with pytest.raises(ValueError, match=r"`positives` must have shape \(2, 3\)"):
        lossport.info_nce(q, k, arr(backend, [[True, False]], "bool"))
    with pytest.raises(TypeError, match=r"`positives` must have an integer dtype"):
        lossport.info_nce(q, k, arr(backend, [0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`keys` must have shape \(3, 2\)"):
        lossport.info_nce(q, arr(backend, [[1.0, 0.0, 0.0]] * 3), arr(backend, [0, 1], "int64"))
    with pytest.raises(ValueError, match=r"`temperature` must be positive and finite; got 0.0"):
        lossport.info_nce(q, k, arr(backend, [0, 1], "int64"), temperature=0.0)
    y = arr(backend, [0, 1], "int64")
    with pytest.raises(ValueError, match=r"`keys` and `key_labels` must be given together"):
        lossport.supervised_contrastive(q, y, keys=k)
    with pytest.raises(ValueError, match=r"`offset` must be in \[0, 1\] .*; got 2"):
        lossport.supervised_contrastive(q, y, keys=k, key_labels=arr(backend, [0, 1, 1], "int64"), offset=2)
    with pytest.raises(TypeError, match=r"`offset` must be an int, None or a 0-D integer array; got float"):
        lossport.supervised_contrastive(q, y, offset=0.0)
    with pytest.raises(ValueError, match=r"`base_temperature` must be positive and finite; got -1.0"):
        lossport.supervised_contrastive(q, y, base_temperature=-1.0)
    with pytest.raises(ValueError, match=r"`temperature` must be a Python number or a 0-D array; got shape \(2,\)"):
        lossport.sigmoid_contrastive(q, q, temperature=arr(backend, [1.0, 2.0]))
    with pytest.raises(ValueError, match=r"`bias` must be finite; got nan"):
        lossport.sigmoid_contrastive(q, q, bias=math.nan)
    with pytest.raises(TypeError, match=r"`offset` must be an int or a 0-D integer array; got NoneType"):
        lossport.sigmoid_contrastive(q, q, offset=None)
    with pytest.raises(ValueError, match=r"`offset` must be in \[0, 0\]"):
        lossport.sigmoid_contrastive(q, q, offset=1)
    if backend == "torch":
        with pytest.raises(TypeError, match=r"one framework per call"):
            lossport.sigmoid_contrastive(q, q, temperature=np.asarray(10.0))


def test_array_knobs_range_checks_and_dtype() -> None:
    """Array knobs (tests/test_knobs.py checks their values and gradients): cosine_embedding's `margin` range
    [-1, 1] is checked on a concrete 0-D array and not on a traced one (the number computes as it is: by hand,
    the dissimilar pair's cos 1/√2 is below 1.5, loss 0); sigmoid_contrastive's knobs are cast to the embeddings'
    dtype, as a Python number is (a float64 or an integer 0-D tensor on float32 embeddings gives float32)."""
    x1, x2, y = np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]), np.array([-1])
    with pytest.raises(ValueError, match=r"`margin` must be in \[-1, 1\]; got 1.5"):
        lossport.cosine_embedding(x1, x2, y, margin=np.asarray(1.5))
    with pytest.raises(ValueError, match=r"`margin` must be in \[-1, 1\]; got -2.0"):
        lossport.cosine_embedding(x1, x2, y, margin=np.asarray(-2.0))
    jax = framework("jax")
    traced = jax.jit(lambda m: lossport.cosine_embedding(jax.numpy.asarray(x1), jax.numpy.asarray(x2),
                                                         jax.numpy.asarray(y), margin=m))
    assert float(traced(jax.numpy.asarray(1.5))) == 0.0
    torch = framework("torch")
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float32)
    for t in (torch.tensor(2.0, dtype=torch.float64), torch.tensor(2)):
        out = lossport.sigmoid_contrastive(x, x, temperature=t, bias=torch.tensor(-1.0, dtype=torch.float64))
        assert out.dtype == torch.float32
        # matched and mismatched pairs alike: softplus(-1) = log1p(e⁻¹) (the docstring's example), two per row
        assert out.item() == pytest.approx(2 * math.log1p(math.exp(-1)), rel=1e-6)


def test_bad_margin_head_inputs(backend: str) -> None:
    c, y = arr(backend, [[0.5, 0.1], [0.2, 0.3]]), arr(backend, [0, 1], "int64")
    for loss in (lossport.arcface, lossport.cosface):
        with pytest.raises(ValueError, match=r"`scale` must be positive and finite; got 0.0"):
            loss(c, y, scale=0.0)
        with pytest.raises(ValueError, match=r"`margin` must be non-negative and finite; got -0.1"):
            loss(c, y, margin=-0.1)
        with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 2\); got 2"):
            loss(c, arr(backend, [0, 2], "int64"))
        with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
            loss(c, arr(backend, [0.0, 1.0]))
    with pytest.raises(TypeError, match=r"`easy_margin` must be a bool; got int"):
        lossport.arcface(c, y, easy_margin=1)


def test_circle_reference_set() -> None:
    """The batch as its own reference set is the default; a reference set by hand (γ = 1, m = 0.4, Keras's
    formulas): e1 (label 0) against e1 (label 0) and e2 (label 1): positive d = 0, negative d = 1,
    p = −0.4·0.4 = −0.16, n = max(1.4 − 1, 0)·(0.6 − 1) = −0.16: softplus(−0.32)."""
    r = np.random.default_rng(4)
    e, y = r.normal(size=(5, 3)), np.array([0, 1, 0, 2, 1])
    np.testing.assert_allclose(lossport.circle(e, y, ref_embeddings=e, ref_labels=y, reduction="none"),
                               lossport.circle(e, y, reduction="none"), rtol=1e-15)
    out = lossport.circle(np.array([[2.0, 0.0]]), np.array([0]), ref_embeddings=np.array([[3.0, 0.0], [0.0, 0.5]]),
                          ref_labels=np.array([0, 1]), remove_diagonal=False, gamma=1.0, margin=0.4)
    assert float(out) == pytest.approx(math.log1p(math.exp(-0.32)), rel=1e-14)
    with pytest.raises(ValueError, match="`ref_labels`"):
        lossport.circle(e, y, ref_embeddings=e[:3])
    with pytest.raises(ValueError, match="`ref_embeddings`"):
        lossport.circle(e, y, ref_embeddings=e[:, :2])
