"""Dispatch: find the Array API namespace of a loss's inputs, once per call.

TensorFlow tensors get lossport's own TensorFlow namespace (array-api-compat has none); NumPy, PyTorch and JAX
arrays get their array-api-compat (or native) namespace directly from their adapter; anything else (array-api-strict,
CuPy, Dask, ...) goes to ``array_api_compat.array_namespace``. Detection looks in ``sys.modules`` and caches by
type, so it never imports a framework and costs about a microsecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lossport import backends

__all__ = ["USED_NAMESPACE_FUNCTIONS", "array_namespace", "device"]

_SCALARS = (bool, int, float, complex)

# Every namespace function and dtype that lossport calls, kept in one place: each adapter's namespace is tested
# against this list (tests/test_namespaces.py), and a test checks that lossport/ calls nothing outside it.
USED_NAMESPACE_FUNCTIONS: tuple[str, ...] = (
    # dtypes and their queries
    "bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64",
    "astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type",
    # creation
    "arange", "asarray", "full", "full_like", "ones", "ones_like", "zeros", "zeros_like",
    # elementwise
    "abs", "add", "clip", "copysign", "cosh", "divide", "equal", "exp", "expm1", "greater", "greater_equal",
    "hypot", "isfinite", "isinf", "isnan", "less", "less_equal", "log", "log1p", "logaddexp",
    "logical_and", "logical_not", "logical_or", "maximum", "minimum", "multiply", "negative",
    "not_equal", "pow", "sign", "signbit", "sqrt", "square", "subtract", "tanh", "where",
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


def array_namespace(*arrays: Any, xp: Any = None, names: Sequence[str] | None = None) -> Any:
    """The Array API namespace of ``arrays``, or ``xp`` when given.

    Parameters
    ----------
    *arrays : array or None or Python scalar
        The inputs of one loss call. ``None`` and Python scalars are ignored.
    xp : namespace, optional
        Returned as is when given (after checking that every input is an array at all).
    names : sequence of str, optional
        The arguments' names, used in error messages.

    Returns
    -------
    namespace
        ``array_api_compat.numpy`` for NumPy, ``array_api_compat.torch`` for PyTorch, ``jax.numpy`` for JAX,
        lossport's TensorFlow namespace for TensorFlow, and whatever ``array_api_compat.array_namespace``
        returns for any other Array API library.

    Raises
    ------
    TypeError
        If an input is not an array (a Python list, say), if the inputs come from two frameworks, or if there
        is no array among them.
    """
    if xp is not None:
        for i, x in enumerate(arrays):
            if x is not None and not isinstance(x, _SCALARS) and not hasattr(x, "dtype"):
                raise _not_an_array(x, i, names)
        return xp
    adapter = None
    others: list[Any] = []
    for i, x in enumerate(arrays):
        if x is None or isinstance(x, _SCALARS):
            continue
        found = backends.adapter_for(x)
        if found is None:
            if isinstance(x, (list, tuple, str, bytes, dict)) or not hasattr(x, "__array_namespace__"):
                raise _not_an_array(x, i, names)
            others.append(x)
        elif adapter is None:
            adapter = found
        elif found is not adapter:
            _fail_mixed(adapter.NAME, found.NAME)
    if adapter is not None:
        if others:
            _fail_mixed(adapter.NAME, type(others[0]).__module__.split(".")[0])
        return adapter.namespace()
    if not others:
        msg = "lossport needs at least one array input; got only None or Python scalars"
        raise TypeError(msg)
    import array_api_compat

    try:
        return array_api_compat.array_namespace(*others)
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
