"""Parity cases for the regression losses (lossport/regression.py).

The first five losses share ``_regression`` (five cases each: mean, none, weighted, masked sum, rank 1). The others
have at most three cases per loss, small data (at most 6 × 5); the first is a plain call (torch.compile runs it). Every
case keeps off its loss's kinks: ``|p − t|`` away from ``beta`` (smooth L1) and from 0 (the L1-like losses),
variances away from their floor ``eps``, wing's errors away from 0 and ``width``. Extreme cases (zero vectors, errors
of 1e4) are compared by value only. chamfer_distance takes point sets of different sizes (``P ≠ Q``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from lossport.backends.parity.cases._base import Case, _away

__all__ = ["FACTORIES"]


def _pair(rng: np.random.Generator, shape: tuple[int, ...] = (4, 5)) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=shape), rng.normal(size=shape)


def _weights_and_mask(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    w = rng.uniform(0.1, 2.0, size=shape)
    mask = rng.uniform(size=(shape[0], 1)) > 0.3
    mask[0] = True
    return w, mask


def _rmse(rng: np.random.Generator) -> list[Case]:
    p, t = _pair(rng)
    w, mask = _weights_and_mask(rng, p.shape)
    loss = "root_mean_squared_error"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "weighted-masked", (p, t), {"weights": w, "where": mask}),
        Case(loss, "masked-sum", (p, t), {"where": mask, "reduction": "sum"}),
    ]


def _mape(rng: np.random.Generator) -> list[Case]:
    t = rng.uniform(0.5, 3.0, size=(4, 5)) * rng.choice([-1.0, 1.0], size=(4, 5))
    p = t + _away(rng.normal(size=(4, 5)), (0.0,))
    p0, t0 = p.copy(), t.copy()
    p0[0, :2], t0[0, :2] = [0.7, -1.3], 0.0  # zero targets: |p| / eps (eps=0.01 keeps float16 finite)
    w, _ = _weights_and_mask(rng, p.shape)
    loss = "mean_absolute_percentage_error"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "weighted-none", (p, t), {"weights": w, "reduction": "none"}),
        Case(loss, "zero-targets", (p0, t0), {"eps": 0.01}),
    ]


def _smooth_l1(rng: np.random.Generator) -> list[Case]:
    t = rng.normal(size=(4, 5))
    p1 = t + _away(rng.normal(scale=1.5, size=(4, 5)), (-1.0, 1.0))
    p05 = t + _away(rng.normal(size=(4, 5)), (-0.5, 0.5))
    p0 = t + _away(rng.normal(size=(4, 5)), (0.0,))
    w, _ = _weights_and_mask(rng, t.shape)
    loss = "smooth_l1"
    return [
        Case(loss, "mean", (p1, t)),
        Case(loss, "beta0.5-none", (p05, t), {"beta": 0.5, "reduction": "none"}),
        Case(loss, "beta0-weighted", (p0, t), {"beta": 0.0, "weights": w}),
    ]


def _log_cosh(rng: np.random.Generator) -> list[Case]:
    p, t = _pair(rng)
    # residuals over a wide range: tiny, around the switch at 2, large (kept below ~12: the finite-difference
    # check of the reference gradient sums the whole loss, whose rounding grows with it)
    e = np.array([1e-4, -3e-3, 0.05, -0.4, 1.9, -2.1, 3.5, -6.0, 12.0, 1e-2])
    t_wide = np.linspace(-1.0, 1.0, e.size)
    w, mask = _weights_and_mask(rng, p.shape)
    loss = "log_cosh"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "wide-none", (t_wide + e, t_wide), {"reduction": "none"}),
        Case(loss, "weighted-masked", (p, t), {"weights": w, "where": mask}),
    ]


def _quantile(rng: np.random.Generator) -> list[Case]:
    t = rng.normal(size=(4, 5))
    p = t + _away(rng.normal(size=(4, 5)), (0.0,))
    w, mask = _weights_and_mask(rng, t.shape)
    loss = "quantile"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "q0.9-none", (p, t), {"quantile": 0.9, "reduction": "none"}),
        Case(loss, "q0.1-weighted", (p, t), {"quantile": 0.1, "weights": w, "where": mask}),
    ]


def _poisson_nll(rng: np.random.Generator) -> list[Case]:
    counts = rng.poisson(1.5, size=(4, 5)).astype(np.float64)
    counts[0, :3] = [0.0, 1.0, 2.0]
    log_rates = rng.uniform(0.2, 2.0, size=(4, 5))  # positive: also valid rates (Keras's convention)
    rates = rng.uniform(0.05, 3.0, size=(4, 5))
    x = rng.normal(size=(4, 5))
    loss = "poisson_nll"
    return [
        Case(loss, "mean", (log_rates, counts)),
        Case(loss, "rates-none", (rates, counts), {"log_input": False, "reduction": "none"}),
        Case(loss, "full-sum", (x, counts), {"full": True, "reduction": "sum"}),
    ]


def _gaussian_nll(rng: np.random.Generator) -> list[Case]:
    p, t = _pair(rng)
    v = rng.uniform(0.2, 2.0, size=(4, 5))
    v_shared = rng.uniform(0.2, 2.0, size=(4, 1))
    v_sample = rng.uniform(0.5, 2.0, size=(4,))
    v_sample[1] = 0.0  # clamped at eps
    loss = "gaussian_nll"
    return [
        Case(loss, "mean", (p, t, v)),
        Case(loss, "shared-var-full-none", (p, t, v_shared), {"full": True, "reduction": "none"}, grad=(2,)),
        Case(loss, "per-sample-var-eps", (p, t, v_sample), {"eps": 0.1}),
    ]


def _tweedie(rng: np.random.Generator) -> list[Case]:
    mu = rng.uniform(0.3, 3.0, size=(4, 5))
    y = mu * np.exp(rng.normal(scale=0.8, size=(4, 5)))  # |log(y/μ)| mostly < 1 (the series), some beyond
    y[0, 0] = mu[0, 0] * (1 + 1e-3)  # a near-perfect prediction: a deviance of ~1e-6·μ
    counts = rng.poisson(1.2, size=(4, 5)).astype(np.float64)  # zeros included
    w, _ = _weights_and_mask(rng, mu.shape)
    y3 = mu * np.exp(rng.normal(scale=1.5, size=(4, 5)))
    loss = "tweedie_deviance"
    return [
        Case(loss, "mean", (mu, y), {"power": 1.5}),
        Case(loss, "poisson-zeros-weighted", (mu, counts), {"power": 1, "weights": w}),
        Case(loss, "power3", (mu, y3), {"power": 3}),
    ]


def _cosine(rng: np.random.Generator) -> list[Case]:
    p, t = _pair(rng, (6, 4))
    p_zero, t_zero = p.copy(), t.copy()
    p_zero[0] = 0.0  # a zero prediction: cos = 0, distance 1
    t_zero[1] = 0.0
    p_zero[2] = 1e-9 * p[2]  # shorter than eps = 1e-8: counted as that short
    p_zero[3] = 1e3 * p[3]
    w, _ = _weights_and_mask(rng, (6,))
    loss = "cosine_distance"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "axis0-weighted-none", (p.T.copy(), t.T.copy()),
             {"axis": 0, "weights": w, "reduction": "none"}),
        Case(loss, "zero-vectors", (p_zero, t_zero), {"reduction": "none"}, grad=None, extreme=True),
        # 1 − p·t as given (tf.compat.v1.losses.cosine_distance; the anchors, which all normalise, decline it)
        Case(loss, "unnormalized-sum", (p, t), {"normalize": False, "weights": w, "reduction": "sum"}),
    ]


def _regression(loss: str, rng: np.random.Generator) -> list[Case]:
    p = rng.normal(size=(4, 5))
    t = rng.normal(size=(4, 5))
    kinks: tuple[float, ...] = ()
    kwargs: dict[str, Any] = {}
    if loss == "mean_absolute_error":
        kinks = (0.0,)
    if loss == "huber":
        kinks, kwargs = (-1.5, 1.5), {"delta": 1.5}
    if loss == "pseudo_huber":
        kwargs = {"delta": 0.5}
    if loss == "mean_squared_logarithmic_error":
        p, t = rng.uniform(-0.5, 3.0, size=(4, 5)), rng.uniform(0.0, 3.0, size=(4, 5))
    else:
        p = t + _away(p - t, kinks) if kinks else p
    w = rng.uniform(0.1, 2.0, size=(4, 5))
    mask = rng.uniform(size=(4, 1)) > 0.3
    mask[0] = True
    out = [
        Case(loss, "mean", (p, t), dict(kwargs)),
        Case(loss, "none", (p, t), {**kwargs, "reduction": "none"}),
        Case(loss, "weighted", (p, t), {**kwargs, "weights": w}),
        Case(loss, "masked-sum", (p, t), {**kwargs, "where": mask, "reduction": "sum"}),
        Case(loss, "rank1", (p[0], t[0]), dict(kwargs)),
    ]
    if loss == "huber":
        out.append(Case(loss, "delta-default", (p, t), {}, grad=None))
    if loss == "mean_squared_logarithmic_error":
        out.append(Case(loss, "clip_min", (p - 0.8, t), {"clip_min": 1e-7}, grad=None))
    return out


def _wing(rng: np.random.Generator) -> list[Case]:
    t = rng.normal(size=(4, 5))
    # Errors on both sides of the switch |e| = width (10, and 1 below), kept off it and off e = 0 (the kinks).
    p = t + _away(rng.normal(scale=8.0, size=(4, 5)), (-10.0, 0.0, 10.0), gap=0.5)
    p1 = t + _away(rng.normal(scale=1.5, size=(4, 5)), (-1.0, 0.0, 1.0))
    w, mask = _weights_and_mask(rng, p.shape)
    t_ext = np.zeros(4)
    p_ext = np.array([1e4, -1e4, 0.0, 10.0])  # far in the linear piece; 0; exactly at the switch
    loss = "wing"
    return [
        Case(loss, "mean", (p, t)),
        Case(loss, "width1-weighted-masked", (p1, t), {"width": 1.0, "curvature": 0.5, "weights": w, "where": mask}),
        Case(loss, "none", (p, t), {"curvature": 5.0, "reduction": "none"}, grad=(1,)),
        Case(loss, "extreme", (p_ext, t_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _chamfer(rng: np.random.Generator) -> list[Case]:
    x, y = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 7, 3))  # P != Q
    x1, y1 = rng.normal(size=(6, 2)), rng.normal(scale=2.0, size=(4, 2))
    loss = "chamfer_distance"
    return [
        Case(loss, "mean", (x, y)),
        Case(loss, "targets-grad-weights-sum", (x, y), {"weights": rng.uniform(0.5, 2.0, size=2), "reduction": "sum"},
             grad=(1,)),
        Case(loss, "euclidean-one-way-none", (x, y), {"squared": False, "bidirectional": False, "reduction": "none"}),
        Case(loss, "unbatched-euclidean", (x1, y1), {"squared": False}),
    ]


FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "mean_squared_error": lambda rng: _regression("mean_squared_error", rng),
    "mean_absolute_error": lambda rng: _regression("mean_absolute_error", rng),
    "mean_squared_logarithmic_error": lambda rng: _regression("mean_squared_logarithmic_error", rng),
    "huber": lambda rng: _regression("huber", rng),
    "pseudo_huber": lambda rng: _regression("pseudo_huber", rng),
    "root_mean_squared_error": _rmse,
    "mean_absolute_percentage_error": _mape,
    "smooth_l1": _smooth_l1,
    "log_cosh": _log_cosh,
    "quantile": _quantile,
    "poisson_nll": _poisson_nll,
    "gaussian_nll": _gaussian_nll,
    "tweedie_deviance": _tweedie,
    "cosine_distance": _cosine,
    "wing": _wing,
    "chamfer_distance": _chamfer,
}
