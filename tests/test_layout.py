"""Tests for centreon.layout: the only place lake paths are built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from centreon import layout
from centreon.layout import RunRef

RUN = RunRef("20241105T0915-slot", datetime(2024, 11, 5, 9, 15, tzinfo=UTC))


def test_run_folder_uses_hive_partitions_of_date_and_run() -> None:
    """Published parts live under snapshot_date=... and run_id=... folders."""
    assert layout.run_folder("hosts", RUN) == (
        "hosts/snapshot_date=2024-11-05/run_id=20241105T0915-slot"
    )
    assert layout.success_path("hosts", RUN).endswith(
        "run_id=20241105T0915-slot/_SUCCESS"
    )


def test_work_in_progress_and_manifests_live_under_hidden_folders() -> None:
    """Staging and manifests start with an underscore, invisible to Spark."""
    assert layout.staging_folder("services", RUN.run_id).startswith("_staging/")
    assert layout.manifest_path(RUN.run_id) == "_runs/20241105T0915-slot.json"


def test_snapshot_date_is_the_utc_date_of_the_run_start() -> None:
    """A start at 00:30+02:00 belongs to the previous UTC day."""
    start = datetime(2024, 11, 5, 0, 30, tzinfo=timezone(timedelta(hours=2)))

    assert RunRef("r1", start).snapshot_date == "2024-11-04"


@pytest.mark.parametrize(
    "run_id",
    [
        pytest.param("../escape", id="parent"),
        pytest.param("a/b", id="slash"),
        pytest.param(".hidden", id="leading-dot"),
        pytest.param("", id="empty"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("x" * 129, id="too-long"),
        pytest.param("run id", id="space"),
    ],
)
def test_run_ref_rejects_ids_that_could_escape_or_hide(run_id: str) -> None:
    """Run ids outside the safe character set are refused before any path is built."""
    with pytest.raises(ValueError, match="run id"):
        RunRef(run_id, RUN.snapshot_ts)


def test_run_ref_requires_an_aware_start() -> None:
    """A naive snapshot time is refused: the partition date would be ambiguous."""
    with pytest.raises(ValueError, match="timezone"):
        RunRef("r1", datetime(2024, 11, 5, 9, 15))


def test_run_ref_round_trips_through_json_safe_dict() -> None:
    """to_dict/from_dict carry a run through orchestration payloads."""
    assert RunRef.from_dict(RUN.to_dict()) == RUN


def test_part_names_are_deterministic_per_shard_and_part() -> None:
    """The same shard and part always name the same file, and parse back."""
    name = layout.part_name(3, 12)

    assert name == "part-00003-00012.parquet"
    assert layout.part_number(f"x/{name}", 3) == 12
    assert layout.part_number(name, 4) is None
    assert layout.part_name("plan", 0) == "part-plan-00000.parquet"
