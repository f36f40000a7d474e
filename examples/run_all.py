"""Run every example: ``python examples/run_all.py [--quick] [--out DIR] [--keras-backends jax,torch,tensorflow]``.

Each script runs in its own process (a framework per process, as a user runs them; Keras reads ``KERAS_BACKEND``
when it is imported), one after the other; a framework that is not installed is skipped and said so. The Keras
examples run under ``--keras-backends`` (default: ``$KERAS_BACKEND``, else tensorflow). Exits 1 if any example
failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
NEEDS = {"torch": ["torch"], "jax": ["jax", "optax"], "keras": ["keras"]}
KERAS_NEEDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs on a small sample each")
    parser.add_argument("--out", default="lossport-examples", help="folder for the PNGs (default: %(default)s)")
    parser.add_argument("--keras-backends", default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                        help="comma-separated Keras backends to run the Keras examples under")
    args = parser.parse_args()
    runs: list[tuple[pathlib.Path, dict[str, str]]] = []
    for script in sorted(HERE.glob("plot_*.py")):
        framework = script.stem.rsplit("_", 1)[1]
        missing = [m for m in NEEDS[framework] if importlib.util.find_spec(m) is None]
        if missing:
            print(f"skipped {script.name}: {', '.join(missing)} not installed")
            continue
        if framework != "keras":
            runs.append((script, {}))
            continue
        for backend in args.keras_backends.split(","):
            if importlib.util.find_spec(KERAS_NEEDS.get(backend, backend)) is None:
                print(f"skipped {script.name} under KERAS_BACKEND={backend}: not installed")
                continue
            runs.append((script, {"KERAS_BACKEND": backend}))
    failed = []
    start = time.perf_counter()
    for script, env in runs:
        command = [sys.executable, str(script), "--out", args.out, *(["--quick"] if args.quick else [])]
        t = time.perf_counter()
        done = subprocess.run(command, env={**os.environ, **env}, check=False)
        label = script.name + "".join(f" ({k}={v})" for k, v in env.items())
        print(f"-- {label}: {'ok' if done.returncode == 0 else 'FAILED'} in {time.perf_counter() - t:.0f} s\n",
              flush=True)
        if done.returncode:
            failed.append(label)
    print(f"{len(runs) - len(failed)} of {len(runs)} examples ran in {time.perf_counter() - start:.0f} s; "
          f"curves in {args.out}/")
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
