"""Native anchors of the embedding, metric-learning and ranking losses (lossport/embedding.py).

docs/conventions.md is their table. torch's pair and triplet losses take ``(N, D)`` inputs with the
feature on the last dim and have no per-sample weights (weighted cases are declined). optax's ``ntxent`` returns
only the mean over positive pairs; its ``triplet_margin_loss`` adds ``eps`` to the sum of squares (lossport's
``eps_in="sum"``) and lacks the absolute value for odd degrees (docs/traps.md T16), so it runs at ``p = 2`` only.
Keras's ``Circle`` takes L2-normalised embeddings: it is given the case's embeddings normalised (lossport normalises
them itself), or the raw ones where the case says ``normalize=False``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lossport.backends.parity.anchors._base import (
    UNREDUCED,
    Anchor,
    _args,
    _keras,
    _optax,
    _reduction,
    _torch,
    _weighted,
)
from lossport.backends.parity.cases import Case

__all__ = ["TABLE"]


def _feature_last(x: np.ndarray, case: Case) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(x, case.kwargs.get("axis", -1), -1))


# -- torch: pairs and triplets -----------------------------------------------------------------------------------


def _torch_cosine_embedding(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None  # no weight in torch
    torch = _torch()
    x1, x2, y = _args(case, dtype)
    x1, x2 = (torch.from_numpy(_feature_last(x, case)) for x in (x1, x2))
    return torch.nn.functional.cosine_embedding_loss(
        x1, x2, torch.from_numpy(y), margin=case.kwargs.get("margin", 0.0), reduction=_reduction(case))


def _torch_hinge_embedding(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None
    torch = _torch()
    d, y = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.hinge_embedding_loss(
        d, y, margin=case.kwargs.get("margin", 1.0), reduction=_reduction(case))


def _torch_margin_ranking(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None
    torch = _torch()
    x1, x2, y = (torch.from_numpy(a) for a in _args(case, dtype))
    return torch.nn.functional.margin_ranking_loss(
        x1, x2, y.to(x1.dtype), margin=case.kwargs.get("margin", 0.0), reduction=_reduction(case))


def _torch_triplet_margin(case: Case, dtype: str) -> Any:
    if _weighted(case) or case.kwargs.get("eps_in", "difference") != "difference":
        return None  # torch's eps goes into the difference only
    torch = _torch()
    a, p, n = (torch.from_numpy(_feature_last(x, case)) for x in _args(case, dtype))
    k = case.kwargs
    return torch.nn.functional.triplet_margin_loss(
        a, p, n, margin=k.get("margin", 1.0), p=k.get("p", 2), eps=k.get("eps", 1e-6), swap=k.get("swap", False),
        reduction=_reduction(case))


# -- optax -------------------------------------------------------------------------------------------------------


def _optax_triplet_margin(case: Case, dtype: str) -> Any:
    k = case.kwargs
    if k.get("p", 2) != 2 or k.get("swap", False):
        return None  # no abs for odd degrees (T16: test_optax_triplet_p1_has_no_abs); no swap
    a, p, n = (_feature_last(x, case) for x in _args(case, dtype))
    return _optax().losses.triplet_margin_loss(
        a, p, n, norm_degree=2, margin=k.get("margin", 1.0), eps=k.get("eps", 1e-6))


def _optax_ntxent(case: Case, dtype: str) -> Any:
    if _reduction(case) != "mean" or _weighted(case) or case.args[0].ndim != 2:
        return None  # optax returns the mean over positive pairs of one (N, D) batch, nothing else
    e, y = _args(case, dtype)
    return _optax().losses.ntxent(e, y, temperature=case.kwargs.get("temperature", 0.07))


_OPTAX_REDUCE = {"mean": "mean", "sum": "sum", "none": None}


def _optax_ranking_softmax(case: Case, dtype: str) -> Any:
    if case.kwargs.get("weights") is not None or case.kwargs.get("normalize", False):
        return None  # optax's weights are per item (they multiply the relevance); it never normalises
    optax = _optax()
    import jax.numpy as jnp

    s, r = _args(case, dtype)
    reduce_fn = _OPTAX_REDUCE[_reduction(case)]
    where = case.kwargs.get("where")
    return optax.losses.ranking_softmax_loss(
        s, r, where=where, reduce_fn=None if reduce_fn is None else getattr(jnp, reduce_fn))


# -- Keras -------------------------------------------------------------------------------------------------------


_KERAS_REDUCTION = {"none": None, "sum": "sum", "mean": "sum_over_batch_size"}


def _keras_circle(case: Case, dtype: str) -> Any:
    if _weighted(case):
        return None
    keras = _keras()
    e, y = _args(case, dtype)
    k = case.kwargs
    if k.get("normalize", True):
        e = e / np.sqrt(np.sum(e * e, axis=-1, keepdims=True))  # Keras expects L2-normalised embeddings
    loss = keras.losses.Circle(
        gamma=k.get("gamma", 80.0), margin=k.get("margin", 0.4), remove_diagonal=k.get("remove_diagonal", True),
        reduction=_KERAS_REDUCTION[_reduction(case)], dtype=dtype)
    # "sum_over_batch_size" leaves out the zero losses (a Keras mask); the cases have none (test_embedding.py
    # pins the difference).
    return loss(y, e)


TABLE: tuple[Anchor, ...] = (
    Anchor("torch.cosine_embedding_loss", "torch", "cosine_embedding", _torch_cosine_embedding),
    Anchor("torch.hinge_embedding_loss", "torch", "hinge_embedding", _torch_hinge_embedding),
    Anchor("torch.margin_ranking_loss", "torch", "margin_ranking", _torch_margin_ranking),
    Anchor("torch.triplet_margin_loss", "torch", "triplet_margin", _torch_triplet_margin),
    Anchor("optax.triplet_margin_loss", "optax", "triplet_margin", _optax_triplet_margin,
           {**UNREDUCED, "eps_in": "sum"}),
    Anchor("optax.ntxent", "optax", "ntxent", _optax_ntxent),
    Anchor("keras.Circle", "keras", "circle", _keras_circle),
    Anchor("optax.ranking_softmax_loss", "optax", "ranking_softmax", _optax_ranking_softmax),
)
