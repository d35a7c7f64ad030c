"""The lake's layout: the only place that builds paths under the lake root.

::

    <dataset>/snapshot_date=YYYY-MM-DD/run_id=<id>/part-<shard>-<part>.parquet
    <dataset>/snapshot_date=YYYY-MM-DD/run_id=<id>/_SUCCESS
    _staging/<id>/<dataset>/part-<shard>-<part>.parquet     work in progress
    _staging/<id>/_parts/<shard>.json                       what each writer wrote
    _runs/<id>.json                                          the run's manifest
    _tmp/<random>                                            a file before its rename

Paths are relative to the root, separated by ``/``, never starting with one.
Names starting with ``_`` are hidden from Spark, Auto Loader and pyarrow's
dataset discovery, so nothing under ``_staging`` or ``_runs`` is ever read as
data. Run ids are checked against a small character set, so no id can climb
out of the root or hide a separator.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MANIFESTS",
    "STAGING",
    "SUCCESS",
    "RunRef",
    "manifest_path",
    "part_name",
    "part_number",
    "parts_record_path",
    "parts_records_folder",
    "run_folder",
    "staging_folder",
    "staging_root",
    "success_path",
    "temporary_path",
]

STAGING = "_staging"
MANIFESTS = "_runs"
SUCCESS = "_SUCCESS"
TEMPORARY = "_tmp"
PLAN_LABEL = "plan"

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PART = re.compile(r"^part-(?P<label>\d{5}|plan)-(?P<part>\d{5})\.parquet$")


def _check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise ValueError(
            "run id must be 1-128 characters of letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit; got {run_id!r}"
        )

    return run_id


@dataclass(frozen=True, slots=True)
class RunRef:
    """One ingestion run: its id and its start (UTC), which dates its partition."""

    run_id: str
    snapshot_ts: datetime

    def __post_init__(self) -> None:
        _check_run_id(self.run_id)
        if self.snapshot_ts.tzinfo is None:
            raise ValueError("snapshot_ts must be timezone-aware")
        object.__setattr__(self, "snapshot_ts", self.snapshot_ts.astimezone(UTC))

    @property
    def snapshot_date(self) -> str:
        """``YYYY-MM-DD`` of the run's start in UTC: its partition value."""
        return self.snapshot_ts.date().isoformat()

    def to_dict(self) -> dict[str, str]:
        """JSON-safe form, for orchestration inputs and outputs."""
        return {"run_id": self.run_id, "snapshot_ts": self.snapshot_ts.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRef:
        """Inverse of :meth:`to_dict`; raises ValueError on a bad id or date."""
        return cls(
            str(data["run_id"]), datetime.fromisoformat(str(data["snapshot_ts"]))
        )


def run_folder(dataset: str, run: RunRef) -> str:
    """The published folder of ``dataset`` for ``run`` (Hive partitions)."""
    return f"{dataset}/snapshot_date={run.snapshot_date}/run_id={run.run_id}"


def success_path(dataset: str, run: RunRef) -> str:
    """The ``_SUCCESS`` marker of a published run folder."""
    return f"{run_folder(dataset, run)}/{SUCCESS}"


def staging_root(run_id: str) -> str:
    """Everything of a run that is not published yet."""
    return f"{STAGING}/{_check_run_id(run_id)}"


def staging_folder(dataset: str, run_id: str) -> str:
    """Where writers put a dataset's parts until the run is published."""
    return f"{staging_root(run_id)}/{dataset}"


def parts_records_folder(run_id: str) -> str:
    """Where writers record the parts they wrote (read by the publisher)."""
    return f"{staging_root(run_id)}/_parts"


def parts_record_path(run_id: str, label: int | str) -> str:
    """The record of the parts one writer (a shard, or the plan) wrote."""
    return f"{parts_records_folder(run_id)}/{_label(label)}.json"


def temporary_path() -> str:
    """A fresh hidden name for a file written before being renamed into place."""
    return f"{TEMPORARY}/{uuid.uuid4().hex}"


def manifest_path(run_id: str) -> str:
    """The run's manifest, written once when it is published or compensated."""
    return f"{MANIFESTS}/{_check_run_id(run_id)}.json"


def _label(label: int | str) -> str:
    if isinstance(label, int):
        if not 0 <= label <= 99_999:
            raise ValueError(f"shard index out of range: {label}")
        return f"{label:05d}"
    if label != PLAN_LABEL:
        raise ValueError(f"unknown part label {label!r}")

    return label


def part_name(label: int | str, part: int) -> str:
    """``part-<shard>-<part>.parquet``, or ``part-plan-<part>`` for the plan."""
    if not 0 <= part <= 99_999:
        raise ValueError(f"part number out of range: {part}")

    return f"part-{_label(label)}-{part:05d}.parquet"


def part_number(name: str, label: int | str) -> int | None:
    """The part number of ``name`` if it is a part of writer ``label``."""
    match = _PART.match(name.rsplit("/", 1)[-1])
    if match is None or match["label"] != _label(label):
        return None

    return int(match["part"])
