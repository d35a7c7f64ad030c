"""Seeded fault decisions: which request fails, how, and what changes when.

Each fault draws from its own generator seeded from the simulator seed, once
per eligible request in arrival order, so a fault's count over N requests
depends only on the configuration and N. Restarts are scheduled on the
injected clock. Vanished resources are fixed at start.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable

from centreon.simulator.config import FaultConfig
from centreon.simulator.fleet import (
    HOST_STATUSES,
    SERVICE_STATUSES,
    Fleet,
    Host,
    Service,
)

__all__ = ["Faults", "Outcome"]


class Outcome(enum.Enum):
    """What happens to a request instead of (or before) normal handling."""

    NORMAL = "normal"
    RESET = "reset"
    HTML_502 = "html_502"
    ERROR_500 = "error_500"


class Faults:
    """The fault plan of one simulator run."""

    def __init__(
        self, config: FaultConfig, seed: int, fleet: Fleet, started: float
    ) -> None:
        self.config = config
        self._streams = {
            name: random.Random(f"{seed}:{name}")  # noqa: S311 - simulation
            for name in (
                "rate_limit",
                "reset",
                "html_502",
                "error",
                "slow",
                "drift",
                "false_duration",
                "churn",
            )
        }
        self._restarts = sorted(started + offset for offset in config.restart_after_s)
        chooser = random.Random(f"{seed}:vanish")  # noqa: S311 - simulation
        vanished = set(config.vanished)
        vanished.update(
            r.uuid for r in fleet.resources if chooser.random() < config.vanish_rate
        )
        self.vanished: frozenset[str] = frozenset(vanished)

    def _hit(self, name: str, rate: float) -> bool:
        return rate > 0 and self._streams[name].random() < rate

    def rate_limited(self) -> bool:
        """Whether a proxy in front answers 429 to this request."""
        return self._hit("rate_limit", self.config.rate_limit_rate)

    def outcome(self) -> Outcome:
        """The failure, if any, of a request that reached a worker."""
        config = self.config
        if self._hit("reset", config.reset_rate):
            return Outcome.RESET
        if self._hit("html_502", config.html_502_rate):
            return Outcome.HTML_502
        if self._hit("error", config.error_rate):
            return Outcome.ERROR_500
        return Outcome.NORMAL

    def extra_delay_s(self) -> float:
        """Additional service time for a slow response (0 when not slow)."""
        if self._hit("slow", self.config.slow_rate):
            return self.config.slow_ms / 1000.0
        return 0.0

    def drift(self) -> bool:
        """Whether this body carries unknown extra fields."""
        return self._hit("drift", self.config.drift_rate)

    def false_duration(self) -> bool:
        """Whether this body's ``duration`` is ``false``."""
        return self._hit("false_duration", self.config.false_duration_rate)

    def is_failing(self, uuid: str) -> bool:
        """Whether this resource's detail fails every time."""
        return uuid in self.config.failing

    def is_vanished(self, uuid: str) -> bool:
        """Whether this resource is listed but gone from the detail endpoints."""
        return uuid in self.vanished

    def restart_due(self, now: float) -> bool:
        """Whether a scheduled restart time has passed (each fires once)."""
        due = False
        while self._restarts and self._restarts[0] <= now:
            self._restarts.pop(0)
            due = True
        return due

    def churn(self, fleet: Fleet, now: float) -> list[Host | Service]:
        """Change the status of a ``churn_rate`` share of resources; return them."""
        rate = self.config.churn_rate
        if rate <= 0 or not fleet.resources:
            return []
        rng = self._streams["churn"]
        count = max(1, round(rate * len(fleet.resources)))
        changed = rng.sample(fleet.resources, min(count, len(fleet.resources)))
        for resource in changed:
            statuses: Iterable[int] = (
                HOST_STATUSES if isinstance(resource, Host) else SERVICE_STATUSES
            )
            choices = [c for c in statuses if c not in (resource.status.code, 4)]
            fleet.change_status(resource, rng.choice(choices), now - 1)
        return changed
