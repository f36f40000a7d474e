"""lossport.compat.keras against Keras 3's functional ``keras.losses`` (TensorFlow backend): every function,
Keras's knobs drawn at random (hypothesis), on every backend (values), on TF tensors (values and gradients), and
a sample under ``jax.jit``."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from test_compat import (
    Twin,
    matrix_tests,
    one_hot,
    probabilities,
    rng,
    shape,
    simplex,
)

import lossport.compat.keras as K


def _native(name: str):
    def get():
        import keras

        return getattr(keras.losses, name)

    return get


def _regression(data, *, positive: bool = False):
    r = rng(data)
    shp = shape(data)
    t, p = r.normal(size=shp), r.normal(size=shp)
    if positive:
        t, p = np.abs(t), np.abs(p) + 0.05
    return r, shp, t, p


def _plain(data):
    _, _, t, p = _regression(data)
    return (t, p), {}


def _msle(data):
    r, shp, t, p = _regression(data)
    return (np.abs(t), np.abs(p) * r.choice([1.0, -1.0], size=shp)), {}  # some negative predictions: clipped


def _huber(data):
    _, _, t, p = _regression(data)
    return (t, p), {"delta": data.draw(st.floats(0.1, 3.0), label="delta")}


def _poisson(data):
    r, shp, _, p = _regression(data, positive=True)
    return (r.poisson(2.0, size=shp).astype(np.float64), p), {}


def _cosine(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    return (r.normal(size=shp), r.normal(size=shp)), {"axis": data.draw(st.sampled_from([-1, 0]), label="axis")}


def _kl(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    return (simplex(r, shp), simplex(r, shp)), {}


def _bce(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    from_logits = data.draw(st.booleans(), label="from_logits")
    y = r.integers(0, 2, size=shp).astype(np.float64)
    p = 3 * r.normal(size=shp) if from_logits else probabilities(r, shp)
    return (y, p), {"from_logits": from_logits,
                    "label_smoothing": data.draw(st.sampled_from([0.0, 0.1, 0.3]), label="smoothing"),
                    "axis": data.draw(st.sampled_from([-1, 0]), label="axis")}


def _binary_focal(data):
    (y, p), kw = _bce(data)
    kw.update(apply_class_balancing=data.draw(st.booleans(), label="balancing"),
              alpha=data.draw(st.floats(0.1, 0.9), label="alpha"), gamma=data.draw(st.floats(0.0, 3.0), label="g"))
    return (y, p), kw


def _hinge(data):
    r = rng(data)
    shp = shape(data)
    coding = data.draw(st.sampled_from(["01", "pm1", "soft"]), label="labels")
    y = {"01": lambda: r.integers(0, 2, size=shp).astype(np.float64),
         "pm1": lambda: r.choice([-1.0, 1.0], size=shp),
         "soft": lambda: r.uniform(-1, 1, size=shp)}[coding]()
    return (y, 2 * r.normal(size=shp)), {}


def _categorical(data, *, soft_ok: bool = True):
    r = rng(data)
    n = data.draw(st.sampled_from([2, 3]), label="N")
    c = data.draw(st.sampled_from([2, 4]), label="C")
    from_logits = data.draw(st.booleans(), label="from_logits")
    if soft_ok and data.draw(st.booleans(), label="soft"):
        y = simplex(r, (n, c))
    else:
        y = one_hot(r.integers(0, c, size=(n,)), c)
    p = 2 * r.normal(size=(n, c)) if from_logits else simplex(r, (n, c)) * r.uniform(0.5, 1.5)
    return r, (y, p), {"from_logits": from_logits,
                       "label_smoothing": data.draw(st.sampled_from([0.0, 0.1, 0.3]), label="smoothing")}


def _cce(data):
    _, args, kw = _categorical(data)
    return args, kw


def _categorical_focal(data):
    _, args, kw = _categorical(data)
    alpha: Any = data.draw(st.floats(0.1, 1.0), label="alpha")
    kw.update(alpha=alpha, gamma=data.draw(st.floats(0.0, 3.0), label="gamma"))
    return args, kw


def _sparse_cce(data):
    r = rng(data)
    shp = shape(data, min_dims=1, max_dims=2)
    c = data.draw(st.sampled_from([2, 4]), label="C")
    from_logits = data.draw(st.booleans(), label="from_logits")
    y = r.integers(0, c, size=shp)
    p = 2 * r.normal(size=(*shp, c)) if from_logits else simplex(r, (*shp, c))
    kw: dict[str, Any] = {"from_logits": from_logits}
    if data.draw(st.booleans(), label="ignore_class"):
        kw["ignore_class"] = int(y.flat[0])
    return (y, p), kw


def _generalized(data):
    r = rng(data)
    n, c = data.draw(st.sampled_from([2, 3]), label="N"), data.draw(st.sampled_from([2, 4]), label="C")
    return (r.integers(0, c, size=(n,)), simplex(r, (n, c))), {"q": data.draw(st.floats(0.1, 0.9), label="q")}


def _categorical_hinge(data):
    r = rng(data)
    n, c = data.draw(st.sampled_from([2, 3]), label="N"), data.draw(st.sampled_from([2, 4]), label="C")
    return (one_hot(r.integers(0, c, size=(n,)), c), 2 * r.normal(size=(n, c))), {}


def _circle(data):
    r = rng(data)
    n, d = data.draw(st.sampled_from([4]), label="N"), data.draw(st.sampled_from([3]), label="D")
    e = r.normal(size=(n, d))
    e = e / np.linalg.norm(e, axis=-1, keepdims=True)
    kw = {"remove_diagonal": data.draw(st.booleans(), label="remove_diagonal"),
          "gamma": data.draw(st.sampled_from([1.0, 10.0, 80.0]), label="gamma"),
          "margin": data.draw(st.floats(0.1, 0.5), label="margin")}
    reference = data.draw(st.sampled_from(["batch", "set", "embeddings", "labels"]), label="reference")
    m = 6 if reference == "set" else n  # Keras defaults each of the two to the batch's own: same M then
    if reference in ("set", "embeddings"):
        ref = r.normal(size=(m, d))
        kw["ref_embeddings"] = ref / np.linalg.norm(ref, axis=-1, keepdims=True)
    if reference in ("set", "labels"):
        kw["ref_labels"] = r.integers(0, 2, size=(m,))
    return (r.integers(0, 2, size=(n,)), e), kw


def _overlap(data, *, tversky: bool = False):
    r = rng(data)
    shp = (data.draw(st.sampled_from([1, 2]), label="N"), 3, 3, data.draw(st.sampled_from([1, 2]), label="C"))
    kw: dict[str, Any] = {"axis": data.draw(st.sampled_from([None, (1, 2), (1, 2, 3)]), label="axis")}
    if tversky:
        kw.update(alpha=data.draw(st.floats(0.1, 0.9), label="alpha"), beta=data.draw(st.floats(0.1, 0.9)))
    return (r.integers(0, 2, size=shp).astype(np.float64), probabilities(r, shp)), kw


def _dice(data):
    return _overlap(data)


def _tversky(data):
    return _overlap(data, tversky=True)


def _ctc(data):
    r = rng(data)
    b, t, c = data.draw(st.sampled_from([1, 2]), label="B"), data.draw(st.sampled_from([5]), label="T"), 4
    lengths = r.integers(0, 3, size=(b,))
    labels = np.where(np.arange(2)[None, :] < lengths[:, None], r.integers(1, c, size=(b, 2)), 0)
    return (labels.astype(np.int32), r.normal(size=(b, t, c))), {}


TWINS = [
    Twin("mean_squared_error", K.mean_squared_error, _native("mean_squared_error"), _plain, "keras", grad=1),
    Twin("mean_absolute_error", K.mean_absolute_error, _native("mean_absolute_error"), _plain, "keras", grad=1),
    Twin("mean_absolute_percentage_error", K.mean_absolute_percentage_error,
         _native("mean_absolute_percentage_error"), _plain, "keras", grad=1, rtol=1e-6),
    Twin("mean_squared_logarithmic_error", K.mean_squared_logarithmic_error,
         _native("mean_squared_logarithmic_error"), _msle, "keras", grad=1, rtol=1e-6, atol=1e-9),
    Twin("huber", K.huber, _native("huber"), _huber, "keras", grad=1, compiled=True),
    # Keras computes log 2 in float32 (docs/conventions.md R3): 1.9e-9 absolute in float64.
    Twin("log_cosh", K.log_cosh, _native("log_cosh"), _plain, "keras", grad=1, atol=1e-8),
    Twin("poisson", K.poisson, _native("poisson"), _poisson, "keras", grad=1),
    Twin("cosine_similarity", K.cosine_similarity, _native("cosine_similarity"), _cosine, "keras", grad=1),
    Twin("kl_divergence", K.kl_divergence, _native("kl_divergence"), _kl, "keras", grad=1, compiled=True),
    Twin("binary_crossentropy", K.binary_crossentropy, _native("binary_crossentropy"), _bce, "keras", grad=1,
         compiled=True),
    Twin("binary_focal_crossentropy", K.binary_focal_crossentropy, _native("binary_focal_crossentropy"),
         _binary_focal, "keras", grad=1, rtol=1e-6, atol=1e-9),
    Twin("hinge", K.hinge, _native("hinge"), _hinge, "keras", grad=1),
    Twin("squared_hinge", K.squared_hinge, _native("squared_hinge"), _hinge, "keras", grad=1),
    Twin("categorical_crossentropy", K.categorical_crossentropy, _native("categorical_crossentropy"), _cce,
         "keras", grad=1, compiled=True),
    Twin("sparse_categorical_crossentropy", K.sparse_categorical_crossentropy,
         _native("sparse_categorical_crossentropy"), _sparse_cce, "keras", grad=1, compiled=True),
    Twin("categorical_focal_crossentropy", K.categorical_focal_crossentropy,
         _native("categorical_focal_crossentropy"), _categorical_focal, "keras", grad=1, rtol=1e-6, atol=1e-9),
    Twin("categorical_generalized_cross_entropy", K.categorical_generalized_cross_entropy,
         _native("categorical_generalized_cross_entropy"), _generalized, "keras", grad=1),
    Twin("categorical_hinge", K.categorical_hinge, _native("categorical_hinge"), _categorical_hinge, "keras",
         grad=1),
    Twin("circle", K.circle, _native("circle"), _circle, "keras", grad=1, rtol=1e-6, atol=1e-8),
    Twin("dice", K.dice, _native("dice"), _dice, "keras", grad=1),
    Twin("tversky", K.tversky, _native("tversky"), _tversky, "keras", grad=1),
    # Keras's CTC computes in float32 (tf.nn.ctc_loss raises on float64)
    Twin("ctc", K.ctc, _native("ctc"), _ctc, "keras", grad=1, native_dtype="float32", rtol=2e-5, atol=1e-5),
]


# The matrix (tests/test_compat.py::matrix_tests): values and gradients, JAX arrays, jax.jit.
test_matches_keras, test_matches_keras_on_jax, test_jit = matrix_tests(TWINS)


def test_every_function_has_a_twin():
    assert sorted(t.name for t in TWINS) == sorted(K.__all__)


def test_circle_reference_set_by_hand():
    """A reference set of two unit vectors, by hand (gamma=1, margin=0.4, Keras's formulas): sample 0 = e1 with
    label 0 against refs (e1, label 0) and (e2, label 1): positive d = 0, negative d = 1;
    p = −1·0.4·(0.4 − 0) = −0.16, n = 1·max(1.4 − 1, 0)·(0.6 − 1) = −0.16; softplus(−0.32)."""
    e = np.array([[1.0, 0.0]])
    out = K.circle(np.array([0]), e, ref_embeddings=np.eye(2), ref_labels=np.array([0, 1]), remove_diagonal=False,
                   gamma=1.0, margin=0.4)
    np.testing.assert_allclose(out, [np.log1p(np.exp(-0.32))], rtol=1e-14)
