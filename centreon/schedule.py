"""NCRONTAB schedules: the timer's ``INGEST_SCHEDULE`` and the slots it fires at.

A schedule has six fields, ``second minute hour day month weekday``. Each field
is a comma-separated list of ``*``, a value, a range ``a-b``, each optionally
stepped (``*/5``, ``10-40/10``); months and weekdays also take three-letter
names (``JAN``, ``MON``), and weekday 7 is Sunday like 0. :meth:`Schedule.parse`
refuses anything else with a one-line reason naming the field.

A firing belongs to a *slot*, the occurrence it was meant for. Timers may fire a
moment early (clock skew between instances) or late (a busy or restarted host),
so :meth:`Schedule.slot` takes the occurrence nearest to the firing, but looks
ahead at most :data:`EARLY_FIRING_TOLERANCE`: a late firing keeps its own slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["EARLY_FIRING_TOLERANCE", "Schedule"]

EARLY_FIRING_TOLERANCE = timedelta(seconds=30)

_MONTH_NAMES = [
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
]
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = {
    name: number
    for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
}
_NO_NAMES: Mapping[str, int] = {}
_SEARCH_LIMIT = timedelta(days=31)
_MINUTE = timedelta(minutes=1)


def _value(text: str, field: str, low: int, high: int, names: Mapping[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{field} field: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{field} field: {value} is outside {low}-{high}")

    return value


def _field(
    spec: str, field: str, low: int, high: int, names: Mapping[str, int] = _NO_NAMES
) -> frozenset[int]:
    """Expand one field into the values it matches; ValueError if malformed."""
    values: set[int] = set()
    for part in spec.split(","):
        base, slash, step_text = part.partition("/")
        step = _value(step_text, field, 1, high, _NO_NAMES) if slash else 1
        if base == "*":
            start, end = low, high
        else:
            first, dash, last = base.partition("-")
            start = _value(first, field, low, high, names)
            end = _value(last, field, low, high, names) if dash else start
            if slash and not dash:
                end = high
            if end < start:
                raise ValueError(f"{field} field: range {base!r} runs backwards")
        values.update(range(start, end + 1, step))

    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed six-field NCRONTAB schedule, evaluated in UTC."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Parse ``text``; raises ``ValueError`` with a one-line reason."""
        fields = text.split()
        if len(fields) != 6:
            raise ValueError(
                f"has {len(fields)} fields, needs second minute hour day month weekday"
            )
        second, minute, hour, day, month, weekday = fields

        return cls(
            seconds=_field(second, "second", 0, 59),
            minutes=_field(minute, "minute", 0, 59),
            hours=_field(hour, "hour", 0, 23),
            days=_field(day, "day", 1, 31),
            months=_field(month, "month", 1, 12, _MONTHS),
            weekdays=frozenset(
                d % 7 for d in _field(weekday, "weekday", 0, 7, _WEEKDAYS)
            ),
        )

    def _fires_within(self, minute: datetime) -> bool:
        return (
            minute.minute in self.minutes
            and minute.hour in self.hours
            and minute.day in self.days
            and minute.month in self.months
            and minute.isoweekday() % 7 in self.weekdays
        )

    def latest(self, moment: datetime) -> datetime | None:
        """The last occurrence at or before ``moment``, within a month."""
        moment = moment.astimezone(UTC)
        minute = moment.replace(second=0, microsecond=0)
        while moment - minute <= _SEARCH_LIMIT:
            if self._fires_within(minute):
                due = [s for s in self.seconds if minute.replace(second=s) <= moment]
                if due:
                    return minute.replace(second=max(due))
            minute -= _MINUTE

        return None

    def following(self, moment: datetime) -> datetime | None:
        """The first occurrence after ``moment``, within a month."""
        moment = moment.astimezone(UTC)
        minute = moment.replace(second=0, microsecond=0)
        while minute - moment <= _SEARCH_LIMIT:
            if self._fires_within(minute):
                due = [s for s in self.seconds if minute.replace(second=s) > moment]
                if due:
                    return minute.replace(second=min(due))
            minute += _MINUTE

        return None

    def slot(self, firing: datetime) -> datetime:
        """The occurrence a timer firing at ``firing`` was meant for.

        The nearest occurrence, looking ahead at most
        :data:`EARLY_FIRING_TOLERANCE`; a schedule that fires less than monthly
        falls back to ``firing`` truncated to the minute.
        """
        firing = firing.astimezone(UTC)
        before = self.latest(firing)
        after = self.following(firing)
        if after is not None and after - firing <= EARLY_FIRING_TOLERANCE:
            nearer = before is None or after - firing < firing - before
            if nearer:
                return after
        if before is not None:
            return before

        return firing.replace(second=0, microsecond=0)
