"""Reports the backends under test; tests/support.py holds the matrix's axes."""

from __future__ import annotations

import pytest
from support import BACKENDS, DEVICE, IMPORT_ERRORS


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"lossport backends: {', '.join(BACKENDS)}; device: {DEVICE}"]
    lines += [f"  not importable: {k} ({v})" for k, v in IMPORT_ERRORS.items()]
    return lines
