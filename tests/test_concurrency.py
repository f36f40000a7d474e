"""Threads and tasks: calls from many threads at once equal serial calls (the dispatch caches are shared), and
``value_checks`` is local to its thread or asyncio task (a context variable), while ``LOSSPORT_CHECKS`` is not."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from lossport.backends import parity
from lossport.backends.parity.cases import cases_for
from support import BACKENDS

import lossport

# Three families' entries: elementwise, class-index with ignore_index and class weights, a label distribution.
LOSSES = ("huber", "sparse_softmax_cross_entropy", "kl_divergence")


def _call(loss: str, backend: str) -> np.ndarray:
    case = cases_for(loss)[0]
    leaves, rebuild = parity.bind(case, backend, "float32")
    args, kwargs = rebuild(leaves)
    return parity.to_numpy(getattr(lossport, loss)(*args, **kwargs))


def test_threads_on_four_frameworks_equal_serial() -> None:
    jobs = [(loss, backend) for loss in LOSSES for backend in BACKENDS if backend != "array_api_strict"] * 3
    serial = {job: _call(*job) for job in set(jobs)}
    barrier = threading.Barrier(8)

    def run(job: tuple[str, str]) -> np.ndarray:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)  # the first eight start together
        return _call(*job)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, jobs))
    for job, got in zip(jobs, results):
        np.testing.assert_array_equal(got, serial[job])  # the same operations: bit for bit


def _bad_call() -> None:
    lossport.binary_cross_entropy(np.array([1.5]), np.array([1.0]))  # a probability out of [0, 1]


def test_value_checks_off_in_one_thread_only() -> None:
    entered, checked = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def switched_off() -> None:
        with lossport.value_checks(False):
            entered.set()
            checked.wait(timeout=10)  # the other thread calls while this one is inside the block
            _bad_call()  # no check here
            outcome["off"] = "ran"

    def default() -> None:
        entered.wait(timeout=10)
        try:
            _bad_call()
            outcome["other"] = "ran"
        except ValueError:
            outcome["other"] = "raised"
        checked.set()

    threads = [threading.Thread(target=switched_off), threading.Thread(target=default)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert outcome == {"off": "ran", "other": "raised"}
    with pytest.raises(ValueError):  # and this thread never saw the switch
        _bad_call()


def test_value_checks_off_in_one_task_only() -> None:
    async def main() -> list[str]:
        inside = asyncio.Event()
        done = asyncio.Event()

        async def switched_off() -> str:
            with lossport.value_checks(False):
                inside.set()
                await done.wait()
                _bad_call()
                return "ran"

        async def default() -> str:
            await inside.wait()
            try:
                _bad_call()
                return "ran"
            except ValueError:
                return "raised"
            finally:
                done.set()

        return list(await asyncio.gather(switched_off(), default()))

    assert asyncio.run(main()) == ["ran", "raised"]


def test_env_var_is_process_wide() -> None:
    code = (
        "import threading, numpy as np, lossport\n"
        "out = []\n"
        "t = threading.Thread(target=lambda: out.append(float(lossport.binary_cross_entropy(np.array([0.5]), "
        "np.array([2.0])))))\n"
        "t.start(); t.join(); print(out[0])\n"
    )
    env = {**os.environ, "LOSSPORT_CHECKS": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    # -(2·log 0.5 + (1 − 2)·log 0.5) = log 2 by hand: computed in the thread, unchecked.
    assert abs(float(done.stdout) - np.log(2)) < 1e-12
