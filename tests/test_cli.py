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


# --- the command line's edges (issue 10): empty and partial selections, a closed pipe, --version, list, --device

FEW = "huber,hinge"  # two quick losses: these tests check the command, the matrix checks the losses


@pytest.mark.parametrize("option", ["--backends", "--losses"])
def test_an_empty_selection_is_a_usage_error(option: str, capsys) -> None:
    """``--backends ""`` used to run every backend; now an empty list is refused, with the way out named."""
    assert main(["parity", option, "", "--jobs", "1"]) == 2
    assert f"{option} needs at least one name" in capsys.readouterr().err


def test_losses_runs_a_subset(capsys) -> None:
    assert main(["parity", "--losses", FEW, "--backends", "numpy", "--json", "--jobs", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["loss"] for r in rows} == {"huber", "hinge"}
    assert {r["against"] for r in rows} > {"numpy-float64"}  # the anchors of the two still run


def test_an_unknown_loss_is_refused_with_the_known_ones(capsys) -> None:
    from lossport._registry import LOSSES

    assert main(["parity", "--losses", "huber,hubber", "--backends", "numpy"]) == 2
    err = capsys.readouterr().err
    assert "['hubber']" in err and all(name in err for name in LOSSES)


def test_version(capsys) -> None:
    import lossport

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"lossport {lossport.__version__}"


def test_list_names_every_loss_its_family_and_anchors(capsys) -> None:
    from lossport._registry import LOSSES

    assert main(["list", "--json"]) == 0
    listed = {r["loss"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(listed) == list(LOSSES)
    assert listed["huber"]["family"] == "regression"
    assert [a["id"] for a in listed["huber"]["anchors"]] == list(LOSSES["huber"].anchors)
    assert main(["list", "--family", "margin"]) == 0
    table = capsys.readouterr().out
    assert "keras.Hinge" in table and "mean_squared_error" not in table
    assert main(["list", "--family", "nope"]) == 2


def _run_cli(*args: str, **popen: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lossport", *args], text=True, **popen)


def test_a_closed_pipe_ends_quietly_with_the_status_of_the_run() -> None:
    """``lossport parity --json | head``: the reader is gone before the report is written (its end closed here
    before the command starts, so the write always fails). Exit status 0 (all passed), no traceback."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = _run_cli("parity", "--losses", FEW, "--backends", "numpy", "--no-anchors", "--json", "--jobs", "1",
                    stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_no_progress_bar_when_piped_or_json() -> None:
    proc = _run_cli("parity", "--losses", FEW, "--backends", "numpy", "--no-anchors", "--jobs", "1",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and err == "" and "2 passed" in out


def test_progress_bar_on_a_terminal() -> None:
    """On a terminal (a pseudo-terminal here) the bar counts the losses on stderr, then erases itself."""
    import os
    import pty

    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    proc = _run_cli("parity", "--losses", FEW, "--backends", "numpy", "--no-anchors", "--jobs", "1",
                    stdout=out_slave, stderr=err_slave)
    os.close(out_slave)
    os.close(err_slave)

    def drain(fd: int) -> str:
        chunks = []
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()

    out = drain(out_master)
    err = drain(err_master)
    assert proc.wait(timeout=300) == 0
    assert "2 passed" in out
    assert "1/2" in err and "2/2 " in err and "hinge" in err


def test_device_runs_array_api_strict_on_device1(capsys) -> None:
    """array-api-strict refuses to mix devices, so passing on ``device1`` shows that every array a loss makes
    follows its inputs there. (No GPU here: ``cuda`` and ``gpu:0`` are refused below, not run.)"""
    pytest.importorskip("array_api_strict")
    xps = parity.import_backend("array_api_strict")
    device = parity.resolve_device("array_api_strict", "device1")
    from lossport.backends.parity.cases import cases_for

    case = cases_for("huber")[0]
    assert parity.run_case(case, "array_api_strict", "float64", device).device == xps.Device("device1")
    assert main(["parity", "--losses", "huber,sparse_softmax_cross_entropy,dice", "--backends",
                 "array_api_strict", "--device", "device1", "--no-anchors", "--json", "--jobs", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["device"] == "device1" and len(report["rows"]) == 3 and report["ok"]


def test_device_the_backends_lack_is_refused(capsys) -> None:
    assert main(["parity", "--losses", FEW, "--backends", "numpy", "--device", "device1"]) == 2
    assert "NumPy runs on the host only" in capsys.readouterr().err
    if "torch" in parity.available_backends():
        torch = parity.import_backend("torch")
        if not torch.cuda.is_available():
            assert main(["parity", "--losses", FEW, "--backends", "torch", "--device", "gpu:0"]) == 2
            assert "torch has no device 'gpu:0'" in capsys.readouterr().err


def test_device_cpu_runs_the_autodiff_frameworks(capsys) -> None:
    from support import BACKENDS

    names = [b for b in ("jax", "torch", "tensorflow") if b in BACKENDS]
    if not names:
        pytest.skip("no framework with devices is installed")
    assert main(["parity", "--losses", "huber", "--backends", ",".join(names), "--device", "cpu",
                 "--no-anchors", "--json", "--jobs", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["backend"] for r in rows] == names and all(r["ok"] for r in rows)


def test_the_cli_imports_no_matplotlib_unless_drawing() -> None:
    code = ("import sys; from lossport.__main__ import main; "
            "main(['parity', '--losses', 'huber', '--backends', 'numpy', '--no-anchors', '--jobs', '1']); "
            "main(['list']); assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
