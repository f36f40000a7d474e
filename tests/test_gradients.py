"""Custom backward passes (lossport/_gradients.py) against autodiff of the forward's own composition.

For every loss with a rule, on every parity case that has a gradient: the cotangents of every floating input
(predictions, targets, weights, array knobs such as ``pos_weight``) under the rule equal those that the framework's
autodiff computes through the same forward with the rule unbound (``_gradients.composition()``), in float64, on
JAX, torch and TensorFlow; so do second derivatives (Hessian-vector products) where the framework differentiates
a backward. ``jax.jit``, ``jax.vmap`` and ``torch.func.grad`` run on the first case of each loss. The parity
matrix (tests/test_matrix.py) checks the predictions' gradient against JAX float64 autodiff of the plain loss and
finite differences, on every backend and dtype, eager and compiled (``jax.jit``, ``tf.function(jit_compile=True)``,
``torch.compile(fullgraph=True)``), so those modes are not repeated here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from lossport.backends import parity
from lossport.backends.parity.cases import Case, cases_for
from support import BACKENDS

import lossport
from lossport import _gradients


def _soft(case: Case) -> Case:
    """The case with its hard 0/1 float labels made soft (distillation's case), and zero counts made positive.

    At a label (or Poisson count) of exactly 0, autodiff of the composition differentiates ``mul0(y, f(x))`` or
    ``xlogy(y, ·)`` as 0 in ``y`` (their ``where`` masks the coefficient where it is 0), while the true derivative,
    which the rules give, is ``f(x)``: the loss is linear in ``y``. Soft labels and positive counts compare like
    with like. The predictions (the first argument) are kept.
    """
    rng = np.random.default_rng(11)

    def soften(a: Any) -> Any:
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size):
            return a
        if np.isin(a, (0.0, 1.0)).all():
            return rng.uniform(0.05, 0.95, size=a.shape)
        if (a >= 0).all() and (a == 0).any():
            return np.where(a == 0, rng.uniform(0.05, 0.95, size=a.shape), a)
        return a

    args = (case.args[0], *(soften(a) for a in case.args[1:]))
    return Case(case.loss, case.name, args, {k: soften(v) for k, v in case.kwargs.items()}, case.grad, case.extreme)


RULE_LOSSES = sorted(_gradients.RULES)
CASES = [_soft(c) for loss in RULE_LOSSES for c in cases_for(loss) if c.grad is not None and not c.extreme]
FIRST = [next(c for c in CASES if c.loss == loss) for loss in RULE_LOSSES]
AUTODIFF = [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS]


def _param(case: Case) -> Any:
    # The case's xdist group, as in test_matrix.py: its JAX compilations are shared with the matrix's rows.
    return pytest.param(case, id=f"{case.loss}-{case.name}", marks=pytest.mark.xdist_group(case.id))


def test_the_rules_are_the_losses_that_have_them() -> None:
    assert RULE_LOSSES and set(RULE_LOSSES) <= set(lossport.__all__)


def _floating(leaves: list[Any]) -> list[int]:
    return [i for i, a in enumerate(leaves) if "float" in str(a.dtype)]


def _loss_of(case: Case, rebuild: Callable[..., Any], leaves: list[Any], cotangent: Any,
             xp_sum: Callable[[Any], Any]) -> Callable[..., Any]:
    """The case's loss as a scalar function of its floating leaves: ``Σ cotangent · loss`` (any reduction)."""
    floating = _floating(leaves)

    def f(*values: Any) -> Any:
        full = list(leaves)
        for i, v in zip(floating, values):
            full[i] = v
        args, kwargs = rebuild(full)
        return xp_sum(getattr(lossport, case.loss)(*args, **kwargs) * cotangent)

    return f


def _grads(case: Case, backend: str, *, second: bool = False) -> list[np.ndarray]:
    """float64 cotangents of every floating input (or, with ``second``, a Hessian-vector product in each)."""
    leaves, rebuild = parity.bind(case, backend, "float64")
    shape = np.shape(parity.reference(case, "float64"))
    rng = np.random.default_rng(7)
    cot_np = rng.uniform(0.5, 1.5, size=shape)
    floating = _floating(leaves)
    vectors = [rng.normal(size=tuple(leaves[i].shape)) for i in floating]
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        f = _loss_of(case, rebuild, leaves, jnp.asarray(cot_np), jnp.sum)
        argnums = tuple(range(len(floating)))
        if not second:
            return [np.asarray(g) for g in jax.grad(f, argnums=argnums)(*[leaves[i] for i in floating])]
        grad = jax.grad(f, argnums=argnums)
        hvp = jax.grad(lambda *v: sum(jnp.sum(g * w) for g, w in zip(grad(*v), vectors)), argnums=argnums)
        return [np.asarray(g) for g in hvp(*[leaves[i] for i in floating])]
    if backend == "torch":
        import torch

        xs = [leaves[i].detach().clone().requires_grad_(True) for i in floating]
        f = _loss_of(case, rebuild, leaves, torch.as_tensor(cot_np), torch.sum)
        grads = torch.autograd.grad(f(*xs), xs, create_graph=second, allow_unused=True)
        if second:
            dot = sum((g * torch.as_tensor(w)).sum() for g, w in zip(grads, vectors) if g is not None)
            # a piecewise-linear loss's gradient may not depend on the inputs at all: its Hessian is 0
            needed = getattr(dot, "requires_grad", False)
            grads = torch.autograd.grad(dot, xs, allow_unused=True) if needed else [None] * len(xs)
        return [np.zeros(x.shape) if g is None else g.detach().numpy(force=True) for g, x in zip(grads, xs)]
    import tensorflow as tf

    xs = [tf.Variable(leaves[i]) for i in floating]
    f = _loss_of(case, rebuild, leaves, tf.constant(cot_np), tf.reduce_sum)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            value = f(*xs)
        grads = [None if g is None else tf.convert_to_tensor(g) for g in inner.gradient(value, xs)]  # gathers
        dot = sum(tf.reduce_sum(g * w) for g, w in zip(grads, vectors) if g is not None)
    if second:
        grads = [None if g is None else tf.convert_to_tensor(g) for g in outer.gradient(dot, xs)]
    return [np.zeros(x.shape) if g is None else g.numpy() for g, x in zip(grads, xs)]


def _assert_same(rule: list[np.ndarray], composed: list[np.ndarray]) -> None:
    assert len(rule) == len(composed)
    for a, b in zip(rule, composed):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * max(1.0, float(np.max(np.abs(b)))))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
@pytest.mark.parametrize("backend", AUTODIFF)
def test_rule_matches_autodiff_of_the_composition(case: Case, backend: str) -> None:
    rule = _grads(case, backend)
    with _gradients.composition():
        composed = _grads(case, backend)
    _assert_same(rule, composed)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
@pytest.mark.parametrize("backend", AUTODIFF)
def test_second_derivatives_match(case: Case, backend: str) -> None:
    rule = _grads(case, backend, second=True)
    with _gradients.composition():
        composed = _grads(case, backend, second=True)
    _assert_same(rule, composed)


# -- modes ------------------------------------------------------------------------------------------------------


def _first_grad(case: Case, backend: str, dtype: str, transform: Callable[[Callable[..., Any]], Any]) -> np.ndarray:
    """The gradient in the case's first floating argument, through ``transform`` (a compiler, or the identity)."""
    leaves, rebuild = parity.bind(case, backend, dtype)
    i = _floating(leaves)[0]

    def loss(x: Any) -> Any:
        full = list(leaves)
        full[i] = x
        args, kwargs = rebuild(full)
        out = getattr(lossport, case.loss)(*args, **kwargs)
        return out.sum() if backend == "torch" else (out if out.ndim == 0 else sum_of(backend, out))

    return transform(loss)(leaves[i])


def sum_of(backend: str, x: Any) -> Any:
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.sum(x)
    import tensorflow as tf

    return tf.reduce_sum(x)


@pytest.mark.skipif("jax" not in BACKENDS, reason="JAX is not installed")
@pytest.mark.parametrize("case", [_param(c) for c in FIRST])
def test_jax_jit_and_vmap(case: Case) -> None:
    """``jit`` of ``grad`` gives eager ``grad``; ``vmap`` of the per-row gradient gives the rows of the summed
    loss's gradient (per-sample gradients, as DP-SGD takes them)."""
    import jax
    import jax.numpy as jnp

    eager = np.asarray(_first_grad(case, "jax", "float64", jax.grad))
    jitted = np.asarray(_first_grad(case, "jax", "float64", lambda f: jax.jit(jax.grad(f))))
    np.testing.assert_allclose(jitted, eager, rtol=1e-12)
    leaves, rebuild = parity.bind(case, "jax", "float64")
    i = _floating(leaves)[0]
    batch = leaves[i].shape[:1]
    if len(leaves[i].shape) < 2 or any(leaf.shape[:1] != batch for leaf in leaves):
        pytest.skip("per-row vmap needs inputs that share a leading batch axis")

    def summed(x: Any, rows: Any) -> Any:
        full = [jnp.take(leaf, rows, axis=0) for leaf in leaves]
        full[i] = x
        args, kwargs = rebuild(full)
        return getattr(lossport, case.loss)(*args, **{**kwargs, "reduction": "sum"})

    per_row = jax.vmap(lambda x, k: jax.grad(summed)(x[None], k[None])[0])(leaves[i], jnp.arange(batch[0]))
    whole = jax.grad(summed)(leaves[i], jnp.arange(batch[0]))
    np.testing.assert_allclose(np.asarray(per_row), np.asarray(whole), rtol=1e-12, atol=1e-15)


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("case", [_param(c) for c in FIRST])
def test_torch_func_grad(case: Case) -> None:
    """``torch.func.grad`` runs the rule's Function (setup_context) and gives autograd's gradient."""
    import torch
    import torch.func

    def eager(f: Callable[..., Any]) -> Callable[..., Any]:
        def g(x: Any) -> Any:
            x = x.detach().requires_grad_(True)
            return torch.autograd.grad(f(x), x)[0]
        return g

    expected = _first_grad(case, "torch", "float64", eager).numpy()
    functional = _first_grad(case, "torch", "float64", torch.func.grad)
    np.testing.assert_allclose(functional.numpy(), expected, rtol=1e-12)


# The losses issue 10 found failing under torch.func.vmap (value checks read batched tensors), with checks on.
VMAP_LOSSES = ["sparse_softmax_cross_entropy", "binary_cross_entropy", "kl_divergence", "dice", "sparsemax", "hinge",
               "nll", "multiclass_hinge"]


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("loss", VMAP_LOSSES)
def test_torch_func_vmap_and_per_sample_gradients(loss: str) -> None:
    """``torch.func.vmap`` over two copies of a case (the second's floats scaled) gives each copy's own value, and
    ``vmap(grad(...))`` each copy's gradient (per-sample gradients, as DP-SGD takes them)."""
    import torch
    import torch.func

    case = next(c for c in cases_for(loss) if c.grad is not None and not c.extreme)
    leaves, rebuild = parity.bind(case, "torch", "float64")
    i = _floating(leaves)[0]
    copies = [list(leaves), [leaf * 0.5 if j == i else leaf for j, leaf in enumerate(leaves)]]
    batched = [torch.stack([c[j] for c in copies]) for j in range(len(leaves))]

    def value(*full: Any) -> Any:
        args, kwargs = rebuild(list(full))
        return getattr(lossport, case.loss)(*args, **kwargs).sum()

    got = torch.func.vmap(value)(*batched)
    grads = torch.func.vmap(torch.func.grad(value, argnums=i))(*batched)
    for k, c in enumerate(copies):
        np.testing.assert_allclose(got[k].item(), value(*c).item(), rtol=1e-12)
        np.testing.assert_allclose(grads[k].numpy(), torch.func.grad(value, argnums=i)(*c).numpy(), rtol=1e-12)


@pytest.mark.slow
@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
def test_torch_compile_first_call_in_a_fresh_process() -> None:
    """The first lossport call of a process may be under ``torch.compile(fullgraph=True)``: the rule's Function
    is imported then, which Dynamo runs (a class statement it could not trace)."""
    import subprocess
    import sys

    code = (
        "import torch, lossport\n"
        "x = torch.tensor([2.0, 3.0], requires_grad=True)\n"
        "torch.compile(lossport.mean_squared_error, fullgraph=True)(x, torch.tensor([1.0, 0.0])).backward()\n"
        "print(x.grad.tolist())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[-2] == "[1.0, 3.0]"  # by hand: 2(p − t)/n = [2·1/2, 2·3/2]



_INFINITE_X = np.array([np.inf, -np.inf, np.inf, -np.inf], np.float32)
_INFINITE_Y = np.array([1.0, 0.0, 0.0, 1.0], np.float32)


def test_sigmoid_focal_at_infinite_logits_numpy() -> None:
    """hand: at ±inf the label on the logit's side costs 0 (``u = 0``), the other one ``inf`` (``ce = inf``,
    ``u = 1``); NumPy, which no backward can follow, computes no residual and warns of nothing."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for gamma in (2.0, 0.5):
            out = lossport.sigmoid_focal(_INFINITE_X, _INFINITE_Y, gamma=gamma, reduction="none")
            np.testing.assert_array_equal(out, [0.0, 0.0, np.inf, np.inf])


@pytest.mark.parametrize("backend", AUTODIFF)
def test_sigmoid_focal_rule_at_infinite_logits(backend: str) -> None:
    """hand: a correct prediction at ±inf has loss 0 and logit gradient 0 for γ = 2 and γ = 0.5: the derivative
    the forward saves takes ``e / (b + s·e)`` as 1 where ``b = 0``, not ``exp(−inf − (−inf))`` (NaN before, at
    γ < 1)."""
    x, y = _INFINITE_X[:2], _INFINITE_Y[:2]
    for gamma in (2.0, 0.5):
        if backend == "jax":
            import jax
            import jax.numpy as jnp

            value, grad = jax.value_and_grad(lambda v, g=gamma: lossport.sigmoid_focal(
                v, jnp.asarray(y), gamma=g, reduction="sum"))(jnp.asarray(x))
        elif backend == "torch":
            import torch

            t = torch.tensor(x, requires_grad=True)
            value = lossport.sigmoid_focal(t, torch.tensor(y), gamma=gamma, reduction="sum")
            value.backward()
            value, grad = value.detach(), t.grad
        else:
            import tensorflow as tf

            v = tf.Variable(x)
            with tf.GradientTape() as tape:
                value = lossport.sigmoid_focal(v, tf.constant(y), gamma=gamma, reduction="sum")
            grad = tape.gradient(value, v)
        assert float(value) == 0.0
        np.testing.assert_array_equal(np.asarray(grad), [0.0, 0.0])


def test_blocks_takes_no_residuals() -> None:
    """``blocks`` cuts the inputs, not a rule's residuals: a rule that saves some is refused when it is made."""
    from lossport._gradients import elementwise_rule, row_rule

    for make in (elementwise_rule, row_rule):
        with pytest.raises(ValueError, match="blocks"):
            make("saving", lambda *a, **k: None, lambda *a, **k: None, saves=True, blocks=True)
