"""Fuzzing across backends: hypothesis draws a loss, shapes (empty and 0-D included), a dtype, knobs, masks, weights
and special values (±inf, NaN, ±1e4 logits, probabilities of exactly 0 and 1), and every installed backend must
agree with NumPy float64 (on the inputs rounded to the dtype) within the matrix's tolerance, NaN and inf exactly
where it has them, or raise the same exception type; no input is mutated. A few draws also run compiled
(``jax.jit``, ``tf.function(jit_compile=True)``). Derandomized with a fixed number of examples: CI sees the same
draws every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from lossport.backends import parity
from lossport.backends.parity.cases import Case
from support import BACKENDS

import lossport

SPECIAL = (np.inf, -np.inf, np.nan, 1e4, -1e4)
ELEMENTWISE = ("mean_squared_error", "mean_absolute_error", "huber", "smooth_l1", "log_cosh", "pseudo_huber")
SHAPES = ((), (0,), (4,), (2, 3))


def _floats(data: Any, shape: tuple[int, ...], lo: float, hi: float, special: tuple[float, ...] = ()) -> np.ndarray:
    elements = st.floats(lo, hi, allow_nan=False, width=32)
    if special:
        elements = elements | st.sampled_from(special)
    return data.draw(hnp.arrays(np.float64, shape, elements=elements))


def _common(data: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """``reduction``, and maybe non-negative ``weights`` and a ``where`` mask of the loss's shape."""
    kwargs: dict[str, Any] = {"reduction": data.draw(st.sampled_from(("mean", "sum", "none")))}
    if data.draw(st.booleans()):
        kwargs["weights"] = _floats(data, shape, 0.0, 3.0)
    if data.draw(st.booleans()):
        kwargs["where"] = data.draw(hnp.arrays(np.bool_, shape))
    return kwargs


def _elementwise(data: Any) -> Case:
    loss = data.draw(st.sampled_from(ELEMENTWISE))
    shape = data.draw(st.sampled_from(SHAPES))
    p = _floats(data, shape, -20.0, 20.0, SPECIAL)
    t = _floats(data, shape, -20.0, 20.0)
    kwargs = _common(data, shape)
    if loss in ("huber", "pseudo_huber"):
        kwargs["delta"] = data.draw(st.sampled_from((0.5, 1.0, 3.0)))
    return Case(loss, "fuzz", (p, t), kwargs, grad=None)


def _binary(data: Any) -> Case:
    shape = data.draw(st.sampled_from(SHAPES))
    labels = _floats(data, shape, 0.0, 1.0, (0.0, 1.0))
    kwargs = _common(data, shape)
    if data.draw(st.booleans()):  # probabilities, exactly 0 and 1 included (and NaN: a value check's business)
        p = _floats(data, shape, 0.0, 1.0, (0.0, 1.0, np.nan))
        return Case("binary_cross_entropy", "fuzz", (p, labels), kwargs, grad=None)
    logits = _floats(data, shape, -30.0, 30.0, SPECIAL)
    kwargs["label_smoothing"] = data.draw(st.sampled_from((0.0, 0.1)))
    if data.draw(st.booleans()):
        kwargs["pos_weight"] = data.draw(st.sampled_from((0.5, 2.0)))
    return Case("binary_cross_entropy_with_logits", "fuzz", (logits, labels), kwargs, grad=None)


def _class_index(data: Any) -> Case:
    """Sparse softmax CE or NLL, with labels of one or two dimensions (segmentation, sequences), class weights and
    ``ignore_index`` drawn too."""
    loss = data.draw(st.sampled_from(("sparse_softmax_cross_entropy", "nll")))
    batch = data.draw(st.sampled_from(((0,), (3,), (2, 2))))
    classes = data.draw(st.integers(1, 4))
    logits = _floats(data, (*batch, classes), -10.0, 10.0, (1e4, -1e4))
    labels = data.draw(hnp.arrays(np.int64, batch, elements=st.integers(0, classes - 1)))
    kwargs = _common(data, batch)
    if data.draw(st.booleans()):
        kwargs["class_weights"] = _floats(data, (classes,), 0.125, 2.0)
    if data.draw(st.booleans()):
        kwargs["ignore_index"] = -100
        labels = np.where(data.draw(hnp.arrays(np.bool_, batch)), -100, labels)
    if loss == "nll":  # log-probabilities: the log-softmax of the logits (float64, in NumPy)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        logits = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    else:
        kwargs["label_smoothing"] = data.draw(st.sampled_from((0.0, 0.1)))
    return Case(loss, "fuzz", (logits, labels), kwargs, grad=None)


def _distribution(data: Any) -> Case:
    batch = data.draw(st.sampled_from(((0,), (3,), (2, 2))))
    classes = data.draw(st.integers(1, 4))
    logits = _floats(data, (*batch, classes), -10.0, 10.0, (1e4, -1e4, -np.inf))
    raw = _floats(data, (*batch, classes), 0.0, 1.0)
    labels = (raw + 1e-3) / (raw + 1e-3).sum(axis=-1, keepdims=True)
    kwargs = _common(data, batch)
    kwargs["label_smoothing"] = data.draw(st.sampled_from((0.0, 0.1)))
    return Case("softmax_cross_entropy", "fuzz", (logits, labels), kwargs, grad=None)


def _hinge(data: Any) -> Case:
    shape = data.draw(st.sampled_from(SHAPES))
    p = _floats(data, shape, -5.0, 5.0, SPECIAL)
    labels = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from((-1.0, 1.0))))
    return Case("hinge", "fuzz", (p, labels), _common(data, shape), grad=None)


FAMILIES = (_elementwise, _binary, _class_index, _distribution, _hinge)


def _outcome(case: Case, backend: str, dtype: str, *, compiled: bool = False) -> tuple[str, Any]:
    """``("value", numpy array)`` or ``("error", exception type name)``; checks that no input was mutated."""
    leaves, rebuild = parity.bind(case, backend, dtype)
    before = [parity.to_numpy(a).copy() for a in leaves]
    loss = getattr(lossport, case.loss)

    def call(*values: Any) -> Any:
        args, kwargs = rebuild(list(values))
        return loss(*args, **kwargs)

    if compiled and backend == "jax":
        import jax

        call = jax.jit(call)
    elif compiled and backend == "tensorflow":
        import tensorflow as tf

        call = tf.function(call, jit_compile=True)
    try:
        outcome: tuple[str, Any] = ("value", parity.to_numpy(call(*leaves)))
    except (TypeError, ValueError) as e:
        outcome = ("error", type(e).__name__)
    for a, b in zip(leaves, before):
        np.testing.assert_array_equal(parity.to_numpy(a), b, err_msg=f"{backend} mutated an input")
    return outcome


def _expected(case: Case, dtype: str) -> tuple[str, Any]:
    with np.errstate(all="ignore"):
        try:
            return "value", parity.reference(case, dtype)
        except (TypeError, ValueError) as e:
            return "error", type(e).__name__


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_backends_agree(data: Any) -> None:
    family = data.draw(st.sampled_from(FAMILIES))
    case = family(data)
    dtype = data.draw(st.sampled_from(("float32", "float64")))
    compiled = data.draw(st.integers(0, 9)) == 0  # compiled builds cost a second or two: one draw in ten
    _agree(case, dtype, compiled=compiled)


def _agree(case: Case, dtype: str, *, compiled: bool = False) -> None:
    """Every installed backend agrees with NumPy float64, or raises the same exception type."""
    kind, expected = _expected(case, dtype)
    for backend in BACKENDS:
        with np.errstate(all="ignore"):
            got_kind, got = _outcome(case, backend, dtype)
        assert got_kind == kind, (backend, got_kind, got, kind, expected)
        if kind == "value":
            worst = parity.compare(got, expected, dtype)
            assert worst <= 1.0, f"{backend}: worst error {worst:.3g}\nactual   {got}\nexpected {expected}"
        if compiled and kind == "value" and backend in ("jax", "tensorflow"):
            _, got = _outcome(case, backend, dtype, compiled=True)
            worst = parity.compare(got, expected, dtype)
            assert worst <= 1.0, f"{backend} compiled: worst {worst:.3g}\nactual   {got}\nexpected {expected}"


@pytest.mark.parametrize("loss", ["sparse_softmax_cross_entropy", "nll"])
@pytest.mark.parametrize("batch", [(3,), (2, 2), (0, 2)], ids=["1d", "2d", "empty"])
@pytest.mark.parametrize("ignore", [False, True], ids=["all", "ignore_index"])
def test_class_weights_with_labels_of_any_rank(loss: str, batch: tuple[int, ...], ignore: bool) -> None:
    """The combination issue 10 found broken on torch, drawn exhaustively (hypothesis may not draw each corner):
    labels of one and two dimensions (segmentation, sequences) and none, class weights, ``ignore_index``."""
    rng = np.random.default_rng(sum(batch) + ignore)
    logits = rng.normal(size=(*batch, 3))
    labels = rng.integers(0, 3, size=batch)
    kwargs: dict[str, Any] = {"class_weights": np.array([0.5, 1.0, 2.0])}
    if ignore:
        labels = np.where(rng.random(batch) < 0.3, -100, labels)
        kwargs["ignore_index"] = -100
    for reduction in ("mean", "none"):
        _agree(Case(loss, "ranks", (logits, labels), {**kwargs, "reduction": reduction}, grad=None), "float64")
