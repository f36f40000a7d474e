"""The repository's layout: what lives where, and importing lossport from a checkout.

``backends/`` holds the adapters, its ``__init__.py`` and packages (the TensorFlow namespace, the parity suite);
no source file grows past a size a reader can hold. A checkout imported without an editable install (Python started
in the repository root after ``pip install .``, or with nothing installed) loads its own ``backends/``; a copy of
``lossport/`` without it fails at once with a message that says what to do.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADAPTERS = {"__init__.py", "numpy.py", "jax.py", "torch.py", "tensorflow.py"}


def test_backends_holds_only_adapters_and_packages() -> None:
    files = {p.name for p in (ROOT / "backends").iterdir() if p.is_file()}
    assert files == ADAPTERS
    packages = [p for p in (ROOT / "backends").iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert all((p / "__init__.py").is_file() for p in packages), packages


@pytest.mark.parametrize(("folder", "limit"), [("backends", 700), ("lossport", 1400), ("tests", 1400),
                                               ("benchmarks", 1400), ("docs", 1400)])
def test_no_source_file_is_too_long(folder: str, limit: int) -> None:
    """Issue 6's bound: no file over 1,400 lines, none in backends/ over 700 (generated docs excepted)."""
    generated = {ROOT / "docs" / "losses.md"}
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / folder).rglob("*")
            if p.suffix in {".py", ".md"} and p not in generated
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > limit}
    assert not long


def _python_without_the_editable_finder(code: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    """``python -S``: site-packages on the path (NumPy, array-api-compat) but no ``.pth`` file run, so an editable
    install's finder is absent, as after a plain ``pip install .`` or none."""
    site = sysconfig.get_paths()["purelib"]
    return subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path.append({site!r}); {code}"],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_checkout_imports_its_own_backends(tmp_path: pathlib.Path) -> None:
    for name in ("lossport", "backends"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import lossport, numpy as np; print(lossport.backends.__file__); "
            "print(float(lossport.huber(np.array([2.0, 3.0]), np.array([1.0, 0.0]))))")
    result = _python_without_the_editable_finder(code, tmp_path)
    assert result.returncode == 0, result.stderr
    where, value = result.stdout.split()
    assert pathlib.Path(where) == tmp_path / "backends" / "__init__.py"
    assert float(value) == 1.5  # by hand: errors 1 and 3 at delta 1: (0.5 + 2.5) / 2


def test_lossport_without_backends_says_what_to_do(tmp_path: pathlib.Path) -> None:
    shutil.copytree(ROOT / "lossport", tmp_path / "lossport", ignore=shutil.ignore_patterns("__pycache__"))
    result = _python_without_the_editable_finder("import lossport", tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ") and "pip install -e ." in last and "outside" in last
