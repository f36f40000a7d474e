"""An Array API (2024.12) namespace for TensorFlow tensors, written on TensorFlow's core ops.

TensorFlow has no Array API namespace and array-api-compat does not support it, so lossport carries this one.
It is a package of plain functions, split by the standard's sections as array-api-strict splits its own
(``_dtypes``, ``_creation``, ``_elementwise``, ...) and re-exported here: the package is the namespace.
``lossport.backends.tensorflow.namespace()`` imports it once the user has imported TensorFlow. Design
constraints (DESIGN.md, "The TensorFlow namespace"):

- **Core ops only**: ``tf.*``, ``tf.math``, ``tf.nn``, ``tf.linalg``. Never ``tf.experimental.numpy`` (its
  defaults are float64), never ``experimental_enable_numpy_behavior`` and never a patch of ``tf.Tensor``: each
  would change the user's whole process. Results are plain ``tf.Tensor`` objects.
- **The standard's semantics** in every function, not only in the cases lossport needs. Every function of two or
  more arrays promotes by the standard's table (same-kind promotion only: mixing bool, integer and floating
  arrays raises ``TypeError``, as array-api-strict does). Python scalars are weak: they take the array's dtype;
  a Python ``float`` with an integer array, or a ``bool`` with a numeric one, raises ``TypeError``.
- **Every mode**: eager, ``tf.function`` (AutoGraph on or off, ``jit_compile=True``, unknown dimensions from an
  ``input_signature``), ``tf.GradientTape`` and ``tf.Variable`` inputs. No function reads an array's values in
  Python; sizes come from ``tf.shape`` wherever a dimension may be unknown. Functions that permute axes need a
  known rank. AutoGraph calls the functions unconverted (``do_not_convert``): they have no tensor-dependent
  control flow, and converting them would cost seconds on a loss's first trace.

Defaults: the default real floating dtype is float32 (TensorFlow's own), complex64 for complex; the default
integer and index dtype is int64 (``asarray(1)``, ``arange``, ``argmax``). Integer sums, products and cumulative
sums accumulate in int64 (uint64 for unsigned integers). Beyond the standard's dtypes there are ``float16`` and
``bfloat16``: both are "real floating", float16 + bfloat16 promotes to float32 (as in JAX).

Where TensorFlow's kernels disagree with the standard the fix is local and commented: XLA's ``max``/``min``
drop a NaN in the second operand (and reductions drop NaN altogether), TensorFlow's eager ``sort`` misplaces NaN,
``tf.range`` rejects empty ranges, there are no unsigned ``abs``/``negative``/``sign`` kernels and no int8/int16/
unsigned matmul, and ``reduce_sum`` of int8 wraps around.
"""

from __future__ import annotations

from types import FunctionType, SimpleNamespace

import tensorflow as tf

from ._constants import e, inf, nan, newaxis, pi
from ._creation import (
    arange,
    asarray,
    astype,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from ._dtypes import Array as Array
from ._dtypes import DType as DType
from ._dtypes import (
    bfloat16,
    bool,
    can_cast,
    complex64,
    complex128,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    isdtype,
    result_type,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._dtypes import finfo_object as finfo_object
from ._dtypes import iinfo_object as iinfo_object
from ._elementwise import (
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    clip,
    conj,
    copysign,
    cos,
    cosh,
    divide,
    equal,
    exp,
    expm1,
    floor,
    greater,
    greater_equal,
    hypot,
    imag,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    positive,
    pow,
    real,
    reciprocal,
    round,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    trunc,
)
from ._helpers import _promote as _promote  # the adapter's native xlogy promotes with it
from ._indexing_searching import argmax, argmin, argsort, sort, take, take_along_axis, where
from ._info import __array_namespace_info__
from ._linalg import matmul, matrix_transpose, vecdot, vector_norm
from ._manipulation import (
    broadcast_arrays,
    broadcast_to,
    concat,
    expand_dims,
    flip,
    moveaxis,
    permute_dims,
    reshape,
    squeeze,
    stack,
    unstack,
)
from ._statistical import cumulative_prod, cumulative_sum, max, mean, min, prod, std, sum, var
from ._utility import all, any

__array_api_version__ = "2024.12"

__all__ = [
    "__array_api_version__", "__array_namespace_info__",
    "abs", "acos", "acosh", "add", "all", "any", "arange", "argmax", "argmin", "argsort", "asarray", "asin", "asinh",
    "astype", "atan", "atan2", "atanh", "bfloat16", "bool", "broadcast_arrays", "broadcast_to", "can_cast",
    "ceil", "clip", "complex64", "complex128", "concat", "conj", "copysign", "cos", "cosh", "cumulative_prod",
    "cumulative_sum", "divide", "e", "empty", "empty_like", "equal", "exp", "expand_dims", "expm1", "eye",
    "finfo", "flip", "float16", "float32", "float64", "floor", "full", "full_like", "greater", "greater_equal",
    "hypot", "iinfo", "imag", "inf", "int8", "int16", "int32", "int64", "isdtype", "isfinite", "isinf",
    "isnan", "less", "less_equal", "linalg", "linspace", "log", "log1p", "logaddexp", "logical_and",
    "logical_not", "logical_or", "logical_xor", "matmul", "matrix_transpose", "max", "maximum", "mean", "min",
    "minimum", "moveaxis", "multiply", "nan", "negative", "newaxis", "not_equal", "ones", "ones_like",
    "permute_dims", "pi", "positive", "pow", "prod", "real", "reciprocal", "reshape", "result_type", "round",
    "sign", "signbit", "sin", "sinh", "sort", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
    "take", "take_along_axis", "tan", "tanh", "trunc", "uint8", "uint16", "uint32", "uint64", "unstack", "var",
    "vecdot", "where", "zeros", "zeros_like",
]

# AutoGraph (on by default in tf.function) would convert every namespace function a traced loss calls, about 0.1 s
# each and 3 s for a loss's worth on the first trace in a process, although none has tensor-dependent control
# flow. Marked, they are called as they are (1.4 us more per eager call).
for _name in __all__:
    if isinstance(globals().get(_name), FunctionType):
        globals()[_name] = tf.autograph.experimental.do_not_convert(globals()[_name])
del _name

linalg = SimpleNamespace(
    matmul=matmul, matrix_transpose=matrix_transpose, vecdot=vecdot, vector_norm=vector_norm,
)
