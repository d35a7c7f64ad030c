"""What a benchmark session runs: the server's capacity model and the cases.

Every approach in a session meets the same simulated Centreon: the same fleet
(from the same seed), the same pool of workers and backlog, the same latency
distribution and the same rate of transient faults. Only the number of
resources changes from case to case, and each case gets a fresh simulator so
its counters, tokens and peak in-flight figures are its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

__all__ = [
    "APPROACHES",
    "FULL",
    "QUICK",
    "Capacity",
    "Case",
    "Suite",
]

SERVICES_PER_HOST = 9

APPROACHES: tuple[str, ...] = (
    "sequential",
    "gather",
    "gather-semaphore",
    "detail",
    "listing",
)
"""Row order of every table: the original approach's baselines, then ours."""


@dataclass(frozen=True, slots=True)
class Capacity:
    """The simulated server: a PHP-FPM pool behind Apache, and its faults.

    ``workers`` is PHP-FPM's default ``pm.max_children``; requests beyond
    ``workers + backlog`` are refused with 503, as a saturated pool does.
    ``fault_rate`` is the share of requests that fail transiently (JSON 500s,
    HTML 502 pages and connection resets in equal parts).
    """

    workers: int = 30
    backlog: int = 50
    latency_ms: float = 150.0
    latency_spread: float = 0.2
    page_cost_ms_per_item: float = 0.5
    fault_rate: float = 0.02
    seed: int = 7


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the results: one approach against one fleet size."""

    approach: str
    resources: int
    capacity: Capacity
    budget: int
    page_size: int

    @property
    def hosts(self) -> int:
        """Hosts in the fleet; each has ``SERVICES_PER_HOST`` services."""
        return max(1, math.ceil(self.resources / (1 + SERVICES_PER_HOST)))

    @property
    def concurrency(self) -> int:
        """C: what the server can serve at once, given the client's budget."""
        return min(self.capacity.workers, self.budget)

    @property
    def limit_s(self) -> float:
        """N x L / C: the fastest any client can fetch N details from this server."""
        latency_s = self.capacity.latency_ms / 1000.0
        return self.resources * latency_s / self.concurrency


@dataclass(frozen=True, slots=True)
class Suite:
    """A benchmark session: a capacity model and the sizes each approach runs at."""

    name: str
    capacity: Capacity
    budget: int
    page_size: int
    sizes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    timeout_s: float = 1800.0

    def cases(self) -> list[Case]:
        """Every (approach, size) pair, in table order."""
        return [
            Case(approach, n, self.capacity, self.budget, self.page_size)
            for approach in APPROACHES
            for n in self.sizes.get(approach, ())
        ]

    def only(self, approaches: set[str]) -> Suite:
        """The same session restricted to some approaches."""
        sizes = {a: s for a, s in self.sizes.items() if a in approaches}
        return replace(self, sizes=sizes)


FULL = Suite(
    name="full",
    capacity=Capacity(),
    budget=30,
    page_size=1000,
    sizes={
        # N x L at 20,000 URLs is 50 minutes; the 2,000-URL run tells its story.
        "sequential": (2000,),
        "gather": (2000, 20_000),
        "gather-semaphore": (2000, 20_000),
        "detail": (2000, 20_000),
        # 100,000 and 200,000: past the size where the writer's buffers fill,
        # so the two peaks show whether memory stays flat.
        "listing": (2000, 20_000, 100_000, 200_000),
    },
)

QUICK = Suite(
    name="quick",
    capacity=Capacity(latency_ms=10.0, page_cost_ms_per_item=0.02),
    budget=8,
    page_size=100,
    sizes={
        "sequential": (100,),
        "gather": (100, 300),
        "gather-semaphore": (100, 300),
        "detail": (100, 300),
        "listing": (100, 300),
    },
    timeout_s=120.0,
)
