"""Parity cases for the sequence losses (``ctc``).

CTC is smooth in its log-probabilities wherever they are finite, so no case needs keeping off a kink. The
log-probabilities are normalised (a log-softmax of random logits): torch's CTC gradient, optax's and TensorFlow's
log-softmax assume it, so the anchors all compute the same quantity. Labels are padded beyond ``label_lengths`` with
values that must be ignored (-1, or 0 which is also Keras's padding).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from lossport.backends.parity.cases._base import Case

__all__ = ["FACTORIES"]


def _log_softmax(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    z = rng.normal(scale=2.0, size=shape)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _ctc(rng: np.random.Generator) -> list[Case]:
    # The representative case (torch.compile runs it): unequal input and label lengths, a repeated label that needs
    # a blank between its repeats, padding of -1, the default blank 0 and the plain mean (Keras's).
    lp = _log_softmax(rng, (3, 8, 5))
    labels = np.array([[1, 1, 2], [3, 4, -1], [2, -1, -1]])
    mean = Case("ctc", "mean", (lp, labels, np.array([8, 6, 5]), np.array([3, 2, 1])))
    # The blank last (TensorFlow's old convention, blank_index=-1): label 0 is an ordinary class, repeated.
    lp2 = _log_softmax(rng, (2, 6, 4))
    labels2 = np.array([[0, 0, 2], [2, 1, 0]])
    blank_last = Case("ctc", "blank-last-none", (lp2, labels2, np.array([6, 4]), np.array([3, 2])),
                      {"blank": 3, "reduction": "none"})
    # torch's "mean" (each loss divided by its target length, at least 1, then averaged) as weights and a sum,
    # with an empty label sequence (its loss is −Σ_t log p(blank)) and 0-padding.
    lp3 = _log_softmax(rng, (3, 7, 5))
    labels3 = np.array([[2, 3, 3], [0, 0, 0], [4, 1, 0]])
    lengths3 = np.array([3, 0, 2])
    torch_mean = Case("ctc", "torch-mean", (lp3, labels3, np.array([7, 5, 6]), lengths3),
                      {"weights": 1.0 / (3 * np.maximum(lengths3, 1)), "reduction": "sum"})
    return [mean, blank_last, torch_mean]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {"ctc": _ctc}
