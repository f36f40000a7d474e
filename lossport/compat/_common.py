"""What the compat presets share: the namespace of the inputs, axis moves, and a namespace object for ``tf.nn``.

Every helper takes ``xp`` (the namespace of the call's arrays, from :func:`lossport.array_namespace`), so nothing
here imports a framework.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from lossport._namespace import array_namespace

__all__ = [
    "Namespace",
    "as_array",
    "flatten_axes",
    "namespace",
    "numel",
]

Array = Any


def namespace(*arrays: Any) -> Any:
    """The namespace of the call's arrays (None and Python scalars ignored)."""
    return array_namespace(*arrays)


def as_array(x: Any, like: Array, /, *, xp: Any, dtype: Any = None) -> Array:
    """``x`` (an array, a Python number or a sequence of numbers) as an array of ``like``'s framework."""
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x if dtype is None or x.dtype == dtype else xp.astype(x, dtype)
    from lossport._namespace import device

    return xp.asarray(x, dtype=like.dtype if dtype is None else dtype, device=device(like))


def numel(x: Array, /) -> int:
    """The number of elements of ``x`` (static shapes)."""
    return math.prod(int(d) for d in x.shape)


def flatten_axes(x: Array, axis: int | Sequence[int] | None, /, *, xp: Any) -> Array:
    """``x`` with the ``axis`` axes (an int, a tuple, or None for all) moved last and merged into one."""
    ndim = x.ndim
    if isinstance(axis, int):
        return xp.moveaxis(x, axis, -1)
    axes = tuple(range(ndim)) if axis is None else tuple(a % ndim for a in axis)
    rest = tuple(a for a in range(ndim) if a not in axes)
    x = xp.permute_dims(x, (*rest, *axes))
    return xp.reshape(x, (*(x.shape[i] for i in range(len(rest))), -1))


class Namespace(ModuleType):
    """A module-like object holding functions, for ``tf.nn`` and ``tf.compat.v1.losses``."""

    def __init__(self, name: str, doc: str, members: dict[str, Callable[..., Any] | ModuleType | type]):
        super().__init__(name, doc)
        for key, value in members.items():
            setattr(self, key, value)
        self.__all__ = sorted(members)

    def __dir__(self) -> list[str]:
        return list(self.__all__)
