"""Shared by the tests: the matrix's axes (backend × dtype × device), and helpers for native comparisons.

A backend named in ``LOSSPORT_TEST_BACKENDS`` (comma-separated) that fails to import is an error, not a skip;
without the variable, every backend that imports is tested. ``LOSSPORT_DEVICE=cuda`` runs torch and JAX on the GPU
(with TF32 off). torch is imported before TensorFlow: the other order has crashed in one process.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

import numpy as np
import pytest
from lossport.backends import parity

_requested = [b.strip() for b in os.environ.get("LOSSPORT_TEST_BACKENDS", "").split(",") if b.strip()]


def _import_errors() -> tuple[list[str], dict[str, str]]:
    available, errors = [], {}
    for name in parity.BACKENDS:
        if _requested and name not in _requested:
            continue
        try:
            parity.import_backend(name)
        except ImportError as e:
            errors[name] = f"{type(e).__name__}: {e}"
            continue
        available.append(name)
    return available, errors


BACKENDS, IMPORT_ERRORS = _import_errors()
for _name in _requested:
    if _name not in parity.BACKENDS:
        raise pytest.UsageError(f"LOSSPORT_TEST_BACKENDS names an unknown backend {_name!r}")
    if _name in IMPORT_ERRORS:
        raise pytest.UsageError(
            f"LOSSPORT_TEST_BACKENDS requests {_name!r}, which fails to import: {IMPORT_ERRORS[_name]}"
        )

DEVICE = os.environ.get("LOSSPORT_DEVICE", "cpu")
if DEVICE == "cuda" and "torch" in BACKENDS:
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
if DEVICE == "cuda" and "jax" in BACKENDS:
    import jax

    jax.config.update("jax_default_matmul_precision", "highest")


def backend_params(*, autodiff: bool = False) -> list[str]:
    """The installed backends (the autodiff frameworks only, for gradient tests)."""
    if autodiff:
        return [b for b in BACKENDS if b in ("jax", "torch", "tensorflow")]
    return list(BACKENDS)


def backend_dtype_params(*, autodiff: bool = False, dtypes: tuple[str, ...] | None = None) -> list:
    """``(backend, dtype)`` pairs, with readable ids like ``torch-float32``."""
    out = []
    for b in backend_params(autodiff=autodiff):
        for d in parity.dtypes_of(b):
            if dtypes is None or d in dtypes:
                out.append(pytest.param(b, d, id=f"{b}-{d}"))
    return out


def device_for(backend: str):
    return parity.default_device(backend)

def framework(name: str) -> ModuleType:
    """Import an anchor framework or skip; torch first, since TensorFlow imported before it has crashed."""
    if name in ("tensorflow", "keras") and importlib.util.find_spec("torch") is not None:
        importlib.import_module("torch")
    if name in ("optax", "jax"):
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
    module = pytest.importorskip({"sklearn": "sklearn.metrics"}.get(name, name))
    if name == "keras" and module.backend.backend() != "tensorflow":
        pytest.skip("the numbers below are Keras's TensorFlow backend's")
    return module


def value(x: object) -> np.ndarray:
    """A float64 NumPy copy of any framework's result."""
    if hasattr(x, "detach"):
        x = x.detach().double()
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)
