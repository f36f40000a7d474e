"""The margin losses: literal values, the conventions where the anchors differ, properties, and bad input.

Where each number comes from: "by hand" values are derived in the comment beside them; "traps.md Tn" is
docs/traps.md's trap Tn; "measured" numbers were measured with torch 2.13, Keras 3.15 (TF
backend), optax 0.2.8 and scikit-learn 1.9 on CPU, and are re-measured here wherever the framework is installed.
The parity of every case with the native anchors is tests/test_anchors.py's business (backends/parity/anchors/margin.py).
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
T27_SCORES = np.array([[-2.0, -1.0, -3.0], [0.5, 2.0, 1.8]])
T27_LABELS = np.array([0, 1])


# ---------------------------------------------------------------------------------------------------------------
# ±1 labels: literal values


def test_squared_hinge_by_hand_and_keras_on_01_labels() -> None:
    """Scores [.3, −.5, 2, .8] (traps.md T9), ±1 labels [1, −1, 1, −1]: hinge terms .7, .5, 0, 1.8, squared
    .49, .25, 0, 3.24, mean 3.98 / 4 = 0.995. Keras converts the 0/1 labels [1, 0, 1, 0] to the same ±1 labels
    (measured 0.99499995 in float32); lossport raises on 0/1 labels and names the conversion."""
    s, y = np.array([0.3, -0.5, 2.0, 0.8]), np.array([1.0, -1.0, 1.0, -1.0])
    np.testing.assert_allclose(lossport.squared_hinge(s, y, reduction="none"), [0.49, 0.25, 0.0, 3.24], rtol=1e-15)
    assert float(lossport.squared_hinge(s, y)) == pytest.approx(0.995, rel=1e-15)
    with pytest.raises(ValueError, match=r"`2 \* labels - 1`"):
        lossport.squared_hinge(s, (y + 1) / 2)
    keras = framework("keras")
    native = value(keras.losses.SquaredHinge()((y + 1) / 2, s))
    np.testing.assert_allclose(native, 0.995, rtol=1e-6)


def test_soft_margin_by_hand() -> None:
    """softplus(−y·s): s = 0 gives log 2; s = 2, y = −1 gives log(1 + e²) = 2.1269280110429727 (by hand: e² =
    7.389056, log 8.389056); a confident correct s = 30 gives log1p(e⁻³⁰) = 9.357622968839737e-14 (mpmath)."""
    s, y = np.array([0.0, 2.0, 30.0]), np.array([1, -1, 1])
    expected = [math.log(2.0), 2.1269280110429727, 9.357622968839737e-14]
    np.testing.assert_allclose(lossport.soft_margin(s, y, reduction="none"), expected, rtol=2e-16)
    np.testing.assert_allclose(lossport.soft_margin(s.astype(F32), y, reduction="none"), expected, rtol=2e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_soft_margin_overflow_in_torch(dtype: str) -> None:
    """Measured: torch's ``soft_margin_loss`` forms log1p(exp(−y·s)), which overflows: −y·s = 100 gives inf in
    float32 (exact 100), and −y·s = 1e4 inf in both dtypes. lossport gives 100 and 1e4. The parity cases stop at
    |s| = 80, where torch is exact."""
    torch = framework("torch")
    s, y = np.array([100.0, 1e4], dtype=dtype), np.array([-1.0, -1.0], dtype=dtype)
    s_t, y_t = torch.from_numpy(s), torch.from_numpy(y)
    native = value(torch.nn.functional.soft_margin_loss(s_t, y_t, reduction="none"))
    assert native[1] == math.inf
    assert (native[0] == math.inf) == (dtype == "float32")
    np.testing.assert_array_equal(lossport.soft_margin(s, y, reduction="none"), [100.0, 1e4])


def test_perceptron_by_hand_and_optax_on_01_labels() -> None:
    """max(0, −y·s) on s = [.3, −.5, 2, .8], y = [1, 1, −1, −1]: [0, .5, 2, .8], mean 0.825. Measured: optax's
    ``perceptron_loss`` on the 0/1 labels [1, 0, 1, 0] gives [0, 0, 0, 0] (a label 0 zeroes its term, so it is
    not a perceptron loss there); lossport raises on 0/1 labels instead."""
    s, y = np.array([0.3, -0.5, 2.0, 0.8]), np.array([1.0, 1.0, -1.0, -1.0])
    np.testing.assert_array_equal(lossport.perceptron(s, y, reduction="none"), [0.0, 0.5, 2.0, 0.8])
    assert float(lossport.perceptron(s, y)) == pytest.approx(0.825, rel=1e-15)
    with pytest.raises(ValueError, match=r"`2 \* labels - 1`"):
        lossport.perceptron(s, np.array([1.0, 0.0, 1.0, 0.0]))
    optax = framework("optax")
    np.testing.assert_array_equal(value(optax.losses.perceptron_loss(s, np.array([1.0, 0.0, 1.0, 0.0]))), 0.0)


# ---------------------------------------------------------------------------------------------------------------
# Multi-label margin: torch's index lists


def test_multilabel_margin_torch_docs_example() -> None:
    """torch's documentation example (and measured): x = [.1, .2, .4, .8], labels [3, 0, −1, 1]: targets {3, 0},
    non-targets {1, 2}: (1 − (.8 − .2)) + (1 − (.8 − .4)) + (1 − (.1 − .2)) + (1 − (.1 − .4))
    = .4 + .6 + 1.1 + 1.3 = 3.4, divided by C = 4: 0.85. The 1 after the −1 is ignored."""
    x, y = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])
    np.testing.assert_allclose(lossport.multilabel_margin(x, y, reduction="none"), [0.85], rtol=1e-15)
    # Whatever follows the -1 is ignored (a valid index, or another -1):
    np.testing.assert_allclose(lossport.multilabel_margin(x, np.array([[3, 0, -1, -1]])), 0.85, rtol=1e-15)
    torch = framework("torch")
    native = torch.nn.functional.multilabel_margin_loss(torch.from_numpy(x), torch.from_numpy(y))
    np.testing.assert_allclose(value(native), 0.85, rtol=1e-15)


def test_multilabel_margin_edge_lists() -> None:
    """By hand, on x = [.1, .2, .4, .8]: no target (the list starts with −1) gives 0; every class a target (no
    −1) gives 0 (no non-target); a class listed twice counts twice, as in torch (measured 0.65 for [3, 3, −1, 1]:
    2 · (.3 + .4 + .6) / 4)."""
    x = np.array([[0.1, 0.2, 0.4, 0.8]] * 3)
    y = np.array([[-1, 2, 0, 1], [2, 0, 3, 1], [3, 3, -1, 1]])
    np.testing.assert_allclose(lossport.multilabel_margin(x, y, reduction="none"), [0.0, 0.0, 0.65], rtol=1e-15)
    torch = framework("torch")
    F = torch.nn.functional
    native = F.multilabel_margin_loss(torch.from_numpy(x), torch.from_numpy(y), reduction="none")
    np.testing.assert_allclose(value(native), [0.0, 0.0, 0.65], rtol=1e-15)


def test_multilabel_margin_axis_and_batch_shape() -> None:
    """The class axis can be any axis, for both arrays; leading axes are batch axes (torch takes 2-D only)."""
    x, y = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])
    x3, y3 = np.stack([x, x]), np.stack([y, y])  # (2, 1, 4)
    np.testing.assert_allclose(lossport.multilabel_margin(x3, y3, reduction="none"), [[0.85], [0.85]])
    moved = lossport.multilabel_margin(np.moveaxis(x3, -1, 0), np.moveaxis(y3, -1, 0), axis=0, reduction="none")
    np.testing.assert_allclose(moved, [[0.85], [0.85]], rtol=1e-15)


# ---------------------------------------------------------------------------------------------------------------
# Multiclass: traps.md T27, scores [[−2, −1, −3], [.5, 2, 1.8]], labels [0, 1]


def test_multiclass_hinge_t27_optax_and_sklearn() -> None:
    """Crammer–Singer, by hand: row 0: 1 + max(−1, −3) − (−2) = 2; row 1: 1 + 1.8 − 2 = 0.8 (traps.md T27:
    optax [2, 0.8]); mean 1.4 = scikit-learn's multiclass ``hinge_loss`` (T27)."""
    loss = lossport.multiclass_hinge(T27_SCORES, T27_LABELS, reduction="none")
    np.testing.assert_allclose(loss, [2.0, 0.8], rtol=1e-15)
    assert float(lossport.multiclass_hinge(T27_SCORES, T27_LABELS)) == pytest.approx(1.4, rel=1e-15)
    optax = framework("optax")
    native = value(optax.losses.multiclass_hinge_loss(T27_SCORES, T27_LABELS))
    np.testing.assert_allclose(native, [2.0, 0.8], rtol=1e-15)
    metrics = framework("sklearn")
    assert metrics.hinge_loss(T27_LABELS, T27_SCORES, labels=[0, 1, 2]) == pytest.approx(1.4, rel=1e-15)


def test_multiclass_hinge_keras_variant() -> None:
    """traps.md T27: Keras's ``CategoricalHinge`` gives [3, 0.8]: its ``max((1 − y)·s)`` puts 0 in the true
    class's slot, so row 0's best other score, −1, becomes 0: 1 + 0 − (−2) = 3. ``null_score=0.0`` reproduces
    it; without it lossport gives Crammer–Singer's 2. The two agree wherever some other score is ≥ 0 (row 1)."""
    np.testing.assert_allclose(
        lossport.multiclass_hinge(T27_SCORES, T27_LABELS, null_score=0.0, reduction="none"), [3.0, 0.8], rtol=1e-15
    )
    keras = framework("keras")
    native = keras.losses.CategoricalHinge(reduction=None, dtype="float64")(np.eye(3)[T27_LABELS], T27_SCORES)
    np.testing.assert_allclose(value(native), [3.0, 0.8], rtol=1e-15)


def test_multi_margin_t27_and_p2() -> None:
    """Weston–Watkins ÷ C, by hand: row 0 (label 0): (max(0, 1 + 2 − 1) + max(0, 1 + 2 − 3)) / 3 = 2/3; row 1
    (label 1): (max(0, 1 − 2 + .5) + max(0, 1 − 2 + 1.8)) / 3 = 0.8/3 (T27: torch [0.667, 0.267]). p = 2,
    margin .5: row 0 (.5 + 2 − 1)² / 3 = 0.75, row 1 (.5 − 2 + 1.8)² / 3 = 0.03 (torch measured the same)."""
    np.testing.assert_allclose(
        lossport.multi_margin(T27_SCORES, T27_LABELS, reduction="none"), [2 / 3, 0.8 / 3], rtol=1e-15
    )
    p2 = lossport.multi_margin(T27_SCORES, T27_LABELS, p=2, margin=0.5, reduction="none")
    np.testing.assert_allclose(p2, [0.75, 0.03], rtol=1e-14)
    torch = framework("torch")
    s, y = torch.from_numpy(T27_SCORES), torch.from_numpy(T27_LABELS)
    F = torch.nn.functional
    np.testing.assert_allclose(value(F.multi_margin_loss(s, y, reduction="none")), [2 / 3, 0.8 / 3], rtol=1e-15)
    np.testing.assert_allclose(value(F.multi_margin_loss(s, y, p=2, margin=0.5, reduction="none")), [0.75, 0.03],
                               rtol=1e-14)


def test_multi_margin_class_weighted_mean_vs_torch() -> None:
    """Class weights w = [2, .5, 1] on T27: per sample w[y]·ℓ = [2 · 2/3, .5 · .8/3] = [4/3, 0.4/3] (torch
    measured the same). torch's ``"mean"`` divides their sum by N = 2: 0.733333 (measured); lossport's divides by
    Σ w[y] = 2.5: 0.586667, its class-weight convention (DESIGN.md; torch's own ``cross_entropy(weight=)`` does the
    same). torch's number is lossport's ``"sum"`` / N. The ``torch.multi_margin_loss`` anchor declines this case."""
    w = np.array([2.0, 0.5, 1.0])
    none = lossport.multi_margin(T27_SCORES, T27_LABELS, class_weights=w, reduction="none")
    np.testing.assert_allclose(none, [4 / 3, 0.4 / 3], rtol=1e-15)
    assert float(lossport.multi_margin(T27_SCORES, T27_LABELS, class_weights=w)) == pytest.approx(
        (4 / 3 + 0.4 / 3) / 2.5, rel=1e-15)
    total = float(lossport.multi_margin(T27_SCORES, T27_LABELS, class_weights=w, reduction="sum"))
    assert total / 2 == pytest.approx(0.7333333333333333, rel=1e-15)
    torch = framework("torch")
    native = torch.nn.functional.multi_margin_loss(
        torch.from_numpy(T27_SCORES), torch.from_numpy(T27_LABELS), weight=torch.from_numpy(w))
    np.testing.assert_allclose(value(native), 0.7333333333333333, rtol=1e-15)
    # lossport's class-weighted mean is the per-sample-weighted mean with weights w[y]:
    per_sample = lossport.multi_margin(T27_SCORES, T27_LABELS, weights=w[T27_LABELS])
    np.testing.assert_allclose(per_sample, (4 / 3 + 0.4 / 3) / 2.5, rtol=1e-15)


def test_multiclass_perceptron_t27() -> None:
    """max_c s_c − s_y by hand: row 0: −1 − (−2) = 1; row 1: 2 − 2 = 0 (optax measured the same). Per-sample
    weights [1, 3]: "mean" = (1·1 + 3·0) / 4 = 0.25."""
    np.testing.assert_array_equal(
        lossport.multiclass_perceptron(T27_SCORES, T27_LABELS, reduction="none"), [1.0, 0.0])
    weighted = lossport.multiclass_perceptron(T27_SCORES, T27_LABELS, weights=np.array([1.0, 3.0]))
    assert float(weighted) == 0.25
    optax = framework("optax")
    np.testing.assert_array_equal(value(optax.losses.multiclass_perceptron_loss(T27_SCORES, T27_LABELS)), [1.0, 0.0])


def test_multiclass_single_class() -> None:
    """With one class the true class is the only one: every multiclass loss is 0 (no other class to beat)."""
    s, y = np.array([[0.7], [-3.0]]), np.array([0, 0])
    for loss in (lossport.multiclass_hinge, lossport.multi_margin, lossport.multiclass_perceptron):
        np.testing.assert_array_equal(loss(s, y, reduction="none"), [0.0, 0.0])


# ---------------------------------------------------------------------------------------------------------------
# Properties (hypothesis)

FINITE = st.floats(-20.0, 20.0, allow_nan=False, width=64)
SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def signed(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 8))
    s = draw(hnp.arrays(np.float64, n, elements=FINITE))
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([-1.0, 1.0])))
    return s, y


@st.composite
def classes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    s = draw(hnp.arrays(np.float64, (n, c), elements=FINITE))
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, c - 1)))
    return s, y


@SETTINGS
@given(signed())
def test_binary_margin_identities(data: tuple[np.ndarray, np.ndarray]) -> None:
    """squared_hinge = hinge²; perceptron(s, y) = hinge(s + y, y) (the hinge without its margin); soft_margin =
    BCE with logits on (y + 1)/2, and lies between the perceptron loss and it plus log 2; all non-negative."""
    s, y = data
    hinge = lossport.hinge(s, y, reduction="none")
    np.testing.assert_allclose(lossport.squared_hinge(s, y, reduction="none"), hinge * hinge, rtol=1e-15)
    perceptron = lossport.perceptron(s, y, reduction="none")
    np.testing.assert_allclose(perceptron, lossport.hinge(s + y, y, reduction="none"), rtol=1e-12, atol=1e-14)
    soft = lossport.soft_margin(s, y, reduction="none")
    bce = lossport.binary_cross_entropy_with_logits(s, (y + 1) / 2, reduction="none")
    np.testing.assert_allclose(soft, bce, rtol=1e-14)
    assert np.all(perceptron >= 0) and np.all(soft >= perceptron) and np.all(soft <= perceptron + math.log(2) + 1e-15)


@SETTINGS
@given(signed())
def test_binary_margin_zero_when_confident(data: tuple[np.ndarray, np.ndarray]) -> None:
    """y·s ≥ 1 gives a zero squared hinge; y·s ≥ 0 a zero perceptron loss."""
    s, y = data
    s = y * (np.abs(s) + 1.0)
    assert np.all(lossport.squared_hinge(s, y, reduction="none") == 0)
    assert np.all(lossport.perceptron(s, y, reduction="none") == 0)


@SETTINGS
@given(classes())
def test_multiclass_orderings(data: tuple[np.ndarray, np.ndarray]) -> None:
    """0 ≤ multiclass_perceptron ≤ multiclass_hinge ≤ multiclass_hinge(null_score=0) ≤ C · multi_margin(p=1)
    + max(0, 1 − s_y) (the Weston–Watkins sum holds every other class's term; the null class adds at most
    max(0, 1 − s_y))."""
    s, y = data
    c = s.shape[-1]
    perceptron = lossport.multiclass_perceptron(s, y, reduction="none")
    hinge = lossport.multiclass_hinge(s, y, reduction="none")
    keras = lossport.multiclass_hinge(s, y, null_score=0.0, reduction="none")
    ww = c * lossport.multi_margin(s, y, reduction="none")
    tol = 1e-12
    assert np.all(perceptron >= 0) and np.all(perceptron <= hinge + tol) and np.all(hinge <= keras + tol)
    assert np.all(hinge <= ww + tol)
    assert np.all(keras <= ww + np.maximum(0.0, 1.0 - s[np.arange(len(y)), y]) + tol)


@SETTINGS
@given(classes())
def test_multiclass_zero_when_separated(data: tuple[np.ndarray, np.ndarray]) -> None:
    """The true class ahead of every other by more than the margin: every multiclass loss is 0."""
    s, y = data
    s = s.copy()
    s[np.arange(len(y)), y] = s.max(axis=-1) + 1.5
    for loss in (lossport.multiclass_hinge, lossport.multi_margin, lossport.multiclass_perceptron):
        assert np.all(loss(s, y, reduction="none") == 0)
    assert np.all(lossport.multi_margin(s, y, p=2, margin=1.4, reduction="none") == 0)


@SETTINGS
@given(classes())
def test_two_classes_and_single_targets(data: tuple[np.ndarray, np.ndarray]) -> None:
    """With one target per sample, multilabel_margin is multi_margin(p=1, margin=1) (torch's documentation); with
    two classes, multi_margin is multiclass_hinge / 2 (one other class: the sum is the max)."""
    s, y = data
    c = s.shape[-1]
    lists = np.full(s.shape, -1)
    lists[:, 0] = y
    np.testing.assert_allclose(
        lossport.multilabel_margin(s, lists, reduction="none"), lossport.multi_margin(s, y, reduction="none"),
        rtol=1e-12, atol=1e-14)
    if c == 2:
        np.testing.assert_allclose(
            lossport.multi_margin(s, y, reduction="none"), lossport.multiclass_hinge(s, y, reduction="none") / 2,
            rtol=1e-12, atol=1e-14)


@SETTINGS
@given(classes(), st.data())
def test_multilabel_margin_ignores_after_terminator(data: tuple[np.ndarray, np.ndarray], draw: st.DataObject) -> None:
    """Whatever follows the first −1 does not change the loss; the loss is 0 when every target beats every
    non-target by more than 1."""
    s, _ = data
    n, c = s.shape
    k = draw.draw(st.integers(0, c))
    lists = np.stack([np.random.default_rng(i).permutation(c) for i in range(n)])
    if k < c:
        lists[:, k] = -1
        junk = lists.copy()
        junk[:, k + 1:] = draw.draw(hnp.arrays(np.int64, (n, c - k - 1), elements=st.integers(-1, c - 1)))
        np.testing.assert_array_equal(lossport.multilabel_margin(s, lists, reduction="none"),
                                      lossport.multilabel_margin(s, junk, reduction="none"))
    targets = np.zeros(s.shape, dtype=bool)
    for i in range(n):
        targets[i, lists[i, :k]] = True
    separated = np.where(targets, s + 100.0, s)
    assert np.all(lossport.multilabel_margin(separated, lists, reduction="none") == 0)


def test_soft_margin_accuracy_against_mpmath() -> None:
    """Relative accuracy of a few ulps over the whole range, tiny losses included (DESIGN.md "Accurate")."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    z = np.array([-700.0, -80.0, -30.0, -5.0, -1e-8, 0.0, 1e-8, 0.5, 5.0, 30.0, 80.0, 700.0])
    for dtype in (np.float64, np.float32):
        x = z.astype(dtype)
        exact = np.array([float(mpmath.log1p(mpmath.exp(-mpmath.mpf(float(v))))) for v in x])
        got = lossport.soft_margin(x, np.ones_like(x), reduction="none")
        assert got.dtype == dtype
        normal = exact > np.finfo(dtype).tiny  # e^-700 is below float32's range
        np.testing.assert_allclose(got[normal], exact[normal], rtol=4 * np.finfo(dtype).eps)


# ---------------------------------------------------------------------------------------------------------------
# Bad input, on NumPy and torch

BAD_BACKENDS = [b for b in ("numpy", "torch") if b in BACKENDS]


def arr(backend: str, x: object, dtype: str = "float32") -> object:
    return parity.convert(backend, np.asarray(x), dtype, device_for(backend))


@pytest.fixture(params=BAD_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("loss", ["squared_hinge", "soft_margin", "perceptron"])
def test_zero_one_labels(backend: str, loss: str) -> None:
    with pytest.raises(ValueError, match=r"`labels` must be -1 or \+1; got 0.0; .*`2 \* labels - 1`"):
        getattr(lossport, loss)(arr(backend, [0.3, -0.5]), arr(backend, [1.0, 0.0]))
    with pytest.raises(ValueError, match=r"`labels` must be -1 or \+1; got 2.0$"):
        getattr(lossport, loss)(arr(backend, [0.3, -0.5]), arr(backend, [1.0, 2.0]))
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(2, 1\)"):
        getattr(lossport, loss)(arr(backend, [0.3, -0.5]), arr(backend, [[1.0], [-1.0]]))


def test_multilabel_margin_bad_labels(backend: str) -> None:
    x = arr(backend, [[0.1, 0.2, 0.4, 0.8]])
    for bad in (4, -2):
        with pytest.raises(ValueError, match=rf"`labels` must be class indices in \[0, 4\) or -1 .*; got {bad}$"):
            lossport.multilabel_margin(x, arr(backend, [[3, -1, bad, 1]], "int64"))
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        lossport.multilabel_margin(x, arr(backend, [[3.0, 0.0, -1.0, 1.0]]))
    with pytest.raises(TypeError, match=r"`predictions` must have a real floating dtype"):
        lossport.multilabel_margin(arr(backend, [[1, 2, 3, 4]], "int64"), arr(backend, [[3, 0, -1, 1]], "int64"))
    with pytest.raises(ValueError, match=r"same shape; got \(1, 4\) and \(1, 3\)"):
        lossport.multilabel_margin(x, arr(backend, [[3, 0, -1]], "int64"))
    with pytest.raises(ValueError, match=r"`axis` must be in \[-2, 2\) for 2-D `predictions`; got 2"):
        lossport.multilabel_margin(x, arr(backend, [[3, 0, -1, 1]], "int64"), axis=2)


@pytest.mark.parametrize("loss", ["multiclass_hinge", "multi_margin", "multiclass_perceptron"])
def test_multiclass_bad_labels(backend: str, loss: str) -> None:
    fn = getattr(lossport, loss)
    s = arr(backend, [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
    for bad in (3, -1):
        with pytest.raises(ValueError, match=rf"`labels` must be class indices in \[0, 3\); got {bad}$"):
            fn(s, arr(backend, [0, bad], "int64"))
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        fn(s, arr(backend, [0.0, 1.0]))
    with pytest.raises(TypeError, match=r"`scores` must have a real floating dtype"):
        fn(arr(backend, [[1, 2, 3]], "int64"), arr(backend, [0], "int64"))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(2,\)"):
        fn(s, arr(backend, [[0], [1]], "int64"))
    with pytest.raises(ValueError, match=r"`scores` must have a class axis; got a 0-D array"):
        fn(arr(backend, 0.5), arr(backend, 0, "int64"))
    with pytest.raises(ValueError, match=r"`axis` must be in \[-2, 2\) for 2-D `scores`; got -3"):
        fn(s, arr(backend, [0, 1], "int64"), axis=-3)


@pytest.mark.parametrize("p", [0, 3, 1.5, True])
def test_multi_margin_bad_p(backend: str, p: object) -> None:
    with pytest.raises(ValueError, match=rf"`p` must be 1 or 2; got {p!r}$"):
        lossport.multi_margin(arr(backend, [[0.1, 0.2]]), arr(backend, [0], "int64"), p=p)


def test_multi_margin_bad_margin_and_class_weights(backend: str) -> None:
    s, y = arr(backend, [[0.1, 0.2, 0.3]]), arr(backend, [0], "int64")
    for margin in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match=r"`margin` must be non-negative and finite; got"):
            lossport.multi_margin(s, y, margin=margin)
    with pytest.raises(TypeError, match=r"`margin` must be a Python number or a 0-D array; got str"):
        lossport.multi_margin(s, y, margin="1")
    with pytest.raises(ValueError, match=r"`class_weights` must have shape \(3,\) \(one weight per class\)"):
        lossport.multi_margin(s, y, class_weights=arr(backend, [1.0, 2.0]))
    with pytest.raises(TypeError, match=r"`class_weights` must have a real floating dtype"):
        lossport.multi_margin(s, y, class_weights=arr(backend, [1, 2, 3], "int64"))


def test_multiclass_hinge_bad_null_score(backend: str) -> None:
    s, y = arr(backend, [[0.1, 0.2, 0.3]]), arr(backend, [0], "int64")
    for bad in (math.inf, math.nan):
        with pytest.raises(ValueError, match=r"`null_score` must be finite; got"):
            lossport.multiclass_hinge(s, y, null_score=bad)
    with pytest.raises(TypeError, match=r"`null_score` must be a Python number or a 0-D array; got str"):
        lossport.multiclass_hinge(s, y, null_score="0")


@pytest.mark.skipif("jax" not in BACKENDS, reason="jax is not installed")
def test_traced_label_lists_are_not_checked() -> None:
    """Under jax.jit the index lists are tracers: no value check, and no error (an out-of-range target matches no
    class, so it counts as nothing); eagerly the same call raises."""
    import jax
    import jax.numpy as jnp

    x, y = jnp.asarray([[0.1, 0.2, 0.4, 0.8]]), jnp.asarray([[3, 7, -1, 1]])
    out = jax.jit(lambda a, b: lossport.multilabel_margin(a, b))(x, y)
    assert np.isfinite(float(out))
    with pytest.raises(ValueError, match=r"got 7"):
        lossport.multilabel_margin(x, y)


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
def test_null_score_tensor_and_its_gradient() -> None:
    """A 0-D tensor `null_score` that floors the rival score: the loss and its derivative in the knob (hand
    computation). tests/test_knobs.py's case has every rival above its null score, where that derivative is 0."""
    import torch

    s, y = torch.tensor([[-2.0, -1.0, -3.0], [0.5, 2.0, 1.8]], dtype=torch.float64), torch.tensor([0, 1])
    v = torch.tensor(0.25, dtype=torch.float64, requires_grad=True)
    out = lossport.multiclass_hinge(s, y, null_score=v)
    # row 0: 1 + max(-1, v) − (−2) = 3 + v, row 1: 1 + max(1.8, v) − 2 = 0.8; the mean (3.8 + v)/2, slope 1/2
    assert out.item() == pytest.approx((3.8 + 0.25) / 2, rel=1e-15)
    out.backward()
    assert v.grad is not None
    assert v.grad.item() == 0.5
