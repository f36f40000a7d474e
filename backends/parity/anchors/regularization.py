"""Native anchors of the regularisation penalties: ``tf.nn.l2_loss`` (½ Σ w² per tensor)."""

from __future__ import annotations

from typing import Any

from lossport.backends.parity.anchors._base import (
    Anchor,
    _args,
    _tf,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


# ---------------------------------------------------------------------------------------------------------------
# Regularisation


def _tf_l2_loss(case: Case, dtype: str) -> Any:
    (params,) = _args(case, dtype)
    tf = _tf()
    return tf.add_n([tf.nn.l2_loss(w) for w in params])  # ½ Σ w² per tensor, summed: the weight-decay idiom


TABLE: tuple[Anchor, ...] = (
    Anchor("tensorflow.nn.l2_loss", "tensorflow", "l2_penalty", _tf_l2_loss, {"scale": 0.5}),
)
