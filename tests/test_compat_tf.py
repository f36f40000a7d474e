"""lossport.compat.tf against ``tf.nn`` and ``tf.compat.v1.losses``: every function, TF's knobs drawn at random
(hypothesis), on every backend (values), on TF tensors (values and gradients), and a sample under ``jax.jit``.

``tf.compat.v1.losses`` computes in float32 whatever its inputs (the twins say ``native_dtype="float32"``);
lossport.compat keeps float64, so those comparisons use float32 tolerances.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
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

import lossport.compat.tf as T

N, C = st.sampled_from([2, 3]), st.sampled_from([2, 4])
F32 = {"native_dtype": "float32", "rtol": 2e-5, "atol": 2e-6}


def _nn(name: str):
    def get():
        import tensorflow as tf

        return getattr(tf.nn, name)

    return get


def _v1(name: str):
    def get():
        import tensorflow as tf

        return getattr(tf.compat.v1.losses, name)

    return get


def _sigmoid(data):
    r = rng(data)
    shp = shape(data)
    return (), {"labels": r.uniform(0, 1, size=shp), "logits": 3 * r.normal(size=shp)}


def _weighted(data):
    _, kw = _sigmoid(data)
    pos_weight = data.draw(st.floats(0.2, 4.0), label="pos_weight")
    return (), {**kw, "pos_weight": pos_weight}


def _softmax(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    z, q = 2 * r.normal(size=(n, c)), simplex(r, (n, c))
    if data.draw(st.booleans(), label="axis 0"):
        return (), {"labels": q.T.copy(), "logits": z.T.copy(), "axis": 0}
    return (), {"labels": q, "logits": z}


def _sparse(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    return (), {"labels": r.integers(0, c, size=(n,)), "logits": 2 * r.normal(size=(n, c))}


def _log_poisson(data):
    r = rng(data)
    shp = shape(data)
    return (), {"targets": r.poisson(2.0, size=shp).astype(np.float64), "log_input": r.normal(size=shp),
                "compute_full_loss": data.draw(st.booleans(), label="full")}


def _l2(data):
    r = rng(data)
    return (r.normal(size=shape(data)),), {}


def _ctc(data):
    r = rng(data)
    b, t, c = data.draw(st.sampled_from([1, 2]), label="B"), 5, 4
    blank = data.draw(st.sampled_from([None, 0, -1]), label="blank_index")
    b_idx = 0 if blank is None else blank % c
    pool = [k for k in range(c) if k != b_idx]
    time_major = data.draw(st.booleans(), label="time_major")
    z = r.normal(size=(t, b, c) if time_major else (b, t, c))
    return (), {"labels": r.choice(pool, size=(b, 2)).astype(np.int32),
                "logits": z, "label_length": r.integers(0, 3, size=(b,)).astype(np.int32),
                "logit_length": r.integers(t - 2, t + 1, size=(b,)).astype(np.int32),
                "logits_time_major": time_major, "blank_index": blank}


_REDUCTIONS = st.sampled_from(["none", "weighted_sum", "weighted_sum_over_batch_size", "weighted_mean",
                               "weighted_sum_by_nonzero_weights"])


def _v1_weights(data, r, shp):
    kind = data.draw(st.sampled_from(["scalar", "full", "rows", "zeros"]), label="weights")
    if kind == "scalar":
        return data.draw(st.sampled_from([1.0, 0.5]))
    if kind == "rows":
        return r.uniform(0.2, 2.0, size=(shp[0], *([1] * (len(shp) - 1))))
    w = r.uniform(0.2, 2.0, size=shp)
    if kind == "zeros":
        w.flat[::2] = 0.0
    return w


def _v1_regression(data, *, delta: bool = False):
    r = rng(data)
    shp = shape(data, min_dims=2)
    kw: dict[str, Any] = {"weights": _v1_weights(data, r, shp), "reduction": data.draw(_REDUCTIONS)}
    if delta:
        kw["delta"] = data.draw(st.floats(0.1, 3.0), label="delta")
    return (r.normal(size=shp), r.normal(size=shp)), kw


def _v1_huber(data):
    return _v1_regression(data, delta=True)


def _v1_hinge(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    return (r.integers(0, 2, size=shp).astype(np.float64), 2 * r.normal(size=shp)), {
        "weights": _v1_weights(data, r, shp), "reduction": data.draw(_REDUCTIONS)}


def _v1_log_loss(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    return (r.uniform(0, 1, size=shp), probabilities(r, shp, lo=1e-3)), {
        "weights": _v1_weights(data, r, shp), "reduction": data.draw(_REDUCTIONS),
        "epsilon": data.draw(st.sampled_from([1e-7, 1e-4]), label="epsilon")}


def _v1_sigmoid(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    return (r.integers(0, 2, size=shp).astype(np.float64), 3 * r.normal(size=shp)), {
        "weights": _v1_weights(data, r, shp), "reduction": data.draw(_REDUCTIONS),
        "label_smoothing": data.draw(st.sampled_from([0.0, 0.2]), label="smoothing")}


def _v1_softmax(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    w = _v1_weights(data, r, (n,))
    return (one_hot(r.integers(0, c, size=(n,)), c), 2 * r.normal(size=(n, c))), {
        "weights": w, "reduction": data.draw(_REDUCTIONS),
        "label_smoothing": data.draw(st.sampled_from([0.0, 0.2]), label="smoothing")}


def _v1_sparse(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    return (r.integers(0, c, size=(n,)), 2 * r.normal(size=(n, c))), {
        "weights": _v1_weights(data, r, (n,)), "reduction": data.draw(_REDUCTIONS)}


def _v1_weighted_loss(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    return (np.abs(r.normal(size=shp)),), {"weights": _v1_weights(data, r, shp),
                                           "reduction": data.draw(_REDUCTIONS)}


def _v1_cosine(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    axis = data.draw(st.sampled_from([-1, 0, 1]), label="axis")
    p, lab = (x / np.linalg.norm(x, axis=axis, keepdims=True) for x in (r.normal(size=shp), r.normal(size=shp)))
    kept = list(shp)
    kept[axis] = 1
    return (lab, p), {"axis": axis, "weights": _v1_weights(data, r, tuple(kept)), "reduction": data.draw(_REDUCTIONS)}


def _v1_pairwise(data):
    r = rng(data)
    shp = shape(data)
    return (r.normal(size=shp), r.normal(size=shp)), {"weights": _v1_weights(data, r, shp)}


TWINS = [
    Twin("nn.sigmoid_cross_entropy_with_logits", T.nn.sigmoid_cross_entropy_with_logits,
         _nn("sigmoid_cross_entropy_with_logits"), _sigmoid, "tensorflow", grad=None, compiled=True),
    Twin("nn.weighted_cross_entropy_with_logits", T.nn.weighted_cross_entropy_with_logits,
         _nn("weighted_cross_entropy_with_logits"), _weighted, "tensorflow", grad=None, atol=1e-9),
    Twin("nn.softmax_cross_entropy_with_logits", T.nn.softmax_cross_entropy_with_logits,
         _nn("softmax_cross_entropy_with_logits"), _softmax, "tensorflow", grad=None),
    Twin("nn.sparse_softmax_cross_entropy_with_logits", T.nn.sparse_softmax_cross_entropy_with_logits,
         _nn("sparse_softmax_cross_entropy_with_logits"), _sparse, "tensorflow", grad=None, compiled=True),
    Twin("nn.log_poisson_loss", T.nn.log_poisson_loss, _nn("log_poisson_loss"), _log_poisson, "tensorflow",
         grad=None),
    Twin("nn.l2_loss", T.nn.l2_loss, _nn("l2_loss"), _l2, "tensorflow"),
    # tf.nn.ctc_loss raises on float64 logits
    Twin("nn.ctc_loss", T.nn.ctc_loss, _nn("ctc_loss"), _ctc, "tensorflow", grad=None, native_dtype="float32",
         rtol=2e-5, atol=1e-5),
    Twin("v1.mean_squared_error", T.compat.v1.losses.mean_squared_error, _v1("mean_squared_error"),
         _v1_regression, "tensorflow", grad=1, **F32),
    Twin("v1.absolute_difference", T.compat.v1.losses.absolute_difference, _v1("absolute_difference"),
         _v1_regression, "tensorflow", grad=1, **F32),
    Twin("v1.huber_loss", T.compat.v1.losses.huber_loss, _v1("huber_loss"), _v1_huber, "tensorflow", grad=1,
         compiled=True, **F32),
    Twin("v1.hinge_loss", T.compat.v1.losses.hinge_loss, _v1("hinge_loss"), _v1_hinge, "tensorflow", grad=1,
         **F32),
    Twin("v1.log_loss", T.compat.v1.losses.log_loss, _v1("log_loss"), _v1_log_loss, "tensorflow", grad=1,
         **F32),
    Twin("v1.sigmoid_cross_entropy", T.compat.v1.losses.sigmoid_cross_entropy, _v1("sigmoid_cross_entropy"),
         _v1_sigmoid, "tensorflow", grad=1, **F32),
    Twin("v1.softmax_cross_entropy", T.compat.v1.losses.softmax_cross_entropy, _v1("softmax_cross_entropy"),
         _v1_softmax, "tensorflow", grad=1, **F32),
    Twin("v1.sparse_softmax_cross_entropy", T.compat.v1.losses.sparse_softmax_cross_entropy,
         _v1("sparse_softmax_cross_entropy"), _v1_sparse, "tensorflow", grad=1, **F32),
    Twin("v1.cosine_distance", T.compat.v1.losses.cosine_distance, _v1("cosine_distance"), _v1_cosine,
         "tensorflow", grad=1, **F32),
    Twin("v1.mean_pairwise_squared_error", T.compat.v1.losses.mean_pairwise_squared_error,
         _v1("mean_pairwise_squared_error"), _v1_pairwise, "tensorflow", grad=1, **F32),
    Twin("v1.compute_weighted_loss", T.compat.v1.losses.compute_weighted_loss, _v1("compute_weighted_loss"),
         _v1_weighted_loss, "tensorflow", **F32),
]


# The matrix (tests/test_compat.py::matrix_tests): values and gradients, JAX arrays, jax.jit.
test_matches_tf, test_matches_tf_on_jax, test_jit = matrix_tests(TWINS)


def test_every_function_has_a_twin():
    names = {f"nn.{n}" for n in T.nn.__all__} | {f"v1.{n}" for n in T.compat.v1.losses.__all__ if n != "Reduction"}
    assert sorted(t.name for t in TWINS) == sorted(names)


@pytest.mark.parametrize("name", ["sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
                                  "sparse_softmax_cross_entropy_with_logits"])
def test_nn_gradient_with_respect_to_logits(name):
    """``tf.nn``'s keyword-only data: the gradient with respect to ``logits`` on TF tensors."""
    tf = pytest.importorskip("tensorflow")
    r = np.random.default_rng(3)
    z = tf.constant(r.normal(size=(3, 4)))
    labels = tf.constant(r.integers(0, 4, size=(3,))) if name.startswith("sparse") else tf.constant(
        simplex(r, (3, 4)))
    grads = []
    for fn in (getattr(tf.nn, name), getattr(T.nn, name)):
        with tf.GradientTape() as tape:
            tape.watch(z)
            out = tf.reduce_sum(fn(labels=labels, logits=z))
        grads.append(tape.gradient(out, z).numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-12)
