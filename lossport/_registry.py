"""The loss records: one per public loss, the single source of truth.

Tests are parametrized from these records, ``lossport parity`` runs them, and docs/losses.md (the support table) is
generated from them. Each record names the native anchors the loss must reproduce (their implementations live in
``lossport.backends.anchors``, keyed by the same ids) and, where a mode cannot run, why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FAMILIES", "LOSSES", "LossRecord"]

FAMILIES: tuple[str, ...] = (
    "regression",
    "classification",
    "margin",
    "regularization",
)


@dataclass(frozen=True)
class LossRecord:
    """What lossport promises about one loss.

    Attributes
    ----------
    name : str
        The public function name (``lossport.<name>``).
    family : str
        The module it lives in, one of :data:`FAMILIES`.
    anchors : tuple of str
        Native implementations it must reproduce, as ``"<framework>.<function>"`` ids.
    kinks : str
        Where the loss is not differentiable: gradients are compared away from these points.
    unsupported : dict
        ``{mode: reason}`` for modes (``"jax.jit"``, ``"tf.function"``, ``"torch.compile"``) where it cannot run.
    """

    name: str
    family: str
    anchors: tuple[str, ...] = ()
    kinks: str = ""
    unsupported: dict[str, str] = field(default_factory=dict)


def _records(*records: LossRecord) -> dict[str, LossRecord]:
    return {r.name: r for r in records}


LOSSES: dict[str, LossRecord] = _records(
    LossRecord(
        "mean_squared_error", "regression",
        anchors=("torch.mse_loss", "keras.MeanSquaredError", "optax.squared_error",
                 "sklearn.mean_squared_error"),
    ),
    LossRecord(
        "mean_absolute_error", "regression",
        anchors=("torch.l1_loss", "keras.MeanAbsoluteError", "sklearn.mean_absolute_error"),
        kinks="predictions == targets",
    ),
    LossRecord(
        "mean_squared_logarithmic_error", "regression",
        anchors=("keras.MeanSquaredLogarithmicError", "sklearn.mean_squared_log_error"),
    ),
    LossRecord(
        "huber", "regression",
        anchors=("torch.huber_loss", "keras.Huber", "optax.huber_loss", "tensorflow.v1.huber_loss"),
        kinks="|predictions - targets| == delta (second derivative only)",
    ),
    LossRecord("pseudo_huber", "regression"),
    LossRecord(
        "hinge", "margin",
        anchors=("keras.Hinge", "optax.hinge_loss", "sklearn.hinge_loss", "tensorflow.v1.hinge_loss"),
        kinks="labels * predictions == 1",
    ),
    LossRecord(
        "binary_cross_entropy", "classification",
        anchors=("torch.binary_cross_entropy", "keras.BinaryCrossentropy", "sklearn.log_loss",
                 "tensorflow.v1.log_loss"),
        kinks="probabilities at 0 or 1 (log clamp)",
    ),
    LossRecord(
        "binary_cross_entropy_with_logits", "classification",
        anchors=("torch.binary_cross_entropy_with_logits", "tensorflow.sigmoid_cross_entropy_with_logits",
                 "tensorflow.weighted_cross_entropy_with_logits", "optax.sigmoid_binary_cross_entropy",
                 "keras.BinaryCrossentropy(from_logits=True)"),
    ),
    LossRecord(
        "softmax_cross_entropy", "classification",
        anchors=("tensorflow.softmax_cross_entropy_with_logits", "optax.softmax_cross_entropy",
                 "optax.safe_softmax_cross_entropy", "keras.CategoricalCrossentropy(from_logits=True)",
                 "torch.cross_entropy(probabilities)"),
    ),
    LossRecord(
        "sparse_softmax_cross_entropy", "classification",
        anchors=("torch.cross_entropy", "tensorflow.sparse_softmax_cross_entropy_with_logits",
                 "optax.softmax_cross_entropy_with_integer_labels",
                 "keras.SparseCategoricalCrossentropy(from_logits=True)"),
    ),
    LossRecord(
        "categorical_cross_entropy", "classification",
        anchors=("keras.CategoricalCrossentropy", "sklearn.log_loss(multiclass)"),
        kinks="probabilities at 0 (log clamp)",
    ),
    LossRecord("nll", "classification", anchors=("torch.nll_loss",)),
    LossRecord("l1_penalty", "regularization", kinks="a parameter at 0"),
    LossRecord("l2_penalty", "regularization", anchors=("tensorflow.nn.l2_loss",)),
)
