"""The ``lossport parity`` command: its table, its JSON, and its exit status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lossport.backends import parity

from lossport.__main__ import main


def test_parity_numpy_table_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parity", "--backends", "numpy", "--no-anchors", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:4] == ["loss", "backend", "against", "cases"]
    assert "mean_squared_error" in out and "FAIL" not in out


def test_parity_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parity", "--backends", "numpy", "--no-anchors", "--json", "--jobs", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    rows = report["rows"]
    assert {r["backend"] for r in rows} == {"numpy"}
    assert all(r["ok"] and r["worst_relative_error"] < 1e-5 for r in rows)


def test_parity_exits_1_on_a_disagreement(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """A comparison that fails (here: every comparison reported as 2 tolerances off) makes the exit status 1."""
    monkeypatch.setattr(parity.runner, "compare", lambda actual, expected, dtype: 2.0)
    assert main(["parity", "--backends", "numpy", "--no-anchors", "--jobs", "1"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_unknown_backend_is_a_usage_error(capsys) -> None:
    assert main(["parity", "--backends", "numpy,cupyy"]) == 2
    assert "unknown backend" in capsys.readouterr().err


def test_python_dash_m_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lossport", "parity", "--backends", "numpy", "--no-anchors", "--jobs", "1"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out.rstrip().splitlines()[-1].endswith("s)")
