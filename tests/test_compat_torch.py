"""lossport.compat.torch against ``torch.nn.functional``: every loss, torch's knobs drawn at random (hypothesis),
on every backend (values), on torch tensors (values and gradients), and a sample under ``jax.jit``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from test_compat import (
    Twin,
    matrix_tests,
    probabilities,
    rng,
    shape,
    simplex,
)

import lossport.compat.torch as F

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _native(name: str):
    def get():
        import torch.nn.functional as tf_

        return getattr(tf_, name)

    return get


def _pair(data, *, positive: bool = False):
    r = rng(data)
    shp = shape(data)
    p = r.normal(size=shp)
    t = r.normal(size=shp)
    if positive:
        p, t = np.abs(p) + 0.1, np.abs(t)
    return r, shp, p, t


def _elementwise_weighted(data):
    r, shp, p, t = _pair(data)
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS, label="reduction")}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.1, 2.0, size=shp)
    return (p, t), kw


def _huber(data):
    args, kw = _elementwise_weighted(data)
    kw["delta"] = data.draw(st.floats(0.1, 3.0), label="delta")
    return args, kw


def _smooth_l1(data):
    _, _, p, t = _pair(data)
    return (p, t), {"reduction": data.draw(REDUCTIONS), "beta": data.draw(st.floats(0.1, 3.0), label="beta")}


def _poisson(data):
    r, shp, p, _ = _pair(data)
    log_input = data.draw(st.booleans(), label="log_input")
    p = p if log_input else np.abs(p) + 0.05
    t = r.poisson(2.0, size=shp).astype(np.float64)
    return (p, t), {"log_input": log_input, "full": data.draw(st.booleans(), label="full"),
                    "eps": data.draw(st.sampled_from([1e-8, 1e-6]), label="eps"), "reduction": data.draw(REDUCTIONS)}


def _gaussian(data):
    r, shp, p, t = _pair(data)
    var = r.uniform(0.2, 2.0, size=shp)
    return (p, t, var), {"full": data.draw(st.booleans(), label="full"),
                         "eps": data.draw(st.sampled_from([1e-6, 1e-3]), label="eps"),
                         "reduction": data.draw(REDUCTIONS)}


def _bce(data):
    r = rng(data)
    shp = shape(data)
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS)}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.1, 2.0, size=shp[-1:])
    return (probabilities(r, shp), r.uniform(0, 1, size=shp)), kw


def _bce_logits(data):
    r = rng(data)
    shp = shape(data)
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS)}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.1, 2.0, size=shp)
    if data.draw(st.booleans(), label="pos_weight"):
        kw["pos_weight"] = r.uniform(0.5, 3.0, size=shp[-1:])
    return (3 * r.normal(size=shp), r.integers(0, 2, size=shp).astype(np.float64)), kw


def _signs(r, shp):
    return r.choice([-1.0, 1.0], size=shp)


def _soft_margin(data):
    r = rng(data)
    shp = shape(data)
    return (2 * r.normal(size=shp), _signs(r, shp)), {"reduction": data.draw(REDUCTIONS)}


def _rows(data):
    r = rng(data)
    n = data.draw(st.sampled_from([2, 3]), label="N")
    c = data.draw(st.sampled_from([2, 4]), label="C")
    return r, n, c


def _multilabel_soft(data):
    r, n, c = _rows(data)
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS)}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.1, 2.0, size=(c,))
    return (r.normal(size=(n, c)), r.integers(0, 2, size=(n, c)).astype(np.float64)), kw


def _cross_entropy(data):
    r, n, c = _rows(data)
    spatial = data.draw(st.sampled_from([(), (3,), (2, 2)]), label="spatial")
    unbatched = not spatial and data.draw(st.booleans(), label="unbatched")
    z = 2 * r.normal(size=(n, c, *spatial))
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS),
                          "label_smoothing": data.draw(st.sampled_from([0.0, 0.1, 0.35]), label="smoothing")}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.2, 2.0, size=(c,))
    if data.draw(st.booleans(), label="probability targets"):
        y = simplex(r, (n, c, *spatial), axis=1)
    else:
        y = r.integers(0, c, size=(n, *spatial))
        if n > 1 and data.draw(st.booleans(), label="ignore"):
            y[0] = -100 if data.draw(st.booleans()) else 0
            kw["ignore_index"] = int(y.flat[0])
    if unbatched:
        z, y = z[0], np.asarray(y[0])
    return (z, y), kw


def _nll(data):
    r, n, c = _rows(data)
    spatial = data.draw(st.sampled_from([(), (3,)]), label="spatial")
    z = r.normal(size=(n, c, *spatial))
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    y = r.integers(0, c, size=(n, *spatial))
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS)}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.2, 2.0, size=(c,))
    if n > 1 and data.draw(st.booleans(), label="ignore"):
        y[0] = -100
    return (logp, y), kw


def _multi_margin(data):
    r, n, c = _rows(data)
    kw: dict[str, Any] = {"reduction": data.draw(REDUCTIONS), "p": data.draw(st.sampled_from([1, 2]), label="p"),
                          "margin": data.draw(st.floats(0.2, 2.0), label="margin")}
    if data.draw(st.booleans(), label="weight"):
        kw["weight"] = r.uniform(0.2, 2.0, size=(c,))
    return (r.normal(size=(n, c)), r.integers(0, c, size=(n,))), kw


def _multilabel_margin(data):
    r, n, c = _rows(data)
    y = np.full((n, c), -1, dtype=np.int64)
    for i in range(n):
        k = r.integers(1, c + 1)
        y[i, :k] = r.permutation(c)[:k]
        if k < c and r.random() < 0.5:
            y[i, k + 1:] = r.integers(0, c, size=c - k - 1)  # after the -1: ignored by torch
    return (r.normal(size=(n, c)), y), {"reduction": data.draw(REDUCTIONS)}


def _kl_div(data):
    r, n, c = _rows(data)
    log_target = data.draw(st.booleans(), label="log_target")
    q = simplex(r, (n, c))
    p = simplex(r, (n, c))
    kw = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none", "batchmean"])), "log_target": log_target}
    return (np.log(q), np.log(p) if log_target else p), kw


def _cosine_embedding(data):
    r, n, d = _rows(data)
    return ((r.normal(size=(n, d)), r.normal(size=(n, d)), _signs(r, (n,))),
            {"margin": data.draw(st.floats(-0.5, 0.8), label="margin"), "reduction": data.draw(REDUCTIONS)})


def _hinge_embedding(data):
    r = rng(data)
    shp = shape(data)
    return ((np.abs(r.normal(size=shp)) * 2, _signs(r, shp)),
            {"margin": data.draw(st.floats(0.1, 2.0), label="margin"), "reduction": data.draw(REDUCTIONS)})


def _margin_ranking(data):
    r = rng(data)
    n = data.draw(st.sampled_from([3, 5]), label="N")
    return ((r.normal(size=(n,)), r.normal(size=(n,)), _signs(r, (n,))),
            {"margin": data.draw(st.floats(0.0, 1.0), label="margin"), "reduction": data.draw(REDUCTIONS)})


def _triplet(data):
    r, n, d = _rows(data)
    a, p, q = (r.normal(size=(n, d)) for _ in range(3))
    return (a, p, q), {"margin": data.draw(st.floats(0.1, 2.0), label="margin"),
                       "p": data.draw(st.sampled_from([1, 2, 3]), label="p"),
                       "eps": data.draw(st.sampled_from([1e-6, 1e-3]), label="eps"),
                       "swap": data.draw(st.booleans(), label="swap"), "reduction": data.draw(REDUCTIONS)}


def _triplet_distance(data):
    args, kw = _triplet(data)
    return args, {"margin": kw["margin"], "swap": kw["swap"], "reduction": kw["reduction"]}


def _ctc(data):
    r = rng(data)
    b, t, c = data.draw(st.sampled_from([1, 2]), label="B"), data.draw(st.sampled_from([5]), label="T"), 4
    blank = data.draw(st.sampled_from([0, 3]), label="blank")
    labels_pool = [k for k in range(c) if k != blank]
    input_lengths = r.integers(t - 2, t + 1, size=(b,))
    target_lengths = r.integers(0, 3, size=(b,))
    targets = r.choice(labels_pool, size=(b, 2))
    z = r.normal(size=(t, b, c))
    lp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    concatenated = data.draw(st.booleans(), label="concatenated")
    if concatenated:
        targets = np.concatenate([targets[i, :target_lengths[i]] for i in range(b)]).astype(np.int64)
    return (lp, targets, input_lengths, target_lengths), {
        "blank": blank, "reduction": data.draw(REDUCTIONS), "zero_infinity": data.draw(st.booleans())}


def _linear_ce(data):
    """A drawn cross_entropy case made linear: input ``(N, 5)`` (or ``(5,)``), ``linear_weight`` ``(C, 5)``, or
    ``(C, d_1, …, d_K, 5)`` for the K-dimensional cases (logits ``(N, C, d_1, …, d_K)``)."""
    (z, y), kw = _cross_entropy(data)
    r = np.random.default_rng(int(1e6 * abs(z.flat[0])))
    classes = z.shape[0] if z.ndim == 1 else z.shape[1]
    out_features = z.shape[2:]
    x = r.normal(size=(5,) if z.ndim == 1 else (z.shape[0], 5))
    kw.setdefault("ignore_index", None)
    if y.shape == z.shape:  # probability targets take no ignore_index (torch raises)
        kw["ignore_index"] = None
    if data.draw(st.booleans(), label="linear_bias"):
        kw["linear_bias"] = r.normal(size=(classes, *out_features))
    return (x, r.normal(size=(classes, *out_features, 5)), y), kw


TWINS = [
    Twin("mse_loss", F.mse_loss, _native("mse_loss"), _elementwise_weighted, "torch"),
    Twin("l1_loss", F.l1_loss, _native("l1_loss"), _elementwise_weighted, "torch"),
    Twin("huber_loss", F.huber_loss, _native("huber_loss"), _huber, "torch", compiled=True),
    Twin("smooth_l1_loss", F.smooth_l1_loss, _native("smooth_l1_loss"), _smooth_l1, "torch"),
    Twin("poisson_nll_loss", F.poisson_nll_loss, _native("poisson_nll_loss"), _poisson, "torch"),
    Twin("gaussian_nll_loss", F.gaussian_nll_loss, _native("gaussian_nll_loss"), _gaussian, "torch"),
    Twin("binary_cross_entropy", F.binary_cross_entropy, _native("binary_cross_entropy"), _bce, "torch"),
    Twin("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
         _native("binary_cross_entropy_with_logits"), _bce_logits, "torch", compiled=True),
    Twin("soft_margin_loss", F.soft_margin_loss, _native("soft_margin_loss"), _soft_margin, "torch"),
    Twin("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, _native("multilabel_soft_margin_loss"),
         _multilabel_soft, "torch"),
    Twin("cross_entropy", F.cross_entropy, _native("cross_entropy"), _cross_entropy, "torch", compiled=True),
    Twin("linear_cross_entropy", F.linear_cross_entropy, _native("linear_cross_entropy"), _linear_ce, "torch"),
    Twin("nll_loss", F.nll_loss, _native("nll_loss"), _nll, "torch"),
    Twin("multi_margin_loss", F.multi_margin_loss, _native("multi_margin_loss"), _multi_margin, "torch"),
    Twin("multilabel_margin_loss", F.multilabel_margin_loss, _native("multilabel_margin_loss"),
         _multilabel_margin, "torch"),
    Twin("kl_div", F.kl_div, _native("kl_div"), _kl_div, "torch", compiled=True),
    Twin("cosine_embedding_loss", F.cosine_embedding_loss, _native("cosine_embedding_loss"), _cosine_embedding,
         "torch"),
    Twin("hinge_embedding_loss", F.hinge_embedding_loss, _native("hinge_embedding_loss"), _hinge_embedding,
         "torch"),
    Twin("margin_ranking_loss", F.margin_ranking_loss, _native("margin_ranking_loss"), _margin_ranking, "torch"),
    Twin("triplet_margin_loss", F.triplet_margin_loss, _native("triplet_margin_loss"), _triplet, "torch"),
    Twin("triplet_margin_with_distance_loss", F.triplet_margin_with_distance_loss,
         _native("triplet_margin_with_distance_loss"), _triplet_distance, "torch"),
    # torch's gradient is with respect to logits (docs/conventions.md D-CTC2): values only here, the gradient
    # through a log_softmax in test_ctc_gradient_through_log_softmax.
    Twin("ctc_loss", F.ctc_loss, _native("ctc_loss"), _ctc, "torch", grad=None, compiled=True),
]


# The matrix (tests/test_compat.py::matrix_tests): values and gradients, JAX arrays, jax.jit.
test_matches_torch, test_matches_torch_on_jax, test_jit = matrix_tests(TWINS)


def test_every_function_has_a_twin():
    assert sorted(t.name for t in TWINS) == sorted(F.__all__)


def test_custom_distance_function():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(0)
    a, p, n = (torch.from_numpy(r.normal(size=(4, 3))) for _ in range(3))

    def dist(x, y):
        return torch.linalg.vector_norm(x - y, ord=1, dim=-1)

    for swap in (False, True):
        want = torch.nn.functional.triplet_margin_with_distance_loss(a, p, n, distance_function=dist, margin=0.7,
                                                                     swap=swap, reduction="none")
        got = F.triplet_margin_with_distance_loss(a, p, n, distance_function=dist, margin=0.7, swap=swap,
                                                  reduction="none")
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_ctc_gradient_through_log_softmax():
    """torch's ctc_loss backward assumes a log_softmax before it; through one, both give the logits' gradient."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1)
    z = torch.from_numpy(r.normal(size=(6, 2, 4)))
    targets, il, tl = torch.tensor([[1, 2], [3, 0]]), torch.tensor([6, 5]), torch.tensor([2, 1])
    grads = []
    for fn in (torch.nn.functional.ctc_loss, F.ctc_loss):
        x = z.clone().requires_grad_(True)
        fn(torch.log_softmax(x, -1), targets, il, tl).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-12)
