"""Reports the backends under test; gives each test mpmath's default working precision; tests/support.py holds the
matrix's axes."""

from __future__ import annotations

from collections.abc import Iterator

import mpmath
import pytest
from support import BACKENDS, DEVICE, IMPORT_ERRORS


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"lossport backends: {', '.join(BACKENDS)}; device: {DEVICE}"]
    lines += [f"  not importable: {k} ({v})" for k, v in IMPORT_ERRORS.items()]
    return lines


@pytest.fixture(autouse=True)
def _mpmath_precision() -> Iterator[None]:
    """Each test starts at 50 digits and its own ``mpmath.mp.dps = ...`` ends with it. Without this, a test that
    lowered the global precision (a dice check at 40 digits) left it lowered for whichever oracle ran next in that
    worker: CI's logsumexp oracle lost the tail of ``log(1 + 1.8e-35)`` and reported a correct value 2.9e9 ulps off."""
    with mpmath.workdps(50):
        yield
