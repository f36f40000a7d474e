"""Inputs for the parity matrix: a few cases per loss, as float64 NumPy arrays, reproducible from a seed.

Every case keeps away from the loss's kinks (see the registry's ``kinks``), so that gradients are comparable across
frameworks, which legitimately pick different subgradients there. Cases marked ``extreme`` probe saturation
(logits of ±1e4, probabilities of exactly 0 and 1); they are compared by value only.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CASES", "Case", "cases_for"]


@dataclass(frozen=True)
class Case:
    """One call of a loss: ``lossport.<loss>(*args, **kwargs)`` on float64/int64 NumPy data.

    Floating arrays (in ``args``, in a list in ``args``, or in ``kwargs``) take the dtype under test; integer
    and boolean arrays keep theirs. ``grad`` is the path of the argument to differentiate: ``(0,)`` is the
    first argument, ``(0, 1)`` the second array of a list in the first argument; None means no gradient test.
    """

    loss: str
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    grad: tuple[int, ...] | None = (0,)
    extreme: bool = False

    @property
    def id(self) -> str:
        return f"{self.loss}[{self.name}]"


def _away(x: np.ndarray, points: tuple[float, ...], gap: float = 0.1) -> np.ndarray:
    """Push values that fall within ``gap`` of a kink out of its neighbourhood."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, gap, -gap) * 1.5
    return x


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


def _hinge(rng: np.random.Generator) -> list[Case]:
    y = rng.choice([-1.0, 1.0], size=(6, 3))
    margin = _away(rng.normal(1.0, 1.5, size=(6, 3)), (1.0,))
    s = margin * y
    return [
        Case("hinge", "mean", (s, y)),
        Case("hinge", "none-int-labels", (s, y.astype(np.int64)), {"reduction": "none"}),
        Case("hinge", "weighted", (s, y), {"weights": rng.uniform(0.5, 1.5, size=(6, 1))}),
    ]


def _bce(rng: np.random.Generator) -> list[Case]:
    p = rng.uniform(0.02, 0.98, size=(5, 4))
    y = (rng.uniform(size=(5, 4)) > 0.5).astype(np.float64)
    soft = rng.uniform(size=(5, 4))
    p_ext = np.array([0.0, 1.0, 0.0, 1.0, 1e-12, 1 - 1e-12])
    y_ext = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    return [
        Case("binary_cross_entropy", "mean", (p, y)),
        Case("binary_cross_entropy", "soft-none", (p, soft), {"reduction": "none"}),
        Case("binary_cross_entropy", "eps", (p, y), {"eps": 1e-7}),
        Case("binary_cross_entropy", "saturated", (p_ext, y_ext), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _bce_logits(rng: np.random.Generator) -> list[Case]:
    x = rng.normal(scale=3.0, size=(5, 4))
    y = (rng.uniform(size=(5, 4)) > 0.5).astype(np.float64)
    x_ext = np.array([1e4, -1e4, 1e4, -1e4, 30.0, -30.0, 0.0])
    y_ext = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    loss = "binary_cross_entropy_with_logits"
    return [
        Case(loss, "mean", (x, y)),
        Case(loss, "soft-none", (x, rng.uniform(size=(5, 4))), {"reduction": "none"}),
        Case(loss, "pos_weight", (x, y), {"pos_weight": 0.5, "reduction": "none"}),
        Case(loss, "pos_weight-per-class", (x, y), {"pos_weight": rng.uniform(0.5, 3.0, size=(4,))}),
        Case(loss, "label_smoothing", (x, y), {"label_smoothing": 0.2}),
        Case(loss, "extreme", (x_ext, y_ext), {"reduction": "none"}, grad=None, extreme=True),
    ]


def _logits(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.normal(scale=2.0, size=shape)


def _softmax_ce(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (6, 5))
    q = rng.dirichlet(np.ones(5), size=6)
    masked = z.copy()
    masked[:, 1] = -np.inf
    q_masked = q.copy()
    q_masked[:, 1] = 0.0
    q_masked /= q_masked.sum(-1, keepdims=True)
    z_ext = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    loss = "softmax_cross_entropy"
    return [
        Case(loss, "mean", (z, q)),
        Case(loss, "none", (z, q), {"reduction": "none"}),
        Case(loss, "label_smoothing", (z, q), {"label_smoothing": 0.1}),
        Case(loss, "axis0", (z.T.copy(), q.T.copy()), {"axis": 0}),
        Case(loss, "masked-inf", (masked, q_masked), {"reduction": "none"}, grad=None, extreme=True),
        Case(loss, "extreme", (z_ext, np.eye(3)[[0, 0]]), {"reduction": "none"}, grad=None, extreme=True),
        Case(loss, "seed", (np.array([[1.0, -3.0, 10.0]]), np.array([[0.1, 0.02, 0.88]]))),
    ]


def _sparse_ce(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (8, 5))
    y = rng.integers(0, 5, size=8)
    y_ign = y.copy()
    y_ign[[1, 4]] = -100
    z3 = _logits(rng, (3, 5, 4))  # torch layout (N, C, T), class axis 1
    y3 = rng.integers(0, 5, size=(3, 4))
    cw = rng.uniform(0.2, 2.0, size=5)
    z_ext = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [30.0, 0.0, 0.0]])
    loss = "sparse_softmax_cross_entropy"
    return [
        Case(loss, "mean", (z, y)),
        Case(loss, "none", (z, y), {"reduction": "none"}),
        Case(loss, "ignore_index", (z, y_ign), {"ignore_index": -100}),
        Case(loss, "class_weights", (z, y), {"class_weights": cw}),
        Case(loss, "label_smoothing", (z, y), {"label_smoothing": 0.2}),
        Case(loss, "weights+smoothing+ignore", (z, y_ign),
             {"class_weights": cw, "label_smoothing": 0.2, "ignore_index": -100}),
        Case(loss, "axis1", (z3, y3), {"axis": 1}),
        Case(loss, "extreme", (z_ext, np.array([1, 0, 0])), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _cce(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (6, 4))
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    y = rng.integers(0, 4, size=6)
    onehot = np.eye(4)[y]
    p_ext = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    loss = "categorical_cross_entropy"
    return [
        Case(loss, "onehot", (p, onehot)),
        Case(loss, "int-labels", (p, y)),
        Case(loss, "soft-none", (p, rng.dirichlet(np.ones(4), size=6)), {"reduction": "none"}),
        Case(loss, "eps", (p, onehot), {"eps": 1e-7}),
        Case(loss, "seed", (np.array([[0.15, 0.75, 0.1], [0.75, 0.15, 0.1]]),
                            np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]))),
        Case(loss, "saturated", (p_ext, np.eye(3)[[1, 1]]), {"reduction": "none"},
             grad=None, extreme=True),
    ]


def _nll(rng: np.random.Generator) -> list[Case]:
    z = _logits(rng, (7, 4))
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    y = rng.integers(0, 4, size=7)
    y_ign = y.copy()
    y_ign[2] = -100
    return [
        Case("nll", "mean", (logp, y)),
        Case("nll", "ignore+class_weights", (logp, y_ign),
             {"ignore_index": -100, "class_weights": rng.uniform(0.5, 2.0, size=4)}),
        Case("nll", "none", (logp, y), {"reduction": "none"}),
    ]


def _penalty(loss: str, rng: np.random.Generator) -> list[Case]:
    params = [_away(rng.normal(size=(3, 4)), (0.0,)), _away(rng.normal(size=(5,)), (0.0,))]
    return [
        Case(loss, "two-arrays", (params,), {"scale": 0.01}, grad=(0, 0)),
        Case(loss, "one-array", ([params[1]],), grad=(0, 0)),
    ]


_FACTORIES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "mean_squared_error": lambda rng: _regression("mean_squared_error", rng),
    "mean_absolute_error": lambda rng: _regression("mean_absolute_error", rng),
    "mean_squared_logarithmic_error": lambda rng: _regression("mean_squared_logarithmic_error", rng),
    "huber": lambda rng: _regression("huber", rng),
    "pseudo_huber": lambda rng: _regression("pseudo_huber", rng),
    "hinge": _hinge,
    "binary_cross_entropy": _bce,
    "binary_cross_entropy_with_logits": _bce_logits,
    "softmax_cross_entropy": _softmax_ce,
    "sparse_softmax_cross_entropy": _sparse_ce,
    "categorical_cross_entropy": _cce,
    "nll": _nll,
    "l1_penalty": lambda rng: _penalty("l1_penalty", rng),
    "l2_penalty": lambda rng: _penalty("l2_penalty", rng),
}


# Each family's cases live in backends/cases_<family>.py, as a FACTORIES mapping of the same form.
_FAMILY_MODULES = ("regression", "classification", "margin", "embedding", "divergence", "sequence")
for _family in _FAMILY_MODULES:
    _module = f"lossport.backends.cases_{_family}"
    if importlib.util.find_spec(_module) is not None:
        _FACTORIES.update(importlib.import_module(_module).FACTORIES)


def cases_for(loss: str, seed: int = 0) -> list[Case]:
    """The cases of one loss, the same for every call with the same seed."""
    return _FACTORIES[loss](np.random.default_rng([seed, sum(map(ord, loss))]))


CASES: tuple[str, ...] = tuple(_FACTORIES)
"""The losses that have cases (tests/test_api.py checks that they are exactly the registry's LOSSES)."""
