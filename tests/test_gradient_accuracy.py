"""Gradients of the smooth losses against an mpmath oracle of their hand-derived derivatives, on every autodiff backend.

DESIGN.md's accuracy rule, for gradients: each element of a loss's gradient, with respect to its predictions and
(where the loss is differentiable in them: soft labels, counts, variances, ``pos_weight``) its other floating
inputs, lies within 4 ulps of the exact derivative, on JAX (under ``jax.jit``, as JAX users train), torch and
TensorFlow (eager), in float32 and float64, on inputs that include the extremes (logits of ±1e4, ±88, ±30,
confident and confidently wrong predictions, tiny and huge errors, errors at Huber's switch). NumPy and
array-api-strict have no autodiff and are not tested.

Every expected value is an mpmath oracle (60 digits) of the derivative written by hand below from the mathematics
of the loss (``d/dx [w·y·softplus(−x) + (1 − y)·softplus(x)] = (1 − y)·σ(x) − w·y·σ(−x)``, ``d/dz_c [−Σ y log
softmax(z)] = S·p_c − y_c`` …), evaluated at the inputs as rounded to the dtype under test; nothing is computed
with lossport's code. Every loss is called with ``reduction="sum"``: the gradient of each element is then its
derivative itself, with no division to hide an error in.

Errors are counted as in tests/test_numerics.py: in ulps of the exact result in the dtype under test, a result
below the normal range in units of the smallest normal number (XLA and TensorFlow flush subnormals to zero on the
CPU: an exact gradient of 0 must be 0 to within that), and non-finite results must match exactly. One floor
more: where the derivative is a difference of two terms that no rearrangement keeps apart (a soft label against
the predicted probability, ``σ(x) − y`` at ``σ(x) ≈ y``; ``eˣ − t`` at ``eˣ ≈ t``; ``½(1/v − e²/v²)`` at
``e² ≈ v``), each term computed to an ulp leaves an error of an ulp of the terms, not of their difference: such
an element counts in ulps of the larger term (``terms`` below), and only there. Where a second form of the same
derivative has smaller terms (``σ(x) − y = (1 − y)·σ(x) − y·σ(−x)``; ``p − y = (1 − y) − (1 − p)``, with
``1 − p`` the sum of the other classes' probabilities), the smaller terms are used: a hard label against a
confident prediction keeps its full relative accuracy.

Inputs that are not floats of the dtype (Huber's δ = 0.7, label smoothing 0.1, ``eps``) are the Python floats
the caller passes; the oracle takes them at their float64 values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import mpmath
import numpy as np
import pytest
from support import BACKENDS

import lossport
from lossport import _numerics as N

DPS = 60
TOLERANCE = 4.0  # ulps
AUTODIFF = [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS]
DTYPES = ("float32", "float64")

Mp = Any  # an mpmath number
Oracle = Callable[..., list[tuple[list[Mp], list[Mp] | None]]]


# ---------------------------------------------------------------------------------------------------------------
# Gradients of Σ f(arrays) by each framework's autodiff.


def gradients(backend: str, f: Callable[[list[Any]], Any], arrays: Sequence[np.ndarray],
              wrt: tuple[int, ...]) -> list[np.ndarray]:
    """``∂ Σ f(arrays) / ∂ arrays[i]`` for ``i`` in ``wrt``, as NumPy arrays (zeros where the framework says the
    output does not depend on the input)."""
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def scalar(*a: Any) -> Any:
            return jnp.sum(f(list(a)))

        grads = jax.jit(jax.grad(scalar, argnums=wrt))(*(jnp.asarray(a) for a in arrays))
        return [np.asarray(g) for g in grads]
    if backend == "torch":
        import torch

        ts = [torch.from_numpy(a.copy()).requires_grad_(i in wrt) for i, a in enumerate(arrays)]
        grads = torch.autograd.grad(f(ts).sum(), [ts[i] for i in wrt], allow_unused=True)
        return [np.zeros(arrays[i].shape) if g is None else g.detach().numpy() for i, g in zip(wrt, grads)]
    import tensorflow as tf

    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for i in wrt:
            tape.watch(ts[i])
        out = tf.reduce_sum(f(ts))
    grads = tape.gradient(out, [ts[i] for i in wrt])
    return [np.zeros(arrays[i].shape) if g is None else np.asarray(g) for i, g in zip(wrt, grads)]


# ---------------------------------------------------------------------------------------------------------------
# Error measure.


def _rounded_spacing(value: Mp, dtype: np.dtype) -> float:
    """The spacing of ``dtype``'s numbers at ``|value|`` rounded to ``dtype``, at least the smallest normal."""
    info = np.finfo(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow to inf
        rounded = abs(np.asarray(float(value), dtype=dtype))
    if not np.isfinite(rounded):
        return math.inf
    return max(float(np.spacing(rounded)), float(info.tiny))


def ulp_errors(actual: np.ndarray, exact: list[Mp], terms: list[Mp] | None, dtype: np.dtype) -> np.ndarray:
    """``|actual − exact|`` in ulps of the exact value in ``dtype`` (of the larger cancelling term where ``terms``
    gives one; in units of the smallest normal below the normal range); 0 or inf where either is not finite."""
    actual = np.asarray(actual, dtype=np.float64).reshape(-1)
    assert actual.size == len(exact), (actual.shape, len(exact))
    out = np.zeros(actual.shape)
    for i, (a, e) in enumerate(zip(actual, exact)):
        ef = float(e)  # NaN, ±inf, or the nearest float64
        unit = _rounded_spacing(e, dtype) if math.isfinite(ef) else math.inf
        if math.isinf(unit) or not math.isfinite(a):
            # The exact value is not finite or overflows the dtype: only NaN for NaN, or the infinity of its sign,
            # matches; a non-finite result where the exact value is a finite number of the dtype is inf ulps off.
            overflow = math.isinf(unit) and not math.isnan(ef) and a == math.copysign(math.inf, ef)
            out[i] = 0.0 if (math.isnan(a) and math.isnan(ef)) or overflow else math.inf
            continue
        if terms is not None and terms[i] is not None:
            unit = max(unit, _rounded_spacing(terms[i], dtype))
        with mpmath.workdps(DPS):
            out[i] = float(abs(mpmath.mpf(float(a)) - e)) / unit
    return out


# ---------------------------------------------------------------------------------------------------------------
# Cases: a loss (or primitive) as a function of a list of arrays, the arrays (as float64 or int64 NumPy arrays,
# cast to the dtype under test), which of them to differentiate, and the oracle of each of those derivatives.


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[list[Any]], Any]
    arrays: tuple[np.ndarray, ...]
    wrt: tuple[int, ...]
    oracle: Oracle  # oracle(*arrays in the dtype) -> [(exact, terms or None)] per index in wrt, flattened
    rows: bool = False  # the last axis is a class axis (for the failure report)

    def inputs(self, dtype: str) -> list[np.ndarray]:
        return [a.astype(dtype) if a.dtype.kind == "f" else a for a in self.arrays]


CASES: list[Case] = []


def case(id: str, call: Callable[[list[Any]], Any], arrays: Sequence[Any], wrt: tuple[int, ...], oracle: Oracle, *,
         rows: bool = False) -> None:
    arrays = tuple(np.asarray(a, dtype=np.int64 if np.asarray(a).dtype.kind in "iu" else np.float64) for a in arrays)
    CASES.append(Case(id, call, arrays, wrt, oracle, rows))


def elementwise(derivative: Callable[..., tuple[tuple[Mp, Mp | None], ...]]) -> Oracle:
    """An oracle from the derivative of one element: ``derivative(*mp values) -> ((exact, terms), ...)``."""

    def oracle(*arrays: np.ndarray) -> list[tuple[list[Mp], list[Mp] | None]]:
        flat = np.broadcast_arrays(*arrays)
        with mpmath.workdps(DPS):
            per = [derivative(*(mpmath.mpf(float(a.reshape(-1)[i])) for a in flat)) for i in range(flat[0].size)]
        out = []
        for k in range(len(per[0])):
            exact = [p[k][0] for p in per]
            terms = [p[k][1] for p in per]
            out.append((exact, None if all(t is None for t in terms) else terms))
        return out

    return oracle


def mp(v: float) -> Mp:
    return mpmath.mpf(float(v))  # exact: every float32 or float64 value is a float64


def sigma(x: Mp) -> Mp:
    return 1 / (1 + mpmath.exp(-x))


def softplus(x: Mp) -> Mp:
    return mpmath.log1p(mpmath.exp(x)) if x < 0 else x + mpmath.log1p(mpmath.exp(-x))


def clip(x: Mp, lo: Mp, hi: Mp) -> Mp:
    return min(max(x, lo), hi)


def softmax(row: Sequence[float]) -> tuple[list[Mp], list[Mp], list[Mp]]:
    """``p``, ``1 − p`` (as the sum of the other classes' probabilities: no cancellation) and ``log p`` (as
    ``(z − m) − log Σ e^(z − m)`` with the largest term split off: no cancellation either) of a row of logits."""
    z = [mp(v) for v in row]
    finite = [v for v in z if v != -mpmath.inf]
    m = max(finite)
    e = [mpmath.exp(v - m) if v != -mpmath.inf else mpmath.mpf(0) for v in z]
    total = mpmath.fsum(e)
    p = [ei / total for ei in e]
    q = [mpmath.fsum(e[j] for j in range(len(e)) if j != i) / total for i in range(len(e))]
    k = z.index(m)
    excess = mpmath.log1p(mpmath.fsum(e[j] for j in range(len(e)) if j != k))
    log_p = [(v - m) - excess if v != -mpmath.inf else -mpmath.inf for v in z]
    return p, q, log_p


def difference_terms(p: Mp, q: Mp, y: Mp, scale: Mp = 1) -> Mp:
    """The terms of ``scale·(p − y)`` at their smallest: ``max(p, y)`` or, written ``(1 − y) − (1 − p)``,
    ``max(1 − y, q)`` (``q = 1 − p``, known without cancellation), times ``scale``."""
    return abs(scale) * min(max(abs(p), abs(y)), max(abs(1 - y), abs(q)))


# ---------------------------------------------------------------------------------------------------------------
# Inputs.

# Predictions and targets of the difference losses: tiny errors (1e-30 apart, 2^-20 apart at 1, adjacent
# floats of the dtype are not needed: a rounding of p − t), large and huge errors, both signs, and errors whose
# difference p − t rounds (0.1 − 0.3).
DIFF_P = [0.0, 1e-30, 1.0, 1.0 + 2.0**-20, 0.1, -3.0, 123.456, 1e10, 1e30, -1e30, 7.0, -0.5, 2.0, 1e-3, 5e37]
DIFF_T = [0.0, -1e-30, 1.0 + 2.0**-20, 1.0, 0.3, 2.5, 123.457, -1e10, -1e30, 1e30, 7.0 - 1e-6, 0.5, 3.5, 0.0, -5e37]


def switch_errors(delta: float) -> list[float]:
    """Errors at and around a switch at ``|e| = δ``: on it, an ulp or so to either side, and well inside and out."""
    out = []
    for s in (1.0, -1.0):
        out += [s * delta, s * delta * (1 + 2.0**-20), s * delta * (1 - 2.0**-20), s * delta * (1 + 1e-7),
                s * delta * (1 - 1e-7), s * delta * 0.5, s * delta * 3.0]
    return out


def _with_switch(delta: float) -> tuple[list[float], list[float]]:
    errors = switch_errors(delta)
    return DIFF_P + [0.25 + e for e in errors] + errors, DIFF_T + [0.25] * len(errors) + [0.0] * len(errors)


def loss_call(name: str, **kwargs: Any) -> Callable[[list[Any]], Any]:
    fn = getattr(lossport, name)
    return lambda a: fn(a[0], a[1], reduction="sum", **kwargs)


# -- the difference losses: ℓ(p − t), ∂ℓ/∂t = −∂ℓ/∂p ---------------------------------------------------------


def of_error(derivative: Callable[[Mp], Mp]) -> Oracle:
    return elementwise(lambda p, t: ((derivative(p - t), None), (-derivative(p - t), None)))


case("mean_squared_error", loss_call("mean_squared_error"), (DIFF_P, DIFF_T), (0, 1), of_error(lambda e: 2 * e))

for _delta in (1.0, 0.7):
    case(f"huber-delta={_delta}", loss_call("huber", delta=_delta), _with_switch(_delta), (0, 1),
         of_error(lambda e, d=_delta: clip(e, -mp(d), mp(d))))
    case(f"pseudo_huber-delta={_delta}", loss_call("pseudo_huber", delta=_delta), _with_switch(_delta), (0, 1),
         of_error(lambda e, d=_delta: e / mpmath.sqrt(1 + (e / mp(d)) ** 2)))

for _beta in (1.0, 0.1):
    case(f"smooth_l1-beta={_beta}", loss_call("smooth_l1", beta=_beta), _with_switch(_beta), (0, 1),
         of_error(lambda e, b=_beta: clip(e / mp(b), -1, 1)))

_LOG_COSH_E = [1e-30, 1e-8, 1e-3, 0.5, 1.0, 2.0 - 2.0**-20, 2.0, 2.0 + 2.0**-20, 5.0, 10.0, 20.0, 88.0, 1e4, 1e30]
case("log_cosh", loss_call("log_cosh"),
     ([0.0] + _LOG_COSH_E + [-e for e in _LOG_COSH_E] + [0.3, 1e10], [0.0] * (2 * len(_LOG_COSH_E) + 1) + [0.1, 1.0]),
     (0, 1), of_error(mpmath.tanh))


# -- mean squared logarithmic error ------------------------------------------------------------------------------

def _msle(p: Mp, t: Mp) -> tuple[tuple[Mp, None], tuple[Mp, None]]:
    d = mpmath.log1p(p) - mpmath.log1p(t)
    return (2 * d / (1 + p), None), (-2 * d / (1 + t), None)


_MSLE_FAR = ([0.0, 1e-8, 1e-3, 5.0, 0.5, -0.999, 1e30, 1000.0, -0.5, 3.0, 0.0],
             [0.0, 0.0, 2e-3, 3.0, -0.5, 0.5, 1.0, 10.0, 100.0, 1e-30, 1e20])
# Near-equal predictions and targets: log1p(p) − log1p(t) is a small difference of two large logarithms.
_MSLE_NEAR = ([1.0, 1.0 + 2.0**-20, 100.0, 1e-3, 1e6, -0.5, 7.0],
              [1.0 + 2.0**-20, 1.0, 100.0 + 2.0**-12, 1e-3 + 1e-9, 1e6 + 1.0, -0.5 + 2.0**-20, 7.25])
case("mean_squared_logarithmic_error-far", loss_call("mean_squared_logarithmic_error"), _MSLE_FAR, (0, 1),
     elementwise(_msle))
case("mean_squared_logarithmic_error-near", loss_call("mean_squared_logarithmic_error"), _MSLE_NEAR, (0, 1),
     elementwise(_msle))


# -- Poisson and Gaussian negative log-likelihoods --------------------------------------------------------------

_POISSON_X = [-1e4, -88.0, -30.0, -5.0, -1e-8, 0.0, 1e-8, 0.5, 1.0986122886681098, 3.0, 30.0, 80.0, 88.0]
_POISSON_T = [0.0, 1.0, 3.0, 0.5, 1e-3, 1.0, 0.0, 2.0, 3.0, 20.0, 1e13, 1e30, 0.0]


def _poisson_log(full: bool) -> Oracle:
    """``ℓ = eˣ − t·x [+ t log t − t + ½ log 2πt (t > 1)]``: ``∂x = eˣ − t``, ``∂t = −x [+ log t + 1/(2t)]``."""

    def derivative(x: Mp, t: Mp) -> tuple[tuple[Mp, Mp], tuple[Mp, Mp | None]]:
        ex = mpmath.exp(x)
        dt: Mp = -x
        dt_terms = None
        if full and t > 1:
            stirling = mpmath.log(t) + 1 / (2 * t)
            dt, dt_terms = dt + stirling, max(abs(x), stirling)
        return (ex - t, max(ex, t)), (dt, dt_terms)

    return elementwise(derivative)


case("poisson_nll-log_input", loss_call("poisson_nll"), (_POISSON_X, _POISSON_T), (0, 1), _poisson_log(False))
case("poisson_nll-log_input-full", loss_call("poisson_nll", full=True), (_POISSON_X, [2.0 if t <= 1 else t for t in
     _POISSON_T]), (0, 1), _poisson_log(True))


def _poisson_rates(eps: float) -> Oracle:
    """``ℓ = λ − t·log(λ + ε)``: ``∂λ = 1 − t/(λ + ε) = ((λ − t) + ε)/(λ + ε)``, ``∂t = −log(λ + ε)``."""
    e = mp(eps)

    def derivative(lam: Mp, t: Mp) -> tuple[tuple[Mp, Mp], tuple[Mp, None]]:
        return ((lam - t + e) / (lam + e), max(abs(lam - t), e) / (lam + e)), (-mpmath.log(lam + e), None)

    return elementwise(derivative)


_RATES = ([0.0, 1e-3, 0.5, 1.0, 2.0, 3.0, 1e6, 1e30, 1e-30, 0.25], [1.0, 0.0, 0.5, 1.0, 3.0, 3.0, 2.0, 5.0, 1.0, 0.0])
case("poisson_nll-rates", loss_call("poisson_nll", log_input=False), _RATES, (0, 1), _poisson_rates(1e-8))


def _gaussian(eps: float) -> Oracle:
    """``ℓ = ½(log v + e²/v)``, ``v`` clamped at ``ε``: ``∂p = e/v = −∂t``, ``∂v = ½(1/v − e²/v²)`` (0 below ε)."""
    floor = mp(eps)

    def derivative(p: Mp, t: Mp, v: Mp) -> tuple[tuple[Mp, None], tuple[Mp, None], tuple[Mp, Mp]]:
        e, vc = p - t, max(v, floor)
        dv = (1 / vc - e * e / (vc * vc)) / 2 if v >= floor else mpmath.mpf(0)
        return (e / vc, None), (-e / vc, None), (dv, max(1 / vc, e * e / (vc * vc)) / 2)

    return elementwise(derivative)


_GAUSS_V = [1.0, 1.0, 2.5, 1e-5, 1e-3, 1e4, 1e10, 4.0, 0.01, 1e-8, 1.0, 1e-5, 3.0]
_GAUSS_E = [0.0, 1e-8, 1.0, 1e3, 1e-3, 3.0, 1e15, 2.0, 0.1, 0.5, 1e9, 1e-30, 1.7320508075688772]
case("gaussian_nll", lambda a: lossport.gaussian_nll(a[0], a[1], a[2], reduction="sum"),
     ([0.5 + e for e in _GAUSS_E[:6]] + _GAUSS_E[6:], [0.5] * 6 + [0.0] * 7, _GAUSS_V), (0, 1, 2), _gaussian(1e-6))


# -- binary cross-entropy with logits -------------------------------------------------------------------------

_LOGITS = [-1e4, -88.0, -30.0, -20.0, -17.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 1.0, 5.0, 17.0, 20.0, 30.0, 88.0, 1e4]
_HARD_X = _LOGITS * 2
_HARD_Y = [1.0] * len(_LOGITS) + [0.0] * len(_LOGITS)
# Soft labels at every scale, and where σ(x) ≈ y (x = log 3, y = 3/4: the terms cancel).
_SOFT_X = [*_LOGITS, 1.0986122886681098, -2.0, 0.25, 1e-8]
_SOFT_Y = [0.3, 0.75, 1e-3, 0.999, 0.5, 0.25, 0.9, 0.1, 0.6, 0.4, 1e-6, 0.999999, 0.2, 0.8, 0.05, 0.95, 0.7,
           0.75, 0.11920292202211755, 0.5, 0.5]


def _bce(smoothing: float, pos_weight: float | None) -> Oracle:
    """``ℓ = w·y·softplus(−x) + (1 − y)·softplus(x)``, ``y`` smoothed to ``(1 − s)·y + s/2``:
    ``∂x = (1 − y)·σ(x) − w·y·σ(−x)``, ``∂y = (1 − s)·(w·softplus(−x) − softplus(x))`` (``−(1 − s)·x`` for
    ``w = 1``), ``∂w = y·softplus(−x)``."""
    s = mp(smoothing)

    def derivative(x: Mp, y: Mp, w: Mp | None = None) -> tuple[tuple[Mp, Mp | None], ...]:
        w = (mp(pos_weight) if pos_weight is not None else mpmath.mpf(1)) if w is None else w
        ys, one_minus = (1 - s) * y + s / 2, (1 - s) * (1 - y) + s / 2
        up, down = one_minus * sigma(x), w * ys * sigma(-x)
        dx = (up - down, max(up, down))
        a, b = w * softplus(-x), softplus(x)  # w·sp(−x) − sp(x) = (w − 1)·sp(−x) − x
        dy = ((1 - s) * (a - b), (1 - s) * min(max(a, b), max(abs(w - 1) * softplus(-x), abs(x))))
        return (dx, dy, (ys * softplus(-x), None))

    return elementwise(derivative)


def _bce_call(**kwargs: Any) -> Callable[[list[Any]], Any]:
    return lambda a: lossport.binary_cross_entropy_with_logits(a[0], a[1], reduction="sum", **kwargs)


for _labels, (_x, _y) in (("hard", (_HARD_X, _HARD_Y)), ("soft", (_SOFT_X, _SOFT_Y))):
    for _s, _w in ((0.0, None), (0.0, 3.0), (0.1, None), (0.1, 0.25)):
        _name = f"binary_cross_entropy_with_logits-{_labels}" + (f"-smoothing={_s}" if _s else "") + (
            f"-pos_weight={_w}" if _w else "")
        _kw: dict[str, Any] = {"label_smoothing": _s, **({"pos_weight": _w} if _w is not None else {})}
        case(_name, _bce_call(**_kw), (_x, _y), (0, 1), _bce(_s, _w))
    _pw = [0.5, 3.0, 1.0, 10.0] * (len(_x) // 4) + [2.0] * (len(_x) % 4)
    case(f"binary_cross_entropy_with_logits-{_labels}-pos_weight=array",
         lambda a: lossport.binary_cross_entropy_with_logits(a[0], a[1], pos_weight=a[2], reduction="sum"),
         (_x, _y, _pw), (0, 1, 2), _bce(0.0, None))


# -- softmax cross-entropies ----------------------------------------------------------------------------------

ROWS = [
    ([30.0, 0.0, 0.0], 0),  # confident and right: ∂ at the label is −1.87e-13
    ([30.0, 0.0, 0.0], 1),  # confident and wrong
    ([1e4, -1e4, 0.0], 0),
    ([1e4, -1e4, 0.0], 2),
    ([0.0, -40.0, -50.0], 0),
    ([88.0, 0.0, -88.0], 2),
    ([0.5, -0.25, 2.0], 1),
    ([1.0, 1.0, 0.0], 0),  # ties at the maximum
    ([-1000.0, -1000.5, -1001.0], 1),
    ([0.0, 0.0, 0.0], 2),
    ([-math.inf, 0.0, 1.0], 2),  # a masked logit
    ([20.0, -20.0, 17.0], 2),
]
_Z = [r for r, _ in ROWS]
_LABELS = [i for _, i in ROWS]


def _sparse(smoothing: float, class_weights: list[float] | None) -> Oracle:
    """``ℓ = (1 − s)·w_y·(−log p_y) − (s/C)·Σ_c w_c·log p_c``: ``∂z_c = (1 − s)·w_y·(p_c − [c = y]) +
    (s/C)·(W·p_c − w_c)``, ``W = Σ w``; without class weights ``p_c − t_c``, ``t_c = (1 − s)·[c = y] + s/C``."""
    s = mp(smoothing)

    def oracle(z: np.ndarray, labels: np.ndarray) -> list[tuple[list[Mp], list[Mp] | None]]:
        exact, terms = [], []
        with mpmath.workdps(DPS):
            for row, y in zip(z, labels):
                p, q, _ = softmax(row)
                n = len(row)
                if class_weights is None:
                    for c in range(n):
                        t = (1 - s) * (c == y) + s / n
                        exact.append(p[c] - t if c != y or smoothing else -q[c])
                        terms.append(difference_terms(p[c], q[c], t) if smoothing else None)
                else:
                    wy = mp(class_weights[y])
                    exact += [-wy * q[c] if c == y else wy * p[c] for c in range(n)]  # w_y·(p_c − [c = y])
                    terms += [None] * n
        return [(exact, None if all(t is None for t in terms) else terms)]

    return oracle


def _sparse_call(**kwargs: Any) -> Callable[[list[Any]], Any]:
    return lambda a: lossport.sparse_softmax_cross_entropy(a[0], a[1], reduction="sum", **kwargs)


case("sparse_softmax_cross_entropy", _sparse_call(), (_Z, _LABELS), (0,), _sparse(0.0, None), rows=True)
case("sparse_softmax_cross_entropy-smoothing=0.1", _sparse_call(label_smoothing=0.1), (_Z, _LABELS), (0,),
     _sparse(0.1, None), rows=True)
_CW = [0.5, 2.0, 3.0]
case("sparse_softmax_cross_entropy-class_weights",
     lambda a: lossport.sparse_softmax_cross_entropy(a[0], a[1], class_weights=a[2], reduction="sum"),
     (_Z, _LABELS, _CW), (0,), lambda z, y, cw: _sparse(0.0, list(cw))(z, y), rows=True)

_SOFT_ROWS = [
    ([30.0, 0.0, 0.0], [1.0, 0.0, 0.0]),
    ([30.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
    ([1e4, -1e4, 0.0], [1.0, 0.0, 0.0]),
    ([88.0, 0.0, -88.0], [0.0, 0.0, 1.0]),
    ([0.5, -0.25, 2.0], [0.7, 0.2, 0.1]),
    ([30.0, 0.0, 0.0], [0.9, 0.05, 0.05]),
    ([0.0, 0.0, 0.0], [0.25, 0.25, 0.5]),
    ([1.0, 1.0, 0.0], [0.5, 0.5, 0.0]),
    ([-1000.0, -1000.5, -1001.0], [0.2, 0.3, 0.5]),
    ([0.0, -40.0, -50.0], [1.0, 0.0, 0.0]),
    ([20.0, -20.0, 17.0], [1e-3, 0.0, 0.999]),
    ([2.0, 1.0, 0.1], [0.6590011388859679, 0.2424329707047139, 0.09856589040931818]),  # y = softmax(z)
]


def _soft(smoothing: float) -> Oracle:
    """``ℓ = −Σ_c y_c·log p_c``, ``y`` smoothed to ``(1 − s)·y + s/C``: ``∂z_c = S·p_c − y_c`` (``S = Σ y``),
    ``∂y_c = −(1 − s)·log p_c``."""
    s = mp(smoothing)

    def oracle(z: np.ndarray, labels: np.ndarray) -> list[tuple[list[Mp], list[Mp] | None]]:
        dz, dz_terms, dy = [], [], []
        with mpmath.workdps(DPS):
            for row, yrow in zip(z, labels):
                p, q, log_p = softmax(row)
                n = len(row)
                ys = [(1 - s) * mp(v) + s / n for v in yrow]
                total = mpmath.fsum(ys)
                for c in range(n):
                    others = mpmath.fsum(ys[j] for j in range(n) if j != c)  # S − y_c, without cancellation
                    dz.append(total * p[c] - ys[c])
                    dz_terms.append(min(max(total * p[c], ys[c]), max(others, total * q[c])))
                    dy.append(-(1 - s) * log_p[c])
        return [(dz, dz_terms), (dy, None)]

    return oracle


def _soft_call(**kwargs: Any) -> Callable[[list[Any]], Any]:
    return lambda a: lossport.softmax_cross_entropy(a[0], a[1], reduction="sum", **kwargs)


_SZ, _SY = [r for r, _ in _SOFT_ROWS], [y for _, y in _SOFT_ROWS]
case("softmax_cross_entropy", _soft_call(), (_SZ, _SY), (0, 1), _soft(0.0), rows=True)
case("softmax_cross_entropy-smoothing=0.1", _soft_call(label_smoothing=0.1), (_SZ, _SY), (0, 1), _soft(0.1),
     rows=True)



# -- sigmoid focal loss ------------------------------------------------------------------------------------------


def _focal(alpha: float | None, gamma: float, smoothing: float) -> Oracle:
    """``ℓ = α_t·u^γ·ce``, ``u = 1 − p_t = (1 − y)·p + y·q`` (``p = σ(x)``, ``q = σ(−x)``), ``ce = y·sp(−x) +
    (1 − y)·sp(x)``, ``α_t = α·y + (1 − α)·(1 − y)`` (1 without α), ``y`` smoothed to ``(1 − s)·y + s/2``. By hand:
    ``∂u/∂x = (1 − 2y)·p·q``, ``∂ce/∂x = p − y``, ``∂u/∂y = q − p``, ``∂ce/∂y = −x``, ``∂α_t/∂y = 2α − 1``:
    ``∂x = α_t·(γ·u^{γ−1}·(1 − 2y)·p·q·ce + u^γ·(p − y))``, ``∂y = (1 − s)·((2α − 1)·u^γ·ce +
    α_t·(γ·u^{γ−1}·(q − p)·ce − u^γ·x))``; each checked against mpmath's numerical derivative of ℓ.

    The error is counted in ulps of the terms, with one more allowance: ``u^γ`` is ``exp(γ·log u)`` (the only
    form finite for every finite logit), and the rounding of ``γ·log u`` (an ulp of a number as large as
    ``γ·|x|``) is a relative error of ``u^γ``: the loss's own condition number, which tests/test_classification.py
    allows the forward too. So the unit is ``(1 + γ·|log u|)`` times the terms'.
    """
    a, g, s = (None if alpha is None else mp(alpha)), mp(gamma), mp(smoothing)

    def derivative(x: Mp, y0: Mp) -> tuple[tuple[Mp, Mp | None], ...]:
        def loss(x: Mp, y0: Mp) -> Mp:
            y = (1 - s) * y0 + s / 2
            u = (1 - y) * sigma(x) + y * sigma(-x)
            at = 1 if a is None else a * y + (1 - a) * (1 - y)
            return at * u**g * (y * softplus(-x) + (1 - y) * softplus(x))

        y = (1 - s) * y0 + s / 2
        p, q = sigma(x), sigma(-x)
        u = (1 - y) * p + y * q
        ce = y * softplus(-x) + (1 - y) * softplus(x)
        at = 1 if a is None else a * y + (1 - a) * (1 - y)
        bend = g * u ** (g - 1) * ce
        curve, slope = bend * (1 - 2 * y) * p * q, u**g * ((1 - y) * p - y * q)
        dx = at * (curve + slope)
        parts = [(2 * a - 1) * u**g * ce if a is not None else 0, at * bend * (q - p), -at * u**g * x]
        dy = (1 - s) * mpmath.fsum(parts)
        # the hand derivatives against mpmath's numerical ones
        for exact, numeric in ((dx, mpmath.diff(lambda v: loss(v, y0), x)), (dy, mpmath.diff(lambda v: loss(x, v), y0))):
            assert abs(numeric - exact) <= mpmath.mpf(10) ** -30 * (1 + abs(exact)), (x, y0)
        condition = 1 + g * abs(mpmath.log(u))
        dx_terms = at * (abs(curve) + u**g * difference_terms(p, q, y)) * condition
        dy_terms = (1 - s) * mpmath.fsum(abs(t) for t in parts) * condition
        return ((dx, dx_terms), (dy, dy_terms))

    return elementwise(derivative)


def _first(oracle: Oracle) -> Oracle:
    return lambda *arrays: oracle(*arrays)[:1]


# The focal loss's labels stay inside (0, 1) for ∂y (mpmath's numerical check needs both sides of y); the hard
# labels are differentiated in x only.
for _a, _g, _s in ((None, 2.0, 0.0), (0.25, 0.5, 0.1)):
    _kw = {"alpha": _a, "gamma": _g, "label_smoothing": _s}
    _focal_name = f"sigmoid_focal-alpha={_a}-gamma={_g}-smoothing={_s}"
    case(f"{_focal_name}-hard", lambda a, kw=_kw: lossport.sigmoid_focal(a[0], a[1], reduction="sum", **kw),
         (_HARD_X, _HARD_Y), (0,), _first(_focal(_a, _g, _s)))
    case(f"{_focal_name}-soft", lambda a, kw=_kw: lossport.sigmoid_focal(a[0], a[1], reduction="sum", **kw),
         (_SOFT_X, _SOFT_Y), (0, 1),
         _focal(_a, _g, _s))


# -- cross-entropy of probabilities ------------------------------------------------------------------------------

_PROBS = [[0.7, 0.2, 0.1], [1e-30, 0.5, 0.5 - 1e-30], [1.0, 0.0, 0.0], [1e-3, 0.999 - 1e-9, 1e-9],
          [0.25, 0.25, 0.5], [0.0, 1e-45, 1.0 - 1e-45]]
_PROB_LABELS = [[0.6, 0.3, 0.1], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5],
                [0.0, 0.0, 1.0]]


def _probability_ce(eps: float | None) -> Oracle:
    """``ℓ = −Σ_c y_c·max(log p̂_c, −100)``, ``p̂ = clip(p, eps, 1 − eps)``: ``∂p_c = −y_c / p_c`` where ``p_c``
    lies inside the clip and ``log p_c > −100`` (0 elsewhere), ``∂y_c = −max(log p̂_c, −100)``. The clip's bounds
    are numbers of the dtype (``1 − eps`` rounded to it), as they are for the loss's value."""

    def oracle(p: np.ndarray, y: np.ndarray) -> list[tuple[list[Mp], list[Mp] | None]]:
        lo, hi = (0.0, 1.0) if eps is None else (float(p.dtype.type(eps)), float(p.dtype.type(1.0 - eps)))

        def derivative(p: Mp, y: Mp) -> tuple[tuple[Mp, None], ...]:
            clipped = clip(p, mp(lo), mp(hi))
            log_p = mpmath.log(clipped) if clipped > 0 else -mpmath.inf
            inside = lo <= p <= hi and log_p > -100
            return ((-y / p if inside else mpmath.mpf(0), None), (-max(log_p, mpmath.mpf(-100)), None))

        return elementwise(derivative)(p, y)

    return oracle


for _eps in (None, 1e-7):
    case(f"categorical_cross_entropy-eps={_eps}",
         lambda a, e=_eps: lossport.categorical_cross_entropy(a[0], a[1], eps=e, reduction="sum"),
         (_PROBS, _PROB_LABELS), (0, 1), _probability_ce(_eps), rows=True)

# -- the primitives of lossport._numerics (tests/test_numerics.py's forward), differentiated by autodiff ---------


def _primitive(name: str) -> Callable[[list[Any]], Any]:
    def call(a: list[Any]) -> Any:
        xp = lossport.array_namespace(a[0])
        if name == "log_softmax_at":
            return N.log_softmax_at(a[0], a[1], xp=xp)
        return getattr(N, name)(a[0], xp=xp)

    return call


_SOFTPLUS_X = sorted({s * v for v in [0.0, 1e-30, 1e-8, 0.5, 1.0, 5.0, 15.0, 20.0, 30.0, 40.0, 50.0, 88.0, 100.0,
                                      700.0, 1e4, 1e30] for s in (1.0, -1.0)})
case("_numerics.softplus", _primitive("softplus"), (_SOFTPLUS_X,), (0,), elementwise(lambda x: ((sigma(x), None),)))
case("_numerics.log_sigmoid", _primitive("log_sigmoid"), (_SOFTPLUS_X,), (0,),
     elementwise(lambda x: ((sigma(-x), None),)))


def _logsumexp_oracle(z: np.ndarray) -> list[tuple[list[Mp], None]]:
    """``∂ logsumexp(z) / ∂z_c = p_c``."""
    with mpmath.workdps(DPS):
        return [([pc for row in z for pc in softmax(row)[0]], None)]


def _log_softmax_at_oracle(z: np.ndarray, labels: np.ndarray) -> list[tuple[list[Mp], None]]:
    """``∂ log p_y / ∂z_c = [c = y] − p_c``: ``1 − p_y`` (the other classes' sum) at the label, ``−p_c`` elsewhere."""
    out = []
    with mpmath.workdps(DPS):
        for row, y in zip(z, labels):
            p, q, _ = softmax(row)
            out += [q[c] if c == y else -p[c] for c in range(len(row))]
    return [(out, None)]


case("_numerics.logsumexp", _primitive("logsumexp"), (_Z,), (0,), _logsumexp_oracle, rows=True)
case("_numerics.log_softmax_at", _primitive("log_softmax_at"), (_Z, _LABELS), (0,), _log_softmax_at_oracle,
     rows=True)



# ---------------------------------------------------------------------------------------------------------------
# Known failures: measured (the worst element's ulps per backend and dtype) and diagnosed, each with its fix
# (checked against these oracles on all three backends, both dtypes, within 3 ulps). strict: a fix makes the
# parametrization pass, and the xfail must then go.

_ALL = [(b, d) for b in ("jax", "torch", "tensorflow") for d in DTYPES]
KNOWN: dict[str, tuple[str, dict[tuple[str, str], float]]] = {
    "_numerics.log_softmax_at": (
        "label not the max: others + expm1(x_i − m) is 1 + tiny − 1, rounded to 0, and the clip at 0 passes no "
        "(torch) or half (JAX) of the tiny terms' gradient; TF's generic path, label the max: the cotangent via the "
        "max, −1 + s/(1 + s), rounds to −1 before the direct +1; fix: a Rule, ∂ = g·([c = i] − p), "
        "p = exp(x − m) / Σ exp(x − m), 1 − p_i = −expm1(value)",
        {("jax", "float32"): 6.9e6, ("jax", "float64"): 2.32e15, ("torch", "float32"): 1.38e7,
         ("torch", "float64"): 4.64e15, ("tensorflow", "float32"): 1.03e7}),
}

# ---------------------------------------------------------------------------------------------------------------
# The test.


@cache
def expected(case_id: str, dtype: str) -> list[tuple[list[Mp], list[Mp] | None]]:
    c = next(c for c in CASES if c.id == case_id)
    return c.oracle(*c.inputs(dtype))


def _describe(c: Case, inputs: list[np.ndarray], k: int, i: int) -> str:
    if c.rows:
        n = inputs[0].shape[-1]
        row = i // n
        parts = [f"row {row} {inputs[0][row].tolist()}", f"class {i % n}"]
        parts += [f"arg{j} {a[row].tolist()}" for j, a in enumerate(inputs[1:], 1) if a.shape[:1] == inputs[0].shape[:1]]
        return ", ".join(parts)
    flat = np.broadcast_arrays(*inputs)
    return "(" + ", ".join(repr(float(a.reshape(-1)[i])) for a in flat) + ")"


def _params() -> list[Any]:
    out = []
    for c in CASES:
        for b in AUTODIFF:
            for d in DTYPES:
                marks = []
                cause, measured = KNOWN.get(c.id, ("", {}))
                if (b, d) in measured:
                    reason = f"{measured[(b, d)]:.3g} ulps: {cause}"
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                out.append(pytest.param(c, b, d, id=f"{c.id}-{b}-{d}", marks=marks))
    return out


@pytest.mark.parametrize(("c", "backend", "dtype"), _params())
def test_gradient_within_4_ulps(c: Case, backend: str, dtype: str) -> None:
    inputs = c.inputs(dtype)
    got = gradients(backend, c.call, inputs, c.wrt)
    failures = []
    for k, (g, (exact, terms)) in enumerate(zip(got, expected(c.id, dtype))):
        assert g.dtype == np.dtype(dtype), (k, g.dtype)
        err = ulp_errors(g, exact, terms, np.dtype(dtype))
        for i in np.flatnonzero(~(err <= TOLERANCE)):
            failures.append(
                f"  ∂/∂arg{c.wrt[k]}[{i}] at {_describe(c, inputs, k, int(i))}: got {g.reshape(-1)[i]!r}, exact "
                f"{mpmath.nstr(exact[i], 17)}{'' if terms is None or terms[i] is None else ' (terms ' + mpmath.nstr(terms[i], 5) + ')'}, "
                f"{err[i]:.3g} ulps"
            )
    if failures:
        pytest.fail(f"{c.id} on {backend} {dtype}: {len(failures)} gradient elements over {TOLERANCE} ulps\n"
                    + "\n".join(failures[:12]))
