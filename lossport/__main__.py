"""The ``lossport`` command: ``lossport parity`` checks every loss on every installed backend.

Usage::

    lossport parity [--backends numpy,jax,torch,tensorflow] [--no-anchors] [--json] [--jobs N]

It runs every loss's cases on every installed backend (float32 and float64; JAX under ``jax.jit``) against the same
loss on NumPy float64,
and against every installed native anchor (torch, Keras, optax, TensorFlow, scikit-learn), prints one line per
(loss, backend or anchor) with the worst relative error and PASS or FAIL, and exits with status 1 on any
disagreement. The frameworks are imported here, in the command, never by ``import lossport``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _format_table(rows: Sequence[Any]) -> str:
    header = ("loss", "backend", "against", "cases", "worst rel. error", "error/tol", "result")
    lines = [header]
    for r in rows:
        rel = "-" if math.isnan(r.rel) else f"{r.rel:.2e}"
        status = "PASS" if r.ok else "FAIL"
        lines.append((r.loss, r.backend, r.against, str(r.cases), rel, f"{r.worst:.3g}", status))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _parity(args: argparse.Namespace) -> int:
    from lossport.backends import parity

    backends = args.backends.split(",") if args.backends else None
    if backends:
        unknown = [b for b in backends if b not in parity.BACKENDS]
        if unknown:
            print(f"lossport parity: unknown backend(s) {unknown}; choose from {parity.BACKENDS}",
                  file=sys.stderr)
            return 2
    start = time.perf_counter()
    rows = parity.run_parity(backends, anchors=not args.no_anchors, jobs=args.jobs)
    elapsed = time.perf_counter() - start
    failed = [r for r in rows if not r.ok]
    if args.json:
        payload = {
            "ok": not failed,
            "seconds": round(elapsed, 2),
            "rows": [
                {"loss": r.loss, "backend": r.backend, "against": r.against, "cases": r.cases,
                 "worst_relative_error": None if math.isnan(r.rel) else r.rel,
                 "worst_error_over_tolerance": r.worst if math.isfinite(r.worst) else None,
                 "ok": r.ok, "error": r.error or None}
                for r in rows
            ],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_format_table(rows))
        for r in failed:
            if r.error:
                print(f"FAIL {r.loss} on {r.backend} against {r.against}: {r.error}")
        print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed ({elapsed:.1f} s)")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lossport", description="Loss functions for every framework.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parity", help="check every loss on every installed backend and native anchor")
    p.add_argument("--backends", help="comma-separated subset of numpy,array_api_strict,jax,torch,tensorflow")
    p.add_argument("--no-anchors", action="store_true", help="skip the native-library comparisons")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4),
                   help="worker processes (default: the CPU count, at most 4)")
    args = parser.parse_args(argv)
    if args.command == "parity":
        return _parity(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
