"""linear_cross_entropy (lossport/linear.py): the dense form's value and gradients, without its (N, V) logits.

Every expected number is the dense form, ``sparse_softmax_cross_entropy(softcap(hidden @ weight.T + bias), ...)``:
its value on NumPy float64 (itself checked against torch, TensorFlow, optax and mpmath in test_classification.py
and the anchors), its gradients by each framework's autodiff of the dense composition; or a hand computation where
said. The parity matrix (tests/test_matrix.py) runs the cases of backends/parity/cases/classification.py on every
backend and dtype, eager and compiled, against NumPy float64 and JAX float64 autodiff.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest
from lossport.backends import parity
from support import BACKENDS, device_for

import lossport
from lossport import _numerics, linear

N, H, V = 7, 5, 11  # 11 classes in chunks of 4: a ragged last chunk

rng = np.random.default_rng(9)
HIDDEN, WEIGHT, BIAS = rng.normal(size=(N, H)), rng.normal(scale=0.8, size=(V, H)), rng.normal(size=V)
LABELS = rng.integers(0, V, size=N)
LABELS[2] = -100
CLASS_WEIGHTS = rng.uniform(0.2, 2.0, size=V)
SAMPLE_WEIGHTS = rng.uniform(0.5, 2.0, size=N)
WHERE = np.array([1, 1, 0, 1, 1, 0, 1], bool)

KNOBS: dict[str, dict[str, Any]] = {
    "plain": {},
    "bias-none": {"bias": BIAS, "reduction": "none"},
    "smoothing-class-weights": {"label_smoothing": 0.2, "class_weights": CLASS_WEIGHTS, "ignore_index": -100},
    "z_loss-softcap-sum": {"z_loss": 0.05, "logit_softcap": 2.5, "bias": BIAS, "reduction": "sum",
                           "ignore_index": -100},
    "everything": {"bias": BIAS, "ignore_index": -100, "class_weights": CLASS_WEIGHTS, "label_smoothing": 0.1,
                   "z_loss": 0.05, "logit_softcap": 3.0, "weights": SAMPLE_WEIGHTS, "where": WHERE},
    # every knob a training forward computes the gradients with (lossport.linear._train): a masked mean
    "smoothing-where": {"bias": BIAS, "ignore_index": -100, "label_smoothing": 0.1, "z_loss": 0.05,
                        "logit_softcap": 3.0, "where": WHERE},
}


def _trains(knobs: dict[str, Any]) -> bool:
    """Whether the call's mean or sum is the rule's own, so that a training forward computes the gradients over
    blocks of tokens (lossport.linear._train): no per-token or class weights, no log-sum-exp returned."""
    return knobs.get("reduction", "mean") != "none" and not {"class_weights", "weights", "return_lse"} & set(knobs)
AUTODIFF = [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS]


def _labels(knobs: dict[str, Any]) -> np.ndarray:
    return LABELS if "ignore_index" in knobs else np.where(LABELS < 0, 0, LABELS)


def dense(xp: Any, hidden: Any, weight: Any, labels: Any, **knobs: Any) -> Any:
    """The definition: the sparse cross-entropy of the materialised (soft-capped) logits."""
    bias, cap = knobs.pop("bias", None), knobs.pop("logit_softcap", None)
    knobs.pop("chunk_size", None)
    z = xp.matmul(hidden, xp.matrix_transpose(weight))
    if bias is not None:
        z = z + bias
    if cap is not None:
        z = cap * xp.tanh(z / cap)
    return lossport.sparse_softmax_cross_entropy(z, labels, **knobs)


def _on(backend: str, dtype: str, knobs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    dev = device_for(backend)
    arrays = [parity.convert(backend, a, dtype, dev) for a in (HIDDEN, WEIGHT, _labels(knobs))]
    return arrays, {k: parity.convert(backend, v, dtype, dev) for k, v in knobs.items()}


# -- values ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KNOBS))
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_value_matches_the_dense_form(backend: str, dtype: str, name: str) -> None:
    knobs = KNOBS[name]
    expected = np.asarray(dense(np, HIDDEN, WEIGHT, _labels(knobs), **dict(knobs)))  # NumPy float64
    (h, w, y), kw = _on(backend, dtype, knobs)
    got = lossport.linear_cross_entropy(h, w, y, chunk_size=4, **kw)
    assert parity.to_numpy(got).shape == expected.shape
    assert parity.compare(parity.to_numpy(got), expected, dtype) <= 1.0


@pytest.mark.parametrize("chunk", [1, 3, 4, V, 1000, None])
def test_the_chunk_does_not_change_the_value(chunk: int | None) -> None:
    """Summed in another order only: float64 values within a few ulps of the dense form's (measured ≤ 4e-16)."""
    knobs = dict(KNOBS["everything"], reduction="none")
    expected = dense(np, HIDDEN, WEIGHT, LABELS, **dict(knobs))
    got = lossport.linear_cross_entropy(HIDDEN, WEIGHT, LABELS, chunk_size=chunk, **knobs)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


def test_chunk_for_keeps_the_budget() -> None:
    """``CHUNK_BUDGET // N`` rounded down to 128s (hand: 2²³ / 4096 = 2048, / 8192 = 1024), within [128, V]."""
    assert linear.CHUNK_BUDGET == 1 << 23
    assert linear.chunk_for(4096, 32000) == 2048
    assert linear.chunk_for(8192, 256000) == 1024
    assert linear.chunk_for(3000, 32000) == 2688  # 2796 rounded down to 128s
    assert linear.chunk_for(10**6, 32000) == 128
    assert linear.chunk_for(4, 11) == 11


def test_confident_prediction_keeps_its_relative_accuracy() -> None:
    """Logits (30, 0) with label 0: the loss is log1p(e^-30) = 9.357622968839299e-14 (hand, math.log1p), which the
    naive m + log(Σ e^(z − m)) − z_y rounds to 0; the online form keeps it to an ulp, as the dense form does."""
    hidden, weight = np.array([[30.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    got = float(lossport.linear_cross_entropy(hidden, weight, np.array([0]), chunk_size=1))
    assert got == pytest.approx(math.log1p(math.exp(-30.0)), rel=4e-16)


def test_return_lse() -> None:
    """The per-token log-sum-exp of the (soft-capped) logits, NumPy float64 by hand, beside the dense loss."""
    knobs = {"bias": BIAS, "logit_softcap": 2.0, "reduction": "none"}
    loss, lse = lossport.linear_cross_entropy(HIDDEN, WEIGHT, _labels(knobs), chunk_size=4, return_lse=True,
                                              **knobs)
    z = 2.0 * np.tanh((HIDDEN @ WEIGHT.T + BIAS) / 2.0)
    np.testing.assert_allclose(lse, np.log(np.exp(z).sum(-1)), rtol=1e-14)
    np.testing.assert_allclose(loss, dense(np, HIDDEN, WEIGHT, _labels(knobs), **dict(knobs)), rtol=1e-14)
    assert lse.shape == (N,) and lse.dtype == np.float64


def test_leading_dimensions() -> None:
    """hidden (2, 3, H) and labels (2, 3) give the dense form's (2, 3) per-token losses."""
    h, y = rng.normal(size=(2, 3, H)), rng.integers(0, V, size=(2, 3))
    got = lossport.linear_cross_entropy(h, WEIGHT, y, reduction="none", chunk_size=4)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, dense(np, h, WEIGHT, y, reduction="none"), rtol=1e-14)


# -- gradients ------------------------------------------------------------------------------------------------


def _grads(backend: str, dtype: str, knobs: dict[str, Any], *, use_dense: bool, compiled: bool = False,
           lse_weight: float = 0.0, chunk: int = 4) -> list[np.ndarray]:
    """d/d(hidden, weight, bias) of sum(loss) (+ lse_weight·sum(lse)), by the backend's autodiff."""
    knobs = dict(knobs, bias=BIAS)
    (h, w, y), kw = _on(backend, dtype, knobs)
    b = kw.pop("bias")

    def total(h: Any, w: Any, b: Any, summed: Any) -> Any:
        if use_dense:
            return summed(dense(xp, h, w, y, bias=b, **dict(kw)))
        out = lossport.linear_cross_entropy(h, w, y, bias=b, chunk_size=chunk, return_lse=bool(lse_weight), **kw)
        return summed(out[0]) + lse_weight * summed(out[1]) if lse_weight else summed(out)

    xp = lossport.array_namespace(h)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        g = jax.grad(lambda *a: total(*a, jnp.sum), argnums=(0, 1, 2))
        return [np.asarray(x) for x in (jax.jit(g) if compiled else g)(h, w, b)]
    if backend == "torch":
        import torch

        leaves = [a.detach().requires_grad_(True) for a in (h, w, b)]
        fn = torch.compile(lambda *a: total(*a, torch.sum), fullgraph=True) if compiled else (
            lambda *a: total(*a, torch.sum))
        return [g.detach().cpu().numpy() if g.dtype != torch.bfloat16 else g.detach().float().numpy().astype(ml_bf16())
                for g in torch.autograd.grad(fn(*leaves), leaves)]
    import tensorflow as tf

    def tape(h: Any, w: Any, b: Any) -> Any:
        with tf.GradientTape() as t:
            t.watch([h, w, b])
            out = total(h, w, b, tf.reduce_sum)
        return t.gradient(out, [h, w, b])

    return [g.numpy() for g in (tf.function(tape, jit_compile=True) if compiled else tape)(h, w, b)]


RTOL = {"float64": 1e-12, "float32": 2e-5}  # float32: the matrix's 2e-4 would do; measured ≤ 3e-6 here


@pytest.mark.parametrize("name", ["plain", "smoothing-class-weights", "everything", "smoothing-where",
                                  "z_loss-softcap-sum"])
@pytest.mark.parametrize("backend", AUTODIFF)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_match_the_dense_autodiff(backend: str, dtype: str, name: str) -> None:
    expected = _grads(backend, "float64", KNOBS[name], use_dense=True)
    got = _grads(backend, dtype, KNOBS[name], use_dense=False)
    for g, e in zip(got, expected):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g, e, rtol=RTOL[dtype], atol=RTOL[dtype] * np.abs(e).max())


# (torch.compile's build is slow: its ragged blocks are test_torch_compile_saves_no_chunk_for_the_backward's)
@pytest.mark.parametrize(("backend", "compiled"), [(b, c) for b in AUTODIFF for c in (False, True)
                                                   if not (b == "torch" and c)])
def test_training_forward_with_a_ragged_block(backend: str, compiled: bool) -> None:
    """Chunks of 8 classes: the training forward's blocks are 7 · 8 // (2 · 11) = 2 tokens, so 2, 2, 2 and a ragged
    1 (after lax.scan or tf.while_loop where compiled): the dense form's gradients."""
    expected = _grads(backend, "float64", KNOBS["smoothing-where"], use_dense=True)
    got = _grads(backend, "float64", KNOBS["smoothing-where"], use_dense=False, compiled=compiled, chunk=8)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12 * np.abs(e).max())


@pytest.mark.parametrize("name", ["everything", "smoothing-where"])
@pytest.mark.parametrize("backend", [b for b in ("jax", "tensorflow") if b in BACKENDS])
def test_gradients_compiled(backend: str, name: str) -> None:
    """jax.jit and tf.function(jit_compile=True) of the gradients, every knob, against the eager dense form (the
    second case by the training forward, in lax.scan and tf.while_loop over blocks of tokens)."""
    expected = _grads(backend, "float64", KNOBS[name], use_dense=True)
    got = _grads(backend, "float64", KNOBS[name], use_dense=False, compiled=True)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12 * np.abs(e).max())


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
def test_gradients_torch_compile() -> None:
    """torch.compile(fullgraph=True): the rule's Function with its chunk loop traces whole (one build: slow)."""
    expected = _grads("torch", "float32", KNOBS["everything"], use_dense=True)
    got = _grads("torch", "float32", KNOBS["everything"], use_dense=False, compiled=True)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-5 * np.abs(e).max())


@pytest.mark.parametrize("backend", AUTODIFF)
def test_lse_is_differentiable(backend: str) -> None:
    """sum(loss) + 0.5·sum(lse): the lse's cotangent adds 0.5·softmax to ∂/∂z (dense: logsumexp's autodiff)."""
    knobs = {"logit_softcap": 2.0, "z_loss": 0.1}
    got = _grads(backend, "float64", knobs, use_dense=False, lse_weight=0.5)
    xp_dense = _grads(backend, "float64", knobs, use_dense=True)
    (h, w, b) = HIDDEN, WEIGHT, BIAS
    z = 2.0 * np.tanh((h @ w.T + b) / 2.0)
    dz = np.exp(z - z.max(-1, keepdims=True))
    dz = dz / dz.sum(-1, keepdims=True) * 0.5 * (1.0 - (z / 2.0) ** 2)  # 0.5·softmax·(1 − tanh²)
    expected = [xp_dense[0] + dz @ w, xp_dense[1] + dz.T @ h, xp_dense[2] + dz.sum(0)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("backend", AUTODIFF)
def test_knobs_as_arrays_and_their_gradients(backend: str) -> None:
    """``label_smoothing``, ``z_loss`` and ``logit_softcap`` as 0-D float64 arrays (issue 10's knobs as arrays): the
    value and the gradient in the three knobs, under ``jax.jit`` (the chunks in ``lax.scan``, the knobs traced into
    it), ``tf.function`` (``tf.while_loop``) and torch eager, equal the same framework's eager autodiff of the dense
    form with the same array knobs (itself checked against central differences in test_knobs.py)."""
    knobs = {k: v for k, v in KNOBS["everything"].items() if k not in ("label_smoothing", "z_loss", "logit_softcap")}
    (h, w, y), kw = _on(backend, "float64", knobs)
    values = (0.1, 0.05, 3.0)

    def total(smoothing: Any, z_loss: Any, cap: Any, use_dense: bool) -> Any:
        arrays = {"label_smoothing": smoothing, "z_loss": z_loss, "logit_softcap": cap}
        if use_dense:
            return dense(lossport.array_namespace(h), h, w, y, **dict(kw), **arrays)
        return lossport.linear_cross_entropy(h, w, y, chunk_size=4, **kw, **arrays)

    def measured(use_dense: bool) -> tuple[float, list[float]]:
        if backend == "jax":
            import jax
            import jax.numpy as jnp

            fn = jax.value_and_grad(lambda *k: total(*k, use_dense), argnums=(0, 1, 2))
            value, grads = (fn if use_dense else jax.jit(fn))(*(jnp.asarray(v, dtype=jnp.float64) for v in values))
        elif backend == "torch":
            import torch

            leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
            out = total(*leaves, use_dense)
            grads, value = torch.autograd.grad(out, leaves), out.detach()
        else:
            import tensorflow as tf

            def tape(*k: Any) -> Any:
                with tf.GradientTape() as t:
                    t.watch(k)
                    out = total(*k, use_dense)
                return out, t.gradient(out, k)

            value, grads = (tape if use_dense else tf.function(tape))(*(tf.constant(v, tf.float64) for v in values))
        return float(value), [float(g) for g in grads]

    results = [measured(True), measured(False)]
    (expected, expected_grads), (got, got_grads) = results
    # The same formulas summed in another order (chunks): measured ≤ 2.5e-16 (value) and 1.8e-15 (gradients).
    assert got == pytest.approx(expected, rel=1e-14)
    assert all(math.isfinite(g) and g != 0.0 for g in expected_grads)
    np.testing.assert_allclose(got_grads, expected_grads, rtol=1e-13)


# -- memory: no (N, V) array ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["everything", "smoothing-where"])
@pytest.mark.parametrize("backend", ["numpy", *AUTODIFF])
def test_no_array_of_the_logits_shape(backend: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every matmul of the forward and the backward is recorded: none has N·V elements or more (N = 7, V = 11,
    chunks of 4: the largest products are (N, 4), (N, H) and (4, H); a training forward's blocks of one token
    (N·4 // 2V): (1, V), (1, H) and (V, H)); the gradients are the dense form's."""
    shapes: list[tuple[int, ...]] = []
    real = linear._matmul

    def recording(a: Any, b: Any, dtype: Any, /, *, xp: Any) -> Any:
        out = real(a, b, dtype, xp=xp)
        shapes.append(tuple(out.shape))
        return out

    monkeypatch.setattr(linear, "_matmul", recording)
    if backend == "numpy":
        lossport.linear_cross_entropy(HIDDEN, WEIGHT, _labels({}), chunk_size=4)
        assert shapes == [(N, 4), (N, 4), (N, 3)]
        return
    got = _grads(backend, "float64", KNOBS[name], use_dense=False)
    expected = _grads(backend, "float64", KNOBS[name], use_dense=True)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)
    if name == "everything":
        assert sorted(set(shapes)) == sorted({(N, 4), (N, 3), (N, H), (4, H), (3, H)})
    else:  # torch adds d weight's products in place (addmm_), not through _matmul
        assert {(1, V), (1, H)} <= set(shapes) <= {(1, V), (1, H), (V, H)}
    assert max(math.prod(s) for s in shapes) < N * V


TORCH_IN_PLACE = ("writable", "softmax_grad_into", "matmul_add_into")  # backends/torch.py's in-place hooks
_REAL_NATIVES = _numerics.natives


def _torch_hooks(monkeypatch: pytest.MonkeyPatch, *, keep: bool) -> dict[str, list[bool]]:
    """lossport.linear's native table, with the torch in-place hooks counted (``keep``: each call's answer, True
    where it wrote in place) or removed (the generic form runs)."""
    taken: dict[str, list[bool]] = {name: [] for name in TORCH_IN_PLACE}
    real = _REAL_NATIVES  # (not the patched names: a second call would wrap the first's table)

    def table(xp: Any) -> Any:
        natives = dict(real(xp))
        for name in TORCH_IN_PLACE:
            hook = natives.pop(name, None)
            if keep and hook is not None:
                def counted(*args: Any, _hook: Any = hook, _name: str = name) -> Any:
                    out = _hook(*args)
                    taken[_name].append(out is not NotImplemented and out is not False)
                    return out

                natives[name] = counted
        return natives

    monkeypatch.setattr(linear, "natives", table)
    monkeypatch.setattr(_numerics, "natives", table)  # what try_native reads
    return taken


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("name", ["plain", "bias-none", "smoothing-class-weights", "z_loss-softcap-sum"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_eager_backward_in_place(dtype: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eager torch writes each chunk's ``d weight`` into one buffer and turns each chunk's logits into their
    cotangent in place (backends/torch.py): the same numbers, bit for bit, as the generic form (the hooks removed),
    with the hooks taken (not with a soft-cap, whose derivative needs the logits); declined where autograd records
    the backward (double backward) or functorch wraps it (the rule's vmap)."""
    import torch

    generic = (_torch_hooks(monkeypatch, keep=False), _grads("torch", dtype, KNOBS[name], use_dense=False))[1]
    taken = _torch_hooks(monkeypatch, keep=True)
    got = _grads("torch", dtype, KNOBS[name], use_dense=False)
    for k, (g, e) in enumerate(zip(got, generic)):
        if k == 1 and _trains(KNOBS[name]):
            # d weight: addmm_ adds each block's product inside the matmul, the generic form after it (another
            # rounding order: measured 3.4 float32 ulps of the largest entry); every other gradient bit for bit
            np.testing.assert_allclose(g, e, rtol=0, atol=8 * np.finfo(dtype).eps * np.abs(e).max())
        else:
            np.testing.assert_array_equal(g, e)
    assert taken["writable"] and all(taken["writable"])  # the outputs' buffers: d weight and d bias, or d hidden
    capped = "logit_softcap" in KNOBS[name]
    # a training forward's blocks of 7 · 4 // (2 · 11) = 1 token, or the backward's chunks of 4 classes of 11
    calls = N if _trains(KNOBS[name]) else 3
    assert taken["softmax_grad_into"] == ([] if capped else [True] * calls)
    assert taken["matmul_add_into"] == ([True] * N if _trains(KNOBS[name]) else [])
    if capped:
        return
    (h, w, y), kw = _on("torch", dtype, KNOBS[name])
    leaves = [a.detach().requires_grad_(True) for a in (h, w)]
    loss = lossport.linear_cross_entropy(leaves[0], leaves[1], y, chunk_size=4, **kw)
    for found in taken.values():
        found.clear()
    grads = torch.autograd.grad(loss.sum(), leaves, create_graph=True)
    torch.autograd.grad(sum(g.sum() for g in grads), leaves)  # second derivatives flow through the generic form
    batched = torch.func.vmap(torch.func.grad(lambda h: lossport.linear_cross_entropy(h, w, y[:4], chunk_size=4,
                                                                                      **kw).sum()))
    batched(torch.stack([h[:4], h[3:]]))
    assert taken["softmax_grad_into"] and not any(taken["softmax_grad_into"])  # asked, and declined every time
    assert not any(taken["writable"]) and not any(taken["matmul_add_into"])


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_torch_compile_saves_no_chunk_for_the_backward(reduction: str) -> None:
    """torch.compile(fullgraph=True) keeps nothing of a chunk's or a block's shape for the backward. A mean: the
    training forward's ``d hidden`` and ``d weight`` only (a block's cotangent and a second ``V × H`` sum were
    saved while the last block's sum sat in the backward: lossport/linear.py's ``_train``), over blocks of 2, 2, 2
    and a ragged 1 token (chunks of 8), each block's ``d weight`` added in place (``lossport::addmm_into``,
    backends/_torch) and the gradients eager torch's. Per-token losses: the inputs (the weight's chunks are views
    of it) and three numbers per token; before the backward built its label mask as ``classes == labels``
    (``_hits``), AOTAutograd merged it with the forward's and saved every chunk's boolean mask: 120 MB at 4096
    tokens × 32000 classes (one build each: slow)."""
    import torch

    (h, w, y), _ = _on("torch", "float32", {})
    leaves = [a.detach().requires_grad_(True) for a in (h, w)]

    def loss(h: Any, w: Any) -> Any:
        return lossport.linear_cross_entropy(h, w, y, chunk_size=8 if reduction == "mean" else 4,
                                             reduction=reduction)

    out = torch.compile(loss, fullgraph=True)(*leaves)
    saved = [tuple(t.shape) for t in out.grad_fn.saved_tensors]
    assert saved, "no saved tensors found: has the compiled backward node changed?"
    if reduction == "mean":
        assert sorted(saved) == sorted([(N, H), (V, H)]), saved
    else:
        assert all(s in {(N, H), (N,), (N, 1), (4, H), (3, H)} for s in saved), saved
    got = torch.autograd.grad(out.sum(), leaves)
    expected = torch.autograd.grad(loss(*leaves).sum(), leaves)
    for g, e in zip(got, expected):  # eager torch's float32 numbers, summed in another order by inductor's kernels
        np.testing.assert_allclose(g.detach().cpu().numpy(), e.cpu().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", *AUTODIFF])
def test_jax_traces_one_chunk_body(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under jax.jit the full chunks run in lax.scan (backends/jax.py's scan_chunks): the chunk's logits are traced
    once for 10 chunks, so compile time does not grow with V / chunk; elsewhere a Python loop computes all 10."""
    calls = []
    real = linear._logits

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(linear, "_logits", counting)
    weight = rng.normal(size=(40, H))
    (h, _, y), _ = _on(backend, "float32", {})
    w = parity.convert(backend, weight, "float32", device_for(backend))

    def fn(h: Any, w: Any) -> Any:
        return lossport.linear_cross_entropy(h, w, y, chunk_size=4)

    if backend == "jax":
        import jax

        got = parity.to_numpy(jax.jit(fn)(h, w))
    else:
        got = parity.to_numpy(fn(h, w))
    assert len(calls) == (1 if backend == "jax" else 10)
    assert parity.compare(got, np.asarray(dense(np, HIDDEN, weight, _labels({}))), "float32") <= 1.0


# -- 16-bit inputs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_16_bit_inputs(backend: str, dtype: str) -> None:
    """16-bit inputs: the float32 dense form of the same (rounded) inputs within float32's matrix tolerance (the
    products and sums are float32; only the inputs are rounded); a 16-bit loss and a float32 log-sum-exp."""
    knobs = {"bias": BIAS, "z_loss": 0.01, "reduction": "none"}
    rounded = [parity.to_numpy(parity.convert(backend, a, dtype)).astype(np.float64) for a in (HIDDEN, WEIGHT, BIAS)]
    expected = dense(np, rounded[0], rounded[1], _labels(knobs), **dict(knobs, bias=rounded[2]))
    (h, w, y), kw = _on(backend, dtype, knobs)
    loss, lse = lossport.linear_cross_entropy(h, w, y, return_lse=True, chunk_size=4, **kw)
    assert (_name(loss.dtype), _name(lse.dtype)) == (dtype, "float32")
    np.testing.assert_allclose(parity.to_numpy(loss).astype(np.float64), expected, rtol=parity.tolerance(dtype)[0])
    z = rounded[0] @ rounded[1].T + rounded[2]
    np.testing.assert_allclose(parity.to_numpy(lse), np.log(np.exp(z).sum(-1)), rtol=2e-6)


@pytest.mark.parametrize("backend", AUTODIFF)
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_16_bit_gradients(backend: str, dtype: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gradients of a mean of 16-bit inputs, by the training forward (lossport.linear._train): the dense form's
    float64 autodiff of the same rounded inputs, within the dtype's matrix tolerance (products and sums in float32,
    the gradients rounded to the dtype)."""
    knobs = {"z_loss": 0.01, "label_smoothing": 0.1}
    module = sys.modules[__name__]
    got = _grads(backend, dtype, knobs, use_dense=False)
    for name in ("HIDDEN", "WEIGHT", "BIAS"):
        monkeypatch.setattr(module, name, parity.to_numpy(parity.convert(backend, getattr(module, name), dtype)))
    expected = _grads(backend, "float64", knobs, use_dense=True)
    rtol = parity.tolerance(dtype)[0]
    for g, e in zip(got, expected):
        assert _name(g.dtype) == dtype
        np.testing.assert_allclose(g.astype(np.float64), e, rtol=rtol, atol=rtol * np.abs(e).max())


def ml_bf16() -> Any:
    import ml_dtypes  # (installed with JAX and TensorFlow) NumPy's bfloat16

    return ml_dtypes.bfloat16


def _name(dtype: Any) -> str:
    name = getattr(dtype, "name", None)  # NumPy, JAX and TensorFlow dtypes; torch's print as torch.float32
    return name if isinstance(name, str) else str(dtype).split(".")[-1]


# -- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((HIDDEN, WEIGHT[:, :3], LABELS), {}, ValueError, "weight"),
        ((HIDDEN, WEIGHT[0], LABELS), {}, ValueError, "2-D"),
        ((HIDDEN, WEIGHT, LABELS[:3]), {}, ValueError, "labels"),
        ((HIDDEN, WEIGHT, LABELS), {"bias": BIAS[:3]}, ValueError, "bias"),
        ((HIDDEN, WEIGHT, LABELS), {"class_weights": CLASS_WEIGHTS[:3]}, ValueError, "class_weights"),
        ((HIDDEN, WEIGHT, np.where(LABELS < 0, V, LABELS)), {}, ValueError, "labels"),
        ((HIDDEN, WEIGHT, LABELS), {}, ValueError, "labels"),  # -100 without ignore_index
        ((HIDDEN, WEIGHT, LABELS.astype(float)), {}, TypeError, "labels"),
        ((HIDDEN.astype(int), WEIGHT, LABELS), {}, TypeError, "hidden"),
        ((HIDDEN, WEIGHT[:0], LABELS), {}, ValueError, "weight"),
        ((HIDDEN, WEIGHT, LABELS), {"ignore_index": -100, "chunk_size": 0}, ValueError, "chunk_size"),
        ((HIDDEN, WEIGHT, LABELS), {"ignore_index": -100, "logit_softcap": -1.0}, ValueError, "logit_softcap"),
        ((HIDDEN, WEIGHT, LABELS), {"ignore_index": -100, "label_smoothing": 1.5}, ValueError, "label_smoothing"),
    ],
)
def test_bad_input(args: tuple[Any, ...], kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        lossport.linear_cross_entropy(*args, **kwargs)
