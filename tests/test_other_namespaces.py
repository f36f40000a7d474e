"""Every loss on two more Array API libraries, where they are installed: pydata ``sparse`` and ``ndonnx``.

Neither is a dependency of lossport or of its ``test`` extra (sparse brings numba and llvmlite; ndonnx brings onnx
and spox), so CI skips this file; install them beside the ``test`` extra to run it. Each loss's first gradient case
(backends/parity/cases/) runs on the library's arrays, dispatched without ``xp=``, and must give the NumPy float64
reference. What does not work is listed with its cause in the library, and the test requires that it still fails
that way: a fix upstream shows up here as a failure, to remove the entry.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from lossport.backends import parity
from lossport.backends.parity.cases import cases_for

import lossport
from lossport._registry import LOSSES

# ndonnx 0.23: `take_along_axis` builds its ONNX node but propagates no value, so an eager result that went through
# it cannot be read (ValueError "no propagated value available"); `hypot` and `signbit` raise NotImplementedError;
# CTC's `squeeze` of a (B, 0)-shaped intermediate fails ONNX shape inference.
_NDONNX_GATHER = ("arcface", "categorical_focal", "circle", "cosface", "generalized_cross_entropy", "info_nce",
                  "multi_margin", "multiclass_hinge", "multiclass_perceptron", "nll", "ntxent",
                  "poly1_cross_entropy", "ranking_softmax", "softmax_cross_entropy", "sparsemax",
                  "supervised_contrastive")
KNOWN: dict[tuple[str, str], tuple[type[Exception], str]] = {
    **{("ndonnx", loss): (ValueError, "no propagated value") for loss in _NDONNX_GATHER},
    ("ndonnx", "pseudo_huber"): (NotImplementedError, ""),  # hypot
    ("ndonnx", "binary_cross_entropy_with_logits"): (NotImplementedError, ""),  # signbit
    ("ndonnx", "sigmoid_focal"): (NotImplementedError, ""),  # signbit
    ("ndonnx", "ctc"): (Exception, "ShapeInferenceError"),  # onnx's InferenceError, a class of its own
    # sparse 0.19: `stack` wants every operand to have the same fill value, and CTC stacks its always-allowed
    # "stay" moves (fill True) with its conditional ones (fill False).
    ("sparse", "ctc"): (ValueError, "consistent fill-values"),
}


def _library(name: str) -> tuple[Callable[[np.ndarray], Any], Callable[[Any], np.ndarray]]:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed")
    if name == "sparse":
        import sparse

        return sparse.COO.from_numpy, lambda out: np.asarray(out.todense())
    import ndonnx

    return ndonnx.asarray, lambda out: np.asarray(out.unwrap_numpy())


def _converted(value: Any, to: Callable[[np.ndarray], Any]) -> Any:
    if isinstance(value, np.ndarray):
        return to(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_converted(v, to) for v in value)
    return value


@pytest.mark.parametrize("library", ["sparse", "ndonnx"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss(library: str, loss: str) -> None:
    to, back = _library(library)
    cases = cases_for(loss)
    case = next((c for c in cases if c.grad is not None and not c.extreme), cases[0])
    args = _converted(case.args, to)
    kwargs = {k: _converted(v, to) for k, v in case.kwargs.items()}
    known = KNOWN.get((library, loss))
    if known is not None:
        with pytest.raises(known[0], match=known[1]):
            back(getattr(lossport, loss)(*args, **kwargs))
        return
    got = back(getattr(lossport, loss)(*args, **kwargs))
    np.testing.assert_allclose(got, parity.reference(case), rtol=1e-12, atol=1e-15)
