"""lossport.compat.optax against ``optax.losses``: every function, optax's knobs drawn at random (hypothesis), on
every backend (values), on JAX arrays (values and gradients), and a sample under ``jax.jit``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from test_compat import (
    Twin,
    matrix_tests,
    one_hot,
    rng,
    shape,
    simplex,
)

import lossport.compat.optax as O


def _native(name: str):
    def get():
        import optax

        return getattr(optax.losses, name)

    return get


N, C = st.sampled_from([2, 3]), st.sampled_from([2, 4])


def _pair(data):
    r = rng(data)
    shp = shape(data)
    with_targets = data.draw(st.booleans(), label="targets")
    return r, shp, (r.normal(size=shp), r.normal(size=shp) if with_targets else None)


def _regression(data):
    _, _, args = _pair(data)
    return (args if args[1] is not None else args[:1]), {}


def _huber(data):
    args, _ = _regression(data)
    return args, {"delta": data.draw(st.floats(0.1, 3.0), label="delta")}


def _where_rows(r, shp):
    w = r.random(size=shp) < 0.7
    w.flat[0] = True
    return w


def _cosine(data):
    r = rng(data)
    shp = shape(data, min_dims=2)
    kw: dict[str, Any] = {"epsilon": data.draw(st.sampled_from([0.0, 1e-12, 0.5]), label="epsilon"),
                          "axis": data.draw(st.sampled_from([-1, 0, (0, 1)]), label="axis")}
    if data.draw(st.booleans(), label="where"):
        kw["where"] = _where_rows(r, shp)
    return (r.normal(size=shp), r.normal(size=shp)), kw


def _sigmoid(data):
    r = rng(data)
    shp = shape(data)
    return (3 * r.normal(size=shp), r.uniform(0, 1, size=shp)), {}


def _focal(data):
    args, _ = _sigmoid(data)
    alpha = data.draw(st.one_of(st.none(), st.floats(0.1, 0.9)), label="alpha")
    return args, {"alpha": alpha, "gamma": data.draw(st.floats(0.0, 3.0), label="gamma")}


def _margin_labels(data):
    r = rng(data)
    shp = shape(data)
    coding = data.draw(st.sampled_from(["pm1", "01"]), label="labels")
    y = r.choice([-1.0, 1.0], size=shp) if coding == "pm1" else r.integers(0, 2, size=shp).astype(np.float64)
    return (2 * r.normal(size=shp), y), {}


def _sparsemax_binary(data):
    r = rng(data)
    shp = shape(data)
    return (2 * r.normal(size=shp), r.integers(0, 2, size=shp)), {}


def _soft_ce(data, *, where: bool = True, axis: bool = True):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    z, q = 2 * r.normal(size=(n, c)), simplex(r, (n, c))
    kw: dict[str, Any] = {}
    if axis and data.draw(st.booleans(), label="axis 0"):
        z, q, kw["axis"] = z.T.copy(), q.T.copy(), 0
    if where and data.draw(st.booleans(), label="where"):
        kw["where"] = r.random(size=(n,)) < 0.7  # per example (expanded over the class axis)
    return (z, q), kw


def _integer_ce(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    z, y = 2 * r.normal(size=(n, c)), r.integers(0, c, size=(n,))
    kw: dict[str, Any] = {}
    mask = data.draw(st.sampled_from(["none", "examples", "classes"]), label="where")
    if mask == "examples":
        kw["where"] = r.random(size=(n,)) < 0.7
    elif mask == "classes":  # vocabulary masking; the label's class stays in
        w = r.random(size=(n, c)) < 0.6
        w[np.arange(n), y] = True
        kw["where"] = w
    return (z, y), kw


def _poly(data):
    """optax's poly-1 does not expand a per-example ``where``: a logits-shaped one (class masking) here."""
    (z, q), kw = _soft_ce(data, where=False)
    if data.draw(st.booleans(), label="where"):
        w = np.random.default_rng(int(1e6 * abs(z.flat[0]))).random(size=z.shape) < 0.7
        w[(0,) * z.ndim] = True
        kw["where"] = w
    return (z, q), {**kw, "epsilon": data.draw(st.floats(-1.0, 3.0), label="epsilon")}


def _multiclass(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    return (2 * r.normal(size=(n, c)), r.integers(0, c, size=(n,))), {}


def _smooth(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    kw: dict[str, Any] = {}
    if data.draw(st.booleans(), label="where"):
        w = r.random(size=(n, c)) < 0.7
        w[:, 0] = True
        kw["where"] = w
    return (one_hot(r.integers(0, c, size=(n,)), c), data.draw(st.floats(0.0, 0.5), label="alpha")), kw


def _kl(data, *, log_targets: bool = False):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(C, label="C")
    q, p = simplex(r, (n, c)), simplex(r, (n, c))
    if data.draw(st.booleans(), label="zero target") and not log_targets:
        p[0, 0] = 0.0
    kw: dict[str, Any] = {"axis": data.draw(st.sampled_from([-1, (0, 1)]), label="axis")}
    if data.draw(st.booleans(), label="where"):
        kw["where"] = _where_rows(r, (n, c))
    return (np.log(q), np.log(p) if log_targets else p), kw


def _kl_log(data):
    return _kl(data, log_targets=True)


def _generalized_kl(data):
    (log_q, p), kw = _kl(data)
    return (log_q + 0.3, 2 * p), kw  # unnormalised measures


def _triplet(data):
    r = rng(data)
    n, d = data.draw(N, label="N"), data.draw(C, label="D")
    return tuple(r.normal(size=(n, d)) for _ in range(3)), {
        "norm_degree": data.draw(st.sampled_from([2, 4]), label="norm_degree"),
        "margin": data.draw(st.floats(0.1, 2.0), label="margin"),
        "eps": data.draw(st.sampled_from([1e-6, 1e-3]), label="eps")}


def _ntxent(data):
    r = rng(data)
    n = 4
    labels = np.array([0, 0, 1, 1]) if data.draw(st.booleans(), label="pairs") else np.array([0, 0, 0, 1])
    return (r.normal(size=(n, 3)), labels), {"temperature": data.draw(st.sampled_from([0.07, 0.5, 1.0]))}


def _ranking(data):
    r = rng(data)
    n, k = data.draw(N, label="lists"), 4
    kw: dict[str, Any] = {"reduce_fn": data.draw(st.sampled_from(["mean", "sum", None]), label="reduce_fn")}
    if data.draw(st.booleans(), label="where"):
        w = r.random(size=(n, k)) < 0.7
        w[0, 0] = True
        kw["where"] = w
    if data.draw(st.booleans(), label="weights"):
        kw["weights"] = r.uniform(0.2, 2.0, size=(n, k))
    return (r.normal(size=(n, k)), r.integers(0, 3, size=(n, k)).astype(np.float64)), kw


def _optax_reduce(kw: dict[str, Any]) -> dict[str, Any]:
    import jax.numpy as jnp

    fn = kw.get("reduce_fn", "mean")
    return {"reduce_fn": None if fn is None else getattr(jnp, fn)}


def _dice(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(st.sampled_from([1, 3]), label="C")
    shp = (n, 3, 3, c)
    kw: dict[str, Any] = {"smooth": data.draw(st.sampled_from([0.5, 1.0]), label="smooth"),
                          "alpha": data.draw(st.floats(0.1, 0.9), label="alpha"),
                          "beta": data.draw(st.floats(0.1, 0.9), label="beta"),
                          "reduction": data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction"),
                          "ignore_background": data.draw(st.booleans(), label="ignore_background")}
    if data.draw(st.booleans(), label="class_weights"):
        kw["class_weights"] = r.uniform(0.2, 2.0, size=(c,))
    targets = one_hot(r.integers(0, c, size=shp[:-1]), c) if c > 1 else r.integers(0, 2, size=shp) * 1.0
    return (r.normal(size=shp), targets), kw


def _binary_dice(data):
    r = rng(data)
    shp = (data.draw(N, label="N"), 3, 3)
    return (r.normal(size=shp), r.integers(0, 2, size=shp).astype(np.float64)), {
        "smooth": data.draw(st.sampled_from([0.5, 1.0]), label="smooth")}


def _generalized_dice(data):
    r = rng(data)
    n, c = data.draw(N, label="N"), data.draw(st.sampled_from([2, 3]), label="C")
    shp = (n, 3, 3)
    return (r.normal(size=(*shp, c)), one_hot(r.integers(0, c, size=shp), c)), {
        "smooth": data.draw(st.sampled_from([0.5, 1.0]), label="smooth"),
        "ignore_background": data.draw(st.booleans(), label="ignore_background")}


def _ctc(data):
    r = rng(data)
    b, t, k = data.draw(st.sampled_from([1, 2]), label="B"), 5, 4
    blank = data.draw(st.sampled_from([0, 3]), label="blank_id")
    pool = [c for c in range(k) if c != blank]
    logit_len = r.integers(t - 2, t + 1, size=(b,))
    label_len = r.integers(0, 3, size=(b,))
    labels = r.choice(pool, size=(b, 2))
    return (r.normal(size=(b, t, k)), (np.arange(t)[None] >= logit_len[:, None]).astype(np.float64), labels,
            (np.arange(2)[None] >= label_len[:, None]).astype(np.float64)), {"blank_id": blank}


def _forward_view(fn):
    """``fn``'s ``(loss, logalpha_blank, logalpha_emit)`` as one array to compare: the losses, then each state
    within the sequence's labels (blank ``n ≤ S_b``, emit ``n < S_b``) that a path reaches, others 0. optax gives
    an unreachable state ``log_epsilon``-scaled stand-ins (≤ −1e5 + …, so below −1e4), lossport ``-inf``, and
    past the labels optax's values follow its padding (docs/compat.md)."""

    def call(logits, logit_paddings, labels, label_paddings, **kw):
        import lossport

        loss, blank, emit = fn(logits, logit_paddings, labels, label_paddings, **kw)
        xp = lossport.array_namespace(loss)
        lengths = xp.sum(xp.astype(label_paddings, loss.dtype) * -1.0 + 1.0, axis=-1)  # (B,)
        views = [loss]
        for states, size, within in ((blank, blank.shape[-1], 0.0), (emit, emit.shape[-1], 1.0)):
            n = xp.astype(xp.arange(size), loss.dtype)
            region = xp.expand_dims(n + within, axis=0) <= xp.expand_dims(lengths, axis=-1)  # (B, size)
            keep = xp.expand_dims(region, axis=0) & (states > -1e4)
            views.append(xp.reshape(xp.where(keep, states, xp.zeros_like(states)), (-1,)))
        return xp.concat(views)

    return call


def _native_forward():
    import optax

    return _forward_view(optax.losses.ctc_loss_with_forward_probs)


TWINS = [
    Twin("squared_error", O.squared_error, _native("squared_error"), _regression, "optax"),
    Twin("l2_loss", O.l2_loss, _native("l2_loss"), _regression, "optax"),
    Twin("huber_loss", O.huber_loss, _native("huber_loss"), _huber, "optax", compiled=True),
    Twin("log_cosh", O.log_cosh, _native("log_cosh"), _regression, "optax", atol=1e-9),
    Twin("cosine_similarity", O.cosine_similarity, _native("cosine_similarity"), _cosine, "optax", atol=1e-9),
    Twin("cosine_distance", O.cosine_distance, _native("cosine_distance"), _cosine, "optax", atol=1e-9),
    Twin("sigmoid_binary_cross_entropy", O.sigmoid_binary_cross_entropy, _native("sigmoid_binary_cross_entropy"),
         _sigmoid, "optax"),
    Twin("sigmoid_focal_loss", O.sigmoid_focal_loss, _native("sigmoid_focal_loss"), _focal, "optax",
         compiled=True),
    Twin("hinge_loss", O.hinge_loss, _native("hinge_loss"), _margin_labels, "optax"),
    Twin("perceptron_loss", O.perceptron_loss, _native("perceptron_loss"), _margin_labels, "optax"),
    Twin("sparsemax_loss", O.sparsemax_loss, _native("sparsemax_loss"), _sparsemax_binary, "optax"),
    Twin("softmax_cross_entropy", O.softmax_cross_entropy, _native("softmax_cross_entropy"), _soft_ce, "optax",
         compiled=True),
    Twin("safe_softmax_cross_entropy", O.safe_softmax_cross_entropy, _native("safe_softmax_cross_entropy"),
         lambda d: (_soft_ce(d, where=False, axis=False)[0], {}), "optax"),
    Twin("softmax_cross_entropy_with_integer_labels", O.softmax_cross_entropy_with_integer_labels,
         _native("softmax_cross_entropy_with_integer_labels"), _integer_ce, "optax", compiled=True),
    Twin("poly_loss_cross_entropy", O.poly_loss_cross_entropy, _native("poly_loss_cross_entropy"), _poly, "optax",
         atol=1e-9),
    Twin("multiclass_hinge_loss", O.multiclass_hinge_loss, _native("multiclass_hinge_loss"), _multiclass,
         "optax"),
    Twin("multiclass_perceptron_loss", O.multiclass_perceptron_loss, _native("multiclass_perceptron_loss"),
         _multiclass, "optax"),
    Twin("multiclass_sparsemax_loss", O.multiclass_sparsemax_loss, _native("multiclass_sparsemax_loss"),
         _multiclass, "optax", atol=1e-9),
    Twin("smooth_labels", O.smooth_labels, _native("smooth_labels"), _smooth, "optax"),
    Twin("kl_divergence", O.kl_divergence, _native("kl_divergence"), _kl, "optax", compiled=True),
    Twin("kl_divergence_with_log_targets", O.kl_divergence_with_log_targets,
         _native("kl_divergence_with_log_targets"), _kl_log, "optax"),
    Twin("generalized_kl_divergence", O.generalized_kl_divergence, _native("generalized_kl_divergence"),
         _generalized_kl, "optax", atol=1e-9),
    Twin("convex_kl_divergence", O.convex_kl_divergence, _native("convex_kl_divergence"), _generalized_kl,
         "optax", atol=1e-9),
    Twin("triplet_margin_loss", O.triplet_margin_loss, _native("triplet_margin_loss"), _triplet, "optax"),
    Twin("ntxent", O.ntxent, _native("ntxent"), _ntxent, "optax", rtol=1e-6),
    Twin("ranking_softmax_loss", O.ranking_softmax_loss, _native("ranking_softmax_loss"), _ranking, "optax",
         native_kwargs=_optax_reduce),
    Twin("dice_loss", O.dice_loss, _native("dice_loss"), _dice, "optax", atol=1e-9),
    Twin("binary_dice_loss", O.binary_dice_loss, _native("binary_dice_loss"), _binary_dice, "optax", atol=1e-9),
    Twin("multiclass_generalized_dice_loss", O.multiclass_generalized_dice_loss,
         _native("multiclass_generalized_dice_loss"), _generalized_dice, "optax", atol=1e-9),
    Twin("ctc_loss", O.ctc_loss, _native("ctc_loss"), _ctc, "optax", rtol=1e-6, compiled=True),
    # values only: the forward variables are compared state by state where both are finite (_forward_view)
    Twin("ctc_loss_with_forward_probs", _forward_view(O.ctc_loss_with_forward_probs), _native_forward, _ctc,
         "optax", grad=None, rtol=1e-6, atol=1e-9),
]


# The matrix (tests/test_compat.py::matrix_tests): values and gradients, JAX arrays, jax.jit.
test_matches_optax, test_matches_optax_on_jax, test_jit = matrix_tests(TWINS)


def test_every_function_has_a_twin():
    assert sorted(t.name for t in TWINS) == sorted(O.__all__)


def test_ctc_forward_probs_against_optax_by_state():
    """The states _forward_view leaves out: unreachable ones are -inf here and below -1e4 in optax (within the
    labels); the loss is optax's."""
    jnp = pytest.importorskip("jax.numpy")
    import optax

    r = np.random.default_rng(5)
    logits = r.normal(size=(2, 5, 4))
    logit_paddings = (np.arange(5)[None] >= np.array([5, 3])[:, None]).astype(np.float64)
    labels, label_paddings = np.array([[1, 2], [3, 3]]), np.array([[0.0, 0.0], [0.0, 1.0]])
    ours = O.ctc_loss_with_forward_probs(logits, logit_paddings, labels, label_paddings)
    theirs = optax.losses.ctc_loss_with_forward_probs(jnp.asarray(logits), logit_paddings, labels, label_paddings)
    assert [np.shape(a) for a in ours] == [np.shape(b) for b in theirs] == [(2,), (5, 2, 3), (5, 2, 2)]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    blank, optax_blank = np.asarray(ours[1]), np.asarray(theirs[1])
    assert np.isneginf(blank[0, 0, 1]) and optax_blank[0, 0, 1] < -1e4  # one frame cannot pass a label
    assert np.isneginf(blank[:, 1, 2]).all()  # sequence 1 has one label: no state n = 2
