"""NumPy adapter: ``array_api_compat.numpy`` as the namespace, ``np.logaddexp`` for the softplus family."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative

NAME = "numpy"
NAMESPACE_NAMES = ("array_api_compat.numpy", "numpy")


def framework_imported() -> bool:
    return "numpy" in sys.modules


def is_array(x: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, (np.ndarray, np.generic))


def namespace() -> ModuleType:
    import array_api_compat.numpy

    return array_api_compat.numpy


def _native() -> Mapping[str, Callable[..., Any]]:
    import numpy as np

    inf = np.inf

    # The log-sum-exp family keeps lossport's accurate form, m + log1p(Σ_{j≠argmax} e^(x_j − m)) (_numerics.py),
    # with NumPy's fewest passes: np.argmax is as fast as np.max and gives the index to drop; exp and the
    # subtraction write into one temporary (lossport never writes into its inputs). As many passes as the plain
    # max-shifted m + log(Σ e^(x − m)), which loses a confident prediction's 1e-13 loss (benchmarks/README.md).
    # Along the last axis, one element per row is read or written by fancy indexing: take_along_axis and
    # put_along_axis cost 13 µs each in index bookkeeping, more than the arithmetic of a 32 x 32 input.

    def _rows(shape: tuple[int, ...], axis: int) -> Any:
        return None if axis not in (-1, len(shape) - 1) else np.arange(int(np.prod(shape[:-1])))

    def _take(x: Any, index: Any, axis: int, rows: Any) -> Any:
        if rows is None or not x.flags.c_contiguous:  # a moved class axis: a reshape would copy x
            return np.take_along_axis(x, index, axis=axis)
        return x.reshape(-1, x.shape[-1])[rows, index.reshape(-1)].reshape(index.shape)

    def _put(a: Any, index: Any, value: Any, axis: int, rows: Any) -> None:
        if rows is None or not a.flags.c_contiguous:  # a reshape would copy, and the write would be lost
            np.put_along_axis(a, index, value, axis=axis)
        else:
            a.reshape(-1, a.shape[-1])[rows, index.reshape(-1)] = np.reshape(value, -1)

    def logsumexp(x: Any, *, axis: int = -1, keepdims: bool = False) -> Any:
        rows = _rows(x.shape, axis)
        k = np.argmax(x, axis=axis, keepdims=True)
        m = _take(x, k, axis, rows)
        finite = np.isfinite(m)
        m_safe = np.where(finite, m, 0)
        terms = x - m_safe
        _put(terms, k, -inf, axis, rows)  # drop the maximal term, which is exactly 1
        np.exp(terms, out=terms)
        out = np.where(finite, m_safe + np.log1p(terms.sum(axis=axis, keepdims=True)), m)
        return out if keepdims else np.squeeze(out, axis=axis)

    def log_softmax(x: Any, *, axis: int = -1) -> Any:
        rows = _rows(x.shape, axis)
        k = np.argmax(x, axis=axis, keepdims=True)
        m = _take(x, k, axis, rows)
        shifted = x - np.where(m == -inf, 0, m)  # a +inf entry gives inf - inf = NaN, as documented
        terms = np.exp(shifted)
        _put(terms, k, 0, axis, rows)
        shifted -= np.log1p(terms.sum(axis=axis, keepdims=True))
        return shifted

    def log_softmax_at(x: Any, indices: Any, *, axis: int = -1) -> Any:
        # The picked index is known, so it is summed apart with no argmax (_numerics._log_softmax_at_generic).
        rows = _rows(x.shape, axis)
        index = np.expand_dims(indices, axis)
        m = np.max(x, axis=axis, keepdims=True)
        m_safe = np.where(np.isfinite(m), m, 0)
        terms = x - m_safe
        np.exp(terms, out=terms)
        _put(terms, index, 0, axis, rows)
        shifted = _take(x, index, axis, rows) - m_safe
        others = terms.sum(axis=axis, keepdims=True)
        excess = np.log1p(np.maximum(others + np.expm1(shifted), 0))
        return np.squeeze(shifted - excess, axis=axis)

    def mul0(a: Any, b: Any) -> Any:
        # The generic a * where(a == 0, 0, b).
        return a * np.where(a == 0, 0, b)

    def clamped_log(p: Any, *, floor: float = -100.0) -> Any:
        # max(log p, floor), and floor wherever p is not positive (NaN included), as the generic double where,
        # whose inner where is there for autodiff (NumPy has none): 4 passes instead of 7.
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(p > 0, np.maximum(np.log(p), floor), floor).astype(p.dtype, copy=False)

    # max(x, 0) + log1p(exp(-|x|)): exact at +-inf, within an ulp, and 1.7 x faster than np.logaddexp(x, 0) at
    # 1e6 float32 elements (NumPy's logaddexp loop is not vectorised; exp, abs and maximum are). No autodiff
    # here, so the kink of the pieces at 0 does not matter (the generic form is logaddexp for its gradient).
    def softplus(x: Any) -> Any:
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def log_sigmoid(x: Any) -> Any:
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    return {
        "clamped_log": clamped_log,
        "log_sigmoid": log_sigmoid,
        "log_softmax": log_softmax,
        "log_softmax_at": log_softmax_at,
        "logsumexp": logsumexp,
        "mul0": mul0,
        "softplus": softplus,
    }


native = LazyNative(_native)


def is_concrete(x: object) -> bool:
    return True


def is_cpu(x: object) -> bool:
    return True


def device(x: Any) -> Any:
    return "cpu"


def to_numpy(x: Any) -> Any:
    import numpy as np

    return np.asarray(x)
