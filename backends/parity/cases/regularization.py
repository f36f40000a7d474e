"""Parity cases for the regularisation penalties (lossport/regularization.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case, _away

__all__ = ["FACTORIES"]


def _penalty(loss: str, rng: np.random.Generator) -> list[Case]:
    params = [_away(rng.normal(size=(3, 4)), (0.0,)), _away(rng.normal(size=(5,)), (0.0,))]
    return [
        Case(loss, "two-arrays", (params,), {"scale": 0.01}, grad=(0, 0)),
        Case(loss, "one-array", ([params[1]],), grad=(0, 0)),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "l1_penalty": lambda rng: _penalty("l1_penalty", rng),
    "l2_penalty": lambda rng: _penalty("l2_penalty", rng),
}
