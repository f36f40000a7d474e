"""The README's commands and examples work as written, and the generated tables are current."""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest
from support import BACKENDS

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_ci_runs_the_readme_commands_verbatim_in_a_new_virtualenv() -> None:
    """.ci/run makes a virtualenv, activates it, then runs both commands as a new user would, pinning nothing."""
    main_command, test_command = (b.strip() for b in _blocks("bash")[:2])
    assert "lossport parity" in main_command and "pytest" in test_command
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if not line.startswith("#")]
    venv = next(i for i, line in enumerate(ci) if line.startswith("python3 -m venv "))
    activate = next(i for i, line in enumerate(ci) if line.startswith("source ") and "/bin/activate" in line)
    installs = [i for i, line in enumerate(ci) if "pip install" in line]
    assert venv < activate < ci.index(main_command) < ci.index(test_command)
    assert installs == [ci.index(main_command), ci.index(test_command)]  # nothing installed or pinned before


def test_readme_opens_with_the_two_commands() -> None:
    first, second = _blocks("bash")[:2]
    assert "lossport parity" in first and "pytest" in second
    assert README.index("lossport parity") < README.index("## One example per framework")


EXAMPLES = {
    "numpy": "numpy", "jax": "jax", "torch": "torch", "tensorflow": "tensorflow",
}


@pytest.mark.parametrize("block", _blocks("python"), ids=lambda b: b.split("\n")[0][:30])
def test_readme_example_runs(block: str) -> None:
    framework = re.match(r"import (\w+)", block).group(1)
    if framework != "numpy" and framework not in BACKENDS:
        pytest.skip(f"{framework} is not installed")
    exec(compile(block, "README.md", "exec"), {})


def test_generated_tables_are_current() -> None:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "docs" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    for path, text in generate.render().items():
        assert path.read_text() == text, f"{path.name} is stale: run `python docs/generate.py`"


def test_every_docstring_parses_as_numpydoc() -> None:
    """The Sphinx site renders the docstrings with numpydoc, which drops a section it cannot parse (a "See Also"
    entry such as ``keras.losses.X(from_logits=True)`` is not a name) with only a warning."""
    docscrape = pytest.importorskip("numpydoc.docscrape")
    import warnings

    import lossport
    from lossport._registry import LOSSES

    for name in sorted(LOSSES):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            doc = docscrape.FunctionDoc(getattr(lossport, name))
            assert doc["Parameters"], name
            doc["See Also"]  # parsed lazily: raises ValueError on an entry that is not `name[, name] [: text]`
