"""Regression losses: elementwise functions of a prediction and a target of the same shape."""

from __future__ import annotations

from typing import Any

from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import check_greater_than, check_positive, elementwise_inputs

__all__ = [
    "huber",
    "mean_absolute_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pseudo_huber",
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
    error = predictions - targets
    return reduce_loss(error * error, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


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

    The gradient at ``p = t`` is the subgradient each framework picks for ``abs`` (0 in torch and TensorFlow,
    1 in JAX).

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
    loss = xp.abs(predictions - targets)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


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
    clip_min : float, optional
        Clip both arguments below at this value before the logarithm (Keras: ``1e-7``).
    weights, where, reduction, xp
        As in :func:`mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a value is -1 or less (without `clip_min`), or as in :func:`mean_squared_error`.

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
    xp, predictions, targets, out_dtype = elementwise_inputs(predictions, targets, weights, where, xp=xp)
    if clip_min is None:
        check_greater_than("predictions", predictions, -1, xp=xp)
        check_greater_than("targets", targets, -1, xp=xp)
    else:
        predictions = xp.clip(predictions, min=float(clip_min))
        targets = xp.clip(targets, min=float(clip_min))
    error = xp.log1p(predictions) - xp.log1p(targets)
    return reduce_loss(error * error, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


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
    delta : float, default 1.0
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
    abs_error = xp.abs(predictions - targets)
    quadratic = xp.clip(abs_error, max=float(delta))
    loss = 0.5 * quadratic * quadratic + delta * (abs_error - quadratic)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


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
    delta : float, default 1.0
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
    abs_error = xp.abs(predictions - targets)
    root = xp.hypot(abs_error / delta, xp.ones_like(abs_error))
    loss = abs_error * (abs_error / (root + 1.0))
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
