"""Bad input gives the error DESIGN.md names, with a message naming the argument, on every backend."""

from __future__ import annotations

import re

import numpy as np
import pytest
from lossport.backends import parity
from lossport.backends.parity.cases import cases_for
from support import BACKENDS, backend_params, device_for

import lossport
from lossport._registry import LOSSES


def arr(backend: str, value, dtype: str = "float32"):
    return parity.convert(backend, np.asarray(value), dtype, device_for(backend))


@pytest.fixture(params=backend_params())
def backend(request) -> str:
    return request.param


def test_two_frameworks(backend: str) -> None:
    other = "torch" if backend != "torch" else "numpy"
    if other not in BACKENDS:
        pytest.skip(f"{other} is not installed")
    a = arr(backend, [1.0, 2.0])
    b = arr(other, [1.0, 2.0])
    with pytest.raises(TypeError, match="one framework") as info:
        lossport.mean_squared_error(a, b)
    names = {"array_api_strict": "array_api_strict"}.get(backend, backend)
    assert names in str(info.value) and other in str(info.value)


def test_python_list(backend: str) -> None:
    with pytest.raises(TypeError, match=r"`targets` must be an array.*got list"):
        lossport.mean_squared_error(arr(backend, [1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"`predictions` must be an array.*got list"):
        lossport.huber([1.0, 2.0], arr(backend, [1.0, 2.0]))


def test_only_scalars() -> None:
    with pytest.raises(TypeError, match=r"`predictions` must be an array.*got a scalar float"):
        lossport.mean_squared_error(1.0, 2.0)
    with pytest.raises(TypeError, match="at least one array"):  # the public dispatch ignores scalars
        lossport.array_namespace(1.0, None)


# -- Python and NumPy scalars where an array is expected ------------------------------------------------------


def test_numpy_scalars_are_numpy_arrays() -> None:
    # (1 - 0)² = 1 by hand; NumPy scalars are NumPy arrays of shape ().
    assert float(lossport.mean_squared_error(np.float64(1), np.float64(0))) == 1.0
    assert float(lossport.mean_absolute_error(np.float32(3), np.float32(1))) == 2.0


@pytest.mark.parametrize("scalar", [1.0, 1, np.float64(1.0), np.int64(1)], ids=["float", "int", "np.float64",
                                                                               "np.int64"])
def test_scalar_target_is_broadcast(backend: str, scalar) -> None:
    p = arr(backend, [1.0, 2.0, 4.0])
    # ((0² + 1² + 3²) / 3 by hand; the predictions' dtype and framework (a scalar is weakly typed).
    out = lossport.mean_squared_error(p, scalar)
    assert type(out).__module__.split(".")[0] == type(p).__module__.split(".")[0]
    assert "float32" in str(out.dtype)
    np.testing.assert_allclose(parity.to_numpy(out), 10 / 3, rtol=1e-6)
    same = lossport.binary_cross_entropy_with_logits(p, scalar, reduction="none")
    np.testing.assert_allclose(parity.to_numpy(same), parity.to_numpy(
        lossport.binary_cross_entropy_with_logits(p, arr(backend, [1.0, 1.0, 1.0]), reduction="none")), rtol=1e-6)


@pytest.mark.parametrize("scalar", [2, np.int64(2)], ids=["int", "np.int64"])
def test_scalar_label_is_broadcast(backend: str, scalar) -> None:
    logits = arr(backend, [[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    expected = lossport.sparse_softmax_cross_entropy(logits, arr(backend, [2, 2], "int64"), reduction="none")
    got = lossport.sparse_softmax_cross_entropy(logits, scalar, reduction="none")
    np.testing.assert_allclose(parity.to_numpy(got), parity.to_numpy(expected), rtol=1e-6)
    with pytest.raises(TypeError, match=r"`labels` must be an integer when given as a scalar; got 1.5"):
        lossport.sparse_softmax_cross_entropy(logits, 1.5)


def test_scalar_where_an_array_is_required(backend: str) -> None:
    p = arr(backend, [0.2, 0.8])
    with pytest.raises(TypeError, match=r"`predictions` must be an array.*got a scalar float"):
        lossport.mean_squared_error(0.5, p)
    if backend != "numpy":  # beside NumPy arrays a NumPy scalar is a NumPy array, of the wrong shape here
        with pytest.raises(TypeError, match=r"`predictions` must be an array.*got a scalar float64"):
            lossport.mean_squared_error(np.float64(0.5), p)
    with pytest.raises(TypeError, match=r"`weights` must be an array.*got a scalar float"):
        lossport.mean_squared_error(p, p, weights=2.0)
    with pytest.raises(TypeError, match=r"`targets` must be an array.*got a scalar float"):
        lossport.kl_divergence(p, 0.5)  # a distribution's entry broadcasts nothing


def test_negative_weights(backend: str) -> None:
    p, t = arr(backend, [1.0, 2.0]), arr(backend, [0.0, 0.0])
    with pytest.raises(ValueError, match=r"`weights` must be non-negative; got -1.0"):
        lossport.mean_squared_error(p, t, weights=arr(backend, [1.0, -1.0]))
    with pytest.raises(ValueError, match=r"`weights` must be non-negative"):
        lossport.sparse_softmax_cross_entropy(arr(backend, [[0.0, 1.0]]), arr(backend, [1], "int64"),
                                              weights=arr(backend, [-2.0]))
    with lossport.value_checks(False):  # a value check: off with the others
        lossport.mean_squared_error(p, t, weights=arr(backend, [1.0, -1.0]))


def test_shape_mismatch_is_not_broadcast(backend: str) -> None:
    with pytest.raises(ValueError, match=r"same shape; got \(3,\) and \(3, 1\)"):
        lossport.mean_absolute_error(arr(backend, [1.0, 2.0, 3.0]), arr(backend, [[1.0], [2.0], [3.0]]))


def test_integer_predictions(backend: str) -> None:
    with pytest.raises(TypeError, match=r"`predictions` must have a real floating dtype; got .*int"):
        lossport.mean_squared_error(arr(backend, [1, 2], "int64"), arr(backend, [1.0, 2.0]))
    with pytest.raises(TypeError, match=r"`logits` must have a real floating dtype"):
        lossport.sparse_softmax_cross_entropy(arr(backend, [[1, 2]], "int64"), arr(backend, [0], "int64"))


def test_float_labels_for_integer_loss(backend: str) -> None:
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype"):
        lossport.sparse_softmax_cross_entropy(arr(backend, [[1.0, 2.0]]), arr(backend, [0.0]))


@pytest.mark.parametrize("label", [3, -1])
def test_labels_out_of_range(backend: str, label: int) -> None:
    logits = arr(backend, [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
    labels = arr(backend, [0, label], "int64")
    with pytest.raises(ValueError, match=rf"`labels` must be class indices in \[0, 3\); got {label}"):
        lossport.sparse_softmax_cross_entropy(logits, labels)
    with pytest.raises(ValueError, match=r"`labels` must be class indices"):
        lossport.nll(logits, labels)
    with pytest.raises(ValueError, match=r"`labels` must be class indices"):
        lossport.categorical_cross_entropy(arr(backend, [[0.2, 0.3, 0.5]] * 2), labels)


def test_ignore_index_is_not_out_of_range(backend: str) -> None:
    logits = arr(backend, [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]])
    labels = arr(backend, [0, -100], "int64")
    loss = lossport.sparse_softmax_cross_entropy(logits, labels, ignore_index=-100)
    assert np.isfinite(parity.to_numpy(loss))
    with pytest.raises(ValueError, match=r"or -100 \(ignore_index\); got 7"):
        lossport.sparse_softmax_cross_entropy(logits, arr(backend, [7, -100], "int64"), ignore_index=-100)


@pytest.mark.parametrize("bad", [1.5, -0.25, np.nan])
def test_probabilities_outside_unit_interval(backend: str, bad: float) -> None:
    p = arr(backend, [0.5, bad])
    y = arr(backend, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"`probabilities` must be probabilities in \[0, 1\]; got"):
        lossport.binary_cross_entropy(p, y)
    with pytest.raises(ValueError, match=r"`probabilities` must be probabilities in \[0, 1\]"):
        lossport.categorical_cross_entropy(arr(backend, [[0.5, bad]]), arr(backend, [[1.0, 0.0]]))


def test_labels_outside_unit_interval(backend: str) -> None:
    with pytest.raises(ValueError, match=r"`labels` must be probabilities in \[0, 1\]; got 2.0"):
        lossport.binary_cross_entropy(arr(backend, [0.5, 0.5]), arr(backend, [1.0, 2.0]))


def test_zero_one_labels_for_hinge(backend: str) -> None:
    with pytest.raises(ValueError, match=r"`labels` must be -1 or \+1; got 0.0; .*`2 \* labels - 1`"):
        lossport.hinge(arr(backend, [0.3, -0.5]), arr(backend, [1.0, 0.0]))


@pytest.mark.parametrize("loss", sorted(n for n in LOSSES if LOSSES[n].family != "regularization"))
def test_unknown_reduction(backend: str, loss: str) -> None:
    case = cases_for(loss)[0]
    args = tuple(parity.convert(backend, a, "float32", device_for(backend)) for a in case.args)
    with pytest.raises(ValueError, match=r"`reduction` must be one of \('mean', 'sum', 'none'\); got 'avg'"):
        getattr(lossport, loss)(*args, **{**case.kwargs, "reduction": "avg"})


@pytest.mark.parametrize("delta", [0.0, -1.0, float("inf")])
@pytest.mark.parametrize("loss", ["huber", "pseudo_huber"])
def test_non_positive_delta(backend: str, loss: str, delta: float) -> None:
    with pytest.raises(ValueError, match=rf"`delta` must be positive and finite; got {delta}"):
        getattr(lossport, loss)(arr(backend, [1.0]), arr(backend, [0.0]), delta=delta)


def test_bad_mask_and_weights(backend: str) -> None:
    p, t = arr(backend, [1.0, 2.0, 3.0]), arr(backend, [0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match=r"`where` must be a boolean mask"):
        lossport.mean_squared_error(p, t, where=arr(backend, [1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`weights` must broadcast to the unreduced loss shape \(3,\)"):
        lossport.mean_squared_error(p, t, weights=arr(backend, [1.0, 2.0]))


def test_label_smoothing_range(backend: str) -> None:
    with pytest.raises(ValueError, match=r"`label_smoothing` must be in \[0, 1\]; got 1.5"):
        lossport.softmax_cross_entropy(arr(backend, [[1.0, 2.0]]), arr(backend, [[0.0, 1.0]]), label_smoothing=1.5)


def test_empty_penalty_sequence() -> None:
    with pytest.raises(ValueError, match="`params` must hold at least one array"):
        lossport.l2_penalty([])
    with pytest.raises(TypeError, match="`params` must be a list or tuple"):
        lossport.l2_penalty(np.ones(3))


# -- value checks: switchable, and never on traced values -----------------------------------------------------


def test_value_checks_context_manager() -> None:
    logits, labels = np.zeros((2, 3)), np.array([0, 5])
    with lossport.value_checks(False):
        lossport.sparse_softmax_cross_entropy(logits, np.clip(labels, 0, 2))
        out = lossport.binary_cross_entropy(np.array([1.5]), np.array([1.0]))
        assert np.isfinite(out) or np.isnan(out)
    with pytest.raises(ValueError):
        lossport.binary_cross_entropy(np.array([1.5]), np.array([1.0]))


def test_env_var_turns_checks_off() -> None:
    import subprocess
    import sys

    code = (
        "import numpy as np, lossport; "
        "print(float(lossport.binary_cross_entropy(np.array([0.5]), np.array([2.0]))))"
    )
    env = {**__import__("os").environ, "LOSSPORT_CHECKS": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # -(2·log 0.5 + (1-2)·log 0.5) = -log 0.5 = 0.693..., computed without the check.
    assert abs(float(out.stdout) - np.log(2)) < 1e-12


@pytest.mark.skipif("jax" not in BACKENDS, reason="jax is not installed")
def test_traced_values_are_not_checked() -> None:
    import jax
    import jax.numpy as jnp

    logits = jnp.zeros((2, 3))
    # Under jit the labels are tracers: no check (it would need their values); JAX's gather fills with NaN.
    out = jax.jit(lambda z, y: lossport.sparse_softmax_cross_entropy(z, y))(logits, jnp.array([0, 5]))
    assert np.isnan(float(out))
    # Eagerly, the same call raises instead of returning NaN.
    with pytest.raises(ValueError, match=r"got 5"):
        lossport.sparse_softmax_cross_entropy(logits, jnp.array([0, 5]))


# -- no mutation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend_name", [b for b in ("numpy", "torch") if b in BACKENDS])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_inputs_are_not_modified(backend_name: str, loss: str) -> None:
    for case in cases_for(loss):
        args = tuple(parity.convert(backend_name, a, "float64") for a in case.args)
        kwargs = {k: parity.convert(backend_name, v, "float64") for k, v in case.kwargs.items()}
        before = [parity.to_numpy(a).copy() for a in _leaves([*args, *kwargs.values()])]
        getattr(lossport, loss)(*args, **kwargs)
        after = [parity.to_numpy(a) for a in _leaves([*args, *kwargs.values()])]
        for b, a in zip(before, after):
            np.testing.assert_array_equal(a, b)


def _leaves(values):
    out = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out += _leaves(v)
        elif hasattr(v, "shape"):
            out.append(v)
    return out


def test_error_messages_follow_the_template() -> None:
    with pytest.raises(ValueError) as info:
        lossport.huber(np.ones(2), np.ones(2), delta=-1.0)
    assert re.fullmatch(r"`delta` must .*; got .*", str(info.value))
