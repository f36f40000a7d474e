"""What every family's cases are made of: the :class:`Case` record and the kink-avoiding helper.

Every case keeps away from the loss's kinks (see the registry's ``kinks``), so that gradients are comparable across
frameworks, which legitimately pick different subgradients there. Cases marked ``extreme`` probe saturation
(logits of ±1e4, probabilities of exactly 0 and 1); they are compared by value only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case"]


@dataclass(frozen=True)
class Case:
    """One call of a loss: ``lossport.<loss>(*args, **kwargs)`` on float64/int64 NumPy data.

    Floating arrays (in ``args``, in a list in ``args``, or in ``kwargs``) take the dtype under test; integer
    and boolean arrays keep theirs. ``grad`` is the path of the argument to differentiate: ``(0,)`` is the
    first argument, ``(0, 1)`` the second array of a list in the first argument; None means no gradient test.
    """

    loss: str
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    grad: tuple[int, ...] | None = (0,)
    extreme: bool = False

    @property
    def id(self) -> str:
        return f"{self.loss}[{self.name}]"


def _away(x: np.ndarray, points: tuple[float, ...], gap: float = 0.1) -> np.ndarray:
    """Push values that fall within ``gap`` of a kink out of its neighbourhood."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, gap, -gap) * 1.5
    return x
