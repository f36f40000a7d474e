"""The TensorFlow namespace's data types against array-api-strict: promotion, isdtype, result_type, can_cast;
finfo, iinfo, the constants and the inspection API.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tf_namespace_support import (
    HYPOTHESIS,
    PY_SCALARS,
    REAL_PY_SCALARS,
    STANDARD_DTYPES,
    check_against_strict,
    operands,
    outcome,
    tf,
    xp,
    xps,
)


@pytest.fixture(scope="module")
def sx() -> Any:
    strict = pytest.importorskip("array_api_strict")
    with strict.ArrayAPIStrictFlags(api_version="2024.12"):
        yield strict


@pytest.mark.parametrize("a", STANDARD_DTYPES)
@pytest.mark.parametrize("b", STANDARD_DTYPES)
def test_result_type_matches_strict(sx: Any, a: str, b: str) -> None:
    expected = outcome(lambda: sx.result_type(getattr(sx, a), getattr(sx, b)))
    assert outcome(lambda: xp.result_type(getattr(xp, a), getattr(xp, b))) == expected
    assert xp.can_cast(getattr(xp, a), getattr(xp, b)) == sx.can_cast(getattr(sx, a), getattr(sx, b))
    # and every function of two arrays promotes (or refuses) alike
    x1, x2 = tf.zeros([2], getattr(xp, a)), tf.ones([1], getattr(xp, b))
    assert outcome(lambda: xp.equal(x1, x2)) == outcome(
        lambda: sx.equal(sx.zeros(2, dtype=getattr(sx, a)), sx.ones(1, dtype=getattr(sx, b))))
    assert outcome(lambda: xp.where(tf.constant([True, False]), x1, x2)) == expected


@pytest.mark.parametrize("dtype", STANDARD_DTYPES)
@pytest.mark.parametrize("scalar", [True, 3, -1, 300, 2.5, 1j], ids=repr)
def test_python_scalars_match_strict(sx: Any, dtype: str, scalar: complex) -> None:
    x = tf.zeros([2], getattr(xp, dtype))
    sa = sx.zeros(2, dtype=getattr(sx, dtype))
    assert outcome(lambda: xp.result_type(x, scalar)) == outcome(lambda: sx.result_type(sa, scalar))
    assert outcome(lambda: xp.where(tf.constant([True, False]), x, scalar)) == outcome(
        lambda: sx.where(sx.asarray([True, False]), sa, scalar))


@pytest.mark.parametrize("dtype", STANDARD_DTYPES)
@pytest.mark.parametrize("kind", ["bool", "signed integer", "unsigned integer", "integral", "real floating",
                                  "complex floating", "numeric", ("bool", "real floating"), "float32"])
def test_isdtype_matches_strict(sx: Any, dtype: str, kind: Any) -> None:
    def resolve(ns: Any, k: Any) -> Any:
        return getattr(ns, k) if k in STANDARD_DTYPES else k

    assert xp.isdtype(getattr(xp, dtype), resolve(xp, kind)) == sx.isdtype(getattr(sx, dtype), resolve(sx, kind))


def test_half_precision_promotion() -> None:
    assert xp.result_type(xp.float16, xp.bfloat16) == xp.float32
    assert xp.result_type(xp.bfloat16, xp.float64) == xp.float64
    assert xp.result_type(xp.float16, xp.complex64) == xp.complex64
    assert xp.result_type(tf.zeros([1], xp.bfloat16), 1.5) == xp.bfloat16
    assert xp.result_type(xp.bfloat16, 1j) == xp.complex64
    assert xp.isdtype(xp.bfloat16, "real floating") and xp.isdtype(xp.float16, "numeric")
    with pytest.raises(TypeError):
        xp.result_type(xp.float16, xp.int8)


def test_dtypes_and_constants() -> None:
    assert xp.__array_api_version__ == "2024.12"
    assert (xp.float32, xp.bfloat16, xp.uint64, xp.complex128, xp.bool) == (
        tf.float32, tf.bfloat16, tf.uint64, tf.complex128, tf.bool)
    assert (xp.e, xp.pi, xp.inf, xp.newaxis) == (math.e, math.pi, math.inf, None)
    assert math.isnan(xp.nan)
    assert sorted(xp.__all__) == sorted(set(xp.__all__))
    missing = [name for name in xp.__all__ if not hasattr(xp, name)]
    assert not missing


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"])
def test_finfo(dtype: str) -> None:
    import ml_dtypes

    info = xp.finfo(getattr(xp, dtype))
    real = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    ref = ml_dtypes.finfo(getattr(ml_dtypes, real) if real == "bfloat16" else np.dtype(real))
    assert (info.bits, info.eps, info.max, info.min, info.smallest_normal) == (
        ref.bits, float(ref.eps), float(ref.max), float(ref.min), float(ref.smallest_normal))
    assert info.dtype == getattr(xp, real)
    assert xp.finfo(tf.zeros([1], getattr(xp, dtype))) == info
    assert type(info.eps) is float


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"])
def test_iinfo(dtype: str) -> None:
    info = xp.iinfo(getattr(xp, dtype))
    ref = np.iinfo(dtype)
    assert (info.bits, info.max, info.min, info.dtype) == (ref.bits, ref.max, ref.min, getattr(xp, dtype))
    with pytest.raises(TypeError, match="must"):
        xp.iinfo(xp.float32)
    with pytest.raises(TypeError, match="must"):
        xp.finfo(getattr(xp, dtype))


def test_inspection() -> None:
    info = xp.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == xp.float32
    assert info.default_dtypes()["indexing"] == xp.int64
    assert info.default_device() in info.devices()
    assert set(info.dtypes(kind="real floating").values()) == {xp.float32, xp.float64}
    assert info.capabilities()["boolean indexing"] is False


# ----------------------------------------------------------- promotion of drawn operands (hypothesis), as strict's

BINARY = ["add", "subtract", "multiply", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
          "maximum", "minimum", "logical_and", "logical_or", "logical_xor"]
REAL_ONLY = {"less", "less_equal", "greater", "greater_equal", "maximum", "minimum"}


@HYPOTHESIS
@given(name=st.sampled_from(BINARY), data=st.data())
def test_binary_functions_promote_like_strict(sx: Any, name: str, data: st.DataObject) -> None:
    # Mixed dtypes (int8 with int16, uint8 with int32, float32 with float64, ...) and Python scalars: the standard's
    # promotion (or its TypeError/OverflowError) and then NumPy's values, through array-api-strict.
    shape1, shape2 = data.draw(xps.mutually_broadcastable_shapes(2, max_dims=3, max_side=3)).input_shapes
    x1 = data.draw(operands(shape1))
    x2 = data.draw(st.one_of(operands(shape2), REAL_PY_SCALARS if name in REAL_ONLY else PY_SCALARS))
    if data.draw(st.booleans()):
        x1, x2 = x2, x1
    check_against_strict(sx, lambda ns, a, b: getattr(ns, name)(a, b), x1, x2)


@HYPOTHESIS
@given(data=st.data())
def test_where_promotes_like_strict(sx: Any, data: st.DataObject) -> None:
    shapes = data.draw(xps.mutually_broadcastable_shapes(3, max_dims=3, max_side=3)).input_shapes
    condition = data.draw(xps.arrays(xp.bool, shapes[0]))
    x1 = data.draw(operands(shapes[1]))
    x2 = data.draw(st.one_of(operands(shapes[2]), PY_SCALARS))
    if data.draw(st.booleans()):
        x1, x2 = x2, x1
    check_against_strict(sx, lambda ns, c, a, b: ns.where(c, a, b), condition, x1, x2)


@pytest.mark.parametrize("name", ["where", *BINARY])
def test_int8_with_int16_like_strict(sx: Any, name: str) -> None:
    # The case as an example: int16 (bool from comparisons; TypeError for the logical functions). TensorFlow's
    # own ops refuse mixed dtypes.
    x1, x2 = tf.constant([[-128], [5]], tf.int8), tf.constant([300, -2, 7], tf.int16)
    if name == "where":
        check_against_strict(sx, lambda ns, c, a, b: ns.where(c, a, b), tf.constant([True, False, True]), x1, x2)
    else:
        check_against_strict(sx, lambda ns, a, b: getattr(ns, name)(a, b), x1, x2)
