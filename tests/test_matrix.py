"""The parity matrix: every case of every loss × backend × dtype × (eager, compiled) × (value, gradient).

Values are compared with the same loss on NumPy float64, on the same inputs rounded to the dtype under test
(``parity.reference``). Gradients are compared with JAX float64 autodiff of the same loss, which is itself
cross-checked against central finite differences of the NumPy float64 loss. Cases keep away from the losses'
kinks (backends/parity/cases/), where frameworks legitimately pick different subgradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from lossport.backends import parity
from lossport.backends.parity.cases import Case, cases_for
from support import BACKENDS, backend_dtype_params, device_for

import lossport
from lossport._gradients import RULES
from lossport._registry import LOSSES

ALL_CASES = [c for loss in LOSSES for c in cases_for(loss)]
GRAD_CASES = [c for c in ALL_CASES if c.grad is not None and not c.extreme]
# torch.compile costs seconds per build: one case per loss (the first), float32, for values; for gradients (a
# second build, of the backward), the losses whose backward is lossport's own (a Rule, bound to an
# autograd.Function: lossport._gradients.RULES) and one or two per family whose backward is autograd's, as
# DESIGN.md's "representative set". linear_cross_entropy's build is its own test (test_linear_cross_entropy.py).
TORCH_COMPILE_CASES = [cases_for(loss)[0] for loss in LOSSES]
TORCH_COMPILE_GRAD_LOSSES = (set(RULES) - {"linear_cross_entropy"}) | {
    "binary_cross_entropy", "nll", "categorical_focal", "triplet_margin", "info_nce", "dice", "lovasz_softmax",
    "l2_penalty", "tweedie_deviance"}


def _case_params(cases: list[Case], pairs: list[Any]) -> list[Any]:
    """``(case, backend, dtype)`` for every case and pair, but JAX's float16 and bfloat16 on the first case of
    each loss only. JAX computes 16-bit inputs in float32 (as every backend does), so the float32 rows test the
    same arithmetic; a 16-bit row adds the casts, and in JAX's eager mode each case's operations compile anew per
    dtype (in the full run, JAX's 16-bit eager rows took 500 of the suite's 4100 CPU seconds)."""
    firsts = {cases_for(loss)[0].id for loss in LOSSES}
    out = []
    for case in cases:
        for pair in pairs:
            backend, dtype = pair.values
            if backend == "jax" and dtype in ("float16", "bfloat16") and case.id not in firsts:
                continue
            out.append(pytest.param(case, backend, dtype, id=f"{pair.id}-{case.loss}-{case.name}",
                                    marks=pytest.mark.xdist_group(case.id)))
    return out


def _case_param(case: Case) -> Any:
    # One xdist group per case (`pytest -n 2 --dist loadgroup`, the README's command): its backends and dtypes run
    # in one worker, which builds the case's JAX float64 reference gradient once (_reference_grad) and compiles
    # JAX's eager operations for its shapes once, where two workers would each pay both.
    return pytest.param(case, id=f"{case.loss}-{case.name}", marks=pytest.mark.xdist_group(case.id))


# -- binding a case to a backend's arrays ---------------------------------------------------------------------


def _bind(case: Case, backend: str, dtype: str) -> tuple[list[Any], Callable[[list[Any]], tuple]]:
    """The case's arrays as the backend's (a flat list), and a function that rebuilds ``(args, kwargs)``."""
    return parity.bind(case, backend, dtype, device_for(backend))


def _arrays(values: Any) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out += _arrays(v)
        elif isinstance(v, np.ndarray):
            out.append(v)
    return out


def _grad_leaf(case: Case) -> int:
    """The index in the flat leaf list of the argument at ``case.grad``."""
    target = case.args[case.grad[0]]
    for i in case.grad[1:]:
        target = target[i]
    return next(i for i, a in enumerate(_arrays([*case.args, *case.kwargs.values()])) if a is target)


def _compiled(backend: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    if backend == "torch":
        import torch

        torch._dynamo.reset()
        return torch.compile(fn, fullgraph=True)
    raise AssertionError(backend)


def _value(case: Case, backend: str, dtype: str, *, compiled: bool) -> Any:
    leaves, rebuild = _bind(case, backend, dtype)
    loss = getattr(lossport, case.loss)

    def fn(*values: Any) -> Any:
        args, kwargs = rebuild(list(values))
        return loss(*args, **kwargs)

    return (_compiled(backend, fn) if compiled else fn)(*leaves)


def _dtype_name(dtype: Any) -> str:
    name = getattr(dtype, "name", None)  # NumPy, JAX and TensorFlow dtypes
    return name if isinstance(name, str) else str(dtype).split(".")[-1]  # torch.float32, array_api_strict


def _check_value(actual: Any, case: Case, backend: str, dtype: str) -> None:
    expected = parity.reference(case, dtype)
    leaves, _ = _bind(case, backend, dtype)
    # Namespace, dtype and shape before values: the result is the caller's own array type.
    assert type(actual).__module__.split(".")[0] == type(leaves[0]).__module__.split(".")[0]
    assert _dtype_name(actual.dtype) == dtype, (actual.dtype, dtype)
    assert tuple(actual.shape) == expected.shape
    got = parity.to_numpy(actual)
    worst = parity.compare(got, expected, dtype)
    assert worst <= 1.0, f"worst error {worst:.3g} tolerances\nactual   {got}\nexpected {expected}"


# -- values ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "backend", "dtype"), _case_params(ALL_CASES, backend_dtype_params()))
def test_value_eager(case: Case, backend: str, dtype: str) -> None:
    _check_value(_value(case, backend, dtype, compiled=False), case, backend, dtype)


@pytest.mark.parametrize("case", [_case_param(c) for c in ALL_CASES])
@pytest.mark.parametrize(
    ("backend", "dtype"),
    [p for p in backend_dtype_params(dtypes=("float32", "float64")) if p.values[0] in ("jax", "tensorflow")],
)
def test_value_compiled(case: Case, backend: str, dtype: str) -> None:
    _check_value(_value(case, backend, dtype, compiled=True), case, backend, dtype)


@pytest.mark.slow
@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("case", [_case_param(c) for c in TORCH_COMPILE_CASES])
def test_value_torch_compile(case: Case) -> None:
    _check_value(_value(case, "torch", "float32", compiled=True), case, "torch", "float32")


@pytest.mark.skipif("array_api_strict" not in BACKENDS, reason="array_api_strict is not installed")
@pytest.mark.parametrize("case", [_case_param(c) for c in ALL_CASES])
def test_value_strict_device1(case: Case) -> None:
    """A non-default device catches constants created without ``device=``; the result stays on it."""
    import array_api_strict as xps

    device = xps.Device("device1")
    args = tuple(parity.convert("array_api_strict", a, "float64", device) for a in case.args)
    kwargs = {k: parity.convert("array_api_strict", v, "float64", device) for k, v in case.kwargs.items()}
    actual = getattr(lossport, case.loss)(*args, **kwargs)
    assert actual.device == device
    assert parity.compare(parity.to_numpy(actual), parity.reference(case), "float64") <= 1.0


# -- gradients ------------------------------------------------------------------------------------------------

GRAD_RTOL = {"float64": 1e-10, "float32": 2e-4, "float16": 2e-2, "bfloat16": 8e-2}


def _grad(case: Case, backend: str, dtype: str, *, compiled: bool = False) -> np.ndarray:
    """d sum(loss) / d (the argument at ``case.grad``), by the backend's own autodiff."""
    leaves, rebuild = _bind(case, backend, dtype)
    index = _grad_leaf(case)
    loss = getattr(lossport, case.loss)

    def total(x: Any, xp_sum: Callable[[Any], Any]) -> Any:
        values = list(leaves)
        values[index] = x
        args, kwargs = rebuild(values)
        return xp_sum(loss(*args, **kwargs))

    if backend == "jax":
        import jax
        import jax.numpy as jnp

        g = jax.grad(lambda x: total(x, jnp.sum))
        return parity.to_numpy((jax.jit(g) if compiled else g)(leaves[index]))
    if backend == "torch":
        import torch

        # Compiled: the forward is compiled, and AOTAutograd compiles its backward, run by autograd.grad.
        def forward(x: Any) -> Any:
            return total(x, torch.sum)

        x = leaves[index].detach().requires_grad_(True)
        (out,) = torch.autograd.grad((_compiled("torch", forward) if compiled else forward)(x), x)
        return parity.to_numpy(out)
    if backend == "tensorflow":
        import tensorflow as tf

        def g(x: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = total(x, tf.reduce_sum)
            return tape.gradient(out, x)

        return parity.to_numpy((tf.function(g, jit_compile=True) if compiled else g)(leaves[index]))
    raise AssertionError(backend)


_REFERENCE_GRADS: dict[tuple[str, str], np.ndarray] = {}


def _reference_grad(case: Case, dtype: str) -> np.ndarray:
    """JAX float64 autodiff on the inputs rounded to ``dtype`` (or finite differences without JAX); computed once
    per case and dtype in a process (each backend's test of the dtype compares with the same one)."""
    key = (case.id, dtype)
    if key not in _REFERENCE_GRADS:
        _REFERENCE_GRADS[key] = _compute_reference_grad(case, dtype)
    return _REFERENCE_GRADS[key].copy()


def _compute_reference_grad(case: Case, dtype: str) -> np.ndarray:
    rounded = Case(case.loss, case.name, tuple(parity.runner._rounded(a, dtype) for a in case.args),
                   {k: parity.runner._rounded(v, dtype) for k, v in case.kwargs.items()}, case.grad)
    if "jax" in BACKENDS:
        return _grad(rounded, "jax", "float64")
    return _finite_difference(rounded)


def _finite_difference(case: Case, rel_step: float = 1e-6, *, at: list[tuple[int, ...]] | None = None) -> np.ndarray:
    """Central differences of the NumPy float64 reference, at every element (or at the elements ``at``; the
    others are left 0)."""
    index = _grad_leaf(case)
    leaves = _arrays([*case.args, *case.kwargs.values()])
    x = leaves[index]
    grad = np.zeros_like(x)
    for i in (np.ndindex(x.shape) if at is None else at):
        # A step relative to |x| (at least 1e-2 · rel_step) keeps the O(h²/x²) truncation small near 0.
        h = rel_step * max(abs(float(x[i])), 1e-2)
        vals = []
        for step in (h, -h):
            shifted = x.copy()
            shifted[i] += step
            vals.append(float(np.sum(parity.reference(_replace(case, x, shifted)))))
        grad[i] = (vals[0] - vals[1]) / (2 * h)
    return grad


def _replace(case: Case, old: np.ndarray, new: np.ndarray) -> Case:
    def sub(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return type(v)(sub(a) for a in v)
        return new if v is old else v

    return Case(case.loss, case.name, sub(case.args), {k: sub(v) for k, v in case.kwargs.items()}, case.grad)


def _assert_grad_close(actual: np.ndarray, expected: np.ndarray, dtype: str) -> None:
    rtol = GRAD_RTOL[dtype]
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    assert actual.shape == expected.shape
    assert np.all(np.isfinite(actual)), actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.skipif("jax" not in BACKENDS, reason="the gradient reference is JAX float64")
@pytest.mark.parametrize("case", [_case_param(c) for c in GRAD_CASES])
def test_reference_gradient_matches_finite_differences(case: Case) -> None:
    """At up to 16 elements of the differentiated argument (first, last and evenly spaced between: every one of a
    small input), each two NumPy reference calls; every element of every case took 305 CPU seconds."""
    x = _arrays([*case.args, *case.kwargs.values()])[_grad_leaf(case)]
    flat = sorted(set(np.linspace(0, x.size - 1, min(x.size, 16)).round().astype(int).tolist()))
    at = [np.unravel_index(k, x.shape) for k in flat]
    expected = _finite_difference(case, at=at)
    actual = np.zeros_like(expected)
    # The reference itself (the case's inputs are float64: rounding them to float64 is the identity), which
    # test_gradient_eager's rows then compare with: one JAX float64 gradient per case, not two.
    full = _reference_grad(case, "float64")
    for i in at:
        actual[i] = full[i]
    # Central differences with h = 1e-6 carry O(h²) truncation and O(eps/h) rounding error: ~1e-9 relative.
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-8 * max(1.0, np.max(np.abs(expected))))


# No JAX float64 row: it is the reference itself (_reference_grad: the same eager autodiff on the same inputs, so
# it could not fail); test_reference_gradient_matches_finite_differences checks it.
@pytest.mark.parametrize(("case", "backend", "dtype"),
                         _case_params(GRAD_CASES, [p for p in backend_dtype_params(autodiff=True)
                                                   if p.values != ("jax", "float64")]))
def test_gradient_eager(case: Case, backend: str, dtype: str) -> None:
    _assert_grad_close(_grad(case, backend, dtype), _reference_grad(case, dtype), dtype)


@pytest.mark.parametrize("case", [_case_param(c) for c in GRAD_CASES])
@pytest.mark.parametrize(
    ("backend", "dtype"),
    [p for p in backend_dtype_params(autodiff=True, dtypes=("float32",)) if p.values[0] != "torch"],
)
def test_gradient_compiled(case: Case, backend: str, dtype: str) -> None:
    _assert_grad_close(_grad(case, backend, dtype, compiled=True), _reference_grad(case, dtype), dtype)


@pytest.mark.slow
@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
@pytest.mark.parametrize("case", [_case_param(c) for c in TORCH_COMPILE_CASES
                                  if c.grad is not None and c.loss in TORCH_COMPILE_GRAD_LOSSES])
def test_gradient_torch_compile(case: Case) -> None:
    actual = _grad(case, "torch", "float32", compiled=True)
    _assert_grad_close(actual, _reference_grad(case, "float32"), "float32")
