"""One adapter per framework, each with the same names.

Every adapter module (``numpy``, ``jax``, ``torch``, ``tensorflow``) defines:

``NAME``
    the framework's name, as users and test ids spell it;
``is_array(x)``
    whether ``x`` is one of the framework's arrays. It looks in ``sys.modules`` and never imports the
    framework: if the framework was never imported, ``x`` cannot be one of its arrays;
``namespace()``
    the Array API namespace for the framework's arrays, imported on first use;
``native``
    a mapping from a primitive's name to the framework's faster function with the generic version's semantics
    and accuracy (tests/test_numerics.py checks both against mpmath). The names are those ``lossport._numerics``
    looks up: elementwise and row primitives (``logsumexp``, ``log_softmax``, ``log_softmax_at``, ``softplus``,
    ``sigmoid``, ``log_sigmoid``, ``xlogy``, ``mul0``, ``sign``, ``clamped_log``, ``one_hot``), fused
    forward/backward pairs of a loss's custom gradient (``squared_error[_vjp]``, ``huber_error[_vjp]``,
    ``sigmoid_ce[_vjp]``, ``multi_margin[_vjp]``; ``kl_divergence``, a rule's forward alone), and ``lossport.linear``'s structural hooks (``matmul_accumulate``, ``scan_chunks``,
    ``slice_rows``, ``after``, ``writable``, ``softmax_grad_into``). A fused entry may return ``NotImplemented`` to decline a call (a knob it does not cover,
    an input it may not overwrite); the generic form then runs. Each adapter lists only what it does better
    than the generic form. The mapping is built lazily, on the first lookup, so reading it imports the
    framework only once the user already has;
``is_concrete(x)``
    False for traced values (JAX tracers, symbolic TensorFlow tensors, tensors under ``torch.compile``), whose
    values cannot be read; value checks skip them;
``is_cpu(x)``
    whether ``x`` lives in host memory, where a value check costs no device synchronisation;
``device(x)``
    the device to create constants on, or None where the framework places them itself;
``to_numpy(x)``
    a NumPy copy of ``x`` (tests, the parity report).

This module keeps the explicit table of adapters and the cache from an array's type to its adapter. Array types
that no adapter claims (array-api-strict, CuPy, Dask, ...) are left to ``array_api_compat``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

__all__ = ["ADAPTERS", "LazyNative", "adapter_for", "adapter_for_namespace", "layout", "load", "unpack"]

# The order matters only for speed: the most common array types first.
ADAPTERS: tuple[str, ...] = ("numpy", "torch", "jax", "tensorflow")

_loaded: dict[str, ModuleType] = {}
_by_type: dict[type, ModuleType | None] = {}
_by_namespace: dict[str, ModuleType | None] = {}


def load(name: str) -> ModuleType:
    """The adapter module ``lossport.backends.<name>`` (importing it imports no framework)."""
    module = _loaded.get(name)
    if module is None:
        module = importlib.import_module(f"{__name__}.{name}")
        _loaded[name] = module
    return module


def adapter_for(x: object) -> ModuleType | None:
    """The adapter whose ``is_array`` claims ``x``, or None; cached by ``type(x)``."""
    cls = type(x)
    try:
        return _by_type[cls]
    except KeyError:
        pass
    found = None
    for adapter in _loaded.values():
        if adapter.is_array(x):
            found = adapter
            break
    # Only cache a positive answer, or a negative one once every framework has been imported: a type
    # unknown now may belong to a framework imported later (its arrays cannot exist before its import).
    if found is not None or all(a.framework_imported() for a in _loaded.values()):
        _by_type[cls] = found
    return found


def adapter_for_namespace(xp: Any) -> ModuleType | None:
    """The adapter whose ``namespace()`` is ``xp``, or None (array-api-strict, CuPy, ...)."""
    key = getattr(xp, "__name__", None) or type(xp).__name__
    try:
        return _by_namespace[key]
    except KeyError:
        pass
    found = None
    for adapter in _loaded.values():
        if key in adapter.NAMESPACE_NAMES:
            found = adapter
            break
    _by_namespace[key] = found
    return found


class LazyNative(Mapping[str, Callable[..., Any]]):
    """A read-only mapping built by ``factory()`` on its first lookup (so the framework is imported late)."""

    def __init__(self, factory: Callable[[], Mapping[str, Callable[..., Any]]]) -> None:
        self._factory = factory
        self._table: Mapping[str, Callable[..., Any]] | None = None

    def _get(self) -> Mapping[str, Callable[..., Any]]:
        if self._table is None:
            self._table = dict(self._factory())
        return self._table

    def __getitem__(self, key: str) -> Callable[..., Any]:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def layout(arrays: tuple[Any, ...]) -> tuple[int, ...]:
    """``(len(arrays), *positions of the arrays that are not None)``: how a rule's arguments reach a framework's
    custom-gradient mechanism, which takes arrays only (lossport/_gradients.py)."""
    return (len(arrays), *(i for i, a in enumerate(arrays) if a is not None))


def unpack(layout: tuple[int, ...], present: tuple[Any, ...], fill: Any = None) -> tuple[Any, ...]:
    """The rule's argument tuple again, from :func:`layout` and the arrays present (``fill`` elsewhere)."""
    out = [fill] * layout[0]
    for slot, value in zip(layout[1:], present):
        out[slot] = value
    return tuple(out)


# Load every adapter now (they import no framework), so that dispatch under a tracer (torch.compile) is only
# dictionary lookups, never an import.
for _name in ADAPTERS:
    load(_name)
