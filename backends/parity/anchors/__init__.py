"""The native anchors: each framework's own implementation of a lossport loss, run on a parity case.

Each family's anchors live in ``anchors/<family>.py`` as a ``TABLE`` of :class:`Anchor` records; the record, the
lazy framework imports and the translations that several families share are in ``anchors/_base.py`` (its docstring
states how like is compared with like). :data:`ANCHORS` gathers them by id, the ids that
``lossport._registry.LOSSES[...].anchors`` names.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import numpy as np
from lossport.backends.parity import runner as parity
from lossport.backends.parity.anchors._base import Anchor, installed
from lossport.backends.parity.cases import FAMILIES, Case

__all__ = ["ANCHORS", "Anchor", "compare_case", "installed", "run_anchor"]

ANCHORS: dict[str, Anchor] = {}
for _family in FAMILIES:
    ANCHORS.update({a.id: a for a in importlib.import_module(f"{__name__}.{_family}").TABLE})


# ---------------------------------------------------------------------------------------------------------------
# Running them


def compare_case(anchor: Anchor, case: Case, dtype: str) -> float | None:
    """The native value against lossport on NumPy at ``dtype`` (with the overrides), in units of the tolerance.

    None when the anchor declines the case.
    """
    result = _compare_case(anchor, case, dtype)
    return None if result is None else result[0]


def _compare_case(anchor: Anchor, case: Case, dtype: str) -> tuple[float, float] | None:
    """``(error in units of the tolerance, relative error)``, or None when the anchor declines the case."""
    if case.kwargs.get("z_loss"):
        return None  # no installed anchor has a z-loss (Liger Kernel's and OLMo's do not install here)
    native = anchor.fn(case, dtype)
    if native is None:
        return None
    actual = parity.to_numpy(native)
    expected = parity.to_numpy(parity.run_case(case, "numpy", dtype, **anchor.lossport_kwargs(dtype)))
    size = None if anchor.cancels is None else anchor.cancels(case, dtype)
    if size is not None and size.shape == expected.shape:  # unreduced outputs only
        rounding = np.abs(actual - expected) <= 4 * np.finfo(dtype).eps * size
        actual = np.where(rounding, expected, actual)
    return parity.compare(actual, expected, dtype), parity.relative_error(actual, expected)


def run_anchor(anchor_id: str, loss: str, cases: Iterable[Case]) -> parity.Row | None:
    """One parity row: the worst error of ``anchor_id`` over the cases it accepts and its dtypes.

    None when the anchor's framework is not installed. ``Row.cases`` counts the (case, dtype) pairs compared; an
    exception names its case and dtype in ``Row.error``.
    """
    anchor = ANCHORS[anchor_id]
    if anchor.loss != loss:
        msg = f"anchor `{anchor_id}` is for `{anchor.loss}`; got loss={loss!r}"
        raise ValueError(msg)
    if not installed(anchor.framework):
        return None
    worst, rel, count, error = 0.0, 0.0, 0, ""
    for case in cases:
        for dtype in anchor.dtypes:
            try:
                result = _compare_case(anchor, case, dtype)
            except Exception as e:  # the report names the failure; Row.ok is then False
                error = f"{case.name}/{dtype}: {type(e).__name__}: {e}"
                continue
            if result is not None:
                worst, rel, count = max(worst, result[0]), max(rel, result[1]), count + 1
    return parity.Row(loss, anchor_id, anchor.framework, count, worst, error, rel)
