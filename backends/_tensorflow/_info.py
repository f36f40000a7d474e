"""The standard's inspection API (``__array_namespace_info__``)."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from ._dtypes import DType, isdtype


class _Info:
    """The standard's inspection API (``__array_namespace_info__()``)."""

    def capabilities(self) -> dict[str, Any]:
        return {"boolean indexing": False, "data-dependent shapes": False, "max dimensions": 254}

    def default_device(self) -> str:
        with tf.init_scope():  # eager even inside tf.function
            return tf.zeros([]).device

    def devices(self) -> list[str]:
        names = []
        with tf.init_scope():
            for d in tf.config.list_logical_devices():
                with tf.device(d.name):
                    names.append(tf.zeros([]).device)
        return names

    def default_dtypes(self, *, device: Any = None) -> dict[str, DType]:
        return {"real floating": tf.float32, "complex floating": tf.complex64, "integral": tf.int64,
                "indexing": tf.int64}

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, DType]:
        standard = [tf.bool, tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8, tf.uint16, tf.uint32, tf.uint64,
                    tf.float32, tf.float64, tf.complex64, tf.complex128]
        return {dt.name: dt for dt in standard if kind is None or isdtype(dt, kind)}


def __array_namespace_info__() -> _Info:
    """The standard's inspection object: capabilities, devices and default dtypes."""
    return _Info()
