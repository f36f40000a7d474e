"""Reports the backends under test; gives each test mpmath's default working precision; shares JAX's compiled
operations between the run's processes; tests/support.py holds the matrix's axes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import mpmath
import pytest
from support import BACKENDS, DEVICE, IMPORT_ERRORS

# JAX's eager mode compiles each operation apart, per shape and dtype (~60 ms each, 122 for one CTC gradient): most
# of the matrix's JAX time. A persistent compilation cache, made fresh for each run and shared by its xdist
# workers, lets a worker load what the other already compiled. XLA's compiler is deterministic: a loaded
# executable is the one the worker would have compiled, run on the test's own inputs, so no number changes.
# Concurrent writers are safe: an entry is written once under its key, and an entry read while being written fails
# to decompress, which JAX answers with a warning and a compile of its own (jax/_src/compiler.py, _cache_read).
_JAX_CACHE = pytest.StashKey[str]()
_JAX_CACHE_INPUT = "lossport_jax_compilation_cache"


def pytest_configure(config: pytest.Config) -> None:
    if "jax" not in BACKENDS:
        return
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:  # the controller of an xdist run, or a run without xdist
        config.stash[_JAX_CACHE] = path = tempfile.mkdtemp(prefix="lossport-jax-cache-")
    else:
        path = workerinput[_JAX_CACHE_INPUT]
    import jax

    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller: each worker gets the run's cache directory."""
    if _JAX_CACHE in node.config.stash:
        node.workerinput[_JAX_CACHE_INPUT] = node.config.stash[_JAX_CACHE]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _JAX_CACHE in config.stash:
        shutil.rmtree(config.stash[_JAX_CACHE], ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"lossport backends: {', '.join(BACKENDS)}; device: {DEVICE}"]
    lines += [f"  not importable: {k} ({v})" for k, v in IMPORT_ERRORS.items()]
    return lines


@pytest.fixture(autouse=True)
def _mpmath_precision() -> Iterator[None]:
    """Each test starts at 50 digits and its own ``mpmath.mp.dps = ...`` ends with it. Without this, a test that
    lowered the global precision (a dice check at 40 digits) left it lowered for whichever oracle ran next in that
    worker: CI's logsumexp oracle lost the tail of ``log(1 + 1.8e-35)`` and reported a correct value 2.9e9 ulps off."""
    with mpmath.workdps(50):
        yield
