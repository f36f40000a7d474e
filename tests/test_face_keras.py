"""lossport.keras: one ``keras.losses.Loss`` per loss, generated from the registry (issue 8).

In this process Keras runs the backend it picked at import (``KERAS_BACKEND``, TensorFlow by default); the
``model.fit`` tests run one subprocess per backend (jax, torch, tensorflow), since Keras reads the variable once.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from lossport.backends.parity.cases import CASES, cases_for

import lossport
from lossport._registry import LOSSES

if importlib.util.find_spec("torch") is not None:
    import torch  # noqa: F401  (before TensorFlow: the other order has crashed in one process; tests/support.py)

keras = pytest.importorskip("keras")
lk = pytest.importorskip("lossport.keras")

ROOT = pathlib.Path(lossport.__file__).resolve().parents[1]
FACED = sorted(lk.CLASS_NAMES)


def _np(x: object) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def _f32(x: object) -> object:
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x.astype(np.float32)
    return x


def _keras_args(loss: str, args: tuple) -> tuple[object, object]:
    """A case's data as (y_true, y_pred), by lossport.keras.KERAS_DATA."""
    pred_at, true_at = lk.KERAS_DATA.get(loss, ((0,), (1,)))

    def pick(at: tuple[int, ...]) -> object:
        if not at:
            return np.zeros(args[0].shape[0], np.float32)  # ignored
        return _f32(args[at[0]]) if len(at) == 1 else tuple(_f32(args[i]) for i in at)

    return pick(true_at), pick(pred_at)


# -- the classes -----------------------------------------------------------------------------------------------


def test_every_loss_but_the_penalties_has_a_class() -> None:
    assert set(FACED) == {n for n, r in LOSSES.items() if r.family != "regularization"}
    for loss, name in lk.CLASS_NAMES.items():
        cls = getattr(lk, name)
        assert issubclass(cls, keras.losses.Loss) and cls.loss_name == loss
        assert keras.saving.get_registered_name(cls) == f"lossport>{name}"
        assert name in lk.__all__ and name in dir(lk)
    from lossport.keras import SparseSoftmaxCrossEntropy

    assert SparseSoftmaxCrossEntropy().name == "sparse_softmax_cross_entropy"


def test_class_names_are_lossport_torchs() -> None:
    lt = pytest.importorskip("lossport.torch")
    assert lk.ACRONYMS == lt.ACRONYMS
    assert {n: c for n, c in lt.CLASS_NAMES.items() if n in lk.CLASS_NAMES} == lk.CLASS_NAMES


def test_integer_data_match_the_cases() -> None:
    """INTEGER_DATA names exactly the integer arrays of each loss's parity cases."""
    for loss in sorted(set(CASES) & set(FACED)):
        case = cases_for(loss)[0]
        integer = tuple(i for i, a in enumerate(case.args) if isinstance(a, np.ndarray) and a.dtype.kind in "iu")
        assert lk.INTEGER_DATA.get(loss, ()) == integer, loss


@pytest.mark.parametrize("loss", FACED)
def test_constructor_and_config(loss: str) -> None:
    cls = getattr(lk, lk.CLASS_NAMES[loss])
    params = inspect_params(cls)
    fn = inspect_params(getattr(lossport, loss))
    knobs = {n: p.default for n, p in fn.items() if p.kind is p.KEYWORD_ONLY
             and n not in ("weights", "where", "reduction", "xp")}
    assert {n: p.default for n, p in params.items()} == {
        **knobs, "reduction": "sum_over_batch_size", "name": None, "dtype": None}
    loss_obj = cls()
    config = loss_obj.get_config()
    assert config["name"] == loss and config["reduction"] == "sum_over_batch_size"
    again = cls.from_config(config)
    assert type(again) is cls and again.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss_obj))
    assert type(restored) is cls and restored.get_config() == config
    assert "(y_true, y_pred)" in cls.__doc__ and "sum_over_batch_size" in cls.__doc__


def inspect_params(obj: object) -> dict:
    return dict(inspect.signature(obj).parameters)


def test_knobs_and_array_knobs_round_trip() -> None:
    loss = lk.SparseSoftmaxCrossEntropy(label_smoothing=0.1, class_weights=np.array([1.0, 2.0, 0.5]), name="ce")
    assert loss.label_smoothing == 0.1 and loss.name == "ce"
    config = loss.get_config()
    assert config["class_weights"] == [1.0, 2.0, 0.5]
    json.dumps(config)
    again = lk.SparseSoftmaxCrossEntropy.from_config(config)
    logits = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    labels = np.array([0, 1, 2, 1, 0])
    expected = lossport.sparse_softmax_cross_entropy(logits, labels, label_smoothing=0.1,
                                                     class_weights=np.array([1.0, 2.0, 0.5], np.float32),
                                                     reduction="none").mean()
    np.testing.assert_allclose(_np(again(labels, logits)), expected, rtol=1e-5)
    assert repr(loss) == "SparseSoftmaxCrossEntropy(class_weights=[1.0, 2.0, 0.5], label_smoothing=0.1)"
    with pytest.raises(TypeError, match="label_smothing"):
        lk.SparseSoftmaxCrossEntropy(label_smothing=0.1)
    with pytest.raises(ValueError, match="reduction"):
        lk.Huber(reduction="batchmean")


# -- values ------------------------------------------------------------------------------------------------------


# Losses whose "mean" is not the mean of their "none" terms: Keras's batch-size mean of those terms differs.
_NOT_A_MEAN_OF_TERMS = {
    "root_mean_squared_error": "the root of the mean; the face roots after Keras's reduction",
    "supervised_contrastive": "anchors without a positive are 0 in 'none' and left out of 'mean'",
}


@pytest.mark.parametrize("loss", sorted(set(CASES) & set(FACED)))
def test_unweighted_value_is_keras_batch_mean_of_the_terms(loss: str) -> None:
    """Keras's default reduction of the per-sample terms: for most losses, lossport's unweighted "mean"."""
    case = cases_for(loss)[0]
    args = tuple(_f32(a) for a in case.args)
    y_true, y_pred = _keras_args(loss, case.args)
    face = getattr(lk, lk.CLASS_NAMES[loss])(**case.kwargs)
    fn = getattr(lossport, loss)
    try:
        fn(*(keras.ops.convert_to_tensor(a) for a in args), **case.kwargs)
    except (AttributeError, NotImplementedError) as e:
        pytest.skip(f"lossport.{loss} itself fails on Keras's {keras.backend.backend()} arrays: {e}")
    terms = np.asarray(fn(*args, **case.kwargs, reduction="none"), dtype=np.float64)
    expected = np.sqrt(terms.mean()) if loss == "root_mean_squared_error" else terms.mean()
    np.testing.assert_allclose(_np(face(y_true, y_pred)), expected, rtol=2e-5, atol=1e-6)
    if loss not in _NOT_A_MEAN_OF_TERMS:
        np.testing.assert_allclose(_np(face(y_true, y_pred)), float(fn(*args, **case.kwargs)), rtol=2e-5, atol=1e-6)


# (lossport face, Keras's own loss, y_true, y_pred), each loss a class and its knobs (Keras's Huber.get_config drops
# `delta`, so the losses are built anew for each reduction): Keras's weighting and reductions must come out the same.
def _pairs() -> list:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=(6, 1)).astype(np.float32)  # Keras's form: float32, (N, 1)
    pred = rng.normal(size=(6, 3)).astype(np.float32)
    target = rng.normal(size=(6, 3)).astype(np.float32)
    binary = (rng.uniform(size=(6, 3)) > 0.5).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    sparse = (lk.SparseSoftmaxCrossEntropy, {}), (keras.losses.SparseCategoricalCrossentropy, {"from_logits": True})
    return [
        pytest.param(*sparse, labels, logits, id="sparse_ce-float-N1"),
        pytest.param(*sparse, labels[:, 0], logits, id="sparse_ce-float-N"),
        pytest.param(*sparse, labels[:, 0].astype(np.int64), logits, id="sparse_ce-int"),
        pytest.param((lk.SoftmaxCrossEntropy, {}), (keras.losses.CategoricalCrossentropy, {"from_logits": True}),
                     probs, logits, id="softmax_ce"),
        pytest.param((lk.MeanSquaredError, {}), (keras.losses.MeanSquaredError, {}), target, pred, id="mse"),
        pytest.param((lk.MeanSquaredError, {}), (keras.losses.MeanSquaredError, {}), target[:, 0], pred[:, :1],
                     id="mse-N-vs-N1"),
        pytest.param((lk.MeanAbsoluteError, {}), (keras.losses.MeanAbsoluteError, {}), target, pred, id="mae"),
        pytest.param((lk.Huber, {"delta": 0.5}), (keras.losses.Huber, {"delta": 0.5}), target, pred, id="huber"),
        pytest.param((lk.LogCosh, {}), (keras.losses.LogCosh, {}), target, pred, id="log_cosh"),
        pytest.param((lk.BinaryCrossEntropyWithLogits, {}), (keras.losses.BinaryCrossentropy, {"from_logits": True}),
                     binary, pred, id="bce_logits"),
        pytest.param((lk.SquaredHinge, {}), (keras.losses.SquaredHinge, {}), 2 * binary - 1, pred,
                     id="squared_hinge"),
    ]


@pytest.mark.parametrize(("mine", "theirs", "y_true", "y_pred"), _pairs())
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"])
def test_sample_weight_and_reduction_as_keras(mine, theirs, y_true, y_pred, reduction: str) -> None:
    mine = mine[0](**mine[1], reduction=reduction)
    theirs = theirs[0](**theirs[1], reduction=reduction)
    sample_weight = np.linspace(0.0, 2.0, y_pred.shape[0]).astype(np.float32)
    for sw in (None, sample_weight):
        np.testing.assert_allclose(_np(mine(y_true, y_pred, sample_weight=sw)),
                                   _np(theirs(y_true, y_pred, sample_weight=sw)), rtol=2e-5, atol=1e-6)


def test_sum_over_batch_size_divides_by_the_batch_size() -> None:
    pred = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)
    target = np.zeros((4, 1), np.float32)
    sw = np.array([1.0, 1.0, 0.0, 0.0], np.float32)
    assert float(_np(lk.MeanSquaredError()(target, pred, sample_weight=sw))) == pytest.approx(5.0 / 4)
    mean_w = lk.MeanSquaredError(reduction="mean_with_sample_weight")(target, pred, sample_weight=sw)
    assert float(_np(mean_w)) == pytest.approx(5.0 / 2)
    assert float(lossport.mean_squared_error(pred, target, weights=sw[:, None])) == pytest.approx(5.0 / 2)


def test_root_mean_squared_error_roots_after_the_reduction() -> None:
    pred = np.array([[1.0, 3.0], [2.0, 0.0]], np.float32)
    target = np.zeros((2, 2), np.float32)
    value = lk.RootMeanSquaredError()(target, pred)
    np.testing.assert_allclose(_np(value), np.sqrt(np.mean(pred**2)), rtol=1e-6)


def test_tuple_data() -> None:
    rng = np.random.default_rng(2)
    mean, target = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    var = rng.uniform(0.5, 2.0, size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(_np(lk.GaussianNLL()(target, (mean, var))),
                               float(lossport.gaussian_nll(mean, target, var)), rtol=2e-5)
    with pytest.raises(ValueError, match="tuple of 2"):
        lk.GaussianNLL()(target, mean)


def test_the_function_in_compile_gets_the_arguments_swapped() -> None:
    """What a new user tries: Keras calls loss(y_true, y_pred); lossport's function takes (logits, labels)."""
    labels = np.array([[1.0], [0.0], [1.0], [0.0]], np.float32)
    logits = np.array([[3.0], [-2.0], [4.0], [-1.0]], np.float32)
    swapped = lossport.binary_cross_entropy_with_logits(labels, logits)  # what compile(loss=function) computes
    face = lk.BinaryCrossEntropyWithLogits()(labels, logits)
    assert float(swapped) < 0  # the labels read as logits: a negative "loss" that training drives down forever
    reference = keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits)
    np.testing.assert_allclose(_np(face), _np(reference), rtol=1e-6)
    assert float(_np(face)) > 0


# -- model.fit, save and load: one subprocess per Keras backend ----------------------------------------------------

_FIT_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile
    import numpy as np
    import keras
    import lossport.keras as lk

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 3))).argmax(-1)[:, None].astype("float32")  # Keras's form: float32, (N, 1)
    sw = rng.uniform(0.5, 2.0, size=48).astype("float32")
    out = {"backend": keras.backend.backend()}

    keras.utils.set_random_seed(1)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.SGD(0.5), loss=lk.SparseSoftmaxCrossEntropy(label_smoothing=0.05))
    out["fit"] = m.fit(x, y, sample_weight=sw, batch_size=16, epochs=3, verbose=0, shuffle=False).history["loss"]
    path = os.path.join(tempfile.mkdtemp(), "model.keras")
    m.save(path)
    loaded = keras.models.load_model(path)
    out["loaded"] = [type(loaded.loss).__module__, type(loaded.loss).__name__, loaded.loss.get_config()]
    evaluate = lambda model: model.evaluate(x, y, sample_weight=sw, batch_size=48, verbose=0)
    out["evaluate"] = [evaluate(m), evaluate(loaded)]
    m.compile(loss=lk.SparseSoftmaxCrossEntropy())
    mine = evaluate(m)
    m.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    out["keras"] = [mine, evaluate(m)]
    print("RESULT " + json.dumps(out))
    """
)

_BACKENDS = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}


@pytest.fixture(scope="module")
def fit_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Start the three backends' subprocesses at once (their imports overlap), then collect them."""
    script = tmp_path_factory.mktemp("keras_fit") / "fit.py"
    script.write_text(_FIT_SCRIPT)
    procs = {}
    for backend, module in _BACKENDS.items():
        if importlib.util.find_spec(module) is None:
            continue
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        procs[backend] = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True)
    results: dict[str, object] = {}
    for backend, p in procs.items():
        try:
            out, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        results[backend] = json.loads(lines[-1][7:]) if p.returncode == 0 and lines else err[-4000:]
    return results


@pytest.mark.slow
@pytest.mark.parametrize("backend", list(_BACKENDS))
def test_compile_fit_save_load_under_each_backend(backend: str, fit_results: dict) -> None:
    if backend not in fit_results:
        pytest.skip(f"{backend} is not installed")
    out = fit_results[backend]
    assert isinstance(out, dict), out
    assert out["backend"] == backend
    fit = out["fit"]
    assert all(np.isfinite(fit)) and fit[-1] < fit[0], fit
    mine, theirs = out["keras"]  # the same trained model, evaluated with lossport's face and with Keras's own loss
    assert mine == pytest.approx(theirs, rel=1e-5), (mine, theirs)
    module, cls, config = out["loaded"]
    assert (module, cls) == ("lossport.keras", "SparseSoftmaxCrossEntropy")
    assert config["label_smoothing"] == 0.05
    assert out["evaluate"][0] == pytest.approx(out["evaluate"][1], rel=1e-6)


def test_imports_keras_only_when_asked() -> None:
    code = (
        "import sys, lossport; assert 'keras' not in sys.modules; "
        "import lossport.keras; assert 'keras' in sys.modules; print(sorted(lossport.keras.CLASS_NAMES)[:1])"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax" if importlib.util.find_spec("jax") else "tensorflow",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
