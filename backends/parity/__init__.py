"""The parity suite: every loss on every backend against NumPy float64, and against the native anchors.

``runner`` runs a case on any backend and compares (its names are re-exported here, so ``parity.bind``,
``parity.run_parity``); ``cases/<family>.py`` holds the inputs, ``anchors/<family>.py`` the native implementations.
Shared by ``lossport parity``, the test suite and docs/generate.py, so that all check the same cases with the same
tolerances. Importing it imports no framework; ``runner.import_backend`` does, in a safe order.
"""

from lossport.backends.parity import runner as runner
from lossport.backends.parity.runner import *  # noqa: F403
from lossport.backends.parity.runner import __all__ as __all__
