"""Inputs for the parity matrix: a few cases per loss, as float64 NumPy arrays, reproducible from a seed.

Each family's cases live in ``cases/<family>.py`` as a ``FACTORIES`` mapping from a loss's name to a function of a
random generator; the :class:`Case` record and the kink-avoiding helper are in ``cases/_base.py``. Every case keeps
away from the loss's kinks (see the registry's ``kinks``), so that gradients are comparable across frameworks,
which legitimately pick different subgradients there. Cases marked ``extreme`` probe saturation (logits of ±1e4,
probabilities of exactly 0 and 1); they are compared by value only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case

__all__ = ["CASES", "Case", "cases_for"]

FAMILIES: tuple[str, ...] = (
    "regression", "classification", "margin", "embedding", "divergence", "segmentation", "sequence", "regularization",
)

_FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {}
for _family in FAMILIES:
    _FACTORIES.update(importlib.import_module(f"{__name__}.{_family}").FACTORIES)


def cases_for(loss: str, seed: int = 0) -> list[Case]:
    """The cases of one loss, the same for every call with the same seed."""
    return _FACTORIES[loss](np.random.default_rng([seed, sum(map(ord, loss))]))


CASES: tuple[str, ...] = tuple(_FACTORIES)
"""The losses that have cases (tests/test_api.py checks that they are exactly the registry's LOSSES)."""
