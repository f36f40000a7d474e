"""The TensorFlow namespace's manipulation functions against NumPy: reshape, broadcast, concat and stack,
expand_dims and squeeze, flip, permute_dims and moveaxis.
"""

from __future__ import annotations

import numpy as np
import pytest
from tf_namespace_support import NORMAL, RNG, Case, case_params, check_case, f32, xp

CASES = [
    Case("reshape", lambda a: (xp.reshape(a, (-1,)), xp.reshape(a, (2, -1, 2))),
         lambda a: (a.reshape(-1), a.reshape(2, -1, 2)), (NORMAL,)),
    Case("broadcast_to", lambda a: xp.broadcast_to(a, (2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)), (NORMAL,)),
    Case("broadcast_arrays", lambda a, b: xp.broadcast_arrays(a, b), lambda a, b: list(np.broadcast_arrays(a, b)),
         (f32([1.0], [2.0]), np.array([1, 2, 3], np.int8))),
    Case("concat_promotes", lambda a, b: (xp.concat([a, b]), xp.concat((a, b), axis=None)),
         lambda a, b: (np.concat([a, b]), np.concat([a.ravel(), b.ravel()])),
         (np.array([[1, 2]], np.int8), np.array([[3, 4], [5, 6]], np.int32))),
    Case("stack", lambda a, b: (xp.stack([a, b]), xp.stack([a, b], axis=-1)),
         lambda a, b: (np.stack([a, b]), np.stack([a, b], axis=-1)), (f32(1.0, 2.0), f32(3.0, 4.0))),
    Case("unstack", lambda a: xp.unstack(a, axis=1), lambda a: np.unstack(a, axis=1), (NORMAL,)),
    Case("expand_dims", lambda a: (xp.expand_dims(a), xp.expand_dims(a, axis=-1), xp.expand_dims(a, axis=1)),
         lambda a: (a[None], a[..., None], a[:, None]), (NORMAL,)),
    Case("squeeze", lambda a: (xp.squeeze(a, 0), xp.squeeze(a, (0, -1))),
         lambda a: (np.squeeze(a, 0), np.squeeze(a, (0, -1))), (np.zeros((1, 3, 1), np.float32),)),
    Case("flip", lambda a: (xp.flip(a), xp.flip(a, axis=1), xp.flip(a, axis=(0, -1))),
         lambda a: (np.flip(a), np.flip(a, axis=1), np.flip(a, axis=(0, -1))), (NORMAL,)),
    Case("permute_moveaxis", lambda a: (xp.permute_dims(a, (2, 0, 1)), xp.moveaxis(a, 0, -1),
                                        xp.moveaxis(a, (0, 1), (2, 0)), xp.matrix_transpose(a)),
         lambda a: (np.permute_dims(a, (2, 0, 1)), np.moveaxis(a, 0, -1), np.moveaxis(a, (0, 1), (2, 0)),
                    np.matrix_transpose(a)), (RNG.standard_normal((2, 3, 4)).astype(np.float32),)),
]


@pytest.mark.parametrize(("case", "mode"), case_params(CASES))
def test_matches_numpy(case: Case, mode: str) -> None:
    check_case(case, mode)
