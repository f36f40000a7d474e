"""Native anchors of the sequence losses: torch, optax, TensorFlow and Keras CTC.

lossport's ``ctc`` is batch-major: ``log_probabilities (B, T, C)``, padded ``labels (B, S)``, ``input_lengths (B,)``,
``label_lengths (B,)``. Each anchor translates a case only as its API demands:

- torch ``F.ctc_loss`` is time-major (``permute(1, 0, 2)``); its ``"mean"`` divides each loss by its target length
  (at least 1) before averaging, which lossport gives as ``weights=1 / (B · max(L, 1)), reduction="sum"`` (the
  ``torch-mean`` case); lossport's plain ``"mean"`` is torch's ``"none"`` averaged.
- optax ``ctc_loss`` takes logits with 0/1 ``logit_paddings`` and ``label_paddings`` (1 at padded positions) and
  applies a log-softmax itself (a no-op on the cases' normalised log-probabilities); it returns per-sequence losses.
- ``tf.nn.ctc_loss`` (``logits_time_major=False``, ``blank_index=``) also normalises its logits and returns
  per-sequence losses; it raises on float64 logits, so it runs in float32 only.
- Keras ``CTC`` computes in float32, uses 0 as both the blank and the label padding (its label lengths are the
  counts of non-zero labels) and has no input lengths (every sequence has ``T`` steps). Cases with another blank are
  declined; unequal input lengths are expressed by frames that emit the blank with probability 1 past each input
  length (log-probability 0 for the blank, −1e4 elsewhere), which adds exactly the factor 1 to every alignment.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import (
    UNREDUCED,
    Anchor,
    _args,
    _keras,
    _kw,
    _optax,
    _reduction,
    _tf,
    _torch,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


def _ctc_data(case: Case, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """``(log_probabilities, labels, input_lengths, label_lengths, blank)``, labels padded with the blank."""
    lp, labels, input_lengths, label_lengths = _args(case, dtype)
    blank = int(case.kwargs.get("blank", 0))
    in_label = np.arange(labels.shape[1])[None, :] < label_lengths[:, None]
    return lp, np.where(in_label, labels, blank), input_lengths, label_lengths, blank


def _torch_mean_weights(case: Case) -> bool:
    """Whether the case's weights are torch's ``"mean"``: ``1 / (B · max(label_lengths, 1))``."""
    weights = case.kwargs.get("weights")
    if weights is None:
        return False
    label_lengths = case.args[3]
    expected = 1.0 / (len(label_lengths) * np.maximum(label_lengths, 1))
    return bool(np.allclose(weights, expected, rtol=1e-12, atol=0.0))


def _torch_ctc(case: Case, dtype: str) -> Any:
    if case.kwargs.get("where") is not None:
        return None
    reduction, average = _reduction(case), False
    if case.kwargs.get("weights") is not None:
        if not (reduction == "sum" and _torch_mean_weights(case)):
            return None  # torch has no per-sequence weights
        reduction = "mean"  # torch's: each loss divided by its target length (at least 1), then averaged
    elif reduction == "mean":
        reduction, average = "none", True  # lossport's plain mean: torch's per-sequence losses averaged
    torch = _torch()
    lp, labels, input_lengths, label_lengths, blank = _ctc_data(case, dtype)
    loss = torch.nn.functional.ctc_loss(
        torch.from_numpy(lp).permute(1, 0, 2), torch.from_numpy(labels), torch.from_numpy(input_lengths),
        torch.from_numpy(label_lengths), blank=blank, reduction=reduction,
        zero_infinity=case.kwargs.get("zero_infinity", False))
    return loss.mean() if average else loss


def _paddings(lengths: np.ndarray, size: int, dtype: str) -> np.ndarray:
    """optax's paddings: 1.0 at the positions at or beyond each length."""
    return (np.arange(size)[None, :] >= lengths[:, None]).astype(dtype)


def _optax_ctc(case: Case, dtype: str) -> Any:
    lp, labels, input_lengths, label_lengths, blank = _ctc_data(case, dtype)
    return _optax().losses.ctc_loss(
        lp, _paddings(input_lengths, lp.shape[1], dtype), labels, _paddings(label_lengths, labels.shape[1], dtype),
        blank_id=blank)


def _tf_ctc(case: Case, dtype: str) -> Any:
    lp, labels, input_lengths, label_lengths, blank = _ctc_data(case, dtype)
    return _tf().nn.ctc_loss(
        labels=labels.astype(np.int32), logits=lp, label_length=label_lengths.astype(np.int32),
        logit_length=input_lengths.astype(np.int32), logits_time_major=False, blank_index=blank)


def _keras_ctc(case: Case, dtype: str) -> Any:
    lp, labels, input_lengths, _, blank = _ctc_data(case, dtype)
    if blank != 0 or case.kwargs.get("where") is not None:
        return None  # Keras's blank is always 0 (also its label padding, here already in place)
    # No input lengths in Keras: past each input length, frames emit the blank with probability 1.
    past = np.arange(lp.shape[1])[None, :] >= input_lengths[:, None]
    certain_blank = np.where(np.arange(lp.shape[2]) == 0, 0.0, -1e4).astype(dtype)
    lp = np.where(past[:, :, None], certain_blank, lp)
    keras = _keras()
    weights = _kw(case, "weights", dtype)
    reduction = {"none": None, "sum": "sum", "mean": "sum_over_batch_size"}[_reduction(case)]
    if weights is not None and reduction == "sum_over_batch_size":
        reduction = "mean_with_sample_weight"  # Σ w·l / Σ w, lossport's weighted mean
    return keras.losses.CTC(reduction=reduction, dtype=dtype)(labels, lp, sample_weight=weights)


TABLE: tuple[Anchor, ...] = (
    Anchor("torch.ctc_loss", "torch", "ctc", _torch_ctc),
    Anchor("optax.ctc_loss", "optax", "ctc", _optax_ctc, UNREDUCED),
    Anchor("tensorflow.ctc_loss", "tensorflow", "ctc", _tf_ctc, UNREDUCED, dtypes=("float32",)),
    Anchor("keras.CTC", "keras", "ctc", _keras_ctc, dtypes=("float32",)),
)
