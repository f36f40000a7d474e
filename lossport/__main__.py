"""The ``lossport`` command: check every loss on every installed backend, list the losses, draw them.

Usage::

    lossport --version
    lossport list [--family FAMILY] [--json]
    lossport parity [--backends numpy,jax,torch,tensorflow] [--losses huber,hinge] [--device cuda]
                    [--no-anchors] [--json] [--jobs N] [--plot FILE.png]
    lossport plot LOSS [LOSS ...] | --family FAMILY  [--out FILE.png] [--backends ...] [--knob delta=0.25]
                    [--range LO HI]

``lossport parity`` runs every loss's cases on every installed backend (float32 and float64; JAX under
``jax.jit``) against the same loss on NumPy float64, and against every installed native anchor (torch, Keras,
optax, TensorFlow, scikit-learn), prints one line per (loss, backend or anchor) with the worst relative error and
PASS or FAIL, and exits with status 1 on any disagreement. ``--device`` runs the backends on a named device
(``cuda``, ``gpu:0``, ``cpu``, array-api-strict's ``device1``); the reference and the anchors stay on the host.
``--plot`` also draws the report as a heat map. ``lossport plot`` draws losses and their gradients, one line per
backend (needs matplotlib: the ``plot`` extra).

The frameworks are imported here, in the command, never by ``import lossport``; matplotlib only when drawing.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["main"]


def _format_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    rows = [tuple(header), *(tuple(line) for line in lines)]
    widths = [max(len(line[i]) for line in rows) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _parity_table(rows: Sequence[Any]) -> str:
    header = ("loss", "backend", "against", "cases", "worst rel. error", "error/tol", "result")
    lines = []
    for r in rows:
        rel = "-" if math.isnan(r.rel) else f"{r.rel:.2e}"
        lines.append((r.loss, r.backend, r.against, str(r.cases), rel, f"{r.worst:.3g}", "PASS" if r.ok else "FAIL"))
    return _format_table(header, lines)


def _emit(text: str) -> None:
    """Print ``text``; a reader that went away (``lossport parity --json | head``) ends the output quietly.

    The exit status is still the command's own. stdout is pointed at the null device so that the interpreter's
    final flush does not raise again (the recipe of the Python docs, "Note on SIGPIPE").
    """
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class _Progress:
    """A one-line progress bar on stderr: ``[#####.....] 12/57 huber``.

    Written here rather than taken from tqdm or rich: lossport's only dependencies are NumPy and array-api-compat,
    and a bar that counts losses needs nothing more than a carriage return.
    """

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream, self.start = total, 0, stream, time.perf_counter()

    def __call__(self, loss: str) -> None:
        self.done += 1
        filled = round(30 * self.done / max(self.total, 1))
        elapsed = time.perf_counter() - self.start
        line = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {elapsed:5.1f} s {loss}"
        self.stream.write("\r" + line.ljust(79)[:79])
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * 79 + "\r")
        self.stream.flush()


def _split(text: str | None, option: str) -> list[str] | None:
    """A comma-separated option as a list; None when the option was not given. An empty list is a usage error."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        msg = f"{option} needs at least one name (got {text!r}); leave the option out to take them all"
        raise _UsageError(msg)
    return items


class _UsageError(Exception):
    """A bad command line: its message goes to stderr and the exit status is 2."""


def _parity(args: argparse.Namespace) -> int:
    from lossport._registry import LOSSES
    from lossport.backends import parity

    backends = _split(args.backends, "--backends")
    unknown = [b for b in backends or () if b not in parity.BACKENDS]
    if unknown:
        msg = f"unknown backend(s) {unknown}; choose from {parity.BACKENDS}"
        raise _UsageError(msg)
    losses = _split(args.losses, "--losses")
    unknown = [name for name in losses or () if name not in LOSSES]
    if unknown:
        msg = f"unknown loss(es) {unknown}; the losses are: {', '.join(LOSSES)}"
        raise _UsageError(msg)
    if args.plot:
        _need_matplotlib("--plot")
    if args.device is not None:
        backends = _device_backends(parity, backends, args.device)
    show = not args.json and sys.stdout.isatty() and sys.stderr.isatty()
    bar = _Progress(len(losses or LOSSES), sys.stderr) if show else None
    start = time.perf_counter()
    try:
        rows = parity.run_parity(backends, anchors=not args.no_anchors, jobs=args.jobs, losses=losses,
                                 device=args.device, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    failed = [r for r in rows if not r.ok]
    if args.plot:
        from lossport.backends.parity import plot

        plot.parity_heatmap(rows, args.plot)
    if args.json:
        payload = {
            "ok": not failed,
            "seconds": round(elapsed, 2),
            "device": args.device,
            "rows": [
                {"loss": r.loss, "backend": r.backend, "against": r.against, "cases": r.cases,
                 "worst_relative_error": None if math.isnan(r.rel) else r.rel,
                 "worst_error_over_tolerance": r.worst if math.isfinite(r.worst) else None,
                 "ok": r.ok, "error": r.error or None}
                for r in rows
            ],
        }
        _emit(json.dumps(payload, indent=2))
    else:
        text = [_parity_table(rows)]
        text += [f"FAIL {r.loss} on {r.backend} against {r.against}: {r.error}" for r in failed if r.error]
        text.append(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed ({elapsed:.1f} s)")
        if args.plot:
            text.append(f"heat map: {args.plot}")
        _emit("\n".join(text))
    return 1 if failed else 0


def _device_backends(parity: Any, backends: list[str] | None, device: str) -> list[str]:
    """The backends that run on ``device``: those named (each must have it), or every installed one that has it."""
    names = backends if backends is not None else parity.available_backends()
    usable, reasons = [], []
    for name in names:
        try:
            parity.resolve_device(name, device)
        except ValueError as e:
            reasons.append(f"{name}: {e}")
        else:
            usable.append(name)
    if backends is not None and reasons:
        raise _UsageError(f"--device {device}: " + "; ".join(reasons))
    if not usable:
        msg = f"--device {device}: no installed backend has it (" + "; ".join(reasons) + ")"
        raise _UsageError(msg)
    for reason in reasons:
        print(f"lossport parity: skipping {reason}", file=sys.stderr)
    return usable


def _list(args: argparse.Namespace) -> int:
    from lossport._registry import FAMILIES, LOSSES
    from lossport.backends.parity.anchors import ANCHORS, installed

    if args.family is not None and args.family not in FAMILIES:
        msg = f"unknown family {args.family!r}; choose from {', '.join(FAMILIES)}"
        raise _UsageError(msg)
    records = [r for r in LOSSES.values() if args.family in (None, r.family)]

    def state(anchor_id: str) -> str:
        if anchor_id not in ANCHORS:
            return "not wired"  # named by the registry, no implementation in backends/parity/anchors/ yet
        return "installed" if installed(ANCHORS[anchor_id].framework) else "not installed"

    if args.json:
        payload = [
            {"loss": r.name, "family": r.family, "anchors": [{"id": a, "state": state(a)} for a in r.anchors]}
            for r in records
        ]
        _emit(json.dumps(payload, indent=2))
        return 0
    lines = []
    for r in records:
        anchors = [a if state(a) == "installed" else f"{a} ({state(a)})" for a in r.anchors]
        lines.append((r.name, r.family, ", ".join(anchors) or "-"))
    _emit(_format_table(("loss", "family", "native anchors"), lines) + f"\n\n{len(records)} losses")
    return 0


def _knobs(pairs: Sequence[str]) -> dict[str, Any]:
    """``["delta=0.25", "reduction='sum'"]`` as keywords; a value is a Python literal, else the string itself."""
    out = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.isidentifier():
            msg = f"--knob takes NAME=VALUE (like delta=0.25); got {pair!r}"
            raise _UsageError(msg)
        try:
            out[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[name] = text
    return out


def _plot(args: argparse.Namespace) -> int:
    from lossport._registry import FAMILIES

    if bool(args.losses) == (args.family is not None):
        msg = "name the losses to draw, or one --family, not both"
        raise _UsageError(msg)
    if args.family is not None and args.family not in FAMILIES:
        msg = f"unknown family {args.family!r}; choose from {', '.join(FAMILIES)}"
        raise _UsageError(msg)
    backends = _split(args.backends, "--backends")
    knobs = _knobs(args.knob)
    _need_matplotlib("lossport plot")
    from lossport.backends.parity import plot

    names = list(args.losses) if args.losses else plot.plottable(args.family)
    if not names:
        msg = f"no loss of the {args.family} family has a one-dimensional axis to draw"
        raise _UsageError(msg)
    try:
        path = plot.plot_losses(names, args.out, backends=backends, knobs=knobs,
                                span=None if args.range is None else tuple(args.range))
    except ValueError as e:
        raise _UsageError(str(e)) from e
    _emit(f"wrote {path}")
    return 0


def _need_matplotlib(what: str) -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        msg = f"{what} needs matplotlib: pip install 'lossport[plot]'"
        raise _UsageError(msg)


def _parser() -> argparse.ArgumentParser:
    from lossport import __version__

    parser = argparse.ArgumentParser(prog="lossport", description="Loss functions for every framework.")
    parser.add_argument("--version", action="version", version=f"lossport {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parity", help="check every loss on every installed backend and native anchor")
    p.add_argument("--backends", help="comma-separated subset of numpy,array_api_strict,jax,torch,tensorflow")
    p.add_argument("--losses", help="comma-separated subset of the losses (`lossport list` names them)")
    p.add_argument("--device", help="run the backends on this device (cuda, gpu:0, cpu, array-api-strict's "
                                    "device1); the NumPy float64 reference and the anchors run on the host")
    p.add_argument("--no-anchors", action="store_true", help="skip the native-library comparisons")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4),
                   help="worker processes (default: the CPU count, at most 4)")
    p.add_argument("--plot", metavar="FILE.png", help="also draw the report as a heat map (needs matplotlib)")

    p = sub.add_parser("list", help="the losses, their family and their native anchors")
    p.add_argument("--family", help="only this family's losses")
    p.add_argument("--json", action="store_true", help="print the list as JSON")

    p = sub.add_parser("plot", help="draw losses and their gradients on every installed backend (needs matplotlib)")
    p.add_argument("losses", nargs="*", metavar="LOSS", help="the losses to draw")
    p.add_argument("--family", help="draw every loss of a family that has a one-dimensional axis, on one sheet")
    p.add_argument("--out", default="lossport-plot.png", metavar="FILE.png", help="the image (default: %(default)s)")
    p.add_argument("--backends", help="comma-separated subset of numpy,array_api_strict,jax,torch,tensorflow")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="a keyword for the losses, like delta=0.25 (repeatable)")
    p.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"), help="the horizontal axis' span")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"parity": _parity, "list": _list, "plot": _plot}[args.command]
    try:
        return command(args)
    except _UsageError as e:
        print(f"lossport {args.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
