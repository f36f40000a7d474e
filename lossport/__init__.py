"""lossport: loss functions written once against the Python Array API standard.

Call any loss with NumPy, JAX, PyTorch or TensorFlow arrays (or any Array API library's) and get back an array of
the same framework, on the same device, differentiable by that framework's autodiff and traceable by its compiler.
Importing lossport imports no framework.
"""

from lossport import (
    _checkout,  # noqa: F401  (first: makes lossport.backends importable from a checkout)
    classification,
    divergence,
    embedding,
    linear,
    margin,
    regression,
    regularization,
    segmentation,
    sequence,
)
from lossport._namespace import array_namespace as array_namespace
from lossport._validation import value_checks as value_checks
from lossport.classification import *  # noqa: F403
from lossport.divergence import *  # noqa: F403
from lossport.embedding import *  # noqa: F403
from lossport.linear import *  # noqa: F403
from lossport.margin import *  # noqa: F403
from lossport.regression import *  # noqa: F403
from lossport.regularization import *  # noqa: F403
from lossport.segmentation import *  # noqa: F403
from lossport.sequence import *  # noqa: F403

__version__ = "0.1.0"

# The flat public API: every family module's __all__, plus the dispatch entry and the value-check switch.
__all__ = sorted(
    [
        "array_namespace",
        "value_checks",
        *classification.__all__,
        *divergence.__all__,
        *embedding.__all__,
        *linear.__all__,
        *margin.__all__,
        *regression.__all__,
        *regularization.__all__,
        *segmentation.__all__,
        *sequence.__all__,
    ]
)
