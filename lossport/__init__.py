"""lossport: loss functions written once against the Python Array API standard.

Call any loss with NumPy, JAX, PyTorch or TensorFlow arrays (or any Array API library's) and get back an array of
the same framework, on the same device, differentiable by that framework's autodiff and traceable by its compiler.
Importing lossport imports no framework.
"""

from lossport._namespace import array_namespace
from lossport._validation import value_checks
from lossport.classification import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    nll,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)
from lossport.margin import hinge
from lossport.regression import (
    huber,
    mean_absolute_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    pseudo_huber,
)
from lossport.regularization import l1_penalty, l2_penalty

__version__ = "0.1.0"

__all__ = [
    "array_namespace",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "hinge",
    "huber",
    "l1_penalty",
    "l2_penalty",
    "mean_absolute_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "nll",
    "pseudo_huber",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
    "value_checks",
]
