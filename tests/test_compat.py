"""lossport.compat: the parity matrix's machinery, the enumeration of native losses, deprecated arguments, and
the no-framework-import promise.

Each compat function has a :class:`Twin` in tests/test_compat_<library>.py: its native twin, and a hypothesis
strategy that draws the twin's own knobs and inputs. :func:`check_twin` runs one drawn example: the native
function on its framework's arrays (float64 unless the twin says otherwise), the compat function on NumPy
inputs and on each installed backend's arrays (values), and on the twin's own framework's arrays (values and the
gradient of the summed output with respect to the first input, where the twin differentiates). A sample runs
under ``jax.jit`` (tests/test_compat_*.py: ``test_jit``).

:data:`NO_TWIN` lists each native public loss function without a compat twin, with a one-line reason;
``test_every_native_loss_has_a_twin`` fails on any other.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lossport.backends import parity
from support import BACKENDS, framework

SETTINGS = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure prints its draws
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
JAX_SETTINGS = settings(SETTINGS, max_examples=1)
"""JAX compiles each eager operation per shape (~0.1 s each on a CPU): one example per twin on JAX arrays."""

# ---------------------------------------------------------------------------------------------------------------
# Native losses without a compat twin, one line each.

NO_TWIN: dict[str, str] = {
    "optax.make_fenchel_young_loss": "a factory over a JAX max function, not a loss; its sparsemax instance is "
                                     "lossport.compat.optax.multiclass_sparsemax_loss",
    "tf.nn.nce_loss": "random candidate sampling with TF's samplers: no deterministic twin",
    "tf.nn.sampled_softmax_loss": "random candidate sampling with TF's samplers: no deterministic twin",
    "tf.nn.compute_average_loss": "a reduction helper reading tf.distribute's replica context, not a loss",
    "tf.nn.scale_regularization_loss": "divides by tf.distribute's replica count, not a loss",
    "tf.compat.v1.losses.add_loss": "graph-mode loss-collection bookkeeping, not a loss",
    "tf.compat.v1.losses.get_losses": "graph-mode loss-collection bookkeeping, not a loss",
    "tf.compat.v1.losses.get_regularization_loss": "graph-mode loss-collection bookkeeping, not a loss",
    "tf.compat.v1.losses.get_regularization_losses": "graph-mode loss-collection bookkeeping, not a loss",
    "tf.compat.v1.losses.get_total_loss": "graph-mode loss-collection bookkeeping, not a loss",
    "keras.deserialize": "Keras's serialisation utility, not a loss",
    "keras.get": "Keras's loss lookup by name, not a loss",
    "keras.serialize": "Keras's serialisation utility, not a loss",
}

_TORCH_EXTRA = ("cross_entropy", "nll_loss", "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                "linear_cross_entropy")


def native_losses() -> dict[str, list[str]]:
    """Each installed library's public loss functions, by the compat module that must mirror them."""
    out: dict[str, list[str]] = {}
    if importlib.util.find_spec("torch") is not None:
        functional = importlib.import_module("torch.nn.functional")
        out["torch"] = sorted(n for n in dir(functional) if not n.startswith("_") and callable(
            getattr(functional, n)) and (n.endswith("_loss") or n in _TORCH_EXTRA))
    if importlib.util.find_spec("optax") is not None:
        losses = importlib.import_module("optax.losses")
        out["optax"] = sorted(n for n in dir(losses) if not n.startswith("_") and callable(getattr(losses, n)))
    if importlib.util.find_spec("keras") is not None:
        keras = framework("keras")
        out["keras"] = sorted(n for n in dir(keras.losses) if not n.startswith("_")
                              and inspect.isfunction(getattr(keras.losses, n)))
    if importlib.util.find_spec("tensorflow") is not None:
        tf = framework("tensorflow")
        out["tf.nn"] = sorted(n for n in dir(tf.nn) if not n.startswith("_") and (
            "loss" in n or n.endswith("cross_entropy_with_logits")))
        out["tf.compat.v1.losses"] = sorted(n for n in dir(tf.compat.v1.losses)
                                            if not n.startswith("_") and n != "Reduction")
    return out


def _compat_module(library: str) -> Any:
    import lossport.compat.tf as ctf

    return {"torch": "lossport.compat.torch", "optax": "lossport.compat.optax", "keras": "lossport.compat.keras",
            "tf.nn": ctf.nn, "tf.compat.v1.losses": ctf.compat.v1.losses}[library]


def test_every_native_loss_has_a_twin():
    missing, stale = [], []
    for library, names in native_losses().items():
        module = _compat_module(library)
        module = importlib.import_module(module) if isinstance(module, str) else module
        prefix = {"keras": "keras", "torch": "torch", "optax": "optax"}.get(library, library)
        for name in names:
            key = f"{prefix}.{name}"
            if hasattr(module, name):
                if key in NO_TWIN:
                    stale.append(key)
            elif key not in NO_TWIN:
                missing.append(key)
    assert not missing, f"native losses with neither a compat twin nor a NO_TWIN entry: {missing}"
    assert not stale, f"NO_TWIN entries that now have a twin: {stale}"


def test_no_twin_reasons_are_one_line():
    for name, reason in NO_TWIN.items():
        assert reason and "\n" not in reason, name


# ---------------------------------------------------------------------------------------------------------------
# Deprecated arguments, and no framework import


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
                                  "kl_div", "smooth_l1_loss", "soft_margin_loss", "margin_ranking_loss"])
@pytest.mark.parametrize("flag", ["size_average", "reduce"])
def test_torch_deprecated_flags_name_reduction(name, flag):
    import lossport.compat.torch as F

    fn = getattr(F, name)
    x = np.zeros((2, 3))
    args = {"cross_entropy": (x, np.array([0, 1])), "nll_loss": (x, np.array([0, 1])),
            "margin_ranking_loss": (x[0], x[1], np.ones(3))}.get(name, (np.full((2, 3), 0.5), np.ones((2, 3))))
    with pytest.raises(TypeError, match="reduction="):
        fn(*args, **{flag: True})


def test_compat_imports_no_framework():
    """Importing every compat module and calling its functions on NumPy arrays loads no framework."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import lossport.compat.keras as K, lossport.compat.optax as O, lossport.compat.tf as T
        import lossport.compat.torch as F
        x = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]]); y = np.array([0, 2]); p = np.full((2, 3), 1 / 3)
        F.cross_entropy(x, y, label_smoothing=0.1); F.mse_loss(x, p); F.kl_div(np.log(p), p)
        K.categorical_crossentropy(np.eye(3)[y], p); K.sparse_categorical_crossentropy(y, x, from_logits=True)
        O.softmax_cross_entropy_with_integer_labels(x, y, where=np.array([True, False]))
        T.nn.sigmoid_cross_entropy_with_logits(labels=p, logits=x); T.compat.v1.losses.hinge_loss(p, x)
        loaded = [m for m in ("torch", "jax", "tensorflow", "keras", "optax", "tf_keras") if m in sys.modules]
        assert not loaded, loaded
    """)
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


# ---------------------------------------------------------------------------------------------------------------
# The parity machinery


@dataclass(frozen=True)
class Twin:
    """A compat function and its native twin, called the same way.

    ``draw(data)`` returns ``(args, kwargs)``: NumPy arrays (float64, or integer labels) and the twin's knobs
    (arrays among them are converted like the args). ``native_dtype``: the dtype the native computes in
    (``tf.compat.v1.losses``: float32). ``grad``: the index of the argument to differentiate, or None.
    ``prepare``: turns the native framework's arrays into what the *native* call needs (e.g. a ``jnp.mean``
    for optax's ``reduce_fn``); ``native_kwargs``: knobs given to the native only.
    """

    name: str
    compat: Callable[..., Any]
    native: Callable[[], Callable[..., Any]]
    draw: Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]
    framework: str
    grad: int | None = 0
    rtol: float = 1e-7
    atol: float = 1e-10
    native_dtype: str = "float64"
    native_kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    backends: tuple[str, ...] = ()
    compiled: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.name


BACKEND_OF = {"torch": "torch", "optax": "jax", "keras": "tensorflow", "tensorflow": "tensorflow"}


def _convert(backend: str, value: Any, dtype: str = "float64") -> Any:
    if isinstance(value, dict):
        return {k: _convert(backend, v, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_convert(backend, v, dtype) for v in value)
    if isinstance(value, np.ndarray) and value.dtype == bool and backend == "tensorflow":
        import tensorflow as tf

        return tf.constant(value)
    return parity.convert(backend, value, dtype) if isinstance(value, np.ndarray) else value


def _value(x: Any) -> np.ndarray:
    return parity.to_numpy(x) if not isinstance(x, (float, int, np.ndarray, np.generic)) else np.asarray(
        x, dtype=np.float64)


def _sum(backend: str, out: Any) -> Any:
    mod = parity.import_backend(backend)
    if backend == "tensorflow":
        return mod.reduce_sum(out)
    return mod.sum(out)


def gradient(backend: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
             index: int) -> np.ndarray:
    """``∂ Σ fn(*args, **kwargs) / ∂ args[index]`` in ``backend``'s autodiff, as float64 NumPy."""
    args = list(args)
    if backend == "torch":
        x = args[index].detach().clone().requires_grad_(True)
        args[index] = x
        _sum(backend, fn(*args, **kwargs)).backward()
        return _value(x.grad) if x.grad is not None else np.zeros(tuple(x.shape))
    if backend == "jax":
        import jax

        def f(x: Any) -> Any:
            args[index] = x
            return _sum(backend, fn(*args, **kwargs))

        return _value(jax.jit(jax.grad(f))(args[index]))  # compiled whole: eager JAX compiles op by op
    import tensorflow as tf

    x = args[index]
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = _sum(backend, fn(*args, **kwargs))
    g = tape.gradient(out, x)
    return np.zeros(tuple(x.shape)) if g is None else _value(g)


def _close(actual: np.ndarray, expected: np.ndarray, twin: Twin, what: str) -> None:
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{twin.name} {what}: shape {actual.shape} != native {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=twin.rtol, atol=twin.atol, err_msg=f"{twin.name} {what}")


def _call(backend: str, fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)``; on JAX under ``jax.jit`` (the array arguments traced, the rest closed over): eager
    JAX compiles each operation for each new shape, a minute for a CTC (lossport's eager JAX path is the
    matrix's, tests/test_matrix.py)."""
    if backend != "jax":
        return fn(*args, **kwargs)
    import jax

    where = [i for i, a in enumerate(args) if hasattr(a, "shape")]

    def traced(*arrays: Any) -> Any:
        full = list(args)
        for i, a in zip(where, arrays):
            full[i] = a
        return fn(*full, **kwargs)

    return jax.jit(traced)(*(args[i] for i in where))


def check_twin(twin: Twin, backend: str, data: Any) -> None:
    """One drawn example of ``twin`` on ``backend``: values (and, on the twin's own framework, gradients)."""
    framework(twin.framework)
    args, kwargs = twin.draw(data)
    native_backend = BACKEND_OF[twin.framework]
    native = twin.native()
    n_args = _convert(native_backend, args, twin.native_dtype)
    n_kwargs = _convert(native_backend, kwargs, twin.native_dtype)
    if twin.native_kwargs is not None:
        n_kwargs = {**n_kwargs, **twin.native_kwargs(n_kwargs)}
    expected = _value(_call(native_backend, native, list(n_args), n_kwargs))
    if backend == "numpy":
        _close(_value(twin.compat(*args, **kwargs)), expected, twin, "on NumPy inputs")
        return
    c_args, c_kwargs = _convert(backend, args), _convert(backend, kwargs)
    _close(_value(_call(backend, twin.compat, list(c_args), c_kwargs)), expected, twin, f"on {backend} arrays")
    if backend == native_backend and twin.grad is not None:
        want = gradient(backend, native, n_args, n_kwargs, twin.grad)
        got = gradient(backend, twin.compat, c_args, c_kwargs, twin.grad)
        _close(got, want, twin, f"gradient on {backend}")


def check_jit(twin: Twin, data: Any) -> None:
    """The compat function under ``jax.jit`` (arrays traced, knobs static) against the native twin."""
    jax = pytest.importorskip("jax")
    framework(twin.framework)
    args, kwargs = twin.draw(data)
    native_backend = BACKEND_OF[twin.framework]
    n_kwargs = _convert(native_backend, kwargs, twin.native_dtype)
    if twin.native_kwargs is not None:
        n_kwargs = {**n_kwargs, **twin.native_kwargs(n_kwargs)}
    expected = _value(twin.native()(*_convert(native_backend, args, twin.native_dtype), **n_kwargs))
    j_kwargs = _convert("jax", kwargs)
    arrays = {k: v for k, v in j_kwargs.items() if hasattr(v, "shape")}
    static = {k: v for k, v in j_kwargs.items() if k not in arrays}
    compiled = jax.jit(lambda a, kw: twin.compat(*a, **kw, **static))
    _close(_value(compiled(_convert("jax", args), arrays)), expected, twin, "under jax.jit")


def matrix_tests(twins: list[Twin]) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    """The three matrix tests of a family file, written once: each file binds them to its own names
    (``test_matches_<library>``, ``test_matches_<library>_on_jax``, ``test_jit``), which pytest collects.

    ``matches``: every twin on NumPy, torch and TensorFlow arrays (values; gradients on the twin's framework);
    ``on_jax``: one example per twin on JAX arrays; ``jit``: the twins marked ``compiled`` under ``jax.jit``.
    """

    @pytest.mark.parametrize("backend", matrix_backends())
    @pytest.mark.parametrize("twin", twins, ids=repr)
    @SETTINGS
    @given(data=st.data())
    def matches(twin: Twin, backend: str, data: Any) -> None:
        check_twin(twin, backend, data)

    @pytest.mark.parametrize("backend", matrix_backends(jax=True))
    @pytest.mark.parametrize("twin", twins, ids=repr)
    @JAX_SETTINGS
    @given(data=st.data())
    def on_jax(twin: Twin, backend: str, data: Any) -> None:
        check_twin(twin, backend, data)

    @pytest.mark.parametrize("twin", [t for t in twins if t.compiled], ids=repr)
    @SETTINGS
    @given(data=st.data())
    def jit(twin: Twin, data: Any) -> None:
        check_jit(twin, data)

    return matches, on_jax, jit


def matrix_backends(*, jax: bool = False) -> list[str]:
    """The backends of the matrix: NumPy, torch and TensorFlow; or JAX alone (``jax=True``, fewer examples)."""
    wanted = ("jax",) if jax else ("numpy", "torch", "tensorflow")
    return [b for b in BACKENDS if b in wanted]


# ---------------------------------------------------------------------------------------------------------------
# Strategies shared by the family files


def rng(data: Any) -> np.random.Generator:
    return np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))


SHAPES = ((5,), (2, 3), (3, 4), (2, 2, 3))
"""The shapes drawn: few, so that JAX's per-shape compilation of eager operations is shared across twins."""


def shape(data: Any, *, min_dims: int = 1, max_dims: int = 3) -> tuple[int, ...]:
    return data.draw(st.sampled_from([s for s in SHAPES if min_dims <= len(s) <= max_dims]), label="shape")


def sizes(data: Any, *names: str) -> tuple[int, ...]:
    """Batch and class sizes (``N``, ``C``, ...), from a small menu for the same reason."""
    return tuple(data.draw(st.sampled_from([2, 3] if i == 0 else [3, 4]), label=n) for i, n in enumerate(names))


def probabilities(r: np.random.Generator, shp: tuple[int, ...], lo: float = 0.02) -> np.ndarray:
    return r.uniform(lo, 1 - lo, size=shp)


def simplex(r: np.random.Generator, shp: tuple[int, ...], axis: int = -1) -> np.ndarray:
    x = r.uniform(0.05, 1.0, size=shp)
    return x / x.sum(axis=axis, keepdims=True)


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]
