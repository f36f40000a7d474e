"""Weight penalties over a sequence of parameter arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lossport._namespace import array_namespace
from lossport._validation import check_finite, check_floating, knob

__all__ = ["l1_penalty", "l2_penalty"]

Array = Any


def _parameters(params: Sequence[Array], xp: Any) -> tuple[Any, list[Array], Any]:
    if not isinstance(params, (list, tuple)):
        msg = f"`params` must be a list or tuple of arrays; got {type(params).__name__}"
        raise TypeError(msg)
    if not params:
        msg = "`params` must hold at least one array; got an empty sequence"
        raise ValueError(msg)
    names = tuple(f"params[{i}]" for i in range(len(params)))
    xp = array_namespace(*params, xp=xp, names=names)
    for name, p in zip(names, params):
        if p is None or isinstance(p, (int, float)):
            msg = f"`{name}` must be an array; got {type(p).__name__}"
            raise TypeError(msg)
        check_floating(name, p, xp=xp)
    dtype = xp.result_type(*params)
    return xp, list(params), dtype


def _penalty(params: Sequence[Array], scale: float | Array, square: bool, xp: Any) -> Array:
    check_finite("scale", scale)
    xp, arrays, dtype = _parameters(params, xp)
    terms = []
    for p in arrays:
        p = xp.astype(p, dtype, copy=False)
        terms.append(xp.sum(p * p) if square else xp.sum(xp.abs(p)))
    total = sum(terms[1:], start=terms[0])
    return knob(scale, total, xp=xp) * total


def l1_penalty(params: Sequence[Array], /, *, scale: float = 1.0, xp: Any = None) -> Array:
    r"""L1 weight penalty, ``scale · Σ_k Σ |w_k|`` over a sequence of parameter arrays.

    Parameters
    ----------
    params : list or tuple of arrays
        Arrays of one framework (any shapes); the one place lossport accepts a Python container of arrays.
    scale : float or 0-D array, default 1.0
        Finite.
    xp : namespace, optional

    Returns
    -------
    array
        0-D, of the parameters' framework and promoted floating dtype.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> float(lossport.l1_penalty([np.array([1.0, -2.0]), np.array([[3.0]])], scale=0.5))
    3.0
    """
    return _penalty(params, scale, False, xp)


def l2_penalty(params: Sequence[Array], /, *, scale: float = 1.0, xp: Any = None) -> Array:
    r"""L2 weight penalty (weight decay), ``scale · Σ_k Σ w_k²`` over a sequence of parameter arrays.

    ``tf.nn.l2_loss(w)`` is ``½ Σ w²`` of one tensor: ``l2_penalty([w], scale=0.5)``.

    Parameters
    ----------
    params : list or tuple of arrays
    scale : float or 0-D array, default 1.0
        Finite.
    xp : namespace, optional

    Returns
    -------
    array
        0-D, of the parameters' framework and promoted floating dtype.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> float(lossport.l2_penalty([np.array([1.0, -2.0]), np.array([[3.0]])]))
    14.0
    """
    return _penalty(params, scale, True, xp)
