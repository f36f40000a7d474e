"""Native anchors of the embedding, metric-learning and ranking losses (lossport/embedding.py).

docs/conventions.md is their table. torch's pair and triplet losses take ``(N, D)`` inputs with the
feature on the last dim and have no per-sample weights (weighted cases are declined). optax's ``ntxent`` returns
only the mean over positive pairs; its ``triplet_margin_loss`` adds ``eps`` to the sum of squares (lossport's
``eps_in="sum"``) and lacks the absolute value for odd degrees (docs/traps.md T16), so it runs at ``p = 2`` only.
Keras's ``Circle`` takes L2-normalised embeddings: it is given the case's embeddings normalised (lossport normalises
them itself), or the raw ones where the case says ``normalize=False``.

pytorch-metric-learning (``pml``) runs one ``(N, D)`` batch without per-sample weights (batched and weighted cases
are declined); ``reducer=DoNothingReducer()`` gives its unreduced values, ``SumReducer()`` the sum. Its cosines are
``F.normalize``'s (``DotProductSimilarity`` for ``normalize=False``). ``NTXentLoss`` with ``ref_emb`` is
``info_nce`` when each query has one positive key of its own (queries labelled ``0..N−1``, each positive key with its
query's label, every other key a label of its own). ``SupConLoss`` has no base temperature (``τ_b = τ``: its values
are scaled by ``τ/τ_b`` here) and its mean leaves out zero losses (the anchors without positives, which lossport's
mean leaves out too); with ``ref_emb`` it excludes no self-pair: lossport's ``offset=None``. ``ArcFaceLoss`` and
``CosFaceLoss`` own their class centres ``W`` ``(D, C)`` and normalise the embeddings, where lossport takes the cosine
logits: the case's cosines (rows of norm ≤ 1) are rebuilt as embeddings ``[c_i, sqrt(1 − ‖c_i‖²)]`` against the
basis centres ``W = I[:, :C]`` (``D = C + 1``), which ``pml`` normalises back to the cosines. ``ArcFaceLoss``
takes its margin in **degrees** (its default 28.6 is 0.5 rad) and computes ``cos(acos(c) + m)``, with the fallback
``cos θ − m·sin m`` past ``θ = π − m``, as lossport; it has no ``easy_margin``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
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
    ref = k.get("ref_embeddings")
    ref = None if ref is None else np.asarray(ref, dtype=dtype)
    if k.get("normalize", True):
        e = e / np.sqrt(np.sum(e * e, axis=-1, keepdims=True))  # Keras expects L2-normalised embeddings
        ref = None if ref is None else ref / np.sqrt(np.sum(ref * ref, axis=-1, keepdims=True))
    if ref is not None or k.get("ref_labels") is not None:
        if _reduction(case) != "none":
            return None  # the reference set is a knob of the function keras.losses.circle, not of the class
        return keras.losses.circle(y, e, ref_labels=k.get("ref_labels"), ref_embeddings=ref,
                                   gamma=k.get("gamma", 80.0), margin=k.get("margin", 0.4),
                                   remove_diagonal=k.get("remove_diagonal", True))
    loss = keras.losses.Circle(
        gamma=k.get("gamma", 80.0), margin=k.get("margin", 0.4), remove_diagonal=k.get("remove_diagonal", True),
        reduction=_KERAS_REDUCTION[_reduction(case)], dtype=dtype)
    # "sum_over_batch_size" leaves out the zero losses (a Keras mask); the cases have none (test_embedding.py
    # pins the difference).
    return loss(y, e)


# -- pytorch-metric-learning ----------------------------------------------------------------------------------------


def _pml() -> ModuleType:
    """pytorch_metric_learning with its ``losses``, ``reducers`` and ``distances`` subpackages, torch first."""
    _torch()
    for sub in ("losses", "reducers", "distances"):
        importlib.import_module(f"pytorch_metric_learning.{sub}")
    return importlib.import_module("pytorch_metric_learning")


def _pml_call(loss_cls: str, case: Case, dtype: str, *args: np.ndarray, normalize: bool = True,
              centres: np.ndarray | None = None, **knobs: Any) -> Any:
    """``pml.losses.<loss_cls>(**knobs, distance=, reducer=)(embeddings, labels, None, ref_emb, ref_labels)``.

    The arrays become torch tensors (floating ones are already of ``dtype``); ``centres`` replace the loss's ``W``.
    Unreduced values come back one per sample (``"element"``) or one per positive pair (``"pos_pair"``), in the
    anchors' order in the cases accepted.
    """
    pml, torch = _pml(), _torch()
    reduction = _reduction(case)
    reducer = {"none": pml.reducers.DoNothingReducer(), "sum": pml.reducers.SumReducer()}.get(reduction)
    extra = {} if reducer is None else {"reducer": reducer}
    if not normalize:
        extra["distance"] = pml.distances.DotProductSimilarity()
    loss = getattr(pml.losses, loss_cls)(**knobs, **extra)
    if centres is not None:
        loss.W.data = torch.from_numpy(centres)
    tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in args]
    out = loss(*tensors[:2], None, *tensors[2:])
    return out["loss"]["losses"] if reduction == "none" else out


def _pml_info_nce(case: Case, dtype: str) -> Any:
    queries, keys, positives = _args(case, dtype)
    plain = not _weighted(case) and queries.ndim == 2 and positives.dtype != bool
    if not plain or len(set(positives.tolist())) < positives.size:
        return None  # one (N, D) batch, one positive key per query, no key shared (NTXent's labels)
    n, m = queries.shape[0], keys.shape[0]
    key_labels = np.arange(n, n + m)
    key_labels[positives] = np.arange(n)
    return _pml_call("NTXentLoss", case, dtype, queries, np.arange(n), keys, key_labels,
                     normalize=case.kwargs.get("normalize", True), temperature=case.kwargs.get("temperature", 0.07))


def _pml_supervised_contrastive(case: Case, dtype: str) -> Any:
    k = case.kwargs
    e, y = _args(case, dtype)
    if _weighted(case) or e.ndim != 2:
        return None
    ref: tuple[np.ndarray, ...] = ()
    if k.get("keys") is not None:
        if k.get("offset", 0) is not None:
            return None  # pml excludes no self-pair from its reference embeddings
        ref = (_kw(case, "keys", dtype), k["key_labels"])
    temperature = k.get("temperature", 0.07)
    out = _pml_call("SupConLoss", case, dtype, e, y, *ref, normalize=k.get("normalize", True),
                    temperature=temperature)
    return out * (temperature / k.get("base_temperature", 0.07))


def _pml_head(loss_cls: str, case: Case, dtype: str, **knobs: Any) -> Any:
    """``pml``'s ArcFace or CosFace on embeddings and centres rebuilt from the case's cosines (module docstring)."""
    c, labels = case.args
    norms = np.sum(c * c, axis=-1)
    if _weighted(case) or c.ndim != 2 or np.any(norms > 1.0 + 1e-12):
        return None
    classes = c.shape[1]
    embeddings = np.concatenate([c, np.sqrt(np.clip(1.0 - norms, 0.0, None))[:, None]], axis=1)
    return _pml_call(loss_cls, case, dtype, embeddings.astype(dtype), labels, num_classes=classes,
                     embedding_size=classes + 1, centres=np.eye(classes + 1, classes, dtype=dtype), **knobs)


def _head_logits(case: Case, dtype: str) -> np.ndarray:
    """Per sample, a bound on the logits ``|s·z|`` that torch's cross-entropy subtracts (``Anchor.cancels``)."""
    k = case.kwargs
    return k.get("scale", 64.0) * (np.max(np.abs(case.args[0]), axis=-1) + k.get("margin", 0.5))


def _pml_arcface(case: Case, dtype: str) -> Any:
    k = case.kwargs
    if k.get("easy_margin", False):
        return None
    return _pml_head("ArcFaceLoss", case, dtype, scale=k.get("scale", 64.0),
                     margin=float(np.degrees(k.get("margin", 0.5))))


def _pml_cosface(case: Case, dtype: str) -> Any:
    k = case.kwargs
    return _pml_head("CosFaceLoss", case, dtype, scale=k.get("scale", 64.0), margin=k.get("margin", 0.35))


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
    Anchor("pytorch_metric_learning.NTXentLoss", "pytorch_metric_learning", "info_nce", _pml_info_nce),
    Anchor("pytorch_metric_learning.SupConLoss", "pytorch_metric_learning", "supervised_contrastive",
           _pml_supervised_contrastive),
    Anchor("pytorch_metric_learning.ArcFaceLoss", "pytorch_metric_learning", "arcface", _pml_arcface,
           cancels=_head_logits),
    Anchor("pytorch_metric_learning.CosFaceLoss", "pytorch_metric_learning", "cosface", _pml_cosface,
           cancels=_head_logits),
)
