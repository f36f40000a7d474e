"""The Tweedie deviance's machinery (lossport.regression.tweedie_deviance): the power check and the unit deviance.

The deviance ``2 μ^a φ(y/μ)``, ``a = 2 − p``, is summed as a power series in ``log(y/μ)`` near ``y = μ`` and
rearranged elsewhere so that no two terms cancel badly (:func:`tweedie_unit_deviance` has the forms).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["check_power", "tweedie_unit_deviance"]

Array = Any


def check_power(power: float) -> None:
    if isinstance(power, bool) or not isinstance(power, (int, float)):
        msg = f"`power` must be a Python number; got {type(power).__name__}"
        raise TypeError(msg)
    if not math.isfinite(power) or 0 < power < 1:
        msg = f"`power` must be finite and <= 0 or >= 1 (the Tweedie deviance is undefined between); got {power!r}"
        raise ValueError(msg)


def _tweedie_series(a: float, radius: float, eps: float) -> tuple[float, ...]:
    """Coefficients ``c_k / k!`` (k = 2, 3, ...) of ``φ(L) = Σ c_k L^k / k!``, ``c_k = 1 + a + … + a^(k−2)``.

    Enough terms that the tail is below ``eps / 16`` of the leading term for ``|L| <= radius``, using
    ``|c_k| <= (k − 1)·max(1, |a|)^(k−2)`` (``radius·max(1, |a|) <= 1``, so a few dozen terms at most). Not
    cached: a few microseconds of Python, and a cache wrapper is a warning under ``torch.compile``.
    """
    big = max(1.0, abs(a))
    coeffs = []
    c, k, factorial = 1.0, 2, 2.0
    while True:
        coeffs.append(c / factorial)
        bound = k * big ** (k - 1) * radius ** (k - 1) / (factorial * (k + 1))  # next term over radius²
        if bound < eps / 16 or k > 80:
            return tuple(coeffs)
        c, k = c * a + 1.0, k + 1
        factorial *= k


def _expm1_scaled(c: float, log_r: Array, r: Array, /, *, xp: Any) -> Array:
    """``r^c − 1 = expm1(c·log r)``: by ``expm1`` where ``|c·log r| < 1``, by ``r ** c`` beyond (where the
    absolute error of ``log r`` would be amplified by ``exp``)."""
    cl = c * log_r
    small = xp.abs(cl) < 1.0
    return xp.where(small, xp.expm1(xp.where(small, cl, xp.zeros_like(cl))), r**c - 1.0)


def tweedie_unit_deviance(y: Array, mu: Array, power: float, /, *, xp: Any) -> Array:
    """``2 ∫_μ^y (y − s) / s^p ds`` for ``p < 0`` or ``p >= 1``, written as ``2 μ^a φ(y/μ)``, ``a = 2 − p``.

    ``φ(r) = r^a / (a(a−1)) − r/(a−1) + 1/a`` (with its limits at ``a = 0, 1``) vanishes to second order at
    ``r = 1``: near it (``|log r| <= radius``) it is summed as the series ``Σ c_k L^k / k!`` in ``L = log r``;
    away from it it is rearranged so that no two terms cancel badly, around the two named special cases:
    ``φ = [(r L − d) + r·(expm1(bL)/b − L)] / a`` for ``1 <= p <= 1.5`` (``b = 1 − p``), and
    ``φ = [(d − L) − (expm1(aL)/a − L)] / (1 − a)`` otherwise, with ``d = r − 1``. ``y <= 0`` gives
    ``φ = −r/(1 − p) [p < 0] + 1/a``, scikit-learn's value there.
    """
    a = 2.0 - power
    eps = float(xp.finfo(y.dtype).eps)
    radius = 1.0 if abs(a) <= 1 else 1.0 / abs(a)
    positive = y > 0
    mu_safe = mu  # the domain check (eager) requires mu > 0
    ratio = xp.where(positive, y, mu_safe) / mu_safe  # r, 1 where y <= 0
    d = xp.where(positive, (y - mu) / mu_safe, xp.zeros_like(y))  # r − 1, exact where y ≈ mu
    near_one = xp.abs(d) < 0.5
    d_near = xp.where(near_one, d, xp.zeros_like(d))
    # log r = log1p(d), exact where y ≈ mu. For d < 0 it is taken as −log1p(−d/r), whose argument is positive: XLA's
    # float64 log1p is off by up to 130 ulps on [−0.5, −0.2] (see _numerics.log1mexp).
    log1p_d = xp.where(d_near < 0, -xp.log1p(-d_near / ratio), xp.log1p(d_near))
    log_r = xp.where(near_one, log1p_d, xp.log(ratio))
    series_zone = positive & (xp.abs(log_r) <= radius)

    coeffs = _tweedie_series(a, radius, eps)
    s_log = xp.where(series_zone, log_r, xp.zeros_like(log_r))
    series = xp.zeros_like(s_log)
    for c in reversed(coeffs[1:]):
        series = (series + c) * s_log
    series = (series + coeffs[0]) * (s_log * s_log)

    # Away from r = 1; where discarded, the arguments are those of r = e (finite everywhere).
    log_d = xp.where(series_zone, xp.ones_like(log_r), log_r)
    r_d = xp.where(series_zone, xp.full_like(ratio, math.e), ratio)
    d_d = xp.where(series_zone, xp.full_like(d, math.e - 1.0), d)
    if power == 1:
        direct = r_d * log_d - d_d
    elif power == 2:
        direct = d_d - log_d
    elif 1 < power <= 1.5:
        b = 1.0 - power
        direct = ((r_d * log_d - d_d) + r_d * (_expm1_scaled(b, log_d, r_d, xp=xp) / b - log_d)) / a
    else:
        direct = ((d_d - log_d) - (_expm1_scaled(a, log_d, r_d, xp=xp) / a - log_d)) / (1.0 - a)

    at_zero = xp.zeros_like(y) + (1.0 / a if a != 0 else 0.0)  # y = 0 (1 <= p < 2): φ = 1/a
    if power < 0:  # any real y: sklearn's y^a is replaced by max(y, 0)^a
        at_zero = at_zero - xp.where(positive, xp.zeros_like(y), y) / mu_safe / (1.0 - power)
    phi = xp.where(series_zone, series, xp.where(positive, direct, at_zero))
    if a == 0:
        return 2.0 * phi
    scale = mu if a == 1 else mu**a
    return 2.0 * scale * phi
