"""PyTorch adapter: ``array_api_compat.torch`` as the namespace; ``torch.nn.functional`` for the primitives."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative

NAME = "torch"
NAMESPACE_NAMES = ("array_api_compat.torch",)


def framework_imported() -> bool:
    return "torch" in sys.modules


def is_array(x: object) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def namespace() -> ModuleType:
    import array_api_compat.torch

    return array_api_compat.torch


def _native() -> Mapping[str, Callable[..., Any]]:
    import torch
    import torch.nn.functional as F

    def softplus(x: Any) -> Any:
        # F.softplus returns x itself above `threshold`; the default 20 drops exp(-20) = 2e-9, which float64
        # resolves. Above 40, exp(-x) is below half an ulp of x in float64 too, so the result is exact.
        return F.softplus(x, beta=1.0, threshold=40.0)

    def log_sigmoid(x: Any) -> Any:
        return F.logsigmoid(x)  # min(x, 0) - log1p(exp(-|x|))

    def xlogy(x: Any, y: Any) -> Any:
        return torch.xlogy(x, y)  # 0 where x == 0

    def one_hot(labels: Any, num_classes: int, *, dtype: Any, axis: int = -1) -> Any:
        out = F.one_hot(labels.long(), num_classes).to(dtype)
        return out if axis in (-1, out.ndim - 1) else torch.movedim(out, -1, axis)

    return {"softplus": softplus, "log_sigmoid": log_sigmoid, "xlogy": xlogy, "one_hot": one_hot}


native = LazyNative(_native)


def is_concrete(x: Any) -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return True
    if torch.compiler.is_compiling():
        return False
    # FakeTensors (export, meta tracing) carry no values either.
    return not (x.is_meta or type(x).__name__ == "FakeTensor")


def is_cpu(x: Any) -> bool:
    return x.device.type == "cpu"


def device(x: Any) -> Any:
    return x.device


def to_numpy(x: Any) -> Any:
    import torch

    x = x.detach().cpu()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.numpy()
