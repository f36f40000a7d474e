"""The TensorFlow namespace's statistical functions against NumPy: sums (accumulating wide), products, means,
variances, extrema (NaN propagation), cumulative sums.
"""

from __future__ import annotations

import numpy as np
import pytest
from tf_namespace_support import (
    INT8_BIG,
    NORMAL,
    RNG,
    Case,
    case_params,
    check_case,
    inf,
    nan,
    xp,
)

CASES = [
    Case("sum_int8_accumulates_wide", xp.sum, np.sum, (INT8_BIG,), jit=True),
    Case("sum_uint8_uint64", xp.sum, np.sum, (np.full(1000, 255, np.uint8),)),
    Case("sum_bool_int64", xp.sum, np.sum, (np.array([True, True, False]),)),
    Case("sum_axes_keepdims", lambda a: xp.sum(a, axis=(0, -1), keepdims=True),
         lambda a: np.sum(a, axis=(0, -1), keepdims=True), (RNG.standard_normal((2, 3, 4)).astype(np.float32),)),
    Case("sum_empty_axis_tuple", lambda a: xp.sum(a, axis=()), lambda a: np.sum(a, axis=()), (NORMAL,)),
    Case("sum_dtype", lambda a: xp.sum(a, axis=1, dtype=xp.float64), lambda a: np.sum(a, axis=1, dtype=np.float64),
         (NORMAL,)),
    Case("sum_int_dtype_int16", lambda a: xp.sum(a, dtype=xp.int16), lambda a: np.sum(a, dtype=np.int16),
         (np.array([100, 100, 100], np.int8),)),
    Case("sum_empty_and_0d", lambda a, b: (xp.sum(a), xp.sum(b)), lambda a, b: (np.sum(a), np.sum(b)),
         (np.zeros((0, 3), np.float32), np.array(2.5, np.float32))),
    Case("prod_int8_int64", lambda a: xp.prod(a, axis=0), lambda a: np.prod(a, axis=0),
         (np.array([[100, -3], [100, 2]], np.int8),)),
    Case("mean", lambda a: (xp.mean(a), xp.mean(a, axis=0), xp.mean(a, axis=(0, 1), keepdims=True)),
         lambda a: (np.mean(a), np.mean(a, axis=0), np.mean(a, axis=(0, 1), keepdims=True)), (NORMAL,)),
    Case("mean_empty_is_nan", xp.mean, np.mean, (np.zeros(0, np.float32),)),
    Case("mean_float16_accumulates_in_float32", xp.mean, lambda a: np.mean(a, dtype=np.float32).astype(np.float16),
         (np.full(100_000, 1.0, np.float16),)),
    Case("var_std", lambda a: (xp.var(a, axis=1), xp.std(a, correction=1), xp.var(a, axis=0, keepdims=True)),
         lambda a: (np.var(a, axis=1), np.std(a, ddof=1), np.var(a, axis=0, keepdims=True)), (NORMAL,), rtol=1e-5),
    Case("max_min_nan", lambda a: (xp.max(a, axis=1), xp.min(a, axis=1), xp.max(a), xp.min(a, axis=0)),
         lambda a: (np.max(a, axis=1), np.min(a, axis=1), np.max(a), np.min(a, axis=0)),
         (np.array([[1.0, nan, 3.0], [-inf, 2.0, 0.0]], np.float32),), jit=True),
    Case("max_int_keepdims", lambda a: xp.max(a, axis=-1, keepdims=True),
         lambda a: np.max(a, axis=-1, keepdims=True), (np.array([[1, -128], [5, 3]], np.int8),)),
    Case("cumulative_sum_int8", lambda a: xp.cumulative_sum(a, include_initial=True),
         lambda a: np.cumulative_sum(a, include_initial=True), (np.array([100, 100, 100], np.int8),), jit=True),
    Case("cumulative_sum_axis", lambda a: (xp.cumulative_sum(a, axis=0), xp.cumulative_sum(a, axis=-1, dtype=xp.float64,
                                                                                          include_initial=True)),
         lambda a: (np.cumulative_sum(a, axis=0), np.cumulative_sum(a, axis=-1, dtype=np.float64,
                                                                     include_initial=True)), (NORMAL,), rtol=1e-5),
    Case("cumulative_sum_empty", lambda a: xp.cumulative_sum(a, include_initial=True),
         lambda a: np.cumulative_sum(a, include_initial=True), (np.zeros(0, np.float32),)),
    Case("cumulative_prod", lambda a: xp.cumulative_prod(a, include_initial=True),
         lambda a: np.cumulative_prod(a, include_initial=True), (np.array([2, -3, 4], np.int16),)),
]


@pytest.mark.parametrize(("case", "mode"), case_params(CASES))
def test_matches_numpy(case: Case, mode: str) -> None:
    check_case(case, mode)
