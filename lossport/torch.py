"""The PyTorch face: one ``torch.nn.Module`` per lossport loss, generated from the registry.

``import lossport.torch`` imports torch (``import lossport`` never does). Each loss ``lossport.<name>`` has a
module class here, named by :func:`class_name` (``sparse_softmax_cross_entropy`` → ``SparseSoftmaxCrossEntropy``,
``kl_divergence`` → ``KLDivergence``; the full table is :data:`CLASS_NAMES` and docs/faces.md)::

    import torch, lossport.torch

    criterion = lossport.torch.SparseSoftmaxCrossEntropy(label_smoothing=0.1, class_weights=torch.ones(10))
    loss = criterion(logits, labels)                      # data at call, knobs at construction

The classes follow torch's own losses (``torch.nn.CrossEntropyLoss``):

- every keyword-only knob of the function (``delta``, ``label_smoothing``, ``class_weights``, ``reduction``, ...)
  is a constructor argument with the function's default; array knobs (``class_weights``, ``pos_weight``,
  ``alpha``, ``threshold_weights``, any tensor) are registered as buffers, so they follow ``.to(device)`` and
  ``state_dict``; an ``nn.Parameter`` (a learnable temperature) is registered as a parameter;
- the data are the call's positional arguments, in the function's order (``(predictions, targets)``, as torch's
  ``(input, target)``); per-batch ``weights=`` and ``where=`` are keyword arguments of the call;
- ``reduction`` is lossport's: ``"mean"`` is the weighted mean ``Σ w·ℓ / Σ w``, ``"sum"``, ``"none"``;
- under an active ``torch.autocast`` for the inputs' device, every module computes and returns float32, as torch's
  own losses do there (their ops are on autocast's float32 list: ``mse_loss``, ``l1_loss``, ``huber_loss``,
  ``smooth_l1_loss``, ``nll_loss``, ``kl_div``, ``binary_cross_entropy_with_logits``, ..., and
  ``cross_entropy`` through ``log_softmax`` and ``nll_loss``); lossport's losses that torch lacks follow the same
  rule. float64 inputs stay float64, as under autocast.

They work under ``torch.compile(fullgraph=True)``, ``torch.func`` (``functional_call``, ``grad``, ``vmap``) and
inside a ``DistributedDataParallel`` model. The classes are generated at import from each function's signature
(knobs: its keyword-only parameters; data: its positional ones), so a new loss gets its module for free.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import torch  # noqa: TID251  (the face: the one place, with lossport.keras, that imports a framework)

import lossport
from lossport._registry import LOSSES

__all__ = ["CLASS_NAMES", "LossModule", "class_name"]

# Words written as acronyms in class names; every other word is capitalized (``smooth_l1`` → ``SmoothL1``).
ACRONYMS: dict[str, str] = {
    "kl": "KL", "js": "JS", "nll": "NLL", "ctc": "CTC", "ntxent": "NTXent", "nce": "NCE",
    "arcface": "ArcFace", "cosface": "CosFace",
}

# Per-call keyword arguments of every loss, never constructor knobs.
_CALL_KEYWORDS = ("weights", "where")
_LOW_PRECISION = (torch.float16, torch.bfloat16)


def class_name(loss: str) -> str:
    """The face class name of ``lossport.<loss>``: each ``_``-separated word capitalized, acronyms upper-case.

    The rule is the same in ``lossport.torch`` and ``lossport.keras``: ``mean_squared_error`` →
    ``MeanSquaredError``, ``binary_cross_entropy_with_logits`` → ``BinaryCrossEntropyWithLogits``, ``nll`` →
    ``NLL``, ``poisson_nll`` → ``PoissonNLL``, ``kl_divergence`` → ``KLDivergence``, ``ctc`` → ``CTC``,
    ``ntxent`` → ``NTXent`` (the acronyms are :data:`ACRONYMS`).
    """
    return "".join(ACRONYMS.get(word, word[:1].upper() + word[1:]) for word in loss.split("_"))


def _is_array_knob(parameter: inspect.Parameter) -> bool:
    return "Array" in str(parameter.annotation)


def _cast_for_autocast(x: Any) -> Any:
    """float16/bfloat16 tensors (alone or in a list) to float32; everything else as it is."""
    if isinstance(x, torch.Tensor):
        return x.float() if x.dtype in _LOW_PRECISION else x
    if isinstance(x, (list, tuple)):
        return [_cast_for_autocast(v) for v in x]
    return x


def _device_type(data: tuple[Any, ...]) -> str | None:
    for x in data:
        if isinstance(x, torch.Tensor):
            return x.device.type
        if isinstance(x, (list, tuple)):
            found = _device_type(tuple(x))
            if found is not None:
                return found
    return None


class LossModule(torch.nn.Module):
    """The base of every generated module: knobs at construction, data at call (see the module docstring)."""

    loss_name: ClassVar[str] = ""
    function: ClassVar[Callable[..., Any]]
    data_names: ClassVar[tuple[str, ...]] = ()
    knob_defaults: ClassVar[dict[str, Any]] = {}
    array_knobs: ClassVar[frozenset[str]] = frozenset()
    has_reduction: ClassVar[bool] = True

    def __init__(self, **knobs: Any) -> None:
        super().__init__()
        unknown = sorted(set(knobs) - set(self.knob_defaults))
        if unknown:
            msg = (
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}; "
                f"its knobs are {sorted(self.knob_defaults)}"
            )
            raise TypeError(msg)
        for name, default in self.knob_defaults.items():
            value = knobs.get(name, default)
            if isinstance(value, torch.nn.Parameter):
                setattr(self, name, value)  # a learnable knob (SigLIP's temperature and bias): a parameter
            elif isinstance(value, torch.Tensor) or (
                name in self.array_knobs and value is not None and not isinstance(value, (bool, int, float))
            ):
                # A buffer: it follows .to(device) and the state_dict; torch.func.functional_call can replace it.
                self.register_buffer(name, value if isinstance(value, torch.Tensor) else torch.as_tensor(value))
            else:
                setattr(self, name, value)

    def _knobs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.knob_defaults}

    def forward(self, *data: Any, weights: Any = None, where: Any = None) -> Any:
        if len(data) != len(self.data_names):
            msg = (
                f"{type(self).__name__} takes {len(self.data_names)} data argument(s) "
                f"({', '.join(self.data_names)}); got {len(data)}"
            )
            raise TypeError(msg)
        knobs = self._knobs()
        if self.has_reduction:
            knobs["weights"], knobs["where"] = weights, where
        elif weights is not None or where is not None:
            msg = f"{type(self).__name__} takes no `weights` or `where`"
            raise TypeError(msg)
        else:
            # The penalties take a sequence of tensors: model.parameters() (a generator) is one too.
            data = tuple(d if isinstance(d, torch.Tensor) or not isinstance(d, Iterable) else list(d) for d in data)
        device_type = _device_type(data)
        if device_type is not None and torch.is_autocast_enabled(device_type):
            # torch's own losses run in float32 under autocast (its float32 op list): so do these, with autocast
            # off inside, so that no op of the loss is recast to the low-precision dtype.
            data = tuple(_cast_for_autocast(d) for d in data)
            knobs = {k: _cast_for_autocast(v) for k, v in knobs.items()}
            with torch.autocast(device_type, enabled=False):
                return type(self).function(*data, **knobs)
        return type(self).function(*data, **knobs)

    def extra_repr(self) -> str:
        parts = []
        for name, default in self.knob_defaults.items():
            value = getattr(self, name)
            if isinstance(value, torch.Tensor):
                parts.append(f"{name}=Tensor(shape={tuple(value.shape)}, dtype={value.dtype})")
            elif value is not default and value != default:
                parts.append(f"{name}={value!r}")
        return ", ".join(parts)


def _make_class(loss: str) -> type[LossModule]:
    function = getattr(lossport, loss)
    parameters = list(inspect.signature(function).parameters.values())
    data = tuple(p.name for p in parameters if p.kind is p.POSITIONAL_ONLY)
    knob_params = [
        p for p in parameters
        if p.kind is p.KEYWORD_ONLY and p.name not in (*_CALL_KEYWORDS, "xp")
    ]
    has_reduction = "reduction" in {p.name for p in parameters}
    cls_name = class_name(loss)
    summary = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else loss
    call = f"({', '.join(data)}" + (", *, weights=None, where=None)" if has_reduction else ")")
    doc = (
        f"``torch.nn.Module`` face of :func:`lossport.{loss}`: {summary}\n\n"
        f"Knobs at construction: ``{cls_name}({', '.join(f'{p.name}={p.default!r}' for p in knob_params)})``;"
        f" data at call: ``module{call}``.\n"
        f"The data come in lossport's order, ``{', '.join(data)}`` (predictions first, as torch's ``(input, "
        f"target)``; Keras's ``(y_true, y_pred)`` is the other way round).\n"
        f"Array knobs ({', '.join(p.name for p in knob_params if _is_array_knob(p)) or 'none'}) are buffers. "
        f"See :func:`lossport.{loss}` for the formula and every knob."
    )
    namespace = {
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": cls_name,
        "loss_name": loss,
        "function": staticmethod(function),
        "data_names": data,
        "knob_defaults": {p.name: p.default for p in knob_params},
        "array_knobs": frozenset(p.name for p in knob_params if _is_array_knob(p)),
        "has_reduction": has_reduction,
    }

    def forward(self: LossModule, *data: Any, weights: Any = None, where: Any = None) -> Any:
        return LossModule.forward(self, *data, weights=weights, where=where)

    call_params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    call_params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in data]
    if has_reduction:
        call_params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in _CALL_KEYWORDS]
    forward.__signature__ = inspect.Signature(call_params)  # type: ignore[attr-defined]
    forward.__qualname__ = f"{cls_name}.forward"
    forward.__doc__ = f"The loss of ``{', '.join(data)}``: ``lossport.{loss}(...)`` with this module's knobs."
    namespace["forward"] = forward

    def __init__(self: LossModule, **knobs: Any) -> None:
        LossModule.__init__(self, **knobs)

    # What inspect.signature (and so IDEs and help()) show: the knobs, keyword-only, with the function's defaults.
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *knob_params]
    )
    __init__.__qualname__ = f"{cls_name}.__init__"
    namespace["__init__"] = __init__
    return type(cls_name, (LossModule,), namespace)


CLASS_NAMES: dict[str, str] = {loss: class_name(loss) for loss in LOSSES}
"""``lossport.<loss>`` → the name of its module class here (and of its ``keras.losses.Loss`` in lossport.keras)."""

for _loss, _name in CLASS_NAMES.items():
    globals()[_name] = _make_class(_loss)
    __all__.append(_name)
__all__.sort()
del _loss, _name
