"""The loss records: one per public loss, the single source of truth.

Tests are parametrized from these records, ``lossport parity`` runs them, and docs/losses.md (the support table) is
generated from them. Each record names the native anchors the loss must reproduce (their implementations live in
``lossport.backends.parity.anchors``, keyed by the same ids) and, where a mode cannot run, why.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

__all__ = ["CATALOG", "FAMILIES", "LOSSES", "PENDING", "LossRecord"]

FAMILIES: tuple[str, ...] = (
    "regression",
    "classification",
    "margin",
    "divergence",
    "embedding",
    "segmentation",
    "sequence",
    "regularization",
    "linear",
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


CATALOG: dict[str, LossRecord] = _records(
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
    # regression
    LossRecord("root_mean_squared_error", "regression", anchors=("sklearn.root_mean_squared_error",),
               kinks="every prediction == its target (the root at 0)"),
    LossRecord("mean_absolute_percentage_error", "regression",
               anchors=("keras.MeanAbsolutePercentageError", "sklearn.mean_absolute_percentage_error"),
               kinks="predictions == targets; |targets| == eps"),
    LossRecord("smooth_l1", "regression", anchors=("torch.smooth_l1_loss",),
               kinks="|predictions - targets| == beta (second derivative only); predictions == targets if beta == 0"),
    LossRecord("log_cosh", "regression", anchors=("keras.LogCosh", "optax.log_cosh")),
    LossRecord("quantile", "regression", anchors=("sklearn.mean_pinball_loss",),
               kinks="predictions == targets"),
    LossRecord("poisson_nll", "regression",
               anchors=("torch.poisson_nll_loss", "keras.Poisson", "tensorflow.log_poisson_loss")),
    LossRecord("gaussian_nll", "regression", anchors=("torch.gaussian_nll_loss",),
               kinks="variances == eps (the clamp)"),
    LossRecord("tweedie_deviance", "regression",
               anchors=("sklearn.mean_tweedie_deviance", "sklearn.mean_poisson_deviance",
                        "sklearn.mean_gamma_deviance")),
    LossRecord("cosine_distance", "regression",
               anchors=("optax.cosine_distance", "keras.CosineSimilarity", "torch.cosine_similarity"),
               kinks="a vector whose norm is eps (the floor)"),
    # binary, multi-label and multiclass classification
    LossRecord("sigmoid_focal", "classification",
               anchors=("optax.sigmoid_focal_loss", "keras.BinaryFocalCrossentropy(from_logits=True)")),
    LossRecord("brier_score", "classification", anchors=("sklearn.brier_score_loss",)),
    LossRecord("multilabel_soft_margin", "classification", anchors=("torch.multilabel_soft_margin_loss",)),
    LossRecord("categorical_focal", "classification",
               anchors=("keras.CategoricalFocalCrossentropy(from_logits=True)",)),
    LossRecord("poly1_cross_entropy", "classification", anchors=("optax.poly_loss_cross_entropy",)),
    LossRecord("generalized_cross_entropy", "classification",
               anchors=("keras.CategoricalGeneralizedCrossEntropy",)),
    LossRecord("sparsemax", "classification",
               anchors=("optax.multiclass_sparsemax_loss", "optax.sparsemax_loss"),
               kinks="a class entering or leaving the support (logits == tau); |logits| == 1 (binary form)"),
    LossRecord("ordinal", "classification"),
    # margin
    LossRecord("squared_hinge", "margin", anchors=("keras.SquaredHinge",),
               kinks="labels * predictions == 1 (second derivative only)"),
    LossRecord("soft_margin", "margin", anchors=("torch.soft_margin_loss",)),
    LossRecord("perceptron", "margin", anchors=("optax.perceptron_loss",), kinks="predictions == 0"),
    LossRecord("multilabel_margin", "margin", anchors=("torch.multilabel_margin_loss",),
               kinks="a target's score minus a non-target's == 1"),
    LossRecord("multiclass_hinge", "margin", anchors=("optax.multiclass_hinge_loss", "keras.CategoricalHinge"),
               kinks="true score == 1 + best other score; ties for the best other score; best other == null_score"),
    LossRecord("multi_margin", "margin", anchors=("torch.multi_margin_loss",),
               kinks="true score == margin + another score (second derivative only for p=2)"),
    LossRecord("multiclass_perceptron", "margin", anchors=("optax.multiclass_perceptron_loss",),
               kinks="ties for the highest score"),
    # divergences
    LossRecord("kl_divergence", "divergence",
               anchors=("torch.kl_div", "optax.kl_divergence", "optax.kl_divergence_with_log_targets",
                        "keras.KLDivergence"),
               kinks="with `clip`: p or q at the clip bounds [clip, 1]"),
    LossRecord("generalized_kl_divergence", "divergence", anchors=("optax.generalized_kl_divergence",)),
    LossRecord("js_divergence", "divergence"),
    # embedding, metric learning, ranking
    LossRecord("cosine_embedding", "embedding", anchors=("torch.cosine_embedding_loss",),
               kinks="cos == margin where labels == -1"),
    LossRecord("hinge_embedding", "embedding", anchors=("torch.hinge_embedding_loss",),
               kinks="distances == margin where labels == -1"),
    LossRecord("margin_ranking", "embedding", anchors=("torch.margin_ranking_loss",),
               kinks="labels * (x1 - x2) == margin"),
    LossRecord("triplet_margin", "embedding",
               anchors=("torch.triplet_margin_loss", "optax.triplet_margin_loss"),
               kinks="margin + d(a, p) == d(a, n); d(a, n) == d(p, n) with swap; a zero component of a difference "
                     "for p <= 1"),
    LossRecord("ntxent", "embedding", anchors=("optax.ntxent",)),
    LossRecord("circle", "embedding", anchors=("keras.Circle",),
               kinks="cosine == 1 (Keras's max(1 - s, 0): the self-pairs with remove_diagonal=False); "
                     "cosine == -margin for a negative pair (its weight max(1 + m - d, 0))"),
    LossRecord("ranking_softmax", "embedding", anchors=("optax.ranking_softmax_loss",)),
    # sequences and segmentation
    LossRecord("ctc", "sequence",
               anchors=("torch.ctc_loss", "optax.ctc_loss", "tensorflow.ctc_loss", "keras.CTC")),
    LossRecord("dice", "segmentation", anchors=("keras.Dice", "optax.dice_loss")),
    LossRecord("tversky", "segmentation", anchors=("keras.Tversky", "optax.dice_loss(alpha, beta)")),
    LossRecord("generalized_dice", "segmentation", anchors=("optax.multiclass_generalized_dice_loss",)),
    # Catalog II: pending until each is built (issue 11; linear_cross_entropy has issue 9). The anchors are those
    # CATALOG.md names; they are wired when the loss lands.
    LossRecord("info_nce", "embedding", anchors=("pytorch_metric_learning.NTXentLoss",)),
    LossRecord("supervised_contrastive", "embedding", anchors=("pytorch_metric_learning.SupConLoss",)),
    LossRecord("sigmoid_contrastive", "embedding"),
    LossRecord("arcface", "embedding", anchors=("pytorch_metric_learning.ArcFaceLoss",),
               kinks="the label's cosine == -cos(margin) (the fallback's jump), == 0 with easy_margin; "
                     "|the label's cosine| == 1 (sin θ's infinite derivative, taken as 0)"),
    LossRecord("cosface", "embedding", anchors=("pytorch_metric_learning.CosFaceLoss",)),
    LossRecord("lovasz_hinge", "segmentation", anchors=("kornia.lovasz_hinge_loss",),
               kinks="ties between two errors (the sort order); a hinge error 1 - logits * (2 labels - 1) == 0"),
    LossRecord("lovasz_softmax", "segmentation", anchors=("kornia.lovasz_softmax_loss",),
               kinks="ties between two errors of a class (the sort order); a probability equal to its label"),
    LossRecord("focal_tversky", "segmentation",
               kinks="a perfect prediction (loss 0): the gradient of loss ** gamma is infinite for gamma < 1"),
    LossRecord("wing", "regression",
               kinks="predictions == targets (slopes -+width/curvature; gradient 0 there); "
                     "|predictions - targets| == width (the slope jumps from width/(width + curvature) to 1)"),
    LossRecord("linear_cross_entropy", "linear",
               anchors=("torch.linear_cross_entropy", "numpy.sparse_softmax_cross_entropy(dense logits)")),
    LossRecord("chamfer_distance", "regression",
               kinks="two nearest neighbours at the same distance; a zero distance with squared=False"),
)


def _implemented(record: LossRecord) -> bool:
    module = importlib.import_module(f"lossport.{record.family}")
    return record.name in getattr(module, "__all__", ())


# Every record of CATALOG.md is above; LOSSES are those whose function exists (the tests, `lossport parity` and the
# docs run these), PENDING the rest. tests/test_api.py checks that the two cover CATALOG.md exactly.
LOSSES: dict[str, LossRecord] = {n: r for n, r in CATALOG.items() if _implemented(r)}
PENDING: dict[str, LossRecord] = {n: r for n, r in CATALOG.items() if n not in LOSSES}
