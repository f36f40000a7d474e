"""Candidate formulations of the sparse cross-entropy's log-softmax, per backend: speed and accuracy.

    python benchmarks/formulations.py [--quick] [--only torch,torch.compile,jax,numpy]

The evidence behind the ``log_softmax_at`` entries of the adapters' ``native`` tables. For each backend it times,
at 256 x 32000 float32 (the benchmark's large cross-entropy), ``mean(-log_softmax(x)[y])`` by:

- ``native``: the framework's fused loss (``F.cross_entropy``, optax, or NumPy's max-shifted log-sum-exp);
- ``generic``: lossport's Array API form, the maximal entries found by ``x == max`` and ties counted apart;
- ``argmax``: the argmax's index dropped from the sum (``torch.max`` values and indices, a scatter of -inf);
- ``logsumexp_rest``: the brief's torch candidate, ``torch.logsumexp`` of the row with the argmax masked, then
  ``m + log1p(exp(rest - m))``;
- ``label``: the label's index dropped from the sum, ``(x_y - m) - log1p(Σ_{j≠y} e^(x_j - m) + expm1(x_y - m))``:
  no argmax (lossport's choice);

and, for each, the relative error of the loss of the confident row ``[30, 0, 0]`` (label 0) in float32 against
``log1p(2 e^-30)`` = 1.87e-13, in ulps. Medians of interleaved timings; ratios to ``native``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

ROWS, CLASSES = 256, 32_000
EXACT = math.log1p(2 * math.exp(-30))  # the loss of [30, 0, 0] at label 0 (1.8715e-13)


def _ulps(got: float) -> float:
    return abs(got - EXACT) / float(np.spacing(np.float32(EXACT)))


def _time(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    for f in fns.values():
        f()
        f()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            # Interleaved (a change of load hits every candidate alike), but each sample starts with an untimed
            # call: the previous candidate's freed temporaries would otherwise be paid for (page faults) here.
            f()
            t = time.perf_counter()
            for _ in range(3):
                f()
            samples[k].append((time.perf_counter() - t) / 3)
    return {k: statistics.median(v) for k, v in samples.items()}


def _report(title: str, fns: dict[str, Callable[[Any, Any], Any]], x: Any, y: Any, conf: tuple[Any, Any],
            repeat: int, sync: Callable[[Any], float] = float) -> None:
    times = _time({k: (lambda f=f: sync(f(x, y))) for k, f in fns.items()}, repeat)
    base = times["native"]
    print(f"\n{title}")
    for k, f in fns.items():
        err = _ulps(sync(f(*conf)))
        print(f"  {k:16s} {times[k] * 1e3:8.2f} ms  x{times[k] / base:5.2f}   [30,0,0] loss error {err:10.3g} ulps")


def torch_forms(compiled: bool, repeat: int) -> None:
    import torch
    import torch.nn.functional as F

    inf = float("inf")

    def generic(x: Any, y: Any) -> Any:
        m = torch.amax(x, -1, keepdim=True)
        ms = torch.where(m == -inf, 0.0, m)
        is_max = x == m
        rest = torch.where(is_max, 0.0, torch.exp(x - ms)).sum(-1, keepdim=True)
        ties = is_max.sum(-1, keepdim=True, dtype=x.dtype)
        excess = torch.log1p(rest + (ties - 1).clamp(min=0))
        return (excess - (x.gather(-1, y[:, None]) - ms)).mean()

    def argmax(x: Any, y: Any) -> Any:
        m, k = torch.max(x, -1, keepdim=True)
        terms = x - m
        terms.scatter_(-1, k, -inf)
        excess = torch.log1p(terms.exp_().sum(-1, keepdim=True))
        return (excess - (x.gather(-1, y[:, None]) - m)).mean()

    def logsumexp_rest(x: Any, y: Any) -> Any:
        m, k = torch.max(x, -1, keepdim=True)
        rest = torch.logsumexp(x.scatter(-1, k, -inf), -1, keepdim=True)
        excess = torch.log1p(torch.exp(rest - m))
        return (excess - (x.gather(-1, y[:, None]) - m)).mean()

    def label(x: Any, y: Any) -> Any:
        index = y[:, None]
        m = torch.amax(x, -1, keepdim=True)
        if torch.compiler.is_compiling():
            classes = torch.arange(x.shape[-1], device=x.device)
            others = torch.where(classes == index, 0.0, torch.exp(x - m)).sum(-1, keepdim=True)
        else:
            terms = x - m
            terms.scatter_(-1, index, -inf)
            others = terms.exp_().sum(-1, keepdim=True)
        shifted = x.gather(-1, index) - m
        return (torch.log1p((others + torch.expm1(shifted)).clamp(min=0)) - shifted).mean()

    fns: dict[str, Callable[[Any, Any], Any]] = {
        "native": F.cross_entropy, "generic": generic, "argmax": argmax, "logsumexp_rest": logsumexp_rest,
        "label": label,
    }
    if compiled:
        fns = {k: torch.compile(f, fullgraph=True) for k, f in fns.items()}
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(ROWS, CLASSES)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, CLASSES, ROWS))
    conf = (torch.tensor([[30.0, 0.0, 0.0]]), torch.tensor([0]))
    title = "torch.compile(fullgraph=True)" if compiled else "torch eager"
    _report(f"{title}, {torch.get_num_threads()} threads", fns, x, y, conf, repeat)


def jax_forms(repeat: int) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    def native(x: Any, y: Any) -> Any:
        return optax.softmax_cross_entropy_with_integer_labels(x, y).mean()

    def generic(x: Any, y: Any) -> Any:
        m = jnp.max(x, -1, keepdims=True)
        ms = jnp.where(m == -jnp.inf, 0.0, m)
        is_max = x == m
        rest = jnp.sum(jnp.where(is_max, 0.0, jnp.exp(x - ms)), -1, keepdims=True)
        ties = jnp.sum(is_max.astype(x.dtype), -1, keepdims=True)
        excess = jnp.log1p(rest + jnp.clip(ties - 1, min=0.0))
        return jnp.mean(excess - (jnp.take_along_axis(x, y[:, None], -1) - ms))

    def argmax(x: Any, y: Any) -> Any:
        m = jnp.max(x, -1, keepdims=True)
        k = jnp.argmax(x, -1, keepdims=True)
        classes = jax.lax.broadcasted_iota(k.dtype, x.shape, 1)
        excess = jnp.log1p(jnp.sum(jnp.where(classes == k, 0.0, jnp.exp(x - m)), -1, keepdims=True))
        return jnp.mean(excess - (jnp.take_along_axis(x, y[:, None], -1) - m))

    def label(x: Any, y: Any) -> Any:
        index = y[:, None]
        m = jnp.max(x, -1, keepdims=True)
        classes = jax.lax.broadcasted_iota(index.dtype, x.shape, 1)
        others = jnp.sum(jnp.where(classes == index, 0.0, jnp.exp(x - m)), -1, keepdims=True)
        shifted = jnp.take_along_axis(x, index, -1) - m
        return jnp.mean(jnp.log1p(jnp.clip(others + jnp.expm1(shifted), min=0.0)) - shifted)

    fns = {k: jax.jit(f) for k, f in {"native": native, "generic": generic, "argmax": argmax, "label": label}.items()}
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(ROWS, CLASSES)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, CLASSES, ROWS).astype(np.int32))
    conf = (jnp.asarray([[30.0, 0.0, 0.0]], dtype=jnp.float32), jnp.asarray([0], dtype=jnp.int32))
    _report("jax.jit", fns, x, y, conf, repeat, sync=lambda r: float(r.block_until_ready()))


def numpy_forms(repeat: int) -> None:
    def native(x: Any, y: Any) -> Any:
        m = x.max(-1, keepdims=True)
        lse = np.log(np.exp(x - m).sum(-1)) + m[:, 0]
        return np.mean(lse - np.take_along_axis(x, y[:, None], -1)[:, 0])

    def argmax(x: Any, y: Any) -> Any:
        k = np.argmax(x, -1, keepdims=True)
        m = np.take_along_axis(x, k, -1)
        terms = x - m
        np.put_along_axis(terms, k, -np.inf, -1)
        np.exp(terms, out=terms)
        return np.mean(np.log1p(terms.sum(-1, keepdims=True)) - (np.take_along_axis(x, y[:, None], -1) - m))

    def label(x: Any, y: Any) -> Any:
        index = y[:, None]
        m = x.max(-1, keepdims=True)
        terms = x - m
        np.exp(terms, out=terms)
        np.put_along_axis(terms, index, 0, -1)
        shifted = np.take_along_axis(x, index, -1) - m
        return np.mean(np.log1p(np.clip(terms.sum(-1, keepdims=True) + np.expm1(shifted), 0, None)) - shifted)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, CLASSES)).astype(np.float32)
    y = rng.integers(0, CLASSES, ROWS)
    conf = (np.asarray([[30.0, 0.0, 0.0]], dtype=np.float32), np.asarray([0]))
    _report("numpy", {"native": native, "argmax": argmax, "label": label}, x, y, conf, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="numpy,torch,torch.compile,jax")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: default)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    repeat = 5 if args.quick else 11
    if "numpy" in only:
        numpy_forms(repeat)
    if "torch" in only or "torch.compile" in only:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        if "torch" in only:
            torch_forms(False, repeat)
        if "torch.compile" in only:
            torch_forms(True, repeat)
    if "jax" in only:
        jax_forms(repeat)


if __name__ == "__main__":
    main()
