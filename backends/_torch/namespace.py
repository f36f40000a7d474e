"""array-api-compat's torch namespace with one repair: ``take_along_axis`` takes any integer indices.

The standard allows any integer index dtype; ``torch.take_along_dim`` wants int64 (int32 labels failed nine losses).
The namespace is a copy of ``array_api_compat.torch`` under the same name, so that dispatch by namespace name
still finds the torch adapter. Built when first imported, by the adapter's ``namespace()``: Dynamo runs an import for
real, where it could not trace building a module, so a first call under ``torch.compile(fullgraph=True)`` works.
"""

from __future__ import annotations

import types
from typing import Any

import array_api_compat.torch as compat
import torch

__all__ = ["NAMESPACE"]


def take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
    return compat.take_along_axis(x, indices if indices.dtype == torch.int64 else indices.long(), axis=axis)


NAMESPACE = types.ModuleType(compat.__name__, compat.__doc__)
NAMESPACE.__dict__.update(compat.__dict__)
NAMESPACE.take_along_axis = take_along_axis  # type: ignore[attr-defined]
