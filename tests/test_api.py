"""The public surface: names, signatures, import hygiene, and the registry as the one list of losses."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
from lossport.backends.parity.cases import CASES

import lossport
from lossport._registry import FAMILIES, LOSSES

LOSS_NAMES = sorted(LOSSES)


def test_all_is_sorted_and_complete() -> None:
    assert lossport.__all__ == sorted(lossport.__all__)
    assert set(LOSS_NAMES) <= set(lossport.__all__)
    extras = set(lossport.__all__) - set(LOSS_NAMES)
    assert extras == {"array_namespace", "value_checks"}


def test_registry_matches_cases_and_families() -> None:
    assert set(CASES) == set(LOSSES)
    for record in LOSSES.values():
        assert record.family in FAMILIES
        module = getattr(lossport, record.family)
        assert record.name in module.__all__, (record.name, record.family)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_signature_convention(name: str) -> None:
    """Data positional-only, every knob keyword-only, ``xp`` last with default None."""
    params = list(inspect.signature(getattr(lossport, name)).parameters.values())
    assert params[-1].name == "xp" and params[-1].default is None
    for p in params:
        kind = p.POSITIONAL_ONLY if p.default is p.empty else p.KEYWORD_ONLY
        assert p.kind is kind, (name, p.name)
    names = [p.name for p in params]
    if LOSSES[name].family != "regularization":
        assert names[-4:] == ["weights", "where", "reduction", "xp"], names
        assert inspect.signature(getattr(lossport, name)).parameters["reduction"].default == "mean"


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_docstring_has_example(name: str) -> None:
    doc = getattr(lossport, name).__doc__
    assert ">>>" in doc and "Returns" in doc, name


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


FRAMEWORKS = ("torch", "jax", "tensorflow", "keras", "optax", "sklearn", "array_api_strict")


def test_import_imports_no_framework() -> None:
    out = _run(
        "import sys, lossport; "
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_numpy_call_imports_no_framework() -> None:
    out = _run(
        "import sys, numpy as np, lossport; "
        "lossport.sparse_softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 2])); "
        "lossport.huber(np.ones(3), np.zeros(3)); "
        f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_lossport_source_never_names_a_framework() -> None:
    import pathlib
    import re

    root = pathlib.Path(lossport.__file__).parent
    pattern = re.compile(r"^\s*(import|from)\s+(numpy|torch|jax|tensorflow|keras|optax|sklearn)\b", re.M)
    faces = {root / "torch.py", root / "keras.py"}  # DESIGN.md: the two faces, imported only by their users
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py") if p not in faces and pattern.search(p.read_text())]
    assert offenders == []


def test_namespace_functions_used_are_listed() -> None:
    """lossport/ calls only the namespace functions in USED_NAMESPACE_FUNCTIONS (each adapter is tested on it)."""
    import pathlib
    import re

    from lossport._namespace import USED_NAMESPACE_FUNCTIONS

    root = pathlib.Path(lossport.__file__).parent
    used = set()
    for path in root.glob("*.py"):
        used |= set(re.findall(r"\bxp\.(\w+)", path.read_text()))
    assert used <= set(USED_NAMESPACE_FUNCTIONS), sorted(used - set(USED_NAMESPACE_FUNCTIONS))


def test_registry_covers_the_catalog() -> None:
    """CATALOG.md's names are exactly the registry's records, implemented (LOSSES) or not yet (PENDING)."""
    import pathlib
    import re

    from lossport._registry import CATALOG, PENDING

    catalog = pathlib.Path(__file__).resolve().parents[2] / "shared" / "CATALOG.md"
    if not catalog.exists():
        pytest.skip("../shared/CATALOG.md is not beside this checkout")
    text = catalog.read_text()
    names = set(re.findall(r"^\| `(\w+)`", text, re.M)) | set(re.findall(r"^\| `\w+`, `(\w+)`", text, re.M))
    assert names == set(CATALOG)
    assert set(LOSSES) | set(PENDING) == set(CATALOG) and not set(LOSSES) & set(PENDING)
