"""The TensorFlow namespace's indexing, searching and sorting functions against NumPy: where, argmax and argmin,
sort, take and take_along_axis.
"""

from __future__ import annotations

import numpy as np
import pytest
from tf_namespace_support import NORMAL, RNG, Case, case_params, check_case, f32, inf, nan, xp

CASES = [
    # where
    Case("where_broadcast_scalar", lambda c, a: xp.where(c, a, 0.0), lambda c, a: np.where(c, a, np.float32(0.0)),
         (np.array([[True], [False]]), f32(1.0, nan, 3.0)), jit=True),
    Case("where_promotes", xp.where, np.where,
         (np.array([True, False]), np.array([1, 2], np.int8), np.array([300, 400], np.int16))),
    Case("where_scalar_first", lambda c, b: xp.where(c, 1, b), lambda c, b: np.where(c, np.int64(1), b),
         (np.array([True, False]), np.array([5, 6], np.int64))),
    Case("where_0d", xp.where, np.where, (np.array(True), f32(1.0), f32(2.0, 3.0))),
    # searching and sorting
    Case("argmax_ties_first", lambda a: (xp.argmax(a), xp.argmax(a, axis=0), xp.argmax(a, axis=-1, keepdims=True),
                                        xp.argmin(a, axis=1), xp.argmax(a, keepdims=True)),
         lambda a: (np.argmax(a), np.argmax(a, axis=0), np.argmax(a, axis=-1, keepdims=True),
                    np.argmin(a, axis=1), np.argmax(a, keepdims=True)),
         (f32([3.0, 5.0, 5.0, -inf], [5.0, 1.0, 1.0, 5.0]),), jit=True),
    Case("sort_nan_last", lambda a: (xp.sort(a), xp.sort(a, descending=True)),
         lambda a: (np.sort(a), np.flip(np.sort(a))), (f32(3.0, nan, -inf, inf, 1.0, nan, 0.0, -2.0),), jit=True),
    Case("sort_axis0_with_nan", lambda a: xp.sort(a, axis=0), lambda a: np.sort(a, axis=0),
         (np.array([[nan, 1.0], [2.0, nan], [0.0, -1.0]], np.float32),)),
    Case("sort_ints", lambda a, b: (xp.sort(a, descending=True), xp.sort(b)),
         lambda a, b: (np.flip(np.sort(a)), np.sort(b)),
         (np.array([3, -2**31, 2**31 - 1, 0], np.int32), np.array([200, 3, 255, 0], np.uint8))),
    Case("sort_empty", xp.sort, np.sort, (np.zeros((2, 0), np.float32),)),
    # indexing
    Case("take_negative", lambda a, i: (xp.take(a, i, axis=1), xp.take(a[0], i)),
         lambda a, i: (np.take(a, i, axis=1), np.take(a[0], i)), (NORMAL, np.array([-1, 0, -4], np.int64)), jit=True),
    Case("take_along_axis_negative", lambda a, i: xp.take_along_axis(a, i, axis=-1),
         lambda a, i: np.take_along_axis(a, i, axis=-1), (NORMAL, np.array([[-1], [0], [-4]], np.int32)), jit=True),
    Case("take_along_axis_broadcasts", lambda a, i: xp.take_along_axis(a, i, axis=1),
         lambda a, i: np.take_along_axis(a, i, axis=1), (NORMAL, np.array([[0, -1]], np.int8)), jit=True),
    Case("take_along_axis_axis0", lambda a, i: xp.take_along_axis(a, i, axis=0),
         lambda a, i: np.take_along_axis(a, i, axis=0), (NORMAL, np.array([[2, -1, 0, 1]], np.int64))),
    Case("take_along_axis_middle_axis", lambda a, i: xp.take_along_axis(a, i, axis=1),
         lambda a, i: np.take_along_axis(a, i, axis=1),
         (RNG.standard_normal((2, 3, 4)).astype(np.float32), np.array([[[-1, 0, 1, 2]], [[0, 0, -3, 1]]], np.int64))),
    Case("take_along_axis_empty", lambda a, i: xp.take_along_axis(a, i, axis=-1),
         lambda a, i: np.take_along_axis(a, i, axis=-1), (np.zeros((0, 3), np.float32), np.zeros((0, 1), np.int64))),
]


@pytest.mark.parametrize(("case", "mode"), case_params(CASES))
def test_matches_numpy(case: Case, mode: str) -> None:
    check_case(case, mode)
