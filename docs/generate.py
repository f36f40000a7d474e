"""Regenerate the support table (README.md, docs/losses.md) from the loss registry: ``python docs/generate.py``.

tests/test_docs.py fails when the committed tables differ from what this script writes.
"""

from __future__ import annotations

import pathlib
import re

from lossport._registry import LOSSES

ROOT = pathlib.Path(__file__).resolve().parent.parent
START, END = "<!-- support-table:start -->", "<!-- support-table:end -->"
MODES = (("numpy", None), ("array-api-strict", None), ("JAX", "jax.jit"), ("PyTorch", "torch.compile"),
         ("TensorFlow", "tf.function"))


def support_table() -> str:
    head = ["loss", "family"] + [
        f"{name} (eager{', ' + mode if mode else ''})" for name, mode in MODES
    ] + ["native anchors"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for record in LOSSES.values():
        cells = [f"`{record.name}`", record.family]
        for _, mode in MODES:
            if mode in record.unsupported:
                notes.append(f"- `{record.name}` under `{mode}`: {record.unsupported[mode]}")
                cells.append("✓, ✗")
            else:
                cells.append("✓" if mode is None else "✓, ✓")
        cells.append(", ".join(f"`{a}`" for a in record.anchors) or "none (hand-checked values)")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, *(["", *notes] if notes else [])])


def _replace(text: str, table: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text)


def render() -> dict[pathlib.Path, str]:
    """The generated files' contents, keyed by path."""
    table = support_table()
    readme = ROOT / "README.md"
    losses_md = (
        "# Supported losses\n\n"
        "Generated from `lossport/_registry.py` by `python docs/generate.py`; do not edit by hand.\n"
        "Each ✓ is a cell of the parity matrix (tests/test_matrix.py): float32 and float64 (float16 and bfloat16\n"
        "where the framework has them), values and gradients, against NumPy float64 and JAX float64 autodiff.\n"
        "For PyTorch, `torch.compile(fullgraph=True)` runs one representative case per loss.\n\n"
        f"{START}\n{table}\n{END}\n"
    )
    return {readme: _replace(readme.read_text(), table), ROOT / "docs" / "losses.md": losses_md}


if __name__ == "__main__":
    for path, text in render().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
