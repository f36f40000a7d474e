"""Parity cases of the segmentation losses of Catalog II (dice, tversky and generalized_dice keep theirs in
``cases/divergence.py``, beside the overlap anchors)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case

FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {}
