"""Helpers that sphinx-gallery imports by name (conf.py's callables cannot be pickled into Sphinx's cache)."""

from __future__ import annotations

import os
from typing import Any


def reset_argv(gallery_conf: dict[str, Any], script_vars: dict[str, Any]) -> list[str]:
    """The examples' command line: ``--quick`` when ``LOSSPORT_DOCS_QUICK=1``, else none (a full run)."""
    return ["--quick"] if os.environ.get("LOSSPORT_DOCS_QUICK") == "1" else []
