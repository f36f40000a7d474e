"""Sphinx configuration of lossport's documentation site: ``nox -s docs``, or by hand::

    pip install -e ".[docs]"
    sphinx-build -W -b html docs/site docs/site/_build/html

At build time it writes one page per loss family (``api/<family>.rst``: each loss's curve image, drawn by
``lossport.backends.parity.plot``, and its numpydoc docstring), and sphinx-gallery runs the PyTorch form of each
example (``examples/plot_*_torch.py``). Environment knobs: ``LOSSPORT_DOCS_GALLERY=0`` shows the examples without
running them; ``LOSSPORT_DOCS_QUICK=1`` runs them shortened (``--quick``); ``LOSSPORT_DOCS_BACKENDS`` the
backends the curves are drawn on (default ``numpy,torch``: a value, an autodiff gradient and a finite difference;
the installed native anchors are drawn as well). The curve images are drawn once: delete ``docs/site/api/`` to
redraw them after changing the plot code.
"""

from __future__ import annotations

import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = HERE / "_build"
sys.path.insert(0, str(ROOT / "examples"))  # the examples import their helpers (_common, _torch, ...)
sys.path.insert(0, str(HERE))  # _gallery, which sphinx-gallery imports by name
os.environ.setdefault("LOSSPORT_EXAMPLES_OUT", str(BUILD / "example-output"))

import lossport  # noqa: E402

project = "lossport"
author = "the lossport authors"
copyright = "the lossport authors"
release = version = lossport.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "sg_execution_times.rst"]
html_theme = "alabaster"
html_title = f"lossport {release}"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
myst_heading_anchors = 3
# The markdown pages included from docs/ link to repository files (../benchmarks/bench.py): not pages of the site.
suppress_warnings = ["myst.xref_missing"]

_run_gallery = os.environ.get("LOSSPORT_DOCS_GALLERY", "1") != "0"
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_\w+_torch\.py$",  # run the PyTorch form of each demo; show the others
    "ignore_pattern": r"(^|[\\/])(_\w+|run_all)\.py$",  # the helpers (_common.py, _torch.py, ...) and the runner
    "plot_gallery": "True" if _run_gallery else "False",
    "reset_argv": "_gallery.reset_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}


def _lenient_see_also() -> None:
    """Let numpydoc show a "See Also" section it cannot parse as plain text instead of failing the build.

    Some docstrings list native functions with remarks, like ``keras.losses.BinaryCrossentropy(from_logits=True)``,
    which numpydoc's grammar (``name, name : description``) rejects with an error. Such a section is shown as its
    text, unlinked; every other section is parsed as numpydoc parses it.
    """
    from numpydoc.docscrape import NumpyDocString

    parse = NumpyDocString._parse_see_also

    def lenient(self: NumpyDocString, content: list[str]) -> list:
        try:
            return parse(self, content)
        except ValueError:
            return [([], [" ".join(line.strip() for line in content if line.strip())])]

    NumpyDocString._parse_see_also = lenient  # type: ignore[method-assign]


_lenient_see_also()


def _write_family_pages(app: object) -> None:
    """``api/<family>.rst``: each implemented loss of the family, its curve image where it has an axis, its docs."""
    from lossport.backends.parity import plot

    from lossport._registry import FAMILIES, LOSSES

    api = HERE / "api"
    images = api / "curves"
    images.mkdir(parents=True, exist_ok=True)
    backends = os.environ.get("LOSSPORT_DOCS_BACKENDS", "numpy,torch").split(",")
    installed = set(plot.parity.available_backends())
    backends = [b for b in backends if b in installed] or ["numpy"]
    index = ["Losses by family", "================", "", ".. toctree::", "   :maxdepth: 1", ""]
    for family in FAMILIES:
        records = [r for r in LOSSES.values() if r.family == family]
        if not records:
            continue
        index.append(f"   {family}")
        title = f"{family.capitalize()} losses"
        lines = [title, "=" * len(title), "",
                 f"The {family} losses. Each curve is drawn by ``lossport plot`` over the loss's natural axis, on "
                 f"{', '.join(backends)} (solid, overlaid) and every installed native anchor (dashed); see "
                 ":doc:`../cli`.", ""]
        for r in records:
            lines += [r.name, "-" * len(r.name), ""]
            if r.name in plot.SWEEPS:
                png = images / f"{r.name}.png"
                if not png.exists():
                    plot.plot_losses([r.name], png, backends=backends)
                lines += [f".. image:: curves/{r.name}.png", f"   :alt: {r.name} and its gradient", ""]
            anchors = ", ".join(f"``{a}``" for a in r.anchors) or "none (hand-checked values)"
            lines += [f"Native anchors: {anchors}.", "", f".. autofunction:: lossport.{r.name}", ""]
        text = "\n".join(lines)
        page = api / f"{family}.rst"
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
    (api / "index.rst").write_text("\n".join(index) + "\n")


def setup(app: object) -> None:
    app.connect("builder-inited", _write_family_pages)  # type: ignore[attr-defined]
