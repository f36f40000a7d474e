"""The TensorFlow namespace's linear algebra (matmul, vecdot, vector_norm) and utility functions (all, any)
against NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from tf_namespace_support import (
    NORMAL,
    RNG,
    Case,
    case_params,
    check_case,
    f32,
    inf,
    nan,
    xp,
)

CASES = [
    # utility
    Case("all_any", lambda a: (xp.all(a, axis=0), xp.any(a, axis=1), xp.all(a), xp.any(a, keepdims=True)),
         lambda a: (np.all(a, axis=0), np.any(a, axis=1), np.all(a), np.any(a, keepdims=True)),
         (np.array([[0.0, nan, 1.0], [0.0, 0.0, -0.0]], np.float32),)),
    # linear algebra
    Case("matmul", lambda a, b, v: (xp.matmul(a, b), xp.matmul(v, b), xp.matmul(a, v[:3]), xp.matmul(v, v)),
         lambda a, b, v: (a @ b, v @ b, a @ v[:3], v @ v),
         (NORMAL[:2, :3], NORMAL[:3, :4] + 1, f32(1.0, 2.0, 3.0)), rtol=1e-5),
    Case("matmul_batch_broadcast", xp.matmul, np.matmul,
         (RNG.standard_normal((2, 1, 2, 3)).astype(np.float32), RNG.standard_normal((4, 3, 2)).astype(np.float32)),
         jit=True, rtol=1e-5),
    Case("matmul_int8_int16", xp.matmul, np.matmul,
         (np.array([[100, 100]], np.int8), np.array([[1], [2]], np.int16))),
    Case("matmul_int8_wraps", xp.matmul, np.matmul, (np.array([[100, 100]], np.int8), np.array([[1], [2]], np.int8))),
    Case("vecdot", lambda a, b: (xp.vecdot(a, b), xp.vecdot(a, b[0], axis=-1)),
         lambda a, b: (np.vecdot(a, b), np.vecdot(a, b[0])), (NORMAL, NORMAL[:1] * 2), rtol=1e-5),
    Case("vecdot_complex_conjugates", xp.vecdot, np.vecdot,
         (np.array([1 + 2j, 3j], np.complex128), np.array([2 - 1j, 1 + 1j], np.complex128))),
    Case("vector_norm", lambda a: (xp.linalg.vector_norm(a), xp.linalg.vector_norm(a, axis=1, ord=1),
                                   xp.linalg.vector_norm(a, axis=0, ord=inf, keepdims=True),
                                   xp.linalg.vector_norm(a, ord=-inf), xp.linalg.vector_norm(a, ord=0),
                                   xp.linalg.vector_norm(a, axis=(0, 1), ord=3)),
         lambda a: (np.linalg.vector_norm(a), np.linalg.vector_norm(a, axis=1, ord=1),
                    np.linalg.vector_norm(a, axis=0, ord=inf, keepdims=True), np.linalg.vector_norm(a, ord=-inf),
                    np.linalg.vector_norm(a, ord=0), np.linalg.vector_norm(a, axis=(0, 1), ord=3)),
         (NORMAL * (NORMAL > 0),), rtol=1e-5),
    Case("vector_norm_complex", xp.linalg.vector_norm, np.linalg.vector_norm, (np.array([3 + 4j, 0j], np.complex64),)),
]


@pytest.mark.parametrize(("case", "mode"), case_params(CASES))
def test_matches_numpy(case: Case, mode: str) -> None:
    check_case(case, mode)
