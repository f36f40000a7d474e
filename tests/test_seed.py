"""The seed examples at the end of CATALOG.md, as literal tests on every backend, eager and in float32/float64.

The two seeds that compare with TensorFlow (`weighted_cross_entropy_with_logits`, `softmax_cross_entropy_with_logits`)
are in tests/test_anchors.py, next to the other native comparisons.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lossport.backends import parity
from support import backend_dtype_params, device_for

import lossport


def arr(backend: str, value, dtype: str):
    return parity.convert(backend, np.asarray(value), dtype, device_for(backend))


SEEDS = backend_dtype_params(dtypes=("float32", "float64"))


@pytest.mark.parametrize(("backend", "dtype"), SEEDS)
def test_mean_absolute_and_squared_error(backend: str, dtype: str) -> None:
    p, t = arr(backend, [2.0, 3.0], dtype), arr(backend, [1.0, 0.0], dtype)
    # |2-1| + |3-0| = 4, over 2; (1 + 9) / 2: exact in binary floating point.
    assert float(parity.to_numpy(lossport.mean_absolute_error(p, t))) == 2.0
    assert float(parity.to_numpy(lossport.mean_squared_error(p, t))) == 5.0


@pytest.mark.parametrize(("backend", "dtype"), SEEDS)
def test_categorical_cross_entropy(backend: str, dtype: str) -> None:
    p = arr(backend, [[0.15, 0.75, 0.1], [0.75, 0.15, 0.1]], dtype)
    expected = -math.log(0.75)  # both rows put 0.75 on the true class: 0.2876821
    rtol = 1e-6 if dtype == "float32" else 1e-15
    distributions = arr(backend, np.array([[0, 1, 0], [1, 0, 0]], dtype=np.int64), dtype)
    indices = arr(backend, np.array([1, 0], dtype=np.int64), dtype)
    for labels in (distributions, indices):
        got = float(parity.to_numpy(lossport.categorical_cross_entropy(p, labels)))
        assert got == pytest.approx(expected, rel=rtol)
        assert round(got, 7) == 0.2876821
