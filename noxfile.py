"""The matrix as nox sessions: one test session per framework, plus lint, types, bench, build and docs.

``nox -s tests-torch`` runs the suite with only NumPy, array-api-strict and torch installed, so that a missing
optional import shows up; ``nox -s lint types`` checks style, the framework-import ban, and types.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "types", "tests"]
nox.options.reuse_existing_virtualenvs = True

TORCH_CPU = "torch==2.13.0"  # what CI pins: the CPU build (an unpinned torch pulls a CUDA build of several GB)

FRAMEWORKS = {
    "numpy": [],
    "jax": ["jax", "optax"],
    "torch": [TORCH_CPU],
    "tensorflow": ["tensorflow-cpu", "keras"],
}


@nox.session
@nox.parametrize("framework", list(FRAMEWORKS))
def tests(session: nox.Session, framework: str) -> None:
    session.install(*FRAMEWORKS[framework])
    session.install("-e", ".[test]", "scikit-learn")
    backends = ["numpy", "array_api_strict"] + ([framework] if framework != "numpy" else [])
    session.env["LOSSPORT_TEST_BACKENDS"] = ",".join(backends)
    session.run("pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def types(session: nox.Session) -> None:
    session.install("mypy", "-e", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    session.install(TORCH_CPU, "jax", "optax", "tensorflow-cpu", "-e", ".")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    session.install("build")
    session.run("python", "-m", "build")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, warnings as errors: docs/site/_build/html/index.html.

    The gallery runs the PyTorch form of each example (``LOSSPORT_DOCS_QUICK=1`` shortens them,
    ``LOSSPORT_DOCS_GALLERY=0`` shows them without running); ``nox -s docs -- -E`` rebuilds from scratch.
    """
    session.install(TORCH_CPU)
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", *session.posargs, "docs/site",
                "docs/site/_build/html")
