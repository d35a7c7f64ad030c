"""What the simulator saw, for tests and benchmarks to measure clients by.

The same object backs ``sim.counters`` and ``GET /_simulator/counters``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

__all__ = ["Counters"]


class Counters:
    """Live request accounting.

    ``requests[route][status]`` counts answered requests (status ``"reset"``
    for connections closed without an answer). ``in_flight`` is the number of
    requests executing in a worker now, ``max_in_flight`` its peak;
    ``in_building`` also counts requests waiting in the backlog. ``refused``
    counts 503s given because workers and backlog were full.
    ``repeated_detail_fetches`` counts detail requests for a resource whose
    detail was already served successfully.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.in_building = 0
        self._waiters: list[
            tuple[Callable[[Counters], bool], asyncio.Future[None]]
        ] = []
        self.reset()

    async def wait_until(self, predicate: Callable[[Counters], bool]) -> None:
        """Return once ``predicate(self)`` holds.

        It is checked now and whenever a request is answered or enters or
        leaves the building or a worker, so a test waits for the server's
        state instead of for time.
        """
        if predicate(self):
            return
        waiter = (predicate, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await waiter[1]
        finally:
            self._waiters.remove(waiter)

    def _changed(self) -> None:
        for predicate, future in self._waiters:
            if not future.done() and predicate(self):
                future.set_result(None)

    def reset(self) -> None:
        """Zero every count and peak; requests in progress stay in the gauges."""
        self.requests: defaultdict[str, defaultdict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self.logins_ok = 0
        self.logins_failed = 0
        self.logouts = 0
        self.max_in_flight = self.in_flight
        self.max_in_building = self.in_building
        self.refused = 0
        self.rate_limited = 0
        self.resets = 0
        self.restarts = 0
        self.sessions_dropped = 0
        self.detail_ok = 0
        self.repeated_detail_fetches = 0
        self._served: set[str] = set()

    @property
    def total_requests(self) -> int:
        """Every answered or reset request."""
        return sum(sum(by_status.values()) for by_status in self.requests.values())

    def count(self, route: str, status: int | str) -> None:
        """Record one request's outcome."""
        self.requests[route][str(status)] += 1
        if self._waiters:
            self._changed()

    def status_count(self, route: str, status: int | str) -> int:
        """How many requests to ``route`` ended with ``status``."""
        by_status = self.requests.get(route)
        return 0 if by_status is None else by_status.get(str(status), 0)

    def note_detail_request(self, uuid: str) -> None:
        """A detail request arrived; count it if that resource was served before."""
        if uuid in self._served:
            self.repeated_detail_fetches += 1

    def note_detail_served(self, uuid: str) -> None:
        """A detail request succeeded."""
        self.detail_ok += 1
        self._served.add(uuid)

    def enter_building(self) -> None:
        """A request was admitted to the worker pool or its backlog."""
        self.in_building += 1
        self.max_in_building = max(self.max_in_building, self.in_building)
        if self._waiters:
            self._changed()

    def leave_building(self) -> None:
        """An admitted request finished."""
        self.in_building -= 1
        if self._waiters:
            self._changed()

    def enter_worker(self) -> None:
        """A request started executing in a worker."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self._waiters:
            self._changed()

    def leave_worker(self) -> None:
        """A request released its worker."""
        self.in_flight -= 1
        if self._waiters:
            self._changed()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot."""
        return {
            "requests": {route: dict(s) for route, s in sorted(self.requests.items())},
            "total_requests": self.total_requests,
            "logins": {"ok": self.logins_ok, "failed": self.logins_failed},
            "logouts": self.logouts,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "in_building": self.in_building,
            "max_in_building": self.max_in_building,
            "refused": self.refused,
            "rate_limited": self.rate_limited,
            "resets": self.resets,
            "restarts": self.restarts,
            "sessions_dropped": self.sessions_dropped,
            "detail_ok": self.detail_ok,
            "repeated_detail_fetches": self.repeated_detail_fetches,
        }
