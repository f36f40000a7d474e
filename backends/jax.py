"""JAX adapter: ``jax.numpy`` is itself an Array API namespace; ``jax.nn`` supplies the fused primitives."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative

NAME = "jax"
NAMESPACE_NAMES = ("jax.numpy",)


def framework_imported() -> bool:
    return "jax" in sys.modules


def _jax_types() -> tuple[type, ...]:
    jax = sys.modules.get("jax")
    if jax is None:
        return ()
    # Since jax 0.8.2 tracers are no longer jax.Array subclasses.
    return (jax.Array, jax.core.Tracer)


def is_array(x: object) -> bool:
    types = _jax_types()
    return bool(types) and isinstance(x, types)


def namespace() -> ModuleType:
    import jax.numpy

    return jax.numpy


def _native() -> Mapping[str, Callable[..., Any]]:
    import jax
    import jax.numpy as jnp

    def softplus(x: Any) -> Any:
        return jax.nn.softplus(x)  # logaddexp(x, 0): exact at +-inf, accurate to an ulp

    def log_sigmoid(x: Any) -> Any:
        return jax.nn.log_sigmoid(x)  # -softplus(-x)

    def xlogy(x: Any, y: Any) -> Any:
        # jax.scipy.special.xlogy is x*log(y) with 0 where x == 0, and a custom JVP that is finite there.
        return jax.scipy.special.xlogy(x, y)

    def one_hot(labels: Any, num_classes: int, *, dtype: Any, axis: int = -1) -> Any:
        return jax.nn.one_hot(labels, num_classes, dtype=dtype, axis=axis)

    del jnp
    return {"softplus": softplus, "log_sigmoid": log_sigmoid, "xlogy": xlogy, "one_hot": one_hot}


native = LazyNative(_native)


def is_concrete(x: object) -> bool:
    jax = sys.modules.get("jax")
    return jax is None or not isinstance(x, jax.core.Tracer)


def is_cpu(x: Any) -> bool:
    try:
        return all(d.platform == "cpu" for d in x.devices())
    except Exception:  # a tracer has no devices
        return False


def device(x: Any) -> Any:
    # Inside jax.jit a tracer has no committed device (jax-ml/jax#26000); None lets JAX place constants.
    if not is_concrete(x):
        return None
    return x.device


def to_numpy(x: Any) -> Any:
    import numpy as np

    return np.asarray(x)
