"""Dispatch: find the Array API namespace of a loss's inputs, once per call.

TensorFlow tensors get lossport's own TensorFlow namespace (array-api-compat has none); NumPy, PyTorch and JAX
arrays get their array-api-compat (or native) namespace directly from their adapter; anything else (array-api-strict,
CuPy, Dask, ...) goes to ``array_api_compat.array_namespace``. Detection looks in ``sys.modules`` and caches by
type, so it never imports a framework and costs about a microsecond.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

from lossport import backends

__all__ = ["USED_NAMESPACE_FUNCTIONS", "array_namespace", "device", "is_scalar"]

_SCALARS = (bool, int, float, complex)
_NUMPY_NAMESPACES = ("array_api_compat.numpy", "numpy")

# Every namespace function and dtype that lossport calls, kept in one place: each adapter's namespace is tested
# against this list (tests/test_namespaces.py), and a test checks that lossport/ calls nothing outside it.
USED_NAMESPACE_FUNCTIONS: tuple[str, ...] = (
    # dtypes and their queries
    "bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64",
    "astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type",
    # creation
    "arange", "asarray", "full", "full_like", "ones", "ones_like", "zeros", "zeros_like",
    # elementwise
    "abs", "add", "clip", "copysign", "cos", "cosh", "divide", "equal", "exp", "expm1", "greater", "greater_equal",
    "hypot", "isfinite", "isinf", "isnan", "less", "less_equal", "log", "log1p", "logaddexp",
    "logical_and", "logical_not", "logical_or", "maximum", "minimum", "multiply", "negative",
    "not_equal", "pow", "sign", "signbit", "sin", "sqrt", "square", "subtract", "tanh", "where",
    # reductions and searches
    "all", "any", "argmax", "argmin", "argsort", "cumulative_sum", "max", "mean", "min", "prod", "sort", "sum",
    "ceil", "floor", "reciprocal", "round", "trunc",
    # shapes, indexing and linear algebra
    "broadcast_arrays", "broadcast_to", "concat", "expand_dims", "eye", "flip", "linalg", "linspace",
    "matmul", "matrix_transpose", "moveaxis", "permute_dims", "reshape", "squeeze", "stack", "take",
    "take_along_axis", "unstack", "vecdot",
)


def _fail_mixed(first: str, second: str) -> None:
    msg = (
        f"lossport takes the arrays of one framework per call; got {first} and {second} arrays. "
        "Convert them to one framework first."
    )
    raise TypeError(msg)


def _not_an_array(x: object, index: int, names: Sequence[str] | None) -> TypeError:
    what = f"`{names[index]}`" if names and index < len(names) else f"argument {index}"
    hint = " (a Python list or tuple is not an array: convert it with your framework's asarray)"
    return TypeError(
        f"{what} must be an array of a supported framework (NumPy, JAX, PyTorch, TensorFlow, or any "
        f"Array API library); got {type(x).__name__}{hint if isinstance(x, (list, tuple)) else ''}"
    )


def _is_array_api_obj(x: object) -> bool:
    """An array of any Array API library: one with ``__array_namespace__``, or one array-api-compat wraps (Dask,
    recognised by its type's module without importing Dask)."""
    if hasattr(x, "__array_namespace__"):
        return True
    import array_api_compat

    return bool(array_api_compat.is_array_api_obj(x))


# -- primitives some namespaces lack: one fallback each, used only where the namespace has none ---------------


def _take_along_axis(xp: Any) -> Any:
    def take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
        """``x``'s entries at ``indices`` along ``axis`` by a one-hot mask (O(k·n) memory: a fallback only)."""
        x_last = xp.moveaxis(x, axis, -1)
        index = xp.moveaxis(indices, axis, -1)
        n = x_last.shape[-1]
        index = xp.where(index < 0, index + n, index)
        hit = xp.expand_dims(index, axis=-1) == xp.arange(n, dtype=index.dtype, device=device(x))
        rows = xp.expand_dims(x_last, axis=-2)
        picked = xp.sum(xp.where(hit, rows, xp.zeros_like(rows)), axis=-1, dtype=x.dtype)
        return xp.moveaxis(picked, -1, axis)

    return take_along_axis


def _arange(xp: Any) -> Any:
    def arange(start: float, /, stop: float | None = None, step: float = 1, *, dtype: Any = None,
               device: Any = None) -> Any:
        """``start, start + step, ...`` below ``stop``, through a Python list (lossport's ranges are class or
        position counts, known at the call: a fallback only)."""
        if stop is None:
            start, stop = 0, start
        count = max(0, math.ceil((stop - start) / step))
        return xp.asarray([start + i * step for i in range(count)], dtype=dtype, device=device)

    return arange


def _pairs(xp: Any, x: Any, axis: int) -> tuple[Any, Any, Any]:
    """``x`` with ``axis`` last, and its positions ``i`` as a column and ``j`` as a row: the O(n²) pairwise
    comparisons of the fallbacks below."""
    x_last = xp.moveaxis(x, axis, -1)
    n = x_last.shape[-1]
    positions = xp.arange(n, device=device(x))
    return x_last, xp.expand_dims(positions, axis=-1), positions


def _cumulative_sum(xp: Any) -> Any:
    def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None, include_initial: bool = False) -> Any:
        """``Σ_{j≤k} x_j`` along ``axis`` as a masked sum over all pairs (O(n²) memory: a fallback only); the mask
        selects, rather than multiplies by 0/1, so an inf or NaN reaches only the sums that include it."""
        axis = 0 if axis is None else axis
        x_last, k, j = _pairs(xp, x, axis)
        if dtype is None:  # the standard's accumulation dtype, which is `sum`'s
            dtype = xp.sum(x_last[..., :1], axis=-1).dtype
        rows = xp.expand_dims(xp.astype(x_last, dtype), axis=-2)
        out = xp.sum(xp.where(j <= k, rows, xp.zeros_like(rows)), axis=-1, dtype=dtype)
        if include_initial:
            out = xp.concat([xp.zeros_like(out[..., :1]), out], axis=-1)
        return xp.moveaxis(out, -1, axis)

    return cumulative_sum


def _argsort(xp: Any) -> Any:
    def argsort(x: Any, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Any:
        """The stable sorting permutation along ``axis``, from each entry's rank (the entries that sort before it:
        smaller, or larger when ``descending``, or equal and earlier), by O(n²) comparisons: a fallback only."""
        x_last, i, j = _pairs(xp, x, axis)
        mine, other = xp.expand_dims(x_last, axis=-1), xp.expand_dims(x_last, axis=-2)
        before = (other > mine) if descending else (other < mine)
        rank = xp.sum(xp.astype(before | ((other == mine) & (j < i)), i.dtype), axis=-1)
        order = xp.sum(xp.where(xp.expand_dims(rank, axis=-2) == i, j, xp.zeros_like(j)), axis=-1)
        return xp.moveaxis(order, -1, axis)

    return argsort


_FALLBACKS: dict[str, Any] = {
    "take_along_axis": _take_along_axis, "arange": _arange, "cumulative_sum": _cumulative_sum, "argsort": _argsort,
}


class _Completed:
    """A namespace with lossport's fallbacks for the primitives it lacks; everything else is the namespace's own."""

    def __init__(self, xp: Any, missing: Sequence[str]) -> None:
        self._xp = xp
        self.__name__ = getattr(xp, "__name__", type(xp).__name__)
        for name in missing:
            setattr(self, name, _FALLBACKS[name](self))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xp, name)


_completed: dict[int, Any] = {}


def _complete(xp: Any) -> Any:
    """``xp``, or ``xp`` with the fallbacks of :data:`_FALLBACKS` it lacks (Dask has no ``take_along_axis``; pydata
    sparse 0.19 none of the four); cached per namespace."""
    key = id(xp)
    done = _completed.get(key)
    if done is None:
        missing = [name for name in _FALLBACKS if not hasattr(xp, name)]
        done = _Completed(xp, missing) if missing else xp
        _completed[key] = done
    return done


def _is_scalar(x: object) -> bool:
    """A Python number (NumPy's float64 and complex128 subclass Python's, but are NumPy arrays of shape ())."""
    return isinstance(x, _SCALARS) and not hasattr(x, "dtype")


def _is_numpy_scalar(x: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.generic)


def is_scalar(x: object) -> bool:
    """Whether ``x`` is a Python or NumPy scalar: an argument that entries may broadcast into the call's namespace."""
    return _is_scalar(x) or _is_numpy_scalar(x)


def _scalar_where_array(x: object, index: int, names: Sequence[str]) -> TypeError:
    what = f"`{names[index]}`" if index < len(names) else f"argument {index}"
    return TypeError(
        f"{what} must be an array of a supported framework (NumPy, JAX, PyTorch, TensorFlow, or any Array API "
        f"library); got a scalar {type(x).__name__} (convert it with your framework's asarray)"
    )


def array_namespace(*arrays: Any, xp: Any = None, names: Sequence[str] | None = None) -> Any:
    """The Array API namespace of ``arrays``, or ``xp`` when given.

    Parameters
    ----------
    *arrays : array or None or Python scalar
        The inputs of one loss call. ``None`` and Python scalars are ignored. A NumPy scalar (``np.float64(1)``)
        is a NumPy array of shape ``()`` in a call of NumPy arrays, or of NumPy scalars only, and a scalar like
        Python's beside another framework's arrays.
    xp : namespace, optional
        Returned as is when given (after checking that every input is an array at all).
    names : sequence of str, optional
        The arguments' names, used in error messages. Given (lossport's own entries), a scalar is rejected
        with a message naming its argument: an entry that broadcasts a scalar target converts it first.

    Returns
    -------
    namespace
        ``array_api_compat.numpy`` for NumPy, ``array_api_compat.torch`` for PyTorch, ``jax.numpy`` for JAX,
        lossport's TensorFlow namespace for TensorFlow, and whatever ``array_api_compat.array_namespace``
        returns for any other Array API library (Dask included, detected without importing it).

    Raises
    ------
    TypeError
        If an input is not an array (a Python list, say), if the inputs come from two frameworks, or if there
        is no array among them.
    """
    if xp is not None:
        xp = _complete(xp)
        for i, x in enumerate(arrays):
            if x is None:
                continue
            if _is_scalar(x) or (_is_numpy_scalar(x) and getattr(xp, "__name__", "") not in _NUMPY_NAMESPACES):
                if names is not None:
                    raise _scalar_where_array(x, i, names)
            elif not hasattr(x, "dtype"):
                raise _not_an_array(x, i, names)
        return xp
    adapter = None
    others: list[Any] = []
    numpy_scalars: list[int] = []
    for i, x in enumerate(arrays):
        if x is None:
            continue
        if _is_scalar(x):
            if names is not None:
                raise _scalar_where_array(x, i, names)
            continue
        if _is_numpy_scalar(x):
            numpy_scalars.append(i)
            continue
        found = backends.adapter_for(x)
        if found is None:
            if isinstance(x, (list, tuple, str, bytes, dict)) or not _is_array_api_obj(x):
                raise _not_an_array(x, i, names)
            others.append(x)
        elif adapter is None:
            adapter = found
        elif found is not adapter:
            _fail_mixed(adapter.NAME, found.NAME)
    if numpy_scalars:
        if adapter is None and not others:
            adapter = backends.load("numpy")
        elif (adapter is None or adapter.NAME != "numpy") and names is not None:
            raise _scalar_where_array(arrays[numpy_scalars[0]], numpy_scalars[0], names)
    if adapter is not None:
        if others:
            _fail_mixed(adapter.NAME, type(others[0]).__module__.split(".")[0])
        return adapter.namespace()
    if not others:
        msg = "lossport needs at least one array input; got only None or Python scalars"
        raise TypeError(msg)
    import array_api_compat

    try:
        return _complete(array_api_compat.array_namespace(*others))
    except TypeError as e:
        kinds = sorted({type(x).__module__.split(".")[0] for x in others})
        if len(kinds) > 1:
            _fail_mixed(kinds[0], kinds[1])
        raise TypeError(str(e)) from None


def device(x: Any) -> Any:
    """The device to create constants on for ``x`` (None where the framework places them itself)."""
    adapter = backends.adapter_for(x)
    if adapter is not None:
        return adapter.device(x)
    import array_api_compat

    return array_api_compat.device(x)
