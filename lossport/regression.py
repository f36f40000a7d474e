"""Regression losses: elementwise functions of a prediction and a target of the same shape."""

from __future__ import annotations

import math
from typing import Any

from lossport._distance import chamfer_distance, cosine_distance
from lossport._gradients import apply, elementwise_rule, of_difference
from lossport._namespace import array_namespace
from lossport._numerics import (
    huber_error,
    huber_error_vjp,
    log1p_difference,
    mul0,
    sign,
    squared_error,
    squared_error_vjp,
    try_native,
    xlogy,
)
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._tweedie import check_power, tweedie_unit_deviance
from lossport._validation import (
    check_bool,
    check_finite,
    check_floating,
    check_fraction,
    check_greater_than,
    check_non_negative_values,
    check_positive,
    check_positive_values,
    check_same_shape,
    compute_dtype,
    elementwise_inputs,
    is_array_knob,
    knob,
    knob_math,
)

__all__ = [
    "chamfer_distance",
    "cosine_distance",
    "gaussian_nll",
    "huber",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson_nll",
    "pseudo_huber",
    "quantile",
    "root_mean_squared_error",
    "smooth_l1",
    "tweedie_deviance",
    "wing",
]

Array = Any


def mean_squared_error(
    predictions: Array,
    targets: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Mean squared error.

    .. math:: \ell_i = (p_i - t_i)^2

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
    targets : array, shape ``(...)``, the same shape as `predictions`
    weights : array, optional
        Broadcast against the unreduced loss; ``"mean"`` is then ``Σ w·ℓ / Σ w``.
    where : array of bool, optional
        Entries to keep; masked entries count in neither the numerator nor the denominator of ``"mean"``.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional
        The Array API namespace; found from the inputs when omitted.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `predictions` is not floating, or the inputs are not arrays of one framework.
    ValueError
        If the shapes differ, or `reduction` is unknown.

    See Also
    --------
    torch.nn.functional.mse_loss, keras.losses.MeanSquaredError, optax.squared_error,
    sklearn.metrics.mean_squared_error : the same loss.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> float(lossport.mean_squared_error(np.array([2.0, 3.0]), np.array([1.0, 0.0])))
    5.0
    """
    check_reduction(reduction)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_SQUARED_ERROR, ((), reduction), predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _squared_error_vjp(knobs: tuple[()], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
                       xp: Any) -> tuple[Array, Array | None]:
    """``∂(p − t)²/∂p = 2(p − t) = −∂/∂t``, scaled by the reduction's cotangent in the same pass."""
    grad = squared_error_vjp(p, t, scale, xp=xp)
    return of_difference(grad, needs)


_SQUARED_ERROR = elementwise_rule(
    "mean_squared_error", lambda knobs, p, t, *, xp: squared_error(p, t, xp=xp), _squared_error_vjp
)


def mean_absolute_error(
    predictions: Array,
    targets: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Mean absolute error (L1 loss).

    .. math:: \ell_i = |p_i - t_i|

    The gradient at ``p = t`` is 0 (``sign(0)``, torch's and TensorFlow's subgradient of ``abs``) on every
    framework.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    See Also
    --------
    torch.nn.functional.l1_loss, keras.losses.MeanAbsoluteError, sklearn.metrics.mean_absolute_error

    Examples
    --------
    >>> import numpy as np, lossport
    >>> float(lossport.mean_absolute_error(np.array([2.0, 3.0]), np.array([1.0, 0.0])))
    2.0
    """
    check_reduction(reduction)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_ABSOLUTE_ERROR, ((), reduction), predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _absolute_error_vjp(knobs: tuple[()], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
                        xp: Any) -> tuple[Array | None, Array | None]:
    """``∂|p − t|/∂p = sign(p − t) = −∂/∂t`` (0 at ``p = t``), times the reduction's cotangent."""
    grad = sign(p - t, xp=xp) * scale
    return of_difference(grad, needs)


_ABSOLUTE_ERROR = elementwise_rule(
    "mean_absolute_error", lambda knobs, p, t, *, xp: xp.abs(p - t), _absolute_error_vjp, blocks=True
)


def mean_squared_logarithmic_error(
    predictions: Array,
    targets: Array,
    /,
    *,
    clip_min: float | None = None,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Mean squared logarithmic error.

    .. math:: \ell_i = (\log(1 + p_i) - \log(1 + t_i))^2

    computed with ``log1p``, as scikit-learn does. Values must be greater than -1 (a ``ValueError`` on concrete
    arrays). Keras instead clips both arguments at ``1e-7`` first: ``clip_min=1e-7`` reproduces it.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    clip_min : float or 0-D array, optional
        Clip both arguments below at this value before the logarithm (Keras: ``1e-7``); finite and greater
        than -1.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a value is -1 or less (without `clip_min`), `clip_min` is -1 or less or not finite, or as in
        :func:`mean_squared_error`.

    See Also
    --------
    keras.losses.MeanSquaredLogarithmicError, sklearn.metrics.mean_squared_log_error

    Examples
    --------
    >>> import numpy as np, lossport
    >>> round(float(lossport.mean_squared_logarithmic_error(np.array([np.e - 1]), np.array([0.0]))), 12)
    1.0
    """
    check_reduction(reduction)
    if clip_min is not None:
        _check_clip_min(clip_min)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    if clip_min is None:
        check_greater_than("predictions", predictions, -1, xp=xp)
        check_greater_than("targets", targets, -1, xp=xp)
    params = ((None if clip_min is None else knob(clip_min, predictions, xp=xp),), reduction)
    loss = apply(_SQUARED_LOG_ERROR, params, predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _check_clip_min(clip_min: float | Array) -> None:
    """`clip_min` finite and above -1 (``log1p(−1) = −∞``): a number, or a 0-D array when its value can be read."""
    check_finite("clip_min", clip_min)
    if is_array_knob(clip_min):
        check_greater_than("clip_min", clip_min, -1, xp=array_namespace(clip_min))
    elif clip_min <= -1:
        msg = f"`clip_min` must be greater than -1; got {clip_min!r}"
        raise ValueError(msg)


def _squared_log_error(knobs: tuple[float | None], p: Array, t: Array, /, *, xp: Any) -> Array:
    """``(log1p(p) − log1p(t))²``, both arguments first clipped below at ``clip_min`` when it is given."""
    (clip_min,) = knobs
    if clip_min is not None:
        p, t = xp.clip(p, min=clip_min), xp.clip(t, min=clip_min)
    error = log1p_difference(p, t, xp=xp)
    return error * error


def _squared_log_error_vjp(knobs: tuple[float | None], p: Array, t: Array, /, *, scale: Array,
                           needs: tuple[bool, ...], xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p = 2(log1p(p) − log1p(t)) / (1 + p)``, ``∂ℓ/∂t = −2(log1p(p) − log1p(t)) / (1 + t)`` (0 below
    ``clip_min``, for the clipped argument), times the reduction's cotangent."""
    (clip_min,) = knobs
    p_c, t_c = (p, t) if clip_min is None else (xp.clip(p, min=clip_min), xp.clip(t, min=clip_min))
    twice = log1p_difference(p_c, t_c, xp=xp) * (2.0 * scale)
    grad_p = grad_t = None
    if needs[0]:
        grad_p = twice / (1.0 + p_c)
        if clip_min is not None:
            grad_p = xp.where(p < clip_min, xp.zeros_like(grad_p), grad_p)
    if needs[1]:
        grad_t = twice / (-1.0 - t_c)
        if clip_min is not None:
            grad_t = xp.where(t < clip_min, xp.zeros_like(grad_t), grad_t)
    return grad_p, grad_t


_SQUARED_LOG_ERROR = elementwise_rule(
    "mean_squared_logarithmic_error", _squared_log_error, _squared_log_error_vjp, blocks=True
)


def huber(
    predictions: Array,
    targets: Array,
    /,
    *,
    delta: float = 1.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Huber loss: quadratic within `delta` of the target, linear beyond.

    .. math:: \ell_i = \tfrac12 \min(|e_i|, \delta)^2 + \delta\,(|e_i| - \min(|e_i|, \delta)),
              \quad e_i = p_i - t_i

    which is ``½e²`` for ``|e| ≤ δ`` and ``δ(|e| − ½δ)`` beyond. Written with ``min`` (as optax does) so that
    the gradient is continuous at ``|e| = δ``. torch's ``smooth_l1_loss(beta=β)`` is this loss divided by β.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    delta : float or 0-D array, default 1.0
        Where the loss turns linear; must be positive.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If `delta` is not positive, or as in :func:`mean_squared_error`.

    See Also
    --------
    torch.nn.functional.huber_loss, keras.losses.Huber, optax.huber_loss, tf.compat.v1.losses.huber_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.huber(np.array([3.0, 0.5]), np.array([0.0, 0.0]), delta=2.0, reduction="none")
    array([4.   , 0.125])
    """
    check_reduction(reduction)
    check_positive("delta", delta)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_HUBER, (knob(delta, predictions, xp=xp), reduction), predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _huber_vjp(delta: float, p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
               xp: Any) -> tuple[Array, Array | None]:
    """``∂ℓ/∂p = clip(p − t, −δ, δ) = −∂ℓ/∂t``, scaled by the reduction's cotangent in the same pass."""
    grad = huber_error_vjp(p, t, delta, scale, xp=xp)
    return of_difference(grad, needs)


_HUBER = elementwise_rule("huber", lambda delta, p, t, *, xp: huber_error(p, t, delta, xp=xp), _huber_vjp)


def pseudo_huber(
    predictions: Array,
    targets: Array,
    /,
    *,
    delta: float = 1.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Pseudo-Huber (Charbonnier) loss: a smooth Huber, ``½e²`` near 0 and ``δ|e|`` far away.

    .. math:: \ell_i = \delta^2 \left(\sqrt{1 + (e_i/\delta)^2} - 1\right)
              = \frac{e_i^2}{\sqrt{1 + (e_i/\delta)^2} + 1}

    The second form is the one computed: the first cancels for small ``|e|``. The square root is a ``hypot``
    and ``e²`` is formed as ``|e| · (|e| / (…))``, so nothing overflows before the loss itself does. No
    framework has this loss; tests check hand-computed values and an mpmath oracle.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    delta : float or 0-D array, default 1.0
        The scale where the loss turns from quadratic to linear; must be positive.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If `delta` is not positive, or as in :func:`mean_squared_error`.

    References
    ----------
    P. Charbonnier et al., "Two deterministic half-quadratic regularization algorithms for computed imaging",
    ICIP 1994. https://en.wikipedia.org/wiki/Huber_loss#Pseudo-Huber_loss_function

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.pseudo_huber(np.array([0.0, 0.75]), np.array([0.0, 0.0]), reduction="none")  # 1.25 - 1
    array([0.  , 0.25])
    """
    check_reduction(reduction)
    check_positive("delta", delta)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_PSEUDO_HUBER, ((knob(delta, predictions, xp=xp),), reduction), predictions, targets, weights, where,
                 xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _pseudo_huber(knobs: tuple[float], p: Array, t: Array, /, *, xp: Any) -> Array:
    """``e² / (sqrt(1 + (e/δ)²) + 1)``, ``e = p − t``, with the root as a ``hypot``."""
    (delta,) = knobs
    abs_error = xp.abs(p - t)
    root = xp.hypot(abs_error / delta, xp.ones_like(abs_error))
    return abs_error * (abs_error / (root + 1.0))


def _pseudo_huber_vjp(knobs: tuple[float], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
                      xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p = e / sqrt(1 + (e/δ)²) = −∂ℓ/∂t``, ``e = p − t`` (the root a ``hypot``: no overflow), times the
    reduction's cotangent."""
    (delta,) = knobs
    error = p - t
    grad = error / xp.hypot(error / delta, xp.ones_like(error)) * scale
    return of_difference(grad, needs)


_PSEUDO_HUBER = elementwise_rule("pseudo_huber", _pseudo_huber, _pseudo_huber_vjp, blocks=True)


def wing(
    predictions: Array,
    targets: Array,
    /,
    *,
    width: float = 10.0,
    curvature: float = 2.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Wing loss (Feng et al.): logarithmic for errors below `width`, linear beyond (landmark regression).

    .. math:: \ell_i = w \ln(1 + |e_i|/\varepsilon) \text{ if } |e_i| < w, \text{ else } |e_i| - C,
              \quad C = w - w \ln(1 + w/\varepsilon), \quad e_i = p_i - t_i

    ``C`` makes the pieces meet at ``|e| = w`` (the slope jumps from ``w/(w + ε)`` to 1); near 0 the slope is ``±w/ε``;
    at ``e = 0`` the gradient is 0 on every framework. The linear piece is ``(|e| − w) + w·log1p(w/ε)``: ``|e| − C``
    would cancel for small ``w/ε``. No framework has this loss.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    width, curvature : float or 0-D array, default 10.0 and 2.0
        ``w``, where the loss turns linear, and ``ε``, the scale of the logarithm; positive.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    References
    ----------
    Feng et al., "Wing Loss for Robust Facial Landmark Localisation with Convolutional Neural Networks", CVPR 2018.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> e = np.array([0.0, 2.0, 12.0])  # w ln(1 + 2/2) = 10 ln 2; 12 − C = 2 + 10 ln 6
    >>> [round(float(v), 12) for v in lossport.wing(e, np.zeros(3), reduction="none")]
    [0.0, 6.931471805599, 19.917594692281]
    """
    check_reduction(reduction)
    check_positive("width", width)
    check_positive("curvature", curvature)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    params = ((knob(width, predictions, xp=xp), knob(curvature, predictions, xp=xp)), reduction)
    loss = apply(_WING, params, predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _wing(knobs: tuple[float, float], p: Array, t: Array, /, *, xp: Any) -> Array:
    """``w·log1p(|e|/ε)`` below ``w``, ``(|e| − w) + w·log1p(w/ε)`` from ``w`` on; ``e = p − t``."""
    width, curvature = knobs
    abs_error = xp.abs(p - t)
    inner = width * xp.log1p(abs_error / curvature)  # finite everywhere: no inner where needed
    ratio = width / curvature
    outer = (abs_error - width) + width * knob_math("log1p", ratio, xp=xp)
    return xp.where(abs_error < width, inner, outer)


def _wing_vjp(knobs: tuple[float, float], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
              xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p = sign(e)·w/(ε + |e|)`` below ``w``, ``sign(e)`` from ``w`` on (0 at ``e = 0``) ``= −∂ℓ/∂t``, times
    the reduction's cotangent."""
    width, curvature = knobs
    error = p - t
    slope = xp.where(xp.abs(error) < width, width / (xp.abs(error) + curvature), xp.ones_like(error))
    return of_difference(sign(error, xp=xp) * slope * scale, needs)


_WING = elementwise_rule("wing", _wing, _wing_vjp, blocks=True)


# -- root of a mean, percentages, smooth L1 -------------------------------------------------------------------


def root_mean_squared_error(
    predictions: Array,
    targets: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Root mean squared error: the square root of the (weighted) mean squared error.

    .. math:: \operatorname{RMSE} = \sqrt{\frac{\sum_i w_i (p_i - t_i)^2}{\sum_i w_i}}

    The root is taken after the reduction, and weights and the mask act inside it: ``"mean"`` is
    ``sqrt(Σ w·e² / Σ w)`` over the entries `where` keeps (scikit-learn's ``sample_weight``), ``"sum"`` is
    ``sqrt(Σ w·e²)`` (the weighted Euclidean norm of the residuals), and ``"none"`` takes no root: it returns the
    per-element terms under it, ``w·e²`` (masked entries 0), exactly what :func:`mean_squared_error` returns, so
    that ``sqrt(mean_squared_error(...))`` of any later reduction of them is the RMSE. At a perfect prediction the
    loss is 0 and its gradient is 0 (a subgradient of the norm there), not the NaN of ``sqrt'(0) · 0``.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    weights, where, reduction, xp
        As in :func:`mean_squared_error`; the root is taken of the reduced value.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"`` (the squared errors, not rooted).

    Raises
    ------
    TypeError, ValueError
        As in :func:`mean_squared_error`.

    See Also
    --------
    sklearn.metrics.root_mean_squared_error : the same number on flattened inputs; on a 2-D input it averages
        the per-column RMSEs instead (``multioutput="uniform_average"``).

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p, t = np.array([2.0, 3.0]), np.array([1.0, 0.0])
    >>> float(lossport.root_mean_squared_error(p, t))  # sqrt((1 + 9) / 2)
    2.23606797749979
    >>> lossport.root_mean_squared_error(p, t, reduction="none")  # the terms under the root
    array([1., 9.])
    """
    check_reduction(reduction)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    # The mean squared error's rule, then a 0-D root: the backward is the MSE's times g / (2·RMSE), and nothing
    # full-size is saved beyond the inputs.
    squared = apply(_SQUARED_ERROR, ((), reduction), predictions, targets, weights, where, xp=xp)
    if reduction != "none":
        # sqrt with a zero gradient at 0: the inner where keeps sqrt' away from 0 on the discarded branch.
        positive = squared > 0
        root = xp.sqrt(xp.where(positive, squared, xp.ones_like(squared)))
        squared = xp.where(positive, root, squared)
    return squared if squared.dtype == out_dtype else xp.astype(squared, out_dtype)


def mean_absolute_percentage_error(
    predictions: Array,
    targets: Array,
    /,
    *,
    eps: float = 2.220446049250313e-16,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Mean absolute percentage error, as a fraction (scikit-learn's convention; Keras's is 100 times it).

    .. math:: \ell_i = \frac{|p_i - t_i|}{\max(|t_i|, \varepsilon)}

    The default `eps` is ``finfo(float64).eps`` = 2⁻⁵², scikit-learn's for every input dtype; Keras uses
    ``eps=1e-7`` and multiplies by 100. A zero target gives ``|p| / eps``: large and finite (in float16, whose
    largest value is 65504, it overflows to ``inf`` unless `eps` is larger).

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    eps : float or 0-D array, default 2.220446049250313e-16
        Floor of the denominator ``|t|``; must be positive (Keras: ``1e-7``).
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If `eps` is not positive, or as in :func:`mean_squared_error`.

    See Also
    --------
    sklearn.metrics.mean_absolute_percentage_error : the same (fraction, ``eps = 2⁻⁵²``).
    keras.losses.MeanAbsolutePercentageError : 100 times ``mean_absolute_percentage_error(p, t, eps=1e-7)``.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> float(lossport.mean_absolute_percentage_error(np.array([3.0, 1.0]), np.array([2.0, 4.0])))  # (1/2 + 3/4)/2
    0.625
    >>> float(lossport.mean_absolute_percentage_error(np.array([1.0]), np.array([0.0])))  # 1 / 2**-52
    4503599627370496.0
    """
    check_reduction(reduction)
    check_positive("eps", eps)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = xp.abs(predictions - targets) / xp.clip(xp.abs(targets), min=knob(eps, predictions, xp=xp))
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def smooth_l1(
    predictions: Array,
    targets: Array,
    /,
    *,
    beta: float = 1.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Smooth L1 loss (torch's ``smooth_l1_loss``): quadratic within `beta` of the target, L1 beyond.

    .. math:: \ell_i = \begin{cases} \tfrac12 e_i^2 / \beta & |e_i| < \beta \\
              |e_i| - \tfrac12 \beta & \text{otherwise} \end{cases}, \quad e_i = p_i - t_i

    It is :func:`huber` with ``delta=beta``, divided by `beta`: both pieces have slope 1 far from the target,
    where Huber's have slope ``delta``. ``beta=0`` is the L1 loss :func:`mean_absolute_error` (as in torch), with
    no division by zero. Computed as ``½·m²/β + (|e| − m)``, ``m = min(|e|, β)``, whose gradient is continuous
    at ``|e| = β``.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    beta : float or 0-D array, default 1.0
        Where the loss turns linear; must be non-negative and finite.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If `beta` is negative or not finite, or as in :func:`mean_squared_error`.

    See Also
    --------
    torch.nn.functional.smooth_l1_loss : the same loss. huber : ``beta · smooth_l1`` with ``delta = beta``.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.smooth_l1(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="none")  # ½·0.5², 3 − ½
    array([0.125, 2.5  ])
    >>> float(lossport.smooth_l1(np.array([0.5, 3.0]), np.array([0.0, 0.0]), beta=2.0))  # (1/16 + 2) / 2
    1.03125
    """
    check_reduction(reduction)
    check_positive("beta", beta, allow_zero=True)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_SMOOTH_L1, ((knob(beta, predictions, xp=xp),), reduction), predictions, targets, weights, where,
                 xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _smooth_l1(knobs: tuple[float], p: Array, t: Array, /, *, xp: Any) -> Array:
    """``½·m²/β + (|e| − m)``, ``m = min(|e|, β)``, ``e = p − t``; ``|e|`` for ``β = 0``.

    An array β (its value unknown when traced; 0 allowed) is differentiated through this form:
    ``½·m²/β`` below β and ``|e| − ½β`` from β on, the first with β taken as 1 where it is 0 (m is 0 there), so
    that no branch divides by 0 and the derivative in β at β = 0 is the one-sided −½ per linear entry.
    """
    (beta,) = knobs
    if isinstance(beta, float) and beta > 0:
        fused = try_native("smooth_l1_error", p, t, beta, xp=xp)  # torch: F.smooth_l1_loss, one pass
        if fused is not NotImplemented:
            return fused
    abs_error = xp.abs(p - t)
    if not isinstance(beta, float):
        m = xp.clip(abs_error, max=beta)  # ≤ β: the discarded branch's derivative in β stays bounded
        safe_beta = xp.where(beta > 0, beta, xp.ones_like(beta))
        return xp.where(abs_error < beta, 0.5 * m * m / safe_beta, abs_error - 0.5 * beta)
    if beta == 0:
        return abs_error
    quadratic = xp.clip(abs_error, max=beta)
    return 0.5 * quadratic * quadratic / beta + (abs_error - quadratic)


def _smooth_l1_vjp(knobs: tuple[float], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
                   xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p = clip((p − t)/β, −1, 1) = −∂ℓ/∂t`` (``sign(p − t)`` for ``β = 0``), times the reduction's
    cotangent: Huber's derivative ``clip(p − t, −β, β)`` times ``scale / β``, in Huber's fused kernel."""
    (beta,) = knobs
    grad = sign(p - t, xp=xp) * scale if beta == 0 else huber_error_vjp(p, t, beta, scale / beta, xp=xp)
    return of_difference(grad, needs)


_SMOOTH_L1 = elementwise_rule("smooth_l1", _smooth_l1, _smooth_l1_vjp)


# -- log-cosh, quantile -----------------------------------------------------------------------------------------

_LOG2 = math.log(2.0)
_LOG_COSH_SWITCH = 2.0  # |x| below: log1p(cosh x − 1); above: |x| − log 2 + log1p(exp(−2|x|))


def log_cosh(
    predictions: Array,
    targets: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Log-cosh loss: ``½e²`` near the target, ``|e| − log 2`` far from it.

    .. math:: \ell_i = \log \cosh (p_i - t_i)

    Accurate to a few ulps for every residual (checked against mpmath from 1e-9 to 1e4): for ``|e| < 2`` it is
    ``log1p(cosh e − 1)`` with ``cosh e − 1 = expm1(e)² / (2 eᵉ)``, which keeps its relative accuracy however
    small ``e`` is; beyond, ``|e| − log 2 + log1p(exp(−2|e|))``, which never overflows. Keras's
    ``e + softplus(−2e) − log 2`` and optax's ``logaddexp(e, −e) − log 2`` subtract ``log 2`` from a number
    near ``log 2`` at small ``e``: they lose all relative accuracy below ``|e| ≈ 1e-4`` in float32 (0 at
    ``e = 1e-8``, where the loss is 5e-17).

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    TypeError, ValueError
        As in :func:`mean_squared_error`.

    See Also
    --------
    keras.losses.LogCosh, optax.log_cosh : the same loss (less accurate near 0).

    Examples
    --------
    >>> import numpy as np, lossport
    >>> loss = lossport.log_cosh(np.array([1e-8, 20.0]), np.zeros(2), reduction="none")
    >>> [f"{v:.12g}" for v in loss]  # e²/2 and 20 − log 2 (+ log1p(e⁻⁴⁰) = 4e-18)
    ['5e-17', '19.3068528194']
    """
    check_reduction(reduction)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_LOG_COSH, ((), reduction), predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _log_cosh(knobs: tuple[()], p: Array, t: Array, /, *, xp: Any) -> Array:
    """``log cosh(p − t)``: ``log1p(expm1(|e|)² / (2 e^|e|))`` below ``|e| = 2``, ``|e| − log 2 +
    log1p(e^(−2|e|))`` above."""
    error = p - t
    abs_error = xp.abs(error)
    small = abs_error < _LOG_COSH_SWITCH
    # Each branch gets a harmless argument where it is discarded: expm1(e)² overflows for large |e|. Both take |e|,
    # so the loss is exactly even.
    e_small = xp.where(small, abs_error, xp.zeros_like(abs_error))
    em1 = xp.expm1(e_small)
    near = xp.log1p(em1 * em1 / (2.0 * xp.exp(e_small)))
    e_large = xp.where(small, xp.full_like(error, _LOG_COSH_SWITCH), abs_error)
    far = (e_large - _LOG2) + xp.log1p(xp.exp(-2.0 * e_large))
    return xp.where(small, near, far)


def _log_cosh_vjp(knobs: tuple[()], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
                  xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p = tanh(p − t) = −∂ℓ/∂t`` (no difference of exponentials), times the reduction's cotangent."""
    grad = xp.tanh(p - t) * scale
    return of_difference(grad, needs)


_LOG_COSH = elementwise_rule("log_cosh", _log_cosh, _log_cosh_vjp, blocks=True)


def quantile(
    predictions: Array,
    targets: Array,
    /,
    *,
    quantile: float = 0.5,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Quantile (pinball) loss: minimised in expectation by the `quantile`-th quantile of the target.

    .. math:: \ell_i = \max\big(q\, e_i,\; (q - 1)\, e_i\big), \quad e_i = t_i - p_i

    An under-prediction (``t > p``) costs ``q`` per unit, an over-prediction ``1 − q``; ``q = 0.5`` is half the
    absolute error. The gradient at ``p = t`` is ``½ − q`` in the predictions (``maximum``'s even split of
    a tie, as in JAX and torch) on every framework.

    Parameters
    ----------
    predictions, targets : array, shape ``(...)``
    quantile : float or 0-D array, default 0.5
        The quantile level ``q``, in ``[0, 1]`` (scikit-learn's ``alpha``).
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If `quantile` is outside ``[0, 1]``, or as in :func:`mean_squared_error`.

    See Also
    --------
    sklearn.metrics.mean_pinball_loss : the same loss, ``alpha=quantile``.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p, t = np.array([0.0, 3.0]), np.array([2.0, 1.0])  # e = t − p = [2, −2]
    >>> lossport.quantile(p, t, quantile=0.75, reduction="none")  # 0.75·2, 0.25·2
    array([1.5, 0.5])
    """
    check_reduction(reduction)
    check_fraction("quantile", quantile)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    loss = apply(_PINBALL, ((knob(quantile, predictions, xp=xp),), reduction), predictions, targets, weights, where,
                 xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _pinball(knobs: tuple[float], p: Array, t: Array, /, *, xp: Any) -> Array:
    """``max(q·e, (q − 1)·e)``, ``e = t − p``."""
    (q,) = knobs
    error = t - p
    return xp.maximum(q * error, (q - 1.0) * error)


def _pinball_vjp(knobs: tuple[float], p: Array, t: Array, /, *, scale: Array, needs: tuple[bool, ...],
                 xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂p = ½(sign(p − t) + 1 − 2q) = −∂ℓ/∂t``: ``1 − q`` above the target, ``−q`` below, ``½ − q`` at it
    (``maximum``'s even split of a tie), times the reduction's cotangent."""
    (q,) = knobs
    grad = (sign(p - t, xp=xp) + (1.0 - 2.0 * q)) * (0.5 * scale)
    return of_difference(grad, needs)


_PINBALL = elementwise_rule("quantile", _pinball, _pinball_vjp, blocks=True)


# -- likelihoods: Poisson, Gaussian -----------------------------------------------------------------------------

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def poisson_nll(
    predictions: Array,
    targets: Array,
    /,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Poisson negative log-likelihood of counts `targets` under predicted rates (torch's ``poisson_nll_loss``).

    .. math:: \ell_i = e^{x_i} - t_i x_i \quad (\text{log_input}), \qquad
              \ell_i = \lambda_i - t_i \log(\lambda_i + \varepsilon) \quad (\text{otherwise})

    without the ``log(t!)`` term, so the minimum is not 0. ``full=True`` adds Stirling's approximation of it,
    ``t log t − t + ½ log(2π t)``, where ``t > 1`` only (0 elsewhere), as torch and TensorFlow do. ``0 · log 0``
    and ``0 · (−∞)`` count as 0 (so ``eps=0`` is exact at a zero rate with a zero count). The gradient in the
    targets is the loss's true one, ``−x`` (or ``−log(λ + ε)``), at a zero count too.

    Keras's ``Poisson`` is ``poisson_nll(rates, t, log_input=False, eps=1e-7)``; TensorFlow's
    ``log_poisson_loss(t, x, compute_full_loss=full)`` is ``poisson_nll(x, t, full=full, reduction="none")``.

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        Log-rates ``x`` (``log_input=True``) or rates ``λ ≥ 0``.
    targets : array, the same shape
        Counts (any non-negative values).
    log_input : bool, default True
    full : bool, default False
        Add the Stirling term (where ``t > 1``).
    eps : float or 0-D array, default 1e-8
        Added to the rate inside the log when ``log_input=False`` (torch: 1e-8, Keras: 1e-7); non-negative.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `log_input` or `full` is not a bool, or as in :func:`mean_squared_error`.
    ValueError
        If `eps` is negative, a target is negative, or a rate is negative (``log_input=False``) on concrete
        arrays; or as in :func:`mean_squared_error`.

    See Also
    --------
    torch.nn.functional.poisson_nll_loss, keras.losses.Poisson, tf.nn.log_poisson_loss
    tweedie_deviance : with ``power=1``, the Poisson deviance (0 at a perfect prediction).

    Examples
    --------
    >>> import numpy as np, lossport
    >>> x, t = np.array([0.0, 1.0]), np.array([0.0, 2.0])
    >>> float(lossport.poisson_nll(x, t))  # ((1 − 0) + (e − 2)) / 2
    0.8591409142295225
    >>> rates = np.array([1.0, 2.0])
    >>> lossport.poisson_nll(rates, t, log_input=False, eps=0.0, reduction="none")  # [1, 2 − 2 log 2]
    array([1.        , 0.61370564])
    """
    check_reduction(reduction)
    check_bool("log_input", log_input)
    check_bool("full", full)
    check_positive("eps", eps, allow_zero=True)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    check_non_negative_values("targets", targets, xp=xp)
    if not log_input:
        check_non_negative_values("predictions", predictions, xp=xp)
    params = ((log_input, full, knob(eps, predictions, xp=xp)), reduction)
    loss = apply(_POISSON_NLL, params, predictions, targets, weights, where, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _poisson_nll(knobs: tuple[bool, bool, float], x: Array, t: Array, /, *, xp: Any) -> Array:
    """``eˣ − t·x`` (log-rates) or ``λ − t·log(λ + ε)`` (rates), a zero count's term 0; plus Stirling's
    ``t log t − t + ½ log(2π t)`` where ``t > 1`` when ``full``."""
    log_input, full, eps = knobs
    loss = xp.exp(x) - mul0(t, x, xp=xp) if log_input else x - xlogy(t, x + eps, xp=xp)
    if full:
        above = t > 1
        t = xp.where(above, t, xp.ones_like(t))  # log's argument stays positive on both branches
        log_t = xp.log(t)
        stirling = t * log_t - t + 0.5 * log_t + _HALF_LOG_2PI
        loss = loss + xp.where(above, stirling, xp.zeros_like(stirling))
    return loss


def _poisson_nll_vjp(knobs: tuple[bool, bool, float], x: Array, t: Array, /, *, scale: Array,
                     needs: tuple[bool, ...], xp: Any) -> tuple[Array | None, Array | None]:
    """``∂ℓ/∂x = eˣ − t``, ``∂ℓ/∂t = −x`` (log-rates); ``∂ℓ/∂λ = ((λ − t) + ε) / (λ + ε)``, ``∂ℓ/∂t = −log(λ + ε)``
    (rates); ``full`` adds ``log t + 1/(2t)`` to ``∂ℓ/∂t`` where ``t > 1``; each times the reduction's cotangent.
    ``∂ℓ/∂t`` is the true derivative at ``t = 0`` too (the composition's ``mul0``/``xlogy`` give 0 there). With
    ``ε = 0``, ``∂ℓ/∂λ`` is 1 at ``λ = t = 0`` (the loss is 0 there); at ``λ = ∞`` it is NaN for ``ε > 0``."""
    log_input, full, eps = knobs
    grad_x = grad_t = None
    if needs[0]:
        if log_input:
            grad_x = (xp.exp(x) - t) * scale
        elif eps:
            # 1 − t/(λ + ε) without its cancellation near the optimum, where λ − t is exact.
            grad_x = ((x - t) + eps) / (x + eps) * scale
        else:
            # (λ − t)/λ, and at t = 0 the same 1 − t/λ (its t-derivative kept) with λ = 0 made harmless: 1 there
            # (0/0 otherwise), and no 0/0 on either discarded branch.
            zero = t == 0
            at_zero = 1.0 - t / xp.where(x == 0, xp.ones_like(x), x)
            grad_x = xp.where(zero, at_zero, (x - t) / xp.where(zero, xp.ones_like(x), x)) * scale
    if needs[1]:
        near = xp.abs(x - 1.0) < 0.5  # log(λ + ε) = log1p(λ − 1) + log1p(ε/λ): λ + ε rounds, λ − 1 does not
        safe = xp.where(near, x, xp.ones_like(x))
        grad_t = -x if log_input else -xp.where(near, xp.log1p(safe - 1.0) + xp.log1p(eps / safe), xp.log(x + eps))
        if full:
            above = t > 1
            safe_t = xp.where(above, t, xp.ones_like(t))
            stirling = xp.log(safe_t) + 0.5 / safe_t
            grad_t = grad_t + xp.where(above, stirling, xp.zeros_like(stirling))
        grad_t = grad_t * scale
    return grad_x, grad_t


_POISSON_NLL = elementwise_rule("poisson_nll", _poisson_nll, _poisson_nll_vjp, blocks=True)


def _same_dims(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> list[bool]:
    return [i is None or j is None or i == j for i, j in zip(a, b)]


def _variances_like(variances: Array, shape: tuple[int | None, ...], /, *, xp: Any) -> Array:
    """`variances` made to broadcast against the predictions' ``shape``, by torch's rule, or a ValueError."""
    vshape = tuple(variances.shape)
    if len(vshape) == len(shape):
        same = _same_dims(vshape, shape)
        if all(same) or (same.count(False) == 1 and vshape[same.index(False)] == 1):
            return variances
    elif len(shape) >= 1 and len(vshape) == len(shape) - 1 and all(_same_dims(vshape, shape[:-1])):
        return xp.expand_dims(variances, axis=-1)  # one variance per sample, shared along the last axis
    msg = (
        f"`variances` must have the predictions' shape {shape}, that shape with one axis of size 1, or that "
        f"shape without its last axis; got {vshape}"
    )
    raise ValueError(msg)


def gaussian_nll(
    predictions: Array,
    targets: Array,
    variances: Array,
    /,
    *,
    full: bool = False,
    eps: float = 1e-6,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Gaussian negative log-likelihood of `targets` under means `predictions` and `variances`.

    .. math:: \ell_i = \tfrac12 \left(\log \max(v_i, \varepsilon) + \frac{(p_i - t_i)^2}{\max(v_i, \varepsilon)}
              \right) \;\big[+ \tfrac12 \log 2\pi\big]

    The variances are clamped at `eps` (torch's ``gaussian_nll_loss``); ``full=True`` adds the constant
    ``½ log 2π``. Below `eps` the gradient with respect to the variances is 0 (the clamp's); torch clamps
    under ``no_grad`` and passes the gradient through as if unclamped: the values agree, those gradients do not.

    Variances' shapes (torch's rule): the predictions' shape (one variance per element); that shape with one
    axis of size 1 (a variance shared along that axis, e.g. ``(N, 1)`` for ``(N, D)`` predictions); or that
    shape without its last axis (``(N,)`` for ``(N, D)``: one variance per sample, expanded along the last axis
    — not NumPy's trailing-axis broadcasting). Anything else is a ``ValueError``.

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        The means.
    targets : array, the same shape
    variances : array, see above
        Non-negative (a ``ValueError`` on concrete arrays).
    full : bool, default False
        Add ``½ log 2π``.
    eps : float or 0-D array, default 1e-6
        The variances' floor; non-negative.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`, against the predictions' shape.

    Returns
    -------
    array
        0-D, or of the predictions' shape for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `predictions` is not floating or `full` is not a bool, or the inputs mix frameworks.
    ValueError
        If a variance is negative (on concrete arrays), the variances' shape is not one of the above, `eps` is
        negative, or as in :func:`mean_squared_error`.

    See Also
    --------
    torch.nn.functional.gaussian_nll_loss : the same loss.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> p, t, v = np.array([1.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 1.0])
    >>> float(lossport.gaussian_nll(p, t, v))  # (½·(0 + 1) + 0) / 2
    0.25
    >>> float(lossport.gaussian_nll(p, t, v, full=True))  # + ½ log 2π
    1.1689385332046727
    """
    check_reduction(reduction)
    check_bool("full", full)
    check_positive("eps", eps, allow_zero=True)
    if isinstance(variances, (bool, int, float)):
        msg = (
            f"`variances` must be an array; got {type(variances).__name__} (for one shared variance, pass an "
            "array of the predictions' shape)"
        )
        raise TypeError(msg)
    names = ("predictions", "targets", "variances", "weights", "where")
    xp = array_namespace(predictions, targets, variances, weights, where, xp=xp, names=names)
    check_floating("predictions", predictions, xp=xp)
    check_same_shape("predictions", predictions, "targets", targets)
    dtype, out_dtype = compute_dtype(predictions, targets, variances, xp=xp)
    predictions = xp.astype(predictions, dtype, copy=False)
    targets = xp.astype(targets, dtype, copy=False)
    variances = xp.astype(variances, dtype, copy=False)
    variances = _variances_like(variances, tuple(predictions.shape), xp=xp)
    check_non_negative_values("variances", variances, xp=xp)
    params = ((full, knob(eps, predictions, xp=xp)), reduction)
    loss = apply(_GAUSSIAN_NLL, params, predictions, targets, weights, where, variances, xp=xp)
    return loss if loss.dtype == out_dtype else xp.astype(loss, out_dtype)


def _gaussian_nll(knobs: tuple[bool, float], p: Array, t: Array, v: Array, /, *, xp: Any) -> Array:
    """``½(log v + (p − t)²/v)``, ``v`` clipped below at ``ε`` (plus ``½ log 2π`` when ``full``)."""
    full, eps = knobs
    v = xp.clip(v, min=eps)
    error = p - t
    loss = 0.5 * (xp.log(v) + error * error / v)
    return loss + _HALF_LOG_2PI if full else loss


def _gaussian_nll_vjp(knobs: tuple[bool, float], p: Array, t: Array, v: Array, /, *, scale: Array,
                      needs: tuple[bool, ...], xp: Any) -> tuple[Array | None, ...]:
    """``∂ℓ/∂p = e/v = −∂ℓ/∂t``, ``∂ℓ/∂v = ½(1 − e·(e/v))/v`` (0 where ``v < ε``), ``e = p − t``, ``v``
    clipped at ``ε``, each times the reduction's cotangent."""
    _, eps = knobs
    v_c = xp.clip(v, min=eps)
    error = p - t
    ratio = error / v_c
    grad_p = ratio * scale if needs[0] or needs[1] else None
    grad_v = None
    if needs[2]:
        grad_v = (1.0 - error * ratio) / v_c * (0.5 * scale)
        grad_v = xp.where(v < eps, xp.zeros_like(grad_v), grad_v)
    return (grad_p if needs[0] else None), (-grad_p if needs[1] and grad_p is not None else None), grad_v


_GAUSSIAN_NLL = elementwise_rule("gaussian_nll", _gaussian_nll, _gaussian_nll_vjp, blocks=True)


# -- Tweedie deviance -------------------------------------------------------------------------------------------


def tweedie_deviance(
    predictions: Array,
    targets: Array,
    /,
    *,
    power: float = 0.0,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Tweedie deviance of `targets` ``y`` under predicted means `predictions` ``μ``, for a variance power ``p``.

    .. math:: d(y, \mu) = 2 \int_\mu^y \frac{y - s}{s^p}\, ds
              = 2\left(\frac{\max(y,0)^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p}
              + \frac{\mu^{2-p}}{2-p}\right)

    with its limits: ``p = 0`` the squared error ``(y − μ)²``, ``p = 1`` the Poisson deviance
    ``2(y log(y/μ) − y + μ)`` (``0·log 0 = 0``), ``p = 2`` the gamma deviance ``2(log(μ/y) + y/μ − 1)``;
    ``p = 3`` is the inverse Gaussian. Powers in ``(0, 1)`` are rejected (no Tweedie distribution exists there),
    as scikit-learn does. Domains, checked on concrete arrays as scikit-learn does: ``p < 0``: ``μ > 0``;
    ``1 <= p < 2``: ``y >= 0``, ``μ > 0``; ``p >= 2``: ``y > 0``, ``μ > 0``.

    Accurate to a few ulps for every power, tiny deviances included: the textbook formula (scikit-learn's)
    subtracts terms of size ``μ^(2−p)/|(1−p)(2−p)|`` to form a deviance that vanishes quadratically as ``y → μ``,
    and loses every digit there (and most of them for powers near 1 or 2). Here the deviance near ``y = μ`` is
    a power series in ``log(y/μ)``, and elsewhere a rearrangement without large cancellation
    (``lossport/_tweedie.py`` has the forms). 0 at a perfect prediction, with gradient 0.

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        The means ``μ``.
    targets : array, the same shape
        The observations ``y``.
    power : float, default 0.0
        The variance power ``p``: ``<= 0`` or ``>= 1``.
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    TypeError
        If `power` is not a number, or as in :func:`mean_squared_error`.
    ValueError
        If `power` is in ``(0, 1)`` or not finite, if the values are outside the power's domain (concrete
        arrays), or as in :func:`mean_squared_error`.

    See Also
    --------
    sklearn.metrics.mean_tweedie_deviance : the same (``power=p``); ``mean_poisson_deviance`` is ``power=1``,
        ``mean_gamma_deviance`` ``power=2``.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> mu, y = np.array([2.0, 1.0]), np.array([0.0, 2.0])
    >>> loss = lossport.tweedie_deviance(mu, y, power=1, reduction="none")  # [2μ, 2(2 log 2 − 1)]
    >>> [round(float(v), 15) for v in loss]
    [4.0, 0.772588722239781]
    >>> round(float(lossport.tweedie_deviance(np.array([1.0]), np.array([2.0]), power=2)), 15)  # 2(1 − log 2)
    0.613705638880109
    """
    check_reduction(reduction)
    check_power(power)
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    power = float(power)
    if power < 0:
        check_positive_values("predictions", predictions, xp=xp)
    elif power >= 1:
        check_positive_values("predictions", predictions, xp=xp)
        if power < 2:
            check_non_negative_values("targets", targets, xp=xp)
        else:
            check_positive_values("targets", targets, xp=xp)
    if power == 0:
        error = predictions - targets
        loss = error * error
    else:
        loss = tweedie_unit_deviance(targets, predictions, power, xp=xp)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
