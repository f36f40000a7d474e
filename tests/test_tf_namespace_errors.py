"""The TensorFlow namespace's errors: TypeError for a wrong kind, ValueError for a wrong value or shape,
IndexError for an axis out of range, OverflowError for a Python int that does not fit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tf_namespace_support import tf, xp

ERRORS = {
    "float_scalar_with_int_array": lambda: xp.multiply(tf.constant([1, 2]), 0.5),
    "int_with_float_arrays": lambda: xp.maximum(tf.constant([1]), tf.constant([1.0])),
    "bool_with_int": lambda: xp.add(tf.constant([True]), tf.constant([1])),
    "two_scalars": lambda: xp.add(1.0, 2.0),
    "a_list_is_not_an_array": lambda: xp.add([1.0], 2.0),
    "exp_of_int": lambda: xp.exp(tf.constant([1])),
    "mean_of_int": lambda: xp.mean(tf.constant([1, 2])),
    "divide_ints": lambda: xp.divide(tf.constant([1]), tf.constant([2])),
    "add_bools": lambda: xp.add(tf.constant([True]), tf.constant([False])),
    "logical_and_of_ints": lambda: xp.logical_and(tf.constant([1]), tf.constant([0])),
    "sort_complex": lambda: xp.sort(tf.constant([1j])),
    "maximum_complex": lambda: xp.maximum(tf.constant([1j]), tf.constant([2j])),
    "where_int_condition": lambda: xp.where(tf.constant([1]), tf.constant([1.0]), 0.0),
    "clip_float_bound_int_x": lambda: xp.clip(tf.constant([1, 2]), 0.5),
    "clip_int_array_bound_float_x": lambda: xp.clip(tf.constant([1.0]), tf.constant([0])),
    "take_float_indices": lambda: xp.take(tf.constant([1.0]), tf.constant([0.0])),
    "full_float_in_int": lambda: xp.full((2,), 0.5, dtype=xp.int32),
    "full_like_float_in_int": lambda: xp.full_like(tf.constant([1]), 0.5),
    "unknown_dtype": lambda: xp.astype(tf.constant([1]), "string"),
    "concat_of_scalars": lambda: xp.concat([1.0, tf.constant([2.0])]),
}


@pytest.mark.parametrize("name", ERRORS)
def test_kind_errors_are_type_errors(name: str) -> None:
    with pytest.raises(TypeError, match="must"):
        ERRORS[name]()


VALUE_ERRORS = {
    "squeeze_of_size_3": lambda: xp.squeeze(tf.zeros([1, 3]), 1),
    "take_needs_axis": lambda: xp.take(tf.zeros([2, 2]), tf.constant([0])),
    "cumulative_sum_needs_axis": lambda: xp.cumulative_sum(tf.zeros([2, 2])),
    "take_along_axis_ranks": lambda: xp.take_along_axis(tf.zeros([2, 2]), tf.constant([0])),
    "vecdot_positive_axis": lambda: xp.vecdot(tf.zeros([2]), tf.zeros([2]), axis=0),
    "vecdot_sizes": lambda: xp.vecdot(tf.zeros([2]), tf.zeros([3])),
    "matmul_sizes": lambda: xp.matmul(tf.zeros([2, 3]), tf.zeros([2, 3])),
    "matmul_0d": lambda: xp.matmul(tf.zeros([]), tf.zeros([2])),
    "moveaxis_lengths": lambda: xp.moveaxis(tf.zeros([2, 3]), (0, 1), 0),
    "permute_dims_short": lambda: xp.permute_dims(tf.zeros([2, 3]), (0,)),
    "flip_repeated_axis": lambda: xp.flip(tf.zeros([2, 3]), axis=(0, 0)),
    "arange_step_0": lambda: xp.arange(0, 5, 0),
    "asarray_copy_false_list": lambda: xp.asarray([1.0], copy=False),
    "asarray_copy_false_cast": lambda: xp.asarray(tf.constant([1.0]), dtype=xp.float64, copy=False),
    "result_type_of_nothing": lambda: xp.result_type(1.0),
    "isdtype_unknown_kind": lambda: xp.isdtype(xp.float32, "floating"),
}


@pytest.mark.parametrize("name", VALUE_ERRORS)
def test_value_errors(name: str) -> None:
    with pytest.raises(ValueError, match="must"):
        VALUE_ERRORS[name]()


@pytest.mark.parametrize("call", [lambda: xp.expand_dims(tf.zeros([2]), axis=2),
                                  lambda: xp.squeeze(tf.zeros([1]), axis=1), lambda: xp.sort(tf.zeros([2]), axis=1),
                                  lambda: xp.argmax(tf.zeros([2]), axis=-2)], ids=["expand_dims", "squeeze", "sort",
                                                                                     "argmax"])
def test_axis_out_of_range_is_an_index_error(call: Callable[[], Any]) -> None:
    with pytest.raises(IndexError, match="must be in"):
        call()


def test_python_int_out_of_range() -> None:
    with pytest.raises(OverflowError, match="must fit"):
        xp.add(tf.constant([1], tf.int8), 300)
