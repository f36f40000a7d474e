"""The TensorFlow namespace in every mode: unknown dimensions, AutoGraph, half precision, Variables, gradients."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from tf_namespace_support import RNG, assert_same, f64, finite_differences, gradients, inf, tf, xp


def _composite(logits: Any, labels: Any) -> Any:
    """A loss-like chain of namespace calls whose shapes depend on the (maybe unknown) input shape."""
    picked = xp.take_along_axis(logits, xp.expand_dims(labels, axis=-1), axis=-1)
    m = xp.max(logits, axis=-1, keepdims=True)
    lse = m + xp.log(xp.sum(xp.exp(logits - m), axis=-1, keepdims=True))
    loss = xp.squeeze(lse - picked, axis=-1)
    zeros = xp.zeros_like(loss)
    clipped = xp.clip(xp.where(labels >= 0, loss, zeros), min=0.0, max=None)
    cum = xp.cumulative_sum(xp.sort(clipped, descending=True), include_initial=True)
    flat = xp.reshape(logits, (-1,))
    grid = xp.broadcast_to(xp.full_like(loss, 0.5)[:, None], tf.shape(logits))
    a, b = xp.broadcast_arrays(logits, xp.ones_like(logits[:1]))
    return (xp.mean(clipped), cum, xp.sum(flat), xp.mean(grid), xp.vecdot(a, b), xp.concat([loss, cum], axis=0),
            xp.logaddexp(loss, xp.full_like(loss, -inf)), xp.argmax(logits, axis=-1), xp.matmul(logits, logits[0]))


def _composite_numpy(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    picked = np.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    lse = np.log(np.sum(np.exp(logits), axis=-1))
    loss = lse - picked
    clipped = np.clip(np.where(labels >= 0, loss, 0), 0, None).astype(np.float32)
    cum = np.cumulative_sum(np.flip(np.sort(clipped)), include_initial=True)
    return (np.mean(clipped), cum, np.sum(logits), np.float32(0.5), np.sum(logits, axis=-1),
            np.concat([loss, cum]), loss, np.argmax(logits, axis=-1), logits @ logits[0])


@pytest.mark.parametrize("jit", [False, True], ids=["function", "jit"])
def test_unknown_dimensions(jit: bool) -> None:
    spec = [tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.int64)]
    fn = tf.function(_composite, input_signature=spec, autograph=False, jit_compile=jit)
    for n, c in [(4, 3), (2, 2)]:
        logits = RNG.standard_normal((n, c)).astype(np.float32)
        labels = RNG.integers(-c, c, size=n).astype(np.int64)
        actual = [t.numpy() for t in fn(tf.constant(logits), tf.constant(labels))]
        expected = _composite_numpy(logits, labels)
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


def test_take_along_axis_with_an_unknown_gathered_dimension() -> None:
    spec = [tf.TensorSpec([3, None], tf.float32), tf.TensorSpec([1, 2], tf.int64)]
    fn = tf.function(lambda x, i: xp.take_along_axis(x, i, axis=-1), input_signature=spec, autograph=False)
    x, i = np.arange(12.0, dtype=np.float32).reshape(3, 4), np.array([[0, -1]])
    assert_same(fn(tf.constant(x), tf.constant(i)).numpy(), np.take_along_axis(x, i, axis=-1))


def test_autograph_on_converts_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Strict conversion turns AutoGraph's "could not transform" warnings into errors.
    monkeypatch.setenv("AUTOGRAPH_STRICT_CONVERSION", "1")
    logits = RNG.standard_normal((3, 4)).astype(np.float32)
    labels = np.array([0, -1, 3], np.int64)
    actual = [t.numpy() for t in tf.function(_composite)(tf.constant(logits), tf.constant(labels))]
    for a, e in zip(actual, _composite_numpy(logits, labels), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6)


def _half_composite(a: Any, b: Any) -> Any:
    """Most of the namespace on one dtype; integer and bool results are cast so everything compares as floats."""
    idx = tf.constant([[0], [-1]])
    return [xp.astype(r, xp.float32) for r in (
        xp.exp(a), xp.expm1(a), xp.log(xp.abs(a)), xp.log1p(xp.abs(a)), xp.sqrt(xp.abs(a)), xp.tanh(a), xp.cosh(a),
        xp.sign(a), xp.logaddexp(a, b), xp.hypot(a, b), xp.maximum(a, b), xp.clip(a, -0.5, 0.5),
        xp.where(xp.greater(a, b), a, 0.0), xp.sum(a, axis=-1), xp.mean(a), xp.var(a), xp.max(a, axis=0),
        xp.argmax(a, axis=1), xp.sort(a), xp.cumulative_sum(a, axis=1), xp.take_along_axis(a, idx, axis=-1),
        xp.matmul(a, xp.matrix_transpose(b)), xp.vecdot(a, b), xp.linalg.vector_norm(a), xp.round(a * 3),
        xp.signbit(a), xp.copysign(a, b), xp.atan2(a, b), xp.pow(xp.abs(a), b), xp.divide(a, b), xp.sin(a),
    )]


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision(mode: str, dtype: str) -> None:
    a = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]], np.float32)
    b = np.array([[-0.5, 0.9, 1.3], [0.2, -1.4, 0.6]], np.float32)
    fn = _half_composite if mode == "eager" else tf.function(_half_composite, autograph=False, jit_compile=True)
    half = tf.as_dtype(getattr(xp, dtype))
    assert xp.exp(tf.cast(a, half)).dtype == half
    actual = fn(tf.cast(a, half), tf.cast(b, half))
    for got, want in zip(actual, _half_composite(tf.constant(a), tf.constant(b)), strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-2, atol=2e-2)


def test_functions_keep_their_signatures_and_names() -> None:
    # The functions are wrapped so that AutoGraph calls them unconverted; the wrappers keep what introspection sees.
    import inspect

    assert list(inspect.signature(xp.clip).parameters) == ["x", "min", "max"]
    assert list(inspect.signature(xp.linalg.vector_norm).parameters) == ["x", "axis", "keepdims", "ord"]
    assert (xp.exp.__name__, xp.take_along_axis.__name__) == ("exp", "take_along_axis")
    assert xp.sum.__doc__.startswith("The sum over")


def test_variables() -> None:
    v = tf.Variable(RNG.standard_normal((3, 4)).astype(np.float32))
    labels = tf.Variable(np.array([0, -1, 2], np.int64))
    expected = _composite_numpy(v.numpy(), labels.numpy())
    for fn in (_composite, tf.function(_composite, autograph=False)):
        for a, e in zip(fn(v, labels), expected, strict=True):
            np.testing.assert_allclose(a.numpy(), e, rtol=1e-5, atol=1e-6)
    assert xp.maximum(v, 0.0).dtype == tf.float32
    assert xp.result_type(v, 1) == tf.float32
    with tf.GradientTape() as tape:
        total = xp.sum(_composite(v, labels)[0] + xp.linalg.vector_norm(v))
    assert np.all(np.isfinite(tape.gradient(total, v).numpy()))


SMOOTH = {
    "logaddexp": lambda a, b: xp.logaddexp(a, b),
    "hypot": lambda a, b: xp.hypot(a, b),
    "clip_where": lambda a, b: xp.where(a > b, xp.clip(a, min=-0.8, max=0.9), b * b),
    "take_along_axis": lambda a, b: xp.take_along_axis(a, tf.constant([[2], [-1]]), axis=-1) * b[:, :1],
    "sort_cumsum": lambda a, b: xp.cumulative_sum(xp.sort(a * b, axis=-1), axis=-1) ** 2,
    "max_mean_matmul": lambda a, b: xp.max(a, axis=0) + xp.mean(xp.matmul(a, xp.permute_dims(b, (1, 0)))),
    "vecdot_norm_take": lambda a, b: xp.vecdot(a, b) + xp.linalg.vector_norm(xp.take(a, tf.constant([-1]), axis=0)),
}


@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_match_finite_differences(name: str) -> None:
    a = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]])
    b = np.array([[-0.5, 0.9, 1.3], [0.2, -1.4, 0.6]])
    for g, fd in zip(gradients(SMOOTH[name], a, b), finite_differences(SMOOTH[name], a, b), strict=True):
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_gradients_at_ties_and_special_points() -> None:
    tie = f64(1.0, -inf)
    ga, gb = gradients(xp.logaddexp, tie, tie)  # split evenly at a finite tie, finite at -inf
    np.testing.assert_array_equal(ga, [0.5, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 0.0])
    ga, gb = gradients(xp.hypot, f64(3.0, 2.0, 0.0), f64(4.0, 2.0, 0.0))  # x / hypot; 0 at the origin
    np.testing.assert_allclose(ga, [0.6, math.sqrt(0.5), 0.0])
    np.testing.assert_allclose(gb, [0.8, math.sqrt(0.5), 0.0])
    # TensorFlow's conventions: the gradient at a bound of clip or a tie of maximum goes to x (torch and JAX split
    # maximum's; JAX splits clip's); tied maxima of a reduction share it.
    (g,) = gradients(lambda x: xp.clip(x, min=0.0, max=1.0), f64(0.0, 1.0, 0.5))
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])
    (g,) = gradients(lambda x: xp.maximum(x, 0.0), f64(0.0, -1.0))
    np.testing.assert_array_equal(g, [1.0, 0.0])
    (g,) = gradients(lambda x: xp.max(x), f64(1.0, 1.0, 0.0))
    np.testing.assert_array_equal(g, [0.5, 0.5, 0.0])
    (g,) = gradients(lambda x: xp.abs(x), f64(0.0))
    np.testing.assert_array_equal(g, [0.0])
