"""``lossport.backends`` in a source checkout that was not installed in editable mode.

Imported first by ``lossport/__init__.py``; it imports no framework.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load_backends_from_the_checkout() -> None:
    """Make ``lossport.backends`` importable when ``lossport`` is imported from a source checkout.

    Installing maps the checkout's top-level ``backends/`` folder into the package as ``lossport.backends``; an
    editable install (``pip install -e .``) does so for the source tree too. Python started inside a checkout that
    was installed otherwise (``pip install .``) or not at all imports ``lossport/`` from the working directory,
    without that mapping: the checkout's own ``backends/`` is then loaded here, so that both halves come from the
    same tree. A ``lossport/`` folder with no ``backends/`` beside it is not a usable copy, and says so.
    """
    if importlib.util.find_spec("lossport.backends") is not None:
        return
    folder = Path(__file__).resolve().parent.parent / "backends"
    spec = importlib.util.spec_from_file_location(
        "lossport.backends", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None or not folder.is_dir():
        msg = (
            f"lossport was imported from {Path(__file__).parent}, where its subpackage `lossport.backends` (the "
            "folder backends/ of a checkout) is missing: install lossport (`pip install lossport`, or "
            "`pip install -e .` in a checkout), or run Python from outside this folder"
        )
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules["lossport.backends"] = module
    spec.loader.exec_module(module)
    sys.modules["lossport"].backends = module  # type: ignore[attr-defined]


_load_backends_from_the_checkout()
