"""NumPy adapter: ``array_api_compat.numpy`` as the namespace, ``np.logaddexp`` for the softplus family."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative

NAME = "numpy"
NAMESPACE_NAMES = ("array_api_compat.numpy", "numpy")


def framework_imported() -> bool:
    return "numpy" in sys.modules


def is_array(x: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, (np.ndarray, np.generic))


def namespace() -> ModuleType:
    import array_api_compat.numpy

    return array_api_compat.numpy


def _native() -> Mapping[str, Callable[..., Any]]:
    import numpy as np

    # np.logaddexp(x, 0) is log(1 + exp(x)) in one pass, as max(x, 0) + log1p(exp(-|x|)): exact at +-inf and
    # accurate to an ulp; the Python 0 is a weak scalar, so float32 stays float32.
    def softplus(x: Any) -> Any:
        return np.logaddexp(x, 0)

    def log_sigmoid(x: Any) -> Any:
        return -np.logaddexp(-x, 0)

    return {"softplus": softplus, "log_sigmoid": log_sigmoid}


native = LazyNative(_native)


def is_concrete(x: object) -> bool:
    return True


def is_cpu(x: object) -> bool:
    return True


def device(x: Any) -> Any:
    return "cpu"


def to_numpy(x: Any) -> Any:
    import numpy as np

    return np.asarray(x)
