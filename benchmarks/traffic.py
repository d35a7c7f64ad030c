"""What the server saw during one case, from its admin counters.

The simulator counts every request it answered by route and status, the
requests it refused because its pool and backlog were full, and the most
requests it held at once. :meth:`Traffic.between` turns two snapshots of
``GET /_simulator/counters`` into the figures of one case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Traffic"]


def _total(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return sum(_total(v) for v in value.values())

    return 0


@dataclass(frozen=True, slots=True)
class Traffic:
    """Requests the server received, refused, and its peak in flight."""

    requests: int
    refused: int
    max_in_flight: int

    @classmethod
    def of(cls, counters: Mapping[str, Any]) -> Traffic:
        """The running totals in one counters snapshot."""
        return cls(
            requests=_total(counters.get("requests", 0)),
            refused=_total(counters.get("refused", 0)),
            max_in_flight=_total(counters.get("max_in_flight", 0)),
        )

    @classmethod
    def between(cls, before: Mapping[str, Any], after: Mapping[str, Any]) -> Traffic:
        """What happened between two snapshots; the peak is the later one's."""
        first, last = cls.of(before), cls.of(after)

        return cls(
            requests=last.requests - first.requests,
            refused=last.refused - first.refused,
            max_in_flight=last.max_in_flight,
        )
