"""JAX adapter: ``jax.numpy`` is itself an Array API namespace; ``jax.nn`` supplies the fused primitives."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative, layout, unpack

NAME = "jax"
NAMESPACE_NAMES = ("jax.numpy",)


def framework_imported() -> bool:
    return "jax" in sys.modules


def _jax_types() -> tuple[type, ...]:
    jax = sys.modules.get("jax")
    if jax is None:
        return ()
    # Since jax 0.8.2 tracers are no longer jax.Array subclasses.
    return (jax.Array, jax.core.Tracer)


def is_array(x: object) -> bool:
    types = _jax_types()
    return bool(types) and isinstance(x, types)


def namespace() -> ModuleType:
    import jax.numpy

    return jax.numpy


def _native() -> Mapping[str, Callable[..., Any]]:
    import jax
    import jax.numpy as jnp

    # jax.nn.logsumexp / log_softmax round 1 + 1e-13 to 1 (a confident prediction's loss becomes 0), so the
    # log-sum-exp family keeps lossport's accurate form (_numerics.py). log_softmax_at sums the terms apart from
    # the picked one, whose index is known: one masked exp-sum after the max, 1.1-1.3 x optax's
    # softmax_cross_entropy_with_integer_labels under jax.jit, where the generic form (x == m mask, ties counted)
    # is 5-6 x and an argmax 1.75 x (benchmarks/README.md). logsumexp and log_softmax stay generic: no faster
    # accurate form was found for them under XLA on the CPU.

    def log_softmax_at_parts(x: Any, indices: Any, *, axis: int = -1) -> tuple[Any, Any, Any]:
        index = jnp.expand_dims(indices, axis)
        m = jnp.max(x, axis=axis, keepdims=True)
        m_safe = jnp.where(jnp.isfinite(m), m, 0.0)
        if x.shape[axis] <= 2**24:  # class indices exact in float32
            # The label's term is dropped by a factor min(|c − label|, 1), computed in float32, not a where: XLA:CPU
            # gives a row sum to a YNNPACK fusion, which takes arithmetic (iota, sub, abs, min, mul, exp) into its
            # loop but no compare or select, whose operand it would read from a full-size temporary (131 MB at
            # 1024 × 32000 float32, and 4 x slower). The same terms, the same sums: bit for bit the where form.
            classes = jax.lax.broadcasted_iota(jnp.float32, x.shape, axis % x.ndim)
            keep = jnp.minimum(jnp.abs(classes - index.astype(jnp.float32)), 1.0).astype(x.dtype)
            others = jnp.sum(jnp.exp(x - m_safe) * keep, axis=axis, keepdims=True)
            # 0 · e^{x − m} is NaN where the label's term overflows, beside a +inf (m_safe is then 0): the terms
            # apart from it sum to inf there, as the where form gives.
            others = jnp.where(m == jnp.inf, jnp.inf, others)
        else:
            classes = jax.lax.broadcasted_iota(index.dtype, x.shape, axis % x.ndim)
            others = jnp.sum(jnp.where(classes == index, 0.0, jnp.exp(x - m_safe)), axis=axis, keepdims=True)
        shifted = jnp.take_along_axis(x, index, axis=axis) - m_safe
        excess = jnp.log1p(jnp.clip(others + jnp.expm1(shifted), min=0.0))
        return jnp.squeeze(shifted - excess, axis=axis), m_safe, others + jnp.exp(shifted)

    # log_softmax_at_parts is the training forward's (_numerics.py): the backward then has no row sum of its own,
    # which XLA:CPU would compute over a materialised e^{z − m} (a full-size temporary beside the gradient's buffer).
    def log_softmax_at(x: Any, indices: Any, *, axis: int = -1) -> Any:
        return log_softmax_at_parts(x, indices, axis=axis)[0]

    # jax.nn.softplus is logaddexp(x, 0): exact at +-inf and accurate to an ulp, but its JVP exp(x − logaddexp(x,
    # 0)) exponentiates a rounded difference (11 ulps at x = 30 in float64, tests/test_gradient_accuracy.py). The
    # tangent is given as t / (1 + exp(−x)), the sigmoid to an ulp (0 at −inf; exp overflows to inf, not NaN).
    @jax.custom_jvp
    def softplus(x: Any) -> Any:
        return jax.nn.softplus(x)

    softplus.defjvp(lambda primals, tangents: (softplus(primals[0]), tangents[0] / (1.0 + jnp.exp(-primals[0]))))

    def log_sigmoid(x: Any) -> Any:
        return -softplus(-x)

    def xlogy(x: Any, y: Any) -> Any:
        # jax.scipy.special.xlogy(0, y) is NaN for a NaN y, and its gradients at x = y = 0 are -inf and NaN:
        # feeding it 1 where x == 0 gives the generic version's semantics (0 there, and zero gradients).
        return jax.scipy.special.xlogy(x, jnp.where(x == 0, 1.0, y))

    def one_hot(labels: Any, num_classes: int, *, dtype: Any, axis: int = -1) -> Any:
        return jax.nn.one_hot(labels, num_classes, dtype=dtype, axis=axis)

    # lossport.linear's chunk matmuls: 16-bit operands multiplied as they are, accumulated and returned in float32
    # (the generic form casts them to float32 first).
    def matmul_accumulate(a: Any, b: Any, dtype: Any) -> Any:
        return jnp.matmul(a, b, preferred_element_type=dtype)

    # lossport.linear's loop over vocabulary chunks: one traced body under lax.scan (a Python loop unrolls, and
    # XLA's compile time grows faster than the chunk count), chunks sliced at a traced start.
    def scan_chunks(body: Callable[..., Any], carry: Any, count: int, chunk: int) -> Any:
        return jax.lax.scan(lambda c, i: body(i * chunk, c), carry, jnp.arange(count))

    def slice_rows(x: Any, start: Any, size: int) -> Any:
        return jax.lax.dynamic_slice_in_dim(x, start, size, axis=0)

    return {
        "log_sigmoid": log_sigmoid,
        "matmul_accumulate": matmul_accumulate,
        "scan_chunks": scan_chunks,
        "slice_rows": slice_rows,
        "log_softmax_at": log_softmax_at,
        "log_softmax_at_parts": log_softmax_at_parts,
        "one_hot": one_hot,
        "softplus": softplus,
        "xlogy": xlogy,
    }


native = LazyNative(_native)


def _gradient_function() -> Any:
    """``jax.custom_vjp`` over every lossport rule (lossport/_gradients.py): the rule, its ``params`` and the
    layout of the arrays present are static (hashable), the arrays are the differentiable arguments. ``jit``,
    ``vmap`` and ``grad`` of ``grad`` (through the backward, which is ordinary jax.numpy code) follow."""
    import functools

    import jax

    @functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3))
    def run(rule: Any, params: Any, xp: Any, slots: tuple[int, ...], *present: Any) -> Any:
        return rule.forward(params, *unpack(slots, present), xp=xp)[0]

    def forward(rule: Any, params: Any, xp: Any, slots: tuple[int, ...], *present: Any) -> Any:
        # JAX calls this only when it differentiates (`run` otherwise): the rule's training forward
        value, residuals = (rule.train or rule.forward)(params, *unpack(slots, present), xp=xp)
        return value, (present, residuals)

    def backward(rule: Any, params: Any, xp: Any, slots: tuple[int, ...], saved: Any, cotangent: Any) -> Any:
        present, residuals = saved
        needs = unpack(slots, tuple(True for _ in present), fill=False)
        grads = rule.backward(params, unpack(slots, present), residuals, cotangent, needs, xp=xp)
        return tuple(_zero_if_none(grads[i], a) for i, a in zip(slots[1:], present))

    run.defvjp(forward, backward)
    return run


def _zero_if_none(grad: Any, primal: Any) -> Any:
    """custom_vjp wants a cotangent for every argument: zeros for a float, float0 zeros for an integer or bool."""
    if grad is not None:
        return grad
    import jax
    import numpy as np

    if jax.numpy.issubdtype(primal.dtype, jax.numpy.inexact):
        return jax.numpy.zeros_like(primal)
    return np.zeros(primal.shape, dtype=jax.dtypes.float0)


_function: list[Any] = []


def custom_gradient(rule: Any, params: Any, arrays: tuple[Any, ...], xp: Any) -> Any:
    import jax

    if not any(isinstance(a, jax.core.Tracer) for a in arrays if a is not None):
        return rule.forward(params, *arrays, xp=xp)[0]  # concrete arrays: no transform can be watching
    if not _function:
        _function.append(_gradient_function())
    where = layout(arrays)
    return _function[0](rule, params, xp, where, *(arrays[i] for i in where[1:]))


def is_concrete(x: object) -> bool:
    jax = sys.modules.get("jax")
    return jax is None or not isinstance(x, jax.core.Tracer)


def is_cpu(x: Any) -> bool:
    try:
        return all(d.platform == "cpu" for d in x.devices())
    except Exception:  # a tracer has no devices
        return False


def device(x: Any) -> Any:
    # Inside jax.jit a tracer has no committed device (jax-ml/jax#26000); None lets JAX place constants.
    if not is_concrete(x):
        return None
    sharding = x.sharding
    if len(sharding.device_set) == 1:
        return x.device  # one device, committed or not
    # An array over several devices: its .device is its sharding, whose layout (P("x", None), say) need not fit a
    # constant such as arange(C). Constants are replicated over the same mesh, so XLA keeps the input's sharding;
    # for shardings without a mesh None lets JAX place them (uncommitted, they follow the committed input).
    mesh = getattr(sharding, "mesh", None)
    if mesh is None:
        return None
    import jax

    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())


def to_numpy(x: Any) -> Any:
    import numpy as np

    return np.asarray(x)
