"""lossport against the native implementations it must reproduce (its anchors), and the conventions where they differ.

``test_anchor`` runs every (loss, anchor) pair of the registry through ``lossport.backends.parity.anchors.run_anchor``: the
native function on every parity case it can express, float32 and float64, against lossport on NumPy in the same
dtype with the anchor's overrides (docs/conventions.md has the translations). The other tests pin, with numbers,
each documented difference that no lossport knob reproduces. Each says where its numbers come from:
"traps.md Tn" is docs/traps.md's trap Tn, reproduced here; "measured" numbers were measured
with torch 2.13, TensorFlow 2.21, Keras 3.15 (TF backend), optax 0.2.8 and scikit-learn 1.9 on CPU.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from lossport.backends.parity import anchors
from lossport.backends.parity.anchors import ANCHORS, compare_case, run_anchor
from lossport.backends.parity.cases import cases_for
from support import framework, value

import lossport
from lossport._registry import LOSSES

PAIRS = [(loss, anchor_id) for loss, record in LOSSES.items() for anchor_id in record.anchors]

# Extreme cases an anchor declines, each with the test below that pins the difference instead.
DECLINED_EXTREMES = {
    ("tensorflow.v1.log_loss", "saturated"): "test_tf_v1_log_loss_adds_epsilon",
    ("tensorflow.softmax_cross_entropy_with_logits", "masked-inf"): "test_soft_label_ce_at_masked_logits",
    ("optax.softmax_cross_entropy", "masked-inf"): "test_soft_label_ce_at_masked_logits",
    ("keras.CategoricalCrossentropy(from_logits=True)", "masked-inf"): "test_soft_label_ce_at_masked_logits",
    ("torch.cross_entropy(probabilities)", "masked-inf"): "test_soft_label_ce_at_masked_logits",
}

F32 = np.float32


# ---------------------------------------------------------------------------------------------------------------
# The parity rows


def test_every_registry_anchor_is_implemented() -> None:
    registry = {anchor_id: loss for loss, anchor_id in PAIRS}
    assert set(ANCHORS) == set(registry)
    for anchor_id, loss in registry.items():
        assert ANCHORS[anchor_id].loss == loss, anchor_id
    assert all(callable(globals().get(test)) for test in DECLINED_EXTREMES.values())


def test_run_anchor_without_the_framework(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anchors, "installed", lambda framework: False)
    assert run_anchor("torch.mse_loss", "mean_squared_error", cases_for("mean_squared_error")) is None


@pytest.mark.parametrize(("loss", "anchor_id"), PAIRS, ids=[f"{loss}-{a}" for loss, a in PAIRS])
def test_anchor(loss: str, anchor_id: str) -> None:
    anchor = ANCHORS[anchor_id]
    framework(anchor.framework)
    cases = cases_for(loss)
    row = run_anchor(anchor_id, loss, cases)
    assert row is not None
    assert row.backend == anchor.framework and row.against == anchor_id
    assert not row.error, row.error
    assert row.cases >= 1
    if row.worst > 1:
        worst = {f"{c.name}/{d}": compare_case(anchor, c, d) for c in cases for d in anchor.dtypes}
        pytest.fail(f"{anchor_id}: worst error {row.worst:.3g} tolerances; per case: {worst}")
    # Coverage: the plain case (each loss's first) and every extreme case, but the declines documented above.
    for case in cases:
        if case is not cases[0] and not case.extreme:
            continue
        declined = (anchor_id, case.name) in DECLINED_EXTREMES
        for dtype in anchor.dtypes:
            accepted = anchor.fn(case, dtype) is not None
            assert accepted is not declined, f"{anchor_id} on {case.id}/{dtype}: accepted={accepted}"


# ---------------------------------------------------------------------------------------------------------------
# Binary cross-entropy on probabilities: clamping and clipping conventions


def test_bce_saturated_probabilities_torch_clamps_at_100() -> None:
    """traps.md T1: y = [1, 0], p = [0, 0]: torch caps each term at 100, so the mean is 50; so does lossport."""
    torch = framework("torch")
    p, y = np.array([0.0, 0.0], F32), np.array([1.0, 0.0], F32)
    native = torch.nn.functional.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(y))
    assert value(native) == 50.0
    assert float(lossport.binary_cross_entropy(p, y)) == 50.0


def test_bce_saturated_probabilities_keras_clips_at_1e7() -> None:
    """traps.md T1, T1b: Keras clips to [1e-7, 1 − 1e-7]: 8.05905 for T1, and 16.1181 for p = 1e-9, y = 1
    (exact 20.7233): ``eps=1e-7`` reproduces both; lossport's default is exact there."""
    keras = framework("keras")
    p, y = np.array([0.0, 0.0], F32), np.array([1.0, 0.0], F32)
    native = value(keras.losses.BinaryCrossentropy()(y, p))
    np.testing.assert_allclose(native, 8.05905, rtol=1e-6)
    np.testing.assert_allclose(float(lossport.binary_cross_entropy(p, y, eps=1e-7)), native, rtol=1e-6)
    p, y = np.array([1e-9], F32), np.array([1.0], F32)
    native = value(keras.losses.BinaryCrossentropy()(y, p))
    np.testing.assert_allclose(native, 16.1181, rtol=1e-5)
    np.testing.assert_allclose(float(lossport.binary_cross_entropy(p, y, eps=1e-7)), native, rtol=1e-6)
    np.testing.assert_allclose(float(lossport.binary_cross_entropy(p, y)), 20.7233, rtol=1e-5)


def test_bce_saturated_probabilities_sklearn_eps_is_the_dtypes() -> None:
    """traps.md T1: scikit-learn clips at finfo(dtype).eps: 18.0218 in float64, 7.97119 for the same values in
    float32; ``eps=np.finfo(dtype).eps`` (on inputs of that dtype) reproduces each."""
    metrics = framework("sklearn")
    y = np.array([1.0, 0.0])
    for dtype, expected in ((np.float64, 18.0218267), (F32, 7.9711924)):
        p = np.array([0.0, 0.0], dtype)
        native = metrics.log_loss(y, p, labels=[0, 1])
        np.testing.assert_allclose(native, expected, rtol=1e-7)
        mine = lossport.binary_cross_entropy(p, y.astype(dtype), eps=float(np.finfo(dtype).eps))
        np.testing.assert_allclose(float(mine), native, rtol=1e-6)


def test_tf_v1_log_loss_adds_epsilon() -> None:
    """Measured: ``tf.compat.v1.losses.log_loss`` computes ``log(p + ε)`` (ε = 1e-7 added, not clipped), so a
    certain correct prediction (p = 1, y = 1) gets a *negative* loss, −1.19209e-7 in float32 (1 + 1e-7 rounds to
    1 + 2⁻²³); lossport's ``eps=1e-7`` clips instead, +1.19209e-7, and its default gives exactly 0. No knob adds ε,
    so the anchor declines the saturated case. T1's 8.05905 agrees (the ±1e-7 is below float32's resolution)."""
    tf = framework("tensorflow")
    p, y = np.array([1.0], F32), np.array([1.0], F32)
    native = value(tf.compat.v1.losses.log_loss(y, p, reduction="none"))
    np.testing.assert_allclose(native, [-2.0**-23], rtol=1e-6)
    np.testing.assert_allclose(lossport.binary_cross_entropy(p, y, eps=1e-7, reduction="none"), [2.0**-23],
                               rtol=1e-6)
    assert float(lossport.binary_cross_entropy(p, y)) == 0.0
    t1 = value(tf.compat.v1.losses.log_loss(np.array([1.0, 0.0], F32), np.array([0.0, 0.0], F32)))
    np.testing.assert_allclose(t1, 8.05905, rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Hinge: label conventions (traps.md T9: scores [.3, −.5, 2, .8], labels 0/1 = [1, 0, 1, 0])

SCORES = np.array([0.3, -0.5, 2.0, 0.8], F32)
LABELS01 = np.array([1.0, 0.0, 1.0, 0.0], F32)
LABELS_PM = 2 * LABELS01 - 1


def test_hinge_lossport_takes_plus_minus_one_only() -> None:
    """lossport: 0.75 on ±1 labels; 0/1 labels raise, with the conversion in the message."""
    np.testing.assert_allclose(float(lossport.hinge(SCORES, LABELS_PM)), 0.75, rtol=1e-6)
    with pytest.raises(ValueError, match="2 \\* labels - 1"):
        lossport.hinge(SCORES, LABELS01)


def test_hinge_keras_and_sklearn_convert_01_labels() -> None:
    """traps.md T9: Keras and scikit-learn map 0/1 labels to ±1 themselves: 0.75 on either encoding."""
    keras = framework("keras")
    assert float(keras.losses.Hinge()(LABELS01, SCORES)) == pytest.approx(0.75, rel=1e-6)
    assert float(keras.losses.Hinge()(LABELS_PM, SCORES)) == pytest.approx(0.75, rel=1e-6)
    metrics = framework("sklearn")
    assert metrics.hinge_loss(LABELS01, SCORES) == pytest.approx(0.75, rel=1e-6)


def test_hinge_optax_does_not_convert_01_labels() -> None:
    """traps.md T9: optax's ``hinge_loss`` takes the labels as given: 0/1 labels give 0.675, not 0.75."""
    optax = framework("optax")
    assert float(optax.losses.hinge_loss(SCORES, LABELS01).mean()) == pytest.approx(0.675, rel=1e-6)
    assert float(optax.losses.hinge_loss(SCORES, LABELS_PM).mean()) == pytest.approx(0.75, rel=1e-6)


def test_hinge_tf_v1_always_converts() -> None:
    """traps.md T9: ``tf.compat.v1.losses.hinge_loss`` always maps ``2y − 1``: 0/1 labels give 0.75, but ±1 labels
    become −3/+1 and give 1.025. The anchor passes ``(y + 1) / 2``."""
    tf = framework("tensorflow")
    assert value(tf.compat.v1.losses.hinge_loss(LABELS01, SCORES)) == pytest.approx(0.75, rel=1e-6)
    assert value(tf.compat.v1.losses.hinge_loss(LABELS_PM, SCORES)) == pytest.approx(1.025, rel=1e-6)
    assert value(tf.compat.v1.losses.hinge_loss((LABELS_PM + 1) / 2, SCORES)) == pytest.approx(
        float(lossport.hinge(SCORES, LABELS_PM)), rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Infinite logits: lossport is exact, the natives give NaN (traps.md T21b, pytorch/pytorch#135359)

X_INF = np.array([-np.inf, -np.inf, np.inf, np.inf])
Y_INF = np.array([0.0, 1.0, 1.0, 0.0])
EXACT_INF = np.array([0.0, np.inf, 0.0, np.inf])


def test_bce_with_logits_lossport_exact_at_infinite_logits() -> None:
    out = lossport.binary_cross_entropy_with_logits(X_INF, Y_INF, reduction="none")
    np.testing.assert_array_equal(out, EXACT_INF)


def test_bce_with_logits_torch_nan_at_infinite_logits() -> None:
    """Measured: torch gives NaN at −inf for either label, and at +inf with y = 1 (exact 0); inf only at +inf, y = 0.
    traps.md T21b reports the −inf case only."""
    torch = framework("torch")
    native = value(torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(X_INF), torch.from_numpy(Y_INF), reduction="none"))
    np.testing.assert_array_equal(native, [np.nan, np.nan, np.nan, np.inf])


def test_bce_with_logits_tf_nan_at_infinite_logits() -> None:
    """Measured: ``tf.nn.sigmoid_cross_entropy_with_logits`` is NaN wherever ``0 · inf`` appears in
    ``max(x, 0) − x·y + log1p(exp(−|x|))``: at (−inf, 0), (+inf, 1) and (+inf, 0)."""
    tf = framework("tensorflow")
    native = value(tf.nn.sigmoid_cross_entropy_with_logits(labels=Y_INF, logits=X_INF))
    np.testing.assert_array_equal(native, [np.nan, np.inf, np.nan, np.nan])


def test_bce_with_logits_optax_nan_at_infinite_logits() -> None:
    """Measured: optax's ``−y·log σ(x) − (1 − y)·log σ(−x)`` is NaN at (−inf, 0) and (+inf, 1), where the exact loss
    is 0; the infinite losses are right."""
    optax = framework("optax")
    native = value(optax.losses.sigmoid_binary_cross_entropy(X_INF, Y_INF))
    np.testing.assert_array_equal(native, [np.nan, np.inf, np.nan, np.inf])


# ---------------------------------------------------------------------------------------------------------------
# Masked (−inf) logits under soft labels (traps.md T29: logits [2, −inf, 0.5], label one-hot on class 0)

Z_MASKED = np.array([[2.0, -np.inf, 0.5]])
Q_MASKED = np.array([[1.0, 0.0, 0.0]])
EXACT_MASKED = np.log1p(np.exp(-1.5))  # 0.2014133


def _soft_ce_natives() -> dict[str, object]:
    """The soft-label CE natives on the masked logits; a framework that is not installed is left out."""
    out: dict[str, object] = {}
    if importlib.util.find_spec("torch"):
        torch = framework("torch")
        z, q = torch.from_numpy(Z_MASKED), torch.from_numpy(Q_MASKED)
        out["torch.cross_entropy(probabilities)"] = torch.nn.functional.cross_entropy(z, q, reduction="none")
        out["torch.cross_entropy"] = torch.nn.functional.cross_entropy(z, torch.tensor([0]), reduction="none")
    if importlib.util.find_spec("tensorflow"):
        tf = framework("tensorflow")
        out["tensorflow.softmax_cross_entropy_with_logits"] = tf.nn.softmax_cross_entropy_with_logits(
            labels=Q_MASKED, logits=Z_MASKED)
        keras = framework("keras")
        out["keras.CategoricalCrossentropy(from_logits=True)"] = keras.losses.CategoricalCrossentropy(
            from_logits=True, reduction=None, dtype="float64")(Q_MASKED, Z_MASKED)
    if importlib.util.find_spec("optax"):
        optax = framework("optax")
        out["optax.softmax_cross_entropy"] = optax.losses.softmax_cross_entropy(Z_MASKED, Q_MASKED)
        out["optax.safe_softmax_cross_entropy"] = optax.losses.safe_softmax_cross_entropy(Z_MASKED, Q_MASKED)
    return out


def test_soft_label_ce_at_masked_logits() -> None:
    """traps.md T29: lossport gives the exact 0.201413 (a zero label times a −inf logit counts 0), as optax's
    ``safe_softmax_cross_entropy`` and torch's index-target ``cross_entropy`` do; TF, Keras, optax's plain
    ``softmax_cross_entropy`` and torch's probability-target ``cross_entropy`` give NaN (``0 · −inf``)."""
    np.testing.assert_allclose(lossport.softmax_cross_entropy(Z_MASKED, Q_MASKED, reduction="none"),
                               [EXACT_MASKED], rtol=1e-15)
    natives = _soft_ce_natives()
    if not natives:
        pytest.skip("no anchor framework installed")
    finite = {"torch.cross_entropy", "optax.safe_softmax_cross_entropy"}
    for name, native in natives.items():
        expected = [EXACT_MASKED] if name in finite else [np.nan]
        np.testing.assert_allclose(value(native), expected, rtol=1e-15, err_msg=name)


# ---------------------------------------------------------------------------------------------------------------
# Weighted means: four conventions (traps.md T5, T6)

Z_W = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.2, 3.1], [0.3, 0.1, 0.2]])
Y_W = np.array([0, 2, 2, 1])
CLASS_W = np.array([1.0, 2.0, 0.25])


def test_class_weights_torch_divides_by_picked_weights() -> None:
    """traps.md T5 (with our own inputs; T5's 1.28191/2.40358 inputs are not recorded): torch's
    ``cross_entropy(weight=w)`` divides by Σ w[y] (0.992132 measured), which lossport's ``class_weights`` and
    ``weights=w[y]`` reproduce; the same weights with one-hot probability targets divide by N (0.868116)."""
    torch = framework("torch")
    z, w = torch.from_numpy(Z_W), torch.from_numpy(CLASS_W)
    by_index = value(torch.nn.functional.cross_entropy(z, torch.from_numpy(Y_W), weight=w))
    by_probs = value(torch.nn.functional.cross_entropy(z, torch.from_numpy(np.eye(3)[Y_W]), weight=w))
    np.testing.assert_allclose(by_index, 0.9921323686384989, rtol=1e-12)
    np.testing.assert_allclose(by_probs, 0.8681158225586865, rtol=1e-12)
    np.testing.assert_allclose(float(lossport.sparse_softmax_cross_entropy(Z_W, Y_W, class_weights=CLASS_W)),
                               by_index, rtol=1e-12)
    np.testing.assert_allclose(float(lossport.sparse_softmax_cross_entropy(Z_W, Y_W, weights=CLASS_W[Y_W])),
                               by_index, rtol=1e-12)
    per_sample_sum = lossport.sparse_softmax_cross_entropy(Z_W, Y_W, weights=CLASS_W[Y_W], reduction="sum")
    np.testing.assert_allclose(float(per_sample_sum) / len(Y_W), by_probs, rtol=1e-12)


def test_sample_weights_keras_divides_by_count() -> None:
    """traps.md T5: Keras's default reduction with ``sample_weight`` divides Σ w·l by N (0.868116 here);
    ``reduction="mean_with_sample_weight"`` divides by Σ w, lossport's mean (0.992132)."""
    keras = framework("keras")
    sw = CLASS_W[Y_W]
    default = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    weighted = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, dtype="float64", reduction="mean_with_sample_weight")
    np.testing.assert_allclose(value(default(Y_W, Z_W, sample_weight=sw)), 0.8681158225586865, rtol=1e-12)
    np.testing.assert_allclose(value(weighted(Y_W, Z_W, sample_weight=sw)),
                               float(lossport.sparse_softmax_cross_entropy(Z_W, Y_W, weights=sw)), rtol=1e-12)


def test_torch_huber_weight_is_not_a_weighted_mean() -> None:
    """traps.md T6: errors [1, 2, 4], weights [1, 0, .5]: torch 2.13's ``huber_loss(weight=, delta=100)`` is
    mean(w·l) = 1.5, while its ``mse_loss(weight=)`` is Σw·l/Σw = 6, lossport's convention for both (huber: 3.0).
    So the torch.huber_loss anchor declines the weighted-mean case."""
    torch = framework("torch")
    e, zero, w = (torch.tensor(v, dtype=torch.float64) for v in ([1.0, 2.0, 4.0], [0.0] * 3, [1.0, 0.0, 0.5]))
    F = torch.nn.functional
    assert value(F.huber_loss(e, zero, weight=w, delta=100.0)) == 1.5
    assert value(F.mse_loss(e, zero, weight=w)) == 6.0
    assert float(lossport.mean_squared_error(e.numpy(), zero.numpy(), weights=w.numpy())) == 6.0
    assert float(lossport.huber(e.numpy(), zero.numpy(), weights=w.numpy(), delta=100.0)) == 3.0
    huber_sum = lossport.huber(e.numpy(), zero.numpy(), weights=w.numpy(), delta=100.0, reduction="sum")
    assert float(huber_sum) / 3 == 1.5


def test_tf_v1_default_reduction_counts_nonzero_weights() -> None:
    """traps.md T6/T28, measured: errors [1, 2, 4], weights [1, 0, .5]: TF v1's default reduction divides by the
    count of non-zero weights (MSE 9/2 = 4.5, Huber(δ=100) 4.5/2 = 2.25); ``Reduction.MEAN`` divides by Σw, as
    lossport does (Huber 3.0)."""
    tf = framework("tensorflow")
    e, zero, w = np.array([1.0, 2.0, 4.0], F32), np.zeros(3, F32), np.array([1.0, 0.0, 0.5], F32)
    v1 = tf.compat.v1.losses
    assert value(v1.mean_squared_error(zero, e, weights=w)) == 4.5
    assert value(v1.huber_loss(zero, e, weights=w, delta=100.0)) == 2.25
    mean = value(v1.huber_loss(zero, e, weights=w, delta=100.0, reduction=v1.Reduction.MEAN))
    assert mean == float(lossport.huber(e, zero, weights=w, delta=100.0)) == 3.0


# ---------------------------------------------------------------------------------------------------------------
# Keras: reduction over the last axis first, and the float32 cast of its Loss classes


def test_keras_reduces_the_last_axis_first() -> None:
    """traps.md T10 (our inputs: predictions 0..5 as (2, 3), targets 0): ``reduction="sum"`` sums per-sample
    means in Keras (18.3333), all elements in torch and lossport (55). The anchors add a trailing axis of 1."""
    keras = framework("keras")
    p, t = np.arange(6.0).reshape(2, 3), np.zeros((2, 3))
    mse = keras.losses.MeanSquaredError(reduction="sum", dtype="float64")
    np.testing.assert_allclose(value(mse(t, p)), 55.0 / 3, rtol=1e-15)
    assert value(mse(t[..., None], p[..., None])) == 55.0
    assert float(lossport.mean_squared_error(p, t, reduction="sum")) == 55.0


def test_keras_loss_classes_cast_to_float32() -> None:
    """traps.md T25 (our inputs): a residual of 1e-12 in float64: ``MeanSquaredError()`` casts to float32 and
    returns 0.0; with ``dtype="float64"`` (what the anchors pass) it returns 1.00018e-24, as lossport does."""
    keras = framework("keras")
    p, t = np.array([1.0 + 1e-12]), np.array([1.0])
    assert value(keras.losses.MeanSquaredError()(t, p)) == 0.0
    exact = float(lossport.mean_squared_error(p, t))
    np.testing.assert_allclose(exact, 1.0001778090679956e-24, rtol=1e-15)
    np.testing.assert_allclose(value(keras.losses.MeanSquaredError(dtype="float64")(t, p)), exact, rtol=1e-15)


def test_msle_keras_clips_sklearn_does_not() -> None:
    """traps.md T13 (our inputs: predictions [−.5, 1], targets [.5, 2]): Keras clips both at 1e-7 first (0.164402,
    = lossport ``clip_min=1e-7``); scikit-learn takes log1p(−0.5) (0.685675, = lossport's default)."""
    keras, metrics = framework("keras"), framework("sklearn")
    p, t = np.array([-0.5, 1.0]), np.array([0.5, 2.0])
    native = value(keras.losses.MeanSquaredLogarithmicError(dtype="float64")(t, p))
    np.testing.assert_allclose(native, 0.1644019133466612, rtol=1e-12)
    np.testing.assert_allclose(float(lossport.mean_squared_logarithmic_error(p, t, clip_min=1e-7)), native,
                               rtol=1e-12)
    np.testing.assert_allclose(metrics.mean_squared_log_error(t, p), 0.6856754573528735, rtol=1e-12)
    np.testing.assert_allclose(float(lossport.mean_squared_logarithmic_error(p, t)),
                               metrics.mean_squared_log_error(t, p), rtol=1e-12)


def test_keras_categorical_label_smoothing_ignores_axis() -> None:
    """Measured (Keras 3.15): ``CategoricalCrossentropy(label_smoothing=ε, axis=0)`` smooths with ε / (size of the
    *last* axis), not ε / C: on 3 classes × 2 samples it uses ε/2 ([1.013200, 0.877309]); lossport smooths over the
    class axis, ε/3 ([0.804957, 0.656356]). The parity cases never combine the two, so no anchor declines."""
    keras = framework("keras")
    z = np.array([[1.0, 0.0], [-1.0, 2.0], [0.5, 0.5]])  # classes on axis 0
    q = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    native = value(keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.3, axis=0, reduction=None, dtype="float64")(q, z))
    np.testing.assert_allclose(native, [1.01320046, 0.87730907], rtol=1e-7)
    np.testing.assert_allclose(lossport.softmax_cross_entropy(z, 0.7 * q + 0.3 / 2, axis=0, reduction="none"),
                               native, rtol=1e-12)
    mine = lossport.softmax_cross_entropy(z, q, axis=0, label_smoothing=0.3, reduction="none")
    np.testing.assert_allclose(mine, [0.80495692, 0.65635571], rtol=1e-7)
    np.testing.assert_allclose(mine, lossport.softmax_cross_entropy(z.T, q.T, label_smoothing=0.3,
                                                                    reduction="none"), rtol=1e-15)


def test_conventions_doc_lists_every_anchor() -> None:
    """docs/conventions.md has one table row per anchor id."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "conventions.md").read_text(encoding="utf-8")
    missing = [a for a in ANCHORS if f"| `{a}` |" not in doc]
    assert not missing, missing


# ---------------------------------------------------------------------------------------------------------------
# Cancellation: tiny losses that the natives form as a difference of large terms (Anchor.cancels)


def test_cancellation_bce_with_logits() -> None:
    """Measured: logit −30, label 0: exact loss log1p(e⁻³⁰) = 9.357623e-14, which lossport returns in both dtypes.
    torch and ``tf.nn.weighted_cross_entropy_with_logits`` form it as x + softplus(−x): 0 in float32, 9.237056e-14
    in float64 (1.3 % off); ``tf.nn.sigmoid_cross_entropy_with_logits`` is exact."""
    exact = float(np.log1p(np.exp(-30.0)))
    x, y = np.array([-30.0]), np.array([0.0])
    for dtype in (F32, np.float64):
        mine = lossport.binary_cross_entropy_with_logits(x.astype(dtype), y.astype(dtype), reduction="none")
        np.testing.assert_allclose(mine, [exact], rtol=4 * np.finfo(dtype).eps)
    if importlib.util.find_spec("torch"):
        torch = framework("torch")
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        assert value(bce(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32))) == 0.0
        np.testing.assert_allclose(value(bce(torch.tensor(x), torch.tensor(y))), 9.237055564881302e-14, rtol=1e-9)
    if importlib.util.find_spec("tensorflow"):
        tf = framework("tensorflow")
        weighted = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=1.0)
        np.testing.assert_allclose(value(weighted), [9.237055564881302e-14], rtol=1e-9)
        plain = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x)
        np.testing.assert_allclose(value(plain), [exact], rtol=1e-15)


def test_cancellation_sparse_cross_entropy() -> None:
    """Measured: logits [30, 0, 0], label 0: exact loss log(1 + 2e⁻³⁰) = 1.8715246e-13, which lossport returns.
    Every native integer-label CE forms logsumexp(z) − z_y: torch, TF and Keras give 0 in float32 and
    1.8696156e-13 in float64; optax 1.8829382e-13."""
    z, y = np.array([[30.0, 0.0, 0.0]]), np.array([0])
    exact = float(np.log1p(2 * np.exp(-30.0)))
    for dtype in (F32, np.float64):
        mine = lossport.sparse_softmax_cross_entropy(z.astype(dtype), y, reduction="none")
        np.testing.assert_allclose(mine, [exact], rtol=4 * np.finfo(dtype).eps)
    if importlib.util.find_spec("torch"):
        torch = framework("torch")
        ce = torch.nn.functional.cross_entropy
        assert value(ce(torch.tensor(z, dtype=torch.float32), torch.from_numpy(y))) == 0.0
        np.testing.assert_allclose(value(ce(torch.tensor(z), torch.from_numpy(y))), 1.869615573468589e-13,
                                   rtol=1e-9)
    if importlib.util.find_spec("tensorflow"):
        tf = framework("tensorflow")
        native = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)
        np.testing.assert_allclose(value(native), [1.869615573468589e-13], rtol=1e-9)
    if importlib.util.find_spec("optax"):
        optax = framework("optax")
        native = optax.losses.softmax_cross_entropy_with_integer_labels(z, y)
        np.testing.assert_allclose(value(native), [1.8829382497642655e-13], rtol=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# CATALOG.md's seed examples that involve TensorFlow, on NumPy inputs and on TensorFlow tensors

X_SEED = np.array([1.5, -0.1, -10.0, 3.0], F32)  # tf.nn.weighted_cross_entropy_with_logits's docstring, plus 3.0
Y_SEED = np.array([1.0, 0.5, 0.0, 1.0], F32)
Z_SEED = np.array([[1.0, -3.0, 10.0]], F32)
Q_SEED = np.array([[0.1, 0.02, 0.88]], F32)


def _tensorflow_backend() -> None:
    if importlib.util.find_spec("lossport.backends.tensorflow") is None:
        pytest.skip("lossport's TensorFlow backend (backends/tensorflow.py) is not there yet")


def _assert_weighted_ce_seed(mine: object, native: object, dtype: type) -> None:
    """Within the parity tolerance, less TF's cancellation at x = −10, y = 0: it returns 4.5776367e-05 in float32
    (and in its own docstring) for the exact softplus(−10) = 4.5398899e-05, which lossport returns."""
    mine, native = value(mine), value(native)
    rtol = 2e-5 if dtype == F32 else 1e-12
    cancellation = 4 * np.finfo(dtype).eps * np.abs(X_SEED.astype(np.float64))
    assert np.all(np.abs(mine - native) <= rtol * np.abs(mine) + cancellation), (mine, native)
    np.testing.assert_allclose(mine[2], np.log1p(np.exp(-10.0)), rtol=1e-6)


@pytest.mark.parametrize("dtype", [F32, np.float64], ids=["float32", "float64"])
def test_seed_weighted_cross_entropy_with_logits_numpy(dtype: type) -> None:
    """CATALOG.md: ``binary_cross_entropy_with_logits(x, y, pos_weight=0.5, reduction="none")`` equals
    ``tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=0.5)``."""
    tf = framework("tensorflow")
    x, y = X_SEED.astype(dtype), Y_SEED.astype(dtype)
    native = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=0.5)
    mine = lossport.binary_cross_entropy_with_logits(x, y, pos_weight=0.5, reduction="none")
    assert isinstance(mine, np.ndarray) and mine.dtype == dtype
    _assert_weighted_ce_seed(mine, native, dtype)
    if dtype == F32:
        np.testing.assert_allclose(value(native)[2], 4.5776367e-05, rtol=1e-7)


@pytest.mark.parametrize("dtype", [F32, np.float64], ids=["float32", "float64"])
def test_seed_weighted_cross_entropy_with_logits_tensorflow(dtype: type) -> None:
    tf = framework("tensorflow")
    _tensorflow_backend()
    x, y = tf.constant(X_SEED.astype(dtype)), tf.constant(Y_SEED.astype(dtype))
    native = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=0.5)
    mine = lossport.binary_cross_entropy_with_logits(x, y, pos_weight=0.5, reduction="none")
    assert isinstance(mine, tf.Tensor) and mine.dtype == x.dtype
    _assert_weighted_ce_seed(mine, native, dtype)


@pytest.mark.parametrize("dtype", [F32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("inputs", ["numpy", "tensorflow"])
def test_seed_softmax_cross_entropy(inputs: str, dtype: type) -> None:
    """CATALOG.md: ``softmax_cross_entropy([[1., -3., 10.]], [[.1, .02, .88]])`` equals
    ``tf.nn.softmax_cross_entropy_with_logits`` (1.1601256 in float32)."""
    tf = framework("tensorflow")
    z, q = Z_SEED.astype(dtype), Q_SEED.astype(dtype)
    native = value(tf.nn.softmax_cross_entropy_with_logits(labels=q, logits=z))
    np.testing.assert_allclose(native, [1.1601256], rtol=1e-6)
    if inputs == "tensorflow":
        _tensorflow_backend()
        z, q = tf.constant(z), tf.constant(q)
    rtol = 2e-5 if dtype == F32 else 1e-12
    np.testing.assert_allclose(value(lossport.softmax_cross_entropy(z, q, reduction="none")), native, rtol=rtol)
    np.testing.assert_allclose(value(lossport.softmax_cross_entropy(z, q)), native[0], rtol=rtol)
