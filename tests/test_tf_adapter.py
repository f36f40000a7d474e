"""lossport's TensorFlow adapter (backends/tensorflow.py): its names, array detection, modes and native table."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from lossport.backends import ADAPTERS, adapter_for, adapter_for_namespace, load
from lossport.backends import tensorflow as adapter
from tf_namespace_support import RNG, assert_same, gradients, inf, nan, run, tf, xp


def test_adapter_names_match_the_other_adapters() -> None:
    names = ["NAME", "NAMESPACE_NAMES", "framework_imported", "is_array", "namespace", "native", "is_concrete",
             "is_cpu", "device", "to_numpy"]
    for other in ADAPTERS:
        assert all(hasattr(load(other), n) for n in names), other
    assert adapter.NAME == "tensorflow"
    assert adapter.namespace() is xp
    assert adapter.NAMESPACE_NAMES == ("lossport.backends._tensorflow",) == (xp.__name__,)
    assert adapter_for(tf.constant(1.0)) is adapter
    assert adapter_for_namespace(xp) is adapter


def test_is_array_and_modes() -> None:
    v = tf.Variable([1.0])
    assert adapter.is_array(tf.constant(1.0)) and adapter.is_array(v)
    assert not adapter.is_array(np.ones(2)) and not adapter.is_array(1.0)
    assert adapter.is_concrete(tf.constant(1.0)) and adapter.is_concrete(v)
    assert adapter.is_cpu(tf.constant(1.0)) and adapter.device(v) == v.device
    seen = {}

    @tf.function(autograph=False)
    def inside(x: Any) -> Any:
        seen.update(array=adapter.is_array(x), concrete=adapter.is_concrete(x), variable=adapter.is_concrete(v),
                    device=adapter.device(x), cpu=adapter.is_cpu(x))
        return x

    inside(tf.constant([1.0]))
    assert seen == {"array": True, "concrete": False, "variable": False, "device": None, "cpu": False}
    out = adapter.to_numpy(tf.constant([1.5], tf.bfloat16))
    assert out.dtype.name == "bfloat16" and float(out[0]) == 1.5


def test_adapter_imports_no_tensorflow() -> None:
    code = ("import sys, lossport.backends.tensorflow as t; assert not t.is_array(1.0); "
            "assert not t.framework_imported(); assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_native_table_holds_only_the_accurate_primitives() -> None:
    # softplus and log_sigmoid are left out: tf.math's are 6 ulps off near log(eps) + 2 (see backends/tensorflow.py).
    # scan_chunks and slice_rows compute nothing themselves: they are lossport.linear's loop and slicing hooks;
    # matmul_add_into is its `total + aᵀ @ b` in place (tests/test_linear_cross_entropy.py checks its gradients).
    # log_softmax_at_parts and softmax_at_vjp are sparse CE's training forward and backward in eager mode (below).
    assert set(adapter.native) == {"xlogy", "one_hot", "scan_chunks", "slice_rows", "matmul_add_into",
                                   "log_softmax_at_parts", "softmax_at_vjp"}


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_sparse_ce_natives_are_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: Any) -> None:
    """Sparse CE's training forward (value and residuals) and backward with the eager natives (the label's entries
    by tensor_scatter_nd_update) and with the generic form (a where on an iota), bit for bit, signs of zeros and
    NaN included: every reduction, with and without smoothing, z_loss, class and row weights, over rows with +inf,
    NaN, a row of -inf and a -inf label, and leading axes. Inside tf.function the natives decline."""
    from lossport import _cross_entropy as ce
    from lossport import _numerics

    rng = np.random.default_rng(3)
    z = rng.normal(size=(6, 3, 9)) * 5
    z[0, 0, 2], z[1, 0, 4], z[2, 2, 1] = inf, nan, -inf
    z[0, 1, :] = -inf
    y = rng.integers(0, 9, (6, 3))
    y[2, 2] = 1
    logits, labels = tf.constant(z, dtype), tf.constant(y)
    table = _numerics.natives(xp)
    generic = {k: f for k, f in table.items() if k not in ("log_softmax_at_parts", "softmax_at_vjp")}
    for smoothing, z_loss, reduction, weighted in itertools.product((0.0, 0.1), (0.0, 1e-3), ("mean", "sum", "none"),
                                                                    (False, True)):
        cw = tf.constant(rng.uniform(0.5, 2.0, 9), dtype) if weighted else None
        w = tf.constant(rng.uniform(0.0, 2.0, (6, 3)), dtype) if weighted else None
        params, arrays = (smoothing, z_loss, reduction), (logits, labels, w, None, cw)
        cotangent = tf.constant(rng.uniform(0.5, 2.0, (6, 3) if reduction == "none" else ()), dtype)
        results = []
        for natives in (table, generic):
            with monkeypatch.context() as m:
                m.setattr(_numerics, "natives", lambda _xp, natives=natives: natives)
                value, residuals = ce._sparse_ce_forward(params, *arrays, xp=xp, backward=True)
                grad = ce._sparse_ce_backward(params, arrays, residuals, cotangent, (True, False, False, False, False),
                                              xp=xp)[0]
            results.append([value, *residuals, grad])
        for a, b in zip(*results):
            a, b = a.numpy(), b.numpy()
            np.testing.assert_array_equal(a, b, strict=True)
            assert np.array_equal(np.signbit(a), np.signbit(b))
    assert table["log_softmax_at_parts"](logits, labels) is not NotImplemented
    declined = tf.function(lambda x: tf.constant(table["log_softmax_at_parts"](x, labels) is NotImplemented),
                           autograph=False)
    assert bool(declined(logits))


def test_the_backward_derives_only_what_a_tape_watches(monkeypatch: pytest.MonkeyPatch) -> None:
    """In eager mode, the rule's backward is asked (``needs``) for the inputs a tape watches: the predictions alone
    (a model's targets are data), both, a variable (watched when read). While tracing it is asked for every input:
    a tf.function may be differentiated from outside, by a tape its placeholders do not know (the watched test
    said "none" there, and the gradient was lost). The gradients, against ∂/∂log q = −p/2 by hand."""
    import lossport

    asked: list[tuple[bool, ...]] = []
    unpack = adapter.unpack

    def spy(slots: Any, present: Any, fill: Any = None) -> Any:
        if fill is False:
            asked.append(tuple(present))
        return unpack(slots, present, fill=fill) if fill is not None else unpack(slots, present)

    monkeypatch.setattr(adapter, "unpack", spy)
    log_q = tf.math.log(tf.constant([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], tf.float64))
    p = tf.constant([[0.1, 0.1, 0.8], [0.5, 0.25, 0.25]], tf.float64)

    def grads(*watch: Any) -> list[Any]:
        with tf.GradientTape() as tape:
            tape.watch(list(watch))
            value = lossport.kl_divergence(log_q, p)
        return tape.gradient(value, list(watch))

    by_hand = (-p / 2.0).numpy()  # ∂(mean over 2 rows of Σ p·(log p − log q))/∂log q = −p/2
    np.testing.assert_allclose(grads(log_q)[0].numpy(), by_hand, rtol=1e-15)
    assert asked.pop() == (True, False)
    grads(log_q, p)
    assert asked.pop() == (True, True)
    variable = tf.Variable(log_q)
    with tf.GradientTape() as tape:
        value = lossport.kl_divergence(variable, p)
    np.testing.assert_allclose(tape.gradient(value, variable).numpy(), by_hand, rtol=1e-15)
    assert asked.pop() == (True, False)

    @tf.function(autograph=False)
    def inside(q: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(q)
            value = lossport.kl_divergence(q, p)
        return tape.gradient(value, q)

    np.testing.assert_allclose(inside(log_q).numpy(), by_hand, rtol=1e-15)
    assert asked.pop() == (True, True)
    outside = tf.function(lambda q: lossport.kl_divergence(q, p), autograph=False)
    with tf.GradientTape() as tape:
        tape.watch(log_q)
        value = outside(log_q)
    np.testing.assert_allclose(tape.gradient(value, log_q).numpy(), by_hand, rtol=1e-15)
    assert asked.pop() == (True, True)


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_xlogy_is_the_generic_form(mode: str, dtype: Any) -> None:
    x = RNG.standard_normal(200).astype(dtype) * (RNG.random(200) > 0.3)
    y = np.abs(RNG.standard_normal(200)).astype(dtype) * (RNG.random(200) > 0.2)
    x[:3], y[:3] = [0.0, 0.0, 2.0], [nan, 0.0, inf]

    def generic(a: Any, b: Any) -> Any:
        zero = xp.equal(a, 0.0)
        return xp.where(zero, xp.zeros_like(a), a * xp.log(xp.where(zero, xp.ones_like(b), b)))

    native = run(mode, adapter.native["xlogy"], x, y)
    np.testing.assert_array_equal(native, run(mode, generic, x, y))
    gn = gradients(adapter.native["xlogy"], x, y)
    gg = gradients(generic, x, y)
    for a, b in zip(gn, gg, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(("labels", "axis", "dtype"), [
    (np.array([0, 2, 3, -1], np.int64), -1, "float32"),
    (np.array([[1, 0], [2, 5]], np.int16), 0, "bool"),
    (np.array([[1, 0], [2, 1]], np.uint8), -2, "float64"),
    (np.array([0, 1], np.uint32), 1, "int32"),
])
def test_native_one_hot_is_the_generic_form(labels: np.ndarray, axis: int, dtype: str) -> None:
    out = adapter.native["one_hot"](tf.constant(labels), 3, dtype=getattr(xp, dtype), axis=axis)
    expected = np.moveaxis((labels[..., None] == np.arange(3)).astype(dtype), -1, axis)
    assert_same(out.numpy(), expected)
