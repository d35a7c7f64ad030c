"""An in-memory OpenTelemetry reader for the metrics the code under test emits.

:func:`metric_reader` installs, once per process, a real SDK ``MeterProvider``
whose only reader keeps metrics in memory with delta temporality, so each
:meth:`Recorded.collect` returns just what was emitted since the previous one.
The OpenTelemetry API lets a process set its meter provider only once, which
is why every test module shares this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from opentelemetry import metrics
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
)

__all__ = ["Point", "Recorded", "metric_reader"]


@dataclass(frozen=True, slots=True)
class Point:
    """One data point: its attributes and its value (a histogram's sum, count)."""

    attributes: Mapping[str, Any]
    value: float
    count: int = 1


@cache
def metric_reader() -> InMemoryMetricReader:
    """The process's in-memory reader, installed on first use."""
    delta = AggregationTemporality.DELTA
    reader = InMemoryMetricReader(
        preferred_temporality={Counter: delta, Histogram: delta}
    )
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

    return reader


class Recorded:
    """What was emitted since the last :meth:`collect` (or since it was built)."""

    def __init__(self) -> None:
        self.reader = metric_reader()
        self.collect()

    def collect(self) -> dict[str, list[Point]]:
        """Every point emitted since the previous collect, by metric name."""
        found: dict[str, list[Point]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found.setdefault(metric.name, []).extend(
                        _point(p) for p in metric.data.data_points
                    )

        return found


def _point(raw: Any) -> Point:
    attributes = dict(raw.attributes or {})
    if hasattr(raw, "sum"):
        return Point(attributes, raw.sum, raw.count)

    return Point(attributes, raw.value)
