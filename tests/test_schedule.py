"""NCRONTAB schedules: parsing, occurrences and the slot a firing is for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from centreon.schedule import Schedule

NOW = datetime(2026, 12, 3, 19, 7, 42, tzinfo=UTC)
FIVE_MINUTES = Schedule.parse("0 */5 * * * *")


@pytest.mark.parametrize(
    ("schedule", "now", "slot"),
    [
        pytest.param(
            "0 */5 * * * *",
            NOW,
            datetime(2026, 12, 3, 19, 5, tzinfo=UTC),
            id="five-min",
        ),
        pytest.param(
            "0 */5 * * * *",
            datetime(2026, 12, 3, 19, 10, 0, 250_000, tzinfo=UTC),
            datetime(2026, 12, 3, 19, 10, tzinfo=UTC),
            id="on-the-slot",
        ),
        pytest.param(
            "30 15 * * * *",
            NOW,
            datetime(2026, 12, 3, 18, 15, 30, tzinfo=UTC),
            id="hourly",
        ),
        pytest.param(
            "0 0 6 * * MON-FRI",
            datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 6, 0, tzinfo=UTC),
            id="weekdays-from-sunday",
        ),
        pytest.param(
            "0 0,30 9-17 * * *",
            datetime(2026, 12, 3, 8, 59, tzinfo=UTC),
            datetime(2026, 12, 2, 17, 30, tzinfo=UTC),
            id="list-and-range",
        ),
    ],
)
def test_latest_finds_the_last_occurrence_at_or_before_now(
    schedule: str, now: datetime, slot: datetime
) -> None:
    """The latest occurrence is the schedule's last firing time not after now."""
    assert Schedule.parse(schedule).latest(now) == slot


def test_following_finds_the_first_occurrence_after_now() -> None:
    """The following occurrence is strictly after now, even on a slot."""
    on_slot = datetime(2026, 12, 3, 19, 5, tzinfo=UTC)

    assert FIVE_MINUTES.following(on_slot) == datetime(2026, 12, 3, 19, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("firing", "slot"),
    [
        pytest.param(
            datetime(2026, 12, 3, 19, 4, 59, 900_000, tzinfo=UTC),
            datetime(2026, 12, 3, 19, 5, tzinfo=UTC),
            id="a-moment-before",
        ),
        pytest.param(
            datetime(2026, 12, 3, 19, 5, tzinfo=UTC),
            datetime(2026, 12, 3, 19, 5, tzinfo=UTC),
            id="on-it",
        ),
        pytest.param(
            datetime(2026, 12, 3, 19, 5, 0, 100_000, tzinfo=UTC),
            datetime(2026, 12, 3, 19, 5, tzinfo=UTC),
            id="a-moment-after",
        ),
        pytest.param(
            datetime(2026, 12, 3, 19, 4, 20, tzinfo=UTC),
            datetime(2026, 12, 3, 19, 0, tzinfo=UTC),
            id="late-not-early",
        ),
    ],
)
def test_slot_is_the_nearest_occurrence_on_either_side(
    firing: datetime, slot: datetime
) -> None:
    """A firing a moment early belongs to the coming slot, any other to its own."""
    assert FIVE_MINUTES.slot(firing) == slot


def test_slot_never_looks_past_the_nearer_occurrence_of_a_fast_schedule() -> None:
    """Every ten seconds, 4 s after one slot is nearer to it than to the next."""
    every_ten = Schedule.parse("*/10 * * * * *")

    firing = datetime(2026, 12, 3, 19, 5, 4, tzinfo=UTC)

    assert every_ten.slot(firing) == datetime(2026, 12, 3, 19, 5, 0, tzinfo=UTC)


def test_parse_accepts_names_steps_and_sunday_as_seven() -> None:
    """Month and weekday names, stepped ranges and weekday 7 all parse."""
    schedule = Schedule.parse("0 10-40/10 * * jan,DEC 7")

    assert schedule.minutes == frozenset({10, 20, 30, 40})
    assert schedule.months == frozenset({1, 12})
    assert schedule.weekdays == frozenset({0})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("*/5 * * * *", "has 5 fields, needs second", id="five-fields"),
        pytest.param("0 */x * * * *", "minute field: 'x' is not a number", id="step"),
        pytest.param("0 MON * * * *", "minute field: 'MON' is not a number", id="name"),
        pytest.param("0 0 * * FOO *", "month field: 'FOO'", id="bad-month-name"),
        pytest.param("0 */0 * * * *", "minute field: 0 is outside", id="step-zero"),
        pytest.param("60 * * * * *", "second field: 60 is outside", id="range"),
        pytest.param("0 30-10 * * * *", "runs backwards", id="backwards"),
        pytest.param("0 -5 * * * *", "minute field: '' is not", id="open-range"),
        pytest.param("0 1,,2 * * * *", "minute field: '' is not", id="empty-item"),
        pytest.param("0 \uff15 * * * *", "is not a number", id="non-ascii-digit"),
    ],
)
def test_parse_refuses_a_malformed_schedule_with_a_reason(
    text: str, reason: str
) -> None:
    """A schedule that cannot be evaluated is refused, naming the field."""
    with pytest.raises(ValueError, match=reason) as caught:
        Schedule.parse(text)

    assert "\n" not in str(caught.value)
