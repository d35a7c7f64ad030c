"""The simulated Centreon, in a process of its own.

The harness starts one simulator per case with :class:`SimulatedCentreon`, so
the server's CPU and memory never count against the approach being measured,
and its counters start from zero. The child side is ``python -m
benchmarks.server CONFIG_JSON``: it prints one JSON line with the API base URL
once it listens, and stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit

from benchmarks.scenario import Capacity, Case

__all__ = [
    "SERVER_PASSWORD",
    "SERVER_USERNAME",
    "SimulatedCentreon",
    "SimulatorStartError",
]

SERVER_USERNAME = "admin"
SERVER_PASSWORD = "centreon"


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """What the child process needs to build its simulator."""

    hosts: int
    services_per_host: int
    capacity: Capacity

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerSpec:
        raw = json.loads(text)
        return cls(
            hosts=raw["hosts"],
            services_per_host=raw["services_per_host"],
            capacity=Capacity(**raw["capacity"]),
        )


class SimulatorStartError(RuntimeError):
    """The simulator's process exited before it said where it listens."""


class SimulatedCentreon:
    """A simulator subprocess sized for one case; use it as a context manager."""

    def __init__(self, case: Case, *, services_per_host: int) -> None:
        self._spec = ServerSpec(case.hosts, services_per_host, case.capacity)
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self.api_url = ""

    def __enter__(self) -> SimulatedCentreon:
        # Closed by _stop, together with the process it collects errors from.
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.server", self._spec.to_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            reason = self._last_words()
            self._stop()
            raise SimulatorStartError(f"the simulator did not start: {reason}")
        self.api_url = json.loads(line)["api_url"]

        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _last_words(self) -> str:
        if self._stderr is None:
            return "no error output"
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()

        return lines[-1] if lines else "no error output"

    def _stop(self) -> None:
        process = self._process
        if process is None:
            return
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def cpu_seconds(self) -> float:
        """CPU time the simulator process has used so far (user + system)."""
        assert self._process is not None
        with open(f"/proc/{self._process.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])

        return ticks / os.sysconf("SC_CLK_TCK")

    def counters(self) -> dict[str, Any]:
        """The simulator's admin counters, as its endpoint serves them."""
        parts = urlsplit(self.api_url)
        url = f"{parts.scheme}://{parts.netloc}/_simulator/counters"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            counters: dict[str, Any] = json.load(response)

        return counters


async def _serve(spec: ServerSpec) -> None:
    from centreon.simulator import FaultConfig, Simulator, SimulatorConfig

    capacity = spec.capacity
    share = capacity.fault_rate / 3
    config = SimulatorConfig(
        seed=capacity.seed,
        hosts=spec.hosts,
        services_per_host=spec.services_per_host,
        workers=capacity.workers,
        backlog=capacity.backlog,
        latency_ms=capacity.latency_ms,
        latency_spread=capacity.latency_spread,
        page_cost_ms_per_item=capacity.page_cost_ms_per_item,
        faults=FaultConfig(error_rate=share, html_502_rate=share, reset_rate=share),
        username=SERVER_USERNAME,
        password=SERVER_PASSWORD,
    )
    loop = asyncio.get_running_loop()
    async with Simulator(config) as sim:
        print(json.dumps({"api_url": sim.api_url}), flush=True)
        await loop.run_in_executor(None, sys.stdin.read)


def main(argv: list[str]) -> None:
    """Serve the simulator described by ``argv[0]`` until stdin closes."""
    asyncio.run(_serve(ServerSpec.from_json(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
