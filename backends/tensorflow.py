"""TensorFlow adapter: lossport's own namespace (the package ``_tensorflow``) and ``tf.math`` for the primitives.

array-api-compat does not support TensorFlow, so ``namespace()`` returns lossport's namespace written on TF core
ops. Nothing here imports TensorFlow at import time or to look at an array: ``is_array`` looks in
``sys.modules``, so an array cannot be TensorFlow's unless the user imported TensorFlow.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative, layout, unpack

NAME = "tensorflow"
NAMESPACE_NAMES = ("lossport.backends._tensorflow",)


def framework_imported() -> bool:
    return "tensorflow" in sys.modules


def is_array(x: object) -> bool:
    # tf.Tensor covers eager tensors and the symbolic ones inside tf.function; variables are not tensors.
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, (tf.Tensor, tf.Variable))


def namespace() -> ModuleType:
    return importlib.import_module(NAMESPACE_NAMES[0])


def _native() -> Mapping[str, Callable[..., Any]]:
    import tensorflow as tf

    xp = namespace()

    # tf.math.softplus and tf.math.log_sigmoid are left out: below log(eps) + 2 (x < -13.9 in float32, -34.1 in
    # float64) they return exp(x) for log1p(exp(x)), 6 ulps off where the generic form is within 2.3 (measured
    # against mpmath, eager and XLA alike).

    def xlogy(x: Any, y: Any) -> Any:
        # x * log(y), 0 wherever x == 0 (NaN y included), and a zero gradient there: the generic form, bit for bit.
        x, y = xp._promote("xlogy", x, y, category="floating")
        return tf.math.xlogy(x, y)

    def one_hot(labels: Any, num_classes: int, *, dtype: Any, axis: int = -1) -> Any:
        # Out-of-range labels, negative ones included, give a row of zeros, as the generic comparison does.
        labels = tf.convert_to_tensor(labels)
        if labels.dtype not in (tf.uint8, tf.int8, tf.int32, tf.int64):  # tf.one_hot's index dtypes
            labels = tf.cast(labels, tf.int64)
        if axis < -1:  # tf.one_hot counts axes of the output but takes only -1 among negative ones
            axis += labels.shape.rank + 1
        dtype = tf.as_dtype(dtype)
        on, off = (True, False) if dtype == tf.bool else (None, None)  # its default 1 and 0 do not convert to bool
        return tf.one_hot(labels, num_classes, on_value=on, off_value=off, axis=axis, dtype=dtype)

    # lossport.linear's loop over vocabulary chunks, inside tf.function only (eager runs op by op, where a Python
    # loop costs nothing more): one tf.while_loop, where a Python loop unrolls and XLA's compile time grows faster
    # than the chunk count (14 s for 16 chunks, 85 s for 64 under jit_compile=True). The body is traced once more
    # outside the loop for its outputs' dtypes and shapes (dead code, pruned).
    def scan_chunks(body: Callable[..., Any], carry: Any, count: int, chunk: int) -> Any:
        if tf.executing_eagerly():
            return NotImplemented
        leaves = tf.nest.flatten(carry)
        present = [i for i, x in enumerate(leaves) if x is not None]

        def rebuild(values: list[Any]) -> Any:
            full = list(leaves)
            for i, v in zip(present, values):
                full[i] = v
            return tf.nest.pack_sequence_as(carry, full)

        probe = tf.nest.flatten(body(tf.constant(0), carry)[1])
        live = [k for k, o in enumerate(probe) if o is not None]
        arrays = [tf.TensorArray(probe[k].dtype, size=count, element_shape=probe[k].shape) for k in live]

        def step(i: Any, values: list[Any], arrays: list[Any]) -> Any:
            new, out = body(i * chunk, rebuild(values))
            new_leaves, out_leaves = tf.nest.flatten(new), tf.nest.flatten(out)
            return i + 1, [new_leaves[j] for j in present], [a.write(i, out_leaves[k]) for a, k in zip(arrays, live)]

        _, values, arrays = tf.while_loop(lambda i, *_: i < count, step, (tf.constant(0), [leaves[i] for i in present],
                                          arrays), maximum_iterations=count)
        stacked: list[Any] = [None] * len(probe)
        for a, k in zip(arrays, live):
            stacked[k] = a.stack()
        return rebuild(values), tuple(stacked)

    def slice_rows(x: Any, start: Any, size: int) -> Any:
        rank = x.shape.rank
        return tf.slice(x, tf.stack([start] + [0] * (rank - 1)), [size, *x.shape[1:]])

    # Called as they are inside tf.function: AutoGraph has nothing to convert in them (see the namespace).
    do_not_convert = tf.autograph.experimental.do_not_convert
    # lossport.linear's training forward in eager TensorFlow: `total + aᵀ @ b` for every block of tokens, with
    # `total` (d weight, V × H) a variable updated in place (assign_add), so that the old and the new sum are not
    # alive at once, and the transpose folded into the matmul. Not in a traced function (tf.function may not make
    # variables; XLA plans the memory there).
    def matmul_add_into(total: Any, a: Any, b: Any) -> Any:
        if not tf.executing_eagerly() or not total.dtype == a.dtype == b.dtype:
            return NotImplemented
        if not isinstance(total, tf.Variable):
            total = tf.Variable(total, trainable=False)
        total.assign_add(tf.matmul(a, b, transpose_a=True))
        return total

    # Sparse CE's training forward and its backward (lossport/_cross_entropy.py), eager: the label's entries taken
    # out of e^{x − m}, or written into the gradient, by tensor_scatter_nd_update (one write per row) instead of the
    # generic form's `where` on a full-size compare with an iota (TensorFlow's CPU `where` is its dearest
    # elementwise kernel, and the mask and the where's output were alive beside e^{x − m}: 1.12 × the native's peak
    # at 1024 × 32000). The same operations otherwise, so the same values (tests/test_tf_adapter.py). Declined
    # while tracing (XLA and Grappler fuse the generic form) and for shapes not known.
    def _label_positions(x: Any, indices: Any) -> Any:
        labels = tf.reshape(indices, [-1])
        return tf.stack([tf.range(tf.size(labels, out_type=labels.dtype)), labels], axis=1)

    def _eager_rows(x: Any, indices: Any) -> bool:
        return (tf.executing_eagerly() and x.shape.rank is not None and x.shape.rank >= 1
                and x.shape.is_fully_defined() and tuple(indices.shape) == tuple(x.shape[:-1])
                and indices.dtype in (tf.int32, tf.int64))

    def log_softmax_at_parts(x: Any, indices: Any) -> Any:
        if not _eager_rows(x, indices):
            return NotImplemented
        classes, lead = x.shape[-1], tuple(x.shape[:-1])
        m = tf.reduce_max(x, axis=-1, keepdims=True)
        m_safe = tf.where(tf.math.is_finite(m), m, tf.zeros_like(m))
        terms = tf.tensor_scatter_nd_update(tf.reshape(tf.exp(x - m_safe), (-1, classes)),
                                            _label_positions(x, indices), tf.zeros(tf.size(indices), x.dtype))
        others = tf.reshape(tf.reduce_sum(terms, axis=-1), (*lead, 1))
        del terms
        shifted = tf.expand_dims(tf.gather(x, indices, axis=-1, batch_dims=len(lead)), -1) - m_safe
        value = tf.squeeze(shifted - tf.math.log1p(xp.clip(others + tf.math.expm1(shifted), min=0.0)), -1)
        return value, m_safe, others + tf.exp(shifted)

    def softmax_at_vjp(z: Any, shift: Any, exp_sum: Any, row: Any, minus: Any, index: Any, at_label: Any) -> Any:
        indices = tf.squeeze(index, -1)
        if exp_sum is None or not _eager_rows(z, indices):
            return NotImplemented
        classes, lead = z.shape[-1], tuple(z.shape[:-1])
        grad = tf.exp(z - shift)
        grad = grad * (row / exp_sum)
        if minus is not None:
            grad = grad - minus
        at = tf.reshape(tf.broadcast_to(tf.cast(at_label, z.dtype), (*lead, 1)), [-1])
        grad = tf.tensor_scatter_nd_update(tf.reshape(grad, (-1, classes)), _label_positions(z, indices), at)
        return tf.reshape(grad, z.shape)

    return {"xlogy": do_not_convert(xlogy), "one_hot": do_not_convert(one_hot),
            "log_softmax_at_parts": log_softmax_at_parts, "softmax_at_vjp": softmax_at_vjp,
            "scan_chunks": do_not_convert(scan_chunks), "slice_rows": do_not_convert(slice_rows),
            "matmul_add_into": matmul_add_into}


native = LazyNative(_native)


def custom_gradient(rule: Any, params: Any, arrays: tuple[Any, ...], xp: Any) -> Any:
    """``tf.custom_gradient`` over a lossport rule (lossport/_gradients.py): eager, ``tf.function`` (with
    ``jit_compile=True`` too) and ``GradientTape``; the backward is TensorFlow code, so nested tapes differentiate
    it again. TensorFlow has no cheap test for a watching tape, so the rule is always bound."""
    import tensorflow as tf

    slots = layout(arrays)

    @tf.custom_gradient
    @tf.autograph.experimental.do_not_convert  # no tensor-dependent control flow; converting costs seconds
    def run(*present: Any) -> Any:
        full = unpack(slots, present)
        # In eager mode, which inputs a tape watches, so that the backward derives only those (a model's labels:
        # kl's ∂/∂targets was eight passes of its backward's nine). Not while tracing: a tf.function may be
        # differentiated from outside, by a tape its placeholders know nothing of (its unused cotangents are dead
        # code in the graph anyway).
        watched = tuple(_watched(a) for a in present) if tf.executing_eagerly() and _recording() else None
        # The rule's training forward where a tape may record now (eager, or a tape inside the traced function);
        # a tf.function differentiated from outside ran the plain forward, whose residuals the backward takes too.
        train = rule.forward if rule.train is None or not _recording() else rule.train
        # Eager tf.custom_gradient lets a watching tape record the forward's operations, whose results it then
        # keeps alive though the rule's backward never reads them (lossport.linear's chunks: every chunk's logits).
        with _stop_recording():
            value, residuals = train(params, *full, xp=xp)

        def backward(cotangent: Any) -> list[Any]:
            needs = unpack(slots, watched or tuple(True for _ in present), fill=False)
            saved = residuals
            if saved and _recording():
                # A tape watches the backward (second derivatives): the residuals, computed unrecorded, are
                # recomputed from the inputs for the derivatives to flow through them (as backends/_torch does).
                saved = rule.forward(params, *full, xp=xp)[1]
            grads = rule.backward(params, full, saved, cotangent, needs, xp=xp)
            return [grads[i] for i in slots[1:]]

        return value, backward

    return run(*(arrays[i] for i in slots[1:]))


def _stop_recording() -> Any:
    """No tape records within it (TensorFlow's internal ``record.stop_recording``; a no-op where it is missing)."""
    import contextlib

    try:
        from tensorflow.python.eager import record
    except ImportError:
        return contextlib.nullcontext()
    return record.stop_recording()


def _recording() -> bool:
    """Whether any tape may record now (TensorFlow's internal ``record.could_possibly_record``; True if missing)."""
    try:
        from tensorflow.python.eager import record
    except ImportError:
        return True
    return bool(record.could_possibly_record())


def _watched(x: Any) -> bool:
    """Whether a tape records operations on ``x`` (TensorFlow's internal ``record.should_record_backprop``); True
    for a variable (a tape watches it when it is read) and where that function is missing."""
    tf = sys.modules["tensorflow"]
    if isinstance(x, tf.Variable):
        return True
    try:
        from tensorflow.python.eager import record
    except ImportError:
        return True
    return bool(record.should_record_backprop([x]))


def is_concrete(x: Any) -> bool:
    # Inside tf.function every tensor is symbolic, and even a captured eager variable is read symbolically.
    tf = sys.modules.get("tensorflow")
    return tf is None or (tf.executing_eagerly() and not tf.is_symbolic_tensor(x))


@functools.lru_cache(maxsize=64)
def _device_type(name: str) -> str | None:
    import tensorflow as tf

    return tf.DeviceSpec.from_string(name).device_type


def is_cpu(x: Any) -> bool:
    # A symbolic tensor's device is '' (unknown until placement): not known to be in host memory.
    name = x.device
    return bool(name) and _device_type(name) == "CPU"


def device(x: Any) -> Any:
    # x.device is '' inside tf.function; None lets TensorFlow place constants (and keeps XLA clusters whole).
    tf = sys.modules.get("tensorflow")
    if tf is None or not tf.executing_eagerly():
        return None
    return x.device or None


def to_numpy(x: Any) -> Any:
    import numpy as np

    return np.asarray(x.numpy())
