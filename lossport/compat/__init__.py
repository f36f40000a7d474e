"""Compatibility presets: the loss functions of torch, Keras, optax and TensorFlow, under their own names,
signatures, defaults and conventions, running on any backend's arrays.

``lossport.compat.torch`` mirrors ``torch.nn.functional``'s losses, ``lossport.compat.keras`` the functional
``keras.losses``, ``lossport.compat.optax`` ``optax.losses``, and ``lossport.compat.tf`` ``tf.nn``'s losses and
``tf.compat.v1.losses``. Each function is a thin mapping onto lossport's own losses (argument order, class axis,
label encoding, the native reduction and clipping constants): there is no second implementation of any loss.
Porting a torch training loop to JAX is then a change of import::

    import lossport.compat.torch as F      # instead of: import torch.nn.functional as F
    loss = F.cross_entropy(logits, labels, label_smoothing=0.1)   # logits: a jax.Array

Nothing here imports a framework, even when called: the arrays' own namespace does the work (docs/compat.md).
The submodules are imported on first access.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["keras", "optax", "tf", "torch"]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"lossport.compat.{name}")
    msg = f"module 'lossport.compat' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
