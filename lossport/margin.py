"""Margin losses on ±1 labels."""

from __future__ import annotations

from typing import Any

from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import check_sign_labels, elementwise_inputs

__all__ = ["hinge"]

Array = Any


def hinge(
    predictions: Array,
    labels: Array,
    /,
    *,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Binary hinge loss on ±1 labels.

    .. math:: \ell_i = \max(0, 1 - y_i s_i)

    Labels must be -1 or +1 (a ``ValueError`` on concrete arrays, whose message suggests ``2 * labels - 1`` for
    0/1 labels). Keras converts 0/1 labels automatically, by a branch on their values that a traced function
    cannot take, and ``tf.compat.v1.losses.hinge_loss`` always converts, so ±1 labels become -3/+1 there;
    lossport does neither.

    Parameters
    ----------
    predictions : array, shape ``(...)``, real floating
        Scores (decision values), not probabilities.
    labels : array, shape ``(...)``, -1 or +1
    weights, where, reduction, xp
        As in :func:`lossport.mean_squared_error`.

    Returns
    -------
    array
        0-D, or of the inputs' shape for ``reduction="none"``.

    Raises
    ------
    ValueError
        If a label is neither -1 nor +1 (on concrete arrays), or the shapes differ.

    See Also
    --------
    keras.losses.Hinge, optax.hinge_loss, sklearn.metrics.hinge_loss, tf.compat.v1.losses.hinge_loss

    Examples
    --------
    >>> import numpy as np, lossport
    >>> lossport.hinge(np.array([0.3, -0.5, 2.0]), np.array([1, 1, -1]), reduction="none")
    array([0.7, 1.5, 3. ])
    """
    check_reduction(reduction)
    xp, predictions, labels, out_dtype = elementwise_inputs(
        predictions, labels, weights, where, names=("predictions", "labels"), xp=xp
    )
    check_sign_labels("labels", labels, xp=xp)
    loss = xp.clip(1.0 - labels * predictions, min=0.0)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)
