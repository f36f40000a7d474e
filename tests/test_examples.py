"""The examples/ demos run, in their shortened form (``--quick``: 3 epochs on a small sample), on every framework.

Each demo trains one network per loss; the checks are that every loss's training loss fell from the first epoch
to the last (a loss whose gradient pointed the wrong way would rise), that the test metric is finite, and that the
curves were saved. torch and JAX + optax run in this process; Keras runs once, in one subprocess, under the default
(or ``KERAS_BACKEND``'s) backend: the other Keras backends need a process each and are left to
``python examples/run_all.py --keras-backends jax,torch,tensorflow``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEMOS = ("regression", "circles", "digits")

pytest.importorskip("sklearn")  # the data sets


def _check(history: dict, demo: str, out: pathlib.Path, png: str) -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        common = importlib.import_module("_common")
    finally:
        sys.path.remove(str(EXAMPLES))
    spec = common.DEMOS[demo]
    assert list(history) == list(spec.losses)
    for loss, h in history.items():
        assert len(h["loss"]) == len(h["metric"]) == spec.quick_epochs
        assert h["loss"][-1] < h["loss"][0], f"{demo}/{loss}: the training loss rose: {h['loss']}"
        assert all(math.isfinite(m) for m in h["metric"]), (loss, h["metric"])
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("demo", DEMOS)
def test_example(demo: str, framework: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in {"torch": ["torch"], "jax": ["jax", "optax"]}[framework]:
        pytest.importorskip(module)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    script = importlib.import_module(f"plot_{demo}_{framework}")
    history = script.main(quick=True, out=str(tmp_path))
    _check(history, demo, tmp_path, f"{demo}_{'jax_optax' if framework == 'jax' else framework}.png")


KERAS_RUN = """
import json, sys
sys.path.insert(0, {examples!r})
import _keras, plot_regression_keras, plot_circles_keras, plot_digits_keras
out = {{d: m.main(quick=True, out={out!r}) for d, m in
        [("regression", plot_regression_keras), ("circles", plot_circles_keras), ("digits", plot_digits_keras)]}}
print("RESULT" + json.dumps({{"framework": _keras.framework(), "histories": out}}))
"""


def test_keras_examples_in_one_process(tmp_path: pathlib.Path) -> None:
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for module in ("keras", {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, backend)):
        pytest.importorskip(module)
    code = KERAS_RUN.format(examples=str(EXAMPLES), out=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KERAS_BACKEND": backend})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    assert result["framework"] == f"keras-{backend}"
    for demo, history in result["histories"].items():
        _check(history, demo, tmp_path, f"{demo}_keras-{backend}.png")
