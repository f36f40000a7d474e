"""The Keras face: one ``keras.losses.Loss`` subclass per lossport loss, generated from the registry.

``import lossport.keras`` imports Keras (``import lossport`` never does); the classes run under every Keras
backend (jax, torch, tensorflow; ``KERAS_BACKEND`` is read when Keras is imported). Each loss ``lossport.<name>``
has a class here, named as in lossport.torch (``binary_cross_entropy_with_logits`` →
``BinaryCrossEntropyWithLogits``, ``kl_divergence`` → ``KLDivergence``; the full table is :data:`CLASS_NAMES` and
docs/faces.md)::

    import keras, lossport.keras

    model.compile(optimizer="adam", loss=lossport.keras.SparseSoftmaxCrossEntropy(label_smoothing=0.1))

The classes keep Keras's conventions, not lossport's:

- the call order is Keras's, ``loss(y_true, y_pred, sample_weight=None)``; the function ``lossport.<name>`` takes
  ``(y_pred, y_true)``. Passing a lossport *function* to ``model.compile`` hands it the arguments swapped (for
  ``binary_cross_entropy_with_logits`` that trains on a negative loss, silently): pass the class;
- ``sample_weight``, masks and ``reduction`` are Keras's own (its ``Loss.__call__`` applies them to the
  per-sample losses that :meth:`LossportLoss.call` returns). Keras's default ``"sum_over_batch_size"`` divides
  ``Σ w·ℓ`` by the batch size, not by ``Σ w`` as lossport's ``reduction="mean"`` does;
  ``"mean_with_sample_weight"`` divides by ``Σ w``;
- the per-sample loss is lossport's ``reduction="none"`` result, averaged over the last axis for the elementwise
  losses (as Keras's own ``MeanSquaredError`` and ``BinaryCrossentropy`` do; a 1-D input is one value per
  sample);
- integer labels may come as floats holding integers and with a trailing axis of 1 (Keras hands ``y`` over as
  float32, often ``(N, 1)``), as Keras's own ``SparseCategoricalCrossentropy`` accepts;
- ``name``, ``dtype``, ``get_config`` / ``from_config``; every class is registered with
  ``keras.saving.register_keras_serializable(package="lossport")``, so a model compiled with one saves to
  ``.keras`` and loads back (after ``import lossport.keras``).

Losses with more than two data arrays take tuples (:data:`KERAS_DATA`): ``GaussianNLL`` takes
``y_pred=(predictions, variances)``, ``CosineEmbedding`` and ``MarginRanking`` ``y_pred=(x1, x2)``,
``TripletMargin`` ``y_pred=(anchors, positives, negatives)`` and ``SigmoidContrastive``
``y_pred=(image_embeddings, text_embeddings)`` (``y_true`` is ignored), ``InfoNCE`` ``y_pred=(queries, keys)`` and
``y_true=positives``, ``CTC`` ``y_true=(labels, label_lengths)`` and ``y_pred=(log_probabilities, input_lengths)``. The regularization penalties
(``l1_penalty``, ``l2_penalty``) take parameters, not ``(y_true, y_pred)``: they have no class here (Keras's
``keras.regularizers`` do that job).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import keras  # noqa: TID251  (the face: the one place, with lossport.torch, that imports a framework)

import lossport
from lossport._registry import LOSSES

__all__ = ["CLASS_NAMES", "INTEGER_DATA", "KERAS_DATA", "LossportLoss", "class_name"]

# The naming rule of lossport.torch (tests/test_face_keras.py checks that both faces give the same names).
ACRONYMS: dict[str, str] = {
    "kl": "KL", "js": "JS", "nll": "NLL", "ctc": "CTC", "ntxent": "NTXent", "nce": "NCE",
    "arcface": "ArcFace", "cosface": "CosFace",
}

# Which of a loss's data arguments y_pred and y_true carry, by position: (y_pred's, y_true's). The default is
# ((0,), (1,)): y_pred is the first data argument (predictions, logits, scores), y_true the second.
KERAS_DATA: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "gaussian_nll": ((0, 2), (1,)),
    "cosine_embedding": ((0, 1), (2,)),
    "margin_ranking": ((0, 1), (2,)),
    "triplet_margin": ((0, 1, 2), ()),
    "ctc": ((0, 2), (1, 3)),
    "info_nce": ((0, 1), (2,)),
    "sigmoid_contrastive": ((0, 1), ()),
    "linear_cross_entropy": ((0, 1), (2,)),
}

# The data arguments that are integer arrays (class indices, lengths): Keras hands them over as float32, so they
# are cast back. tests/test_face_keras.py checks this table against the parity cases' dtypes.
INTEGER_DATA: dict[str, tuple[int, ...]] = {
    "sparse_softmax_cross_entropy": (1,), "nll": (1,), "generalized_cross_entropy": (1,), "sparsemax": (1,),
    "ordinal": (1,), "multilabel_margin": (1,), "multiclass_hinge": (1,), "multi_margin": (1,),
    "multiclass_perceptron": (1,), "ntxent": (1,), "circle": (1,), "ctc": (1, 2, 3), "info_nce": (2,),
    "supervised_contrastive": (1,), "arcface": (1,), "cosface": (1,), "lovasz_hinge": (1,), "lovasz_softmax": (1,),
    "linear_cross_entropy": (2,),
}
# Of those, the class-index labels with one axis fewer than the first data argument: a trailing 1 is squeezed.
_CLASS_INDEX = frozenset(INTEGER_DATA) - {"multilabel_margin", "ctc", "lovasz_hinge"}

# Losses whose lossport reduction is not a mean of per-sample terms: the root is taken after Keras's reduction.
_ROOT_AFTER_REDUCTION = frozenset({"root_mean_squared_error"})

_NOT_FACED = frozenset({"regularization"})  # families with no (y_true, y_pred) form

# The dtype integer data are cast to: JAX's default int32 (int64 needs x64), torch's int64 (its gathers take int64
# indices only, and lossport passes int32 indices through to them: see docs/faces.md).
_INDEX_DTYPE = "int32" if keras.backend.backend() == "jax" else "int64"


def class_name(loss: str) -> str:
    """The face class name of ``lossport.<loss>`` (the rule of :func:`lossport.torch.class_name`)."""
    return "".join(ACRONYMS.get(word, word[:1].upper() + word[1:]) for word in loss.split("_"))


def _is_array_knob(parameter: inspect.Parameter) -> bool:
    return "Array" in str(parameter.annotation)


def _knob_value(value: Any) -> Any:
    """An array knob as nested Python lists (what get_config can write); scalars and None as they are."""
    if value is None or isinstance(value, (bool, int, float, list)):
        return value
    if isinstance(value, tuple):
        return list(value)
    return keras.ops.convert_to_numpy(value).tolist()


def _parts(value: Any, count: int, what: str, cls: str) -> tuple[Any, ...]:
    if count == 0:
        return ()
    if count == 1:
        return (value,)
    if isinstance(value, (list, tuple)) and len(value) == count:
        return tuple(value)
    msg = f"{cls}: `{what}` must be a tuple of {count} arrays; got {type(value).__name__}"
    raise ValueError(msg)


def _is_floating(x: Any) -> bool:
    return "float" in keras.backend.standardize_dtype(x.dtype)


class LossportLoss(keras.losses.Loss):
    """The base of every generated class: Keras's call order and reductions (see the module docstring)."""

    loss_name: ClassVar[str] = ""
    function: ClassVar[Callable[..., Any]]
    data_names: ClassVar[tuple[str, ...]] = ()
    knob_defaults: ClassVar[dict[str, Any]] = {}
    array_knobs: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, *, reduction: str | None = "sum_over_batch_size", name: str | None = None, dtype: Any = None,
        **knobs: Any,
    ) -> None:
        unknown = sorted(set(knobs) - set(self.knob_defaults))
        if unknown:
            msg = (
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}; "
                f"its knobs are {sorted(self.knob_defaults)}"
            )
            raise TypeError(msg)
        super().__init__(name=name or self.loss_name, reduction=reduction, dtype=dtype)
        self.knobs = {
            k: _knob_value(knobs.get(k, d)) if k in self.array_knobs else knobs.get(k, d)
            for k, d in self.knob_defaults.items()
        }

    def __getattr__(self, name: str) -> Any:
        # The knobs read as attributes (loss.delta), as on Keras's own losses.
        knobs = self.__dict__.get("knobs", {})
        if name in knobs:
            return knobs[name]
        raise AttributeError(name)

    def _data(self, y_true: Any, y_pred: Any) -> list[Any]:
        loss, cls = self.loss_name, type(self).__name__
        pred_at, true_at = KERAS_DATA.get(loss, ((0,), (1,)))
        data: list[Any] = [None] * len(self.data_names)
        for i, v in zip(pred_at, _parts(y_pred, len(pred_at), "y_pred", cls)):
            data[i] = v
        for i, v in zip(true_at, _parts(y_true, len(true_at), "y_true", cls)):
            data[i] = v
        for i in INTEGER_DATA.get(loss, ()):
            if _is_floating(data[i]):
                data[i] = keras.ops.cast(data[i], _INDEX_DTYPE)
        scores, labels = data[0], data[1]
        if loss in _CLASS_INDEX:
            for i in INTEGER_DATA[loss]:
                if len(data[i].shape) == len(scores.shape) and data[i].shape[-1] == 1:
                    data[i] = keras.ops.squeeze(data[i], axis=-1)
        elif loss not in KERAS_DATA and len(labels.shape) != len(scores.shape):
            # Keras's own alignment of y_true and y_pred (LossFunctionWrapper): a trailing axis of 1 on either.
            if len(scores.shape) == len(labels.shape) + 1 and scores.shape[-1] == 1:
                data[1] = keras.ops.expand_dims(labels, axis=-1)
            elif len(labels.shape) == len(scores.shape) + 1 and labels.shape[-1] == 1:
                data[1] = keras.ops.squeeze(labels, axis=-1)
        return data

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The per-sample loss of ``(y_true, y_pred)``, which Keras then weights and reduces."""
        data = self._data(y_true, y_pred)
        knobs = dict(self.knobs)
        for k in self.array_knobs:
            if knobs[k] is not None and not isinstance(knobs[k], (bool, int, float)):
                value = keras.ops.convert_to_tensor(knobs[k])  # integer lists (key_labels) stay integer
                knobs[k] = keras.ops.cast(value, data[0].dtype) if _is_floating(value) else value
        per_sample = type(self).function(*data, **knobs, reduction="none")
        if len(per_sample.shape) == len(data[0].shape) and len(per_sample.shape) >= 2:
            # Elementwise: Keras's own losses average the last axis. A 1-D input is one value per sample.
            per_sample = keras.ops.mean(per_sample, axis=-1)
        return per_sample

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        out = super().__call__(y_true, y_pred, sample_weight=sample_weight)
        if self.loss_name in _ROOT_AFTER_REDUCTION and self.reduction not in (None, "none"):
            out = keras.ops.sqrt(out)
        return out

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["dtype"] = self.dtype
        config.update(self.knobs)
        return config

    def __repr__(self) -> str:
        changed = ", ".join(f"{k}={v!r}" for k, v in self.knobs.items() if v != self.knob_defaults[k])
        return f"{type(self).__name__}({changed})"


def _make_class(loss: str) -> type[LossportLoss]:
    function = getattr(lossport, loss)
    parameters = list(inspect.signature(function).parameters.values())
    data = tuple(p.name for p in parameters if p.kind is p.POSITIONAL_ONLY)
    knob_params = [
        p for p in parameters
        if p.kind is p.KEYWORD_ONLY and p.name not in ("weights", "where", "reduction", "xp")
    ]
    cls_name = class_name(loss)
    summary = (function.__doc__ or loss).strip().splitlines()[0]
    pred_at, true_at = KERAS_DATA.get(loss, ((0,), (1,)))

    def _side(at: tuple[int, ...]) -> str:
        if not at:
            return "ignored"
        names = [data[i] for i in at]
        return names[0] if len(names) == 1 else f"({', '.join(names)})"

    doc = (
        f"``keras.losses.Loss`` face of :func:`lossport.{loss}`: {summary}\n\n"
        f"``{cls_name}({', '.join(f'{p.name}={p.default!r}' for p in knob_params)}, "
        f"reduction='sum_over_batch_size', name={loss!r}, dtype=None)``, called as ``loss(y_true, y_pred, "
        f"sample_weight=None)`` with y_true: {_side(true_at)}, y_pred: {_side(pred_at)}.\n"
        f"Keras's order, (y_true, y_pred); the function lossport.{loss} takes ({', '.join(data)}), predictions "
        f"first.\n"
        f"Keras's default reduction, 'sum_over_batch_size', divides Σ w·ℓ by the batch size, not by Σ w as "
        f"lossport's 'mean' does ('mean_with_sample_weight' divides by Σ w).\n"
        f"See :func:`lossport.{loss}` for the formula and every knob."
    )

    def __init__(self: LossportLoss, **kwargs: Any) -> None:
        LossportLoss.__init__(self, **kwargs)

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
            *knob_params,
            inspect.Parameter("reduction", inspect.Parameter.KEYWORD_ONLY, default="sum_over_batch_size"),
            inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None),
            inspect.Parameter("dtype", inspect.Parameter.KEYWORD_ONLY, default=None),
        ]
    )
    __init__.__qualname__ = f"{cls_name}.__init__"
    namespace = {
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": cls_name,
        "__init__": __init__,
        "loss_name": loss,
        "function": staticmethod(function),
        "data_names": data,
        "knob_defaults": {p.name: p.default for p in knob_params},
        "array_knobs": frozenset(p.name for p in knob_params if _is_array_knob(p)),
    }
    cls = type(cls_name, (LossportLoss,), namespace)
    return keras.saving.register_keras_serializable(package="lossport", name=cls_name)(cls)


CLASS_NAMES: dict[str, str] = {
    loss: class_name(loss) for loss, record in LOSSES.items() if record.family not in _NOT_FACED
}
"""``lossport.<loss>`` → the name of its ``keras.losses.Loss`` class here (the same as in lossport.torch)."""

for _loss, _name in CLASS_NAMES.items():
    globals()[_name] = _make_class(_loss)
    __all__.append(_name)
__all__.sort()
del _loss, _name
