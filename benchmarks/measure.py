"""Measuring one approach: a fresh process, its wall time, CPU and peak memory.

Each approach runs in a process of its own, started by :func:`run_measured`,
so its peak resident set is its own (not the simulator's, not the harness's,
not another approach's). CPU and peak RSS come from ``wait4``'s resource
usage for that one child, which also covers any process it waited for.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ProcessUsage", "run_measured"]

STDERR_TAIL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    """What one approach's process cost, and what it printed."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stdout: str
    stderr_tail: str
    timed_out: bool


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout_s: float,
    cwd: str | None = None,
) -> ProcessUsage:
    """Run ``argv`` to completion (killed after ``timeout_s``) and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - argv is built by the harness
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=dict(env),
            cwd=cwd,
        )
        expired = threading.Event()
        reaping = threading.Lock()

        def kill() -> None:
            # The child is reaped only under the lock, so the pid signalled
            # here is still this child's (alive or a zombie), never reused.
            with reaping:
                if process.returncode is None:
                    expired.set()
                    os.kill(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
            with reaping:
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)
        finally:
            timer.cancel()
        wall_s = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")

    return ProcessUsage(
        returncode=process.returncode,
        wall_s=wall_s,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024.0,
        stdout=stdout,
        stderr_tail=stderr[-STDERR_TAIL_CHARS:],
        timed_out=expired.is_set(),
    )


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with ``extra`` on top, for a measured child."""
    env = dict(os.environ)
    env.update(extra)

    return env
