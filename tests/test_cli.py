"""``python -m centreon`` end to end: the simulator in, a local or Azurite lake out."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from centreon.cli import main
from centreon.simulator import FaultConfig, Simulator
from tests.azurite import Azurite
from tests.simulator_fixtures import SimulatorFactory

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 120


def centreon_env(sim: Simulator, lake: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "CENTREON_URL": sim.api_url,
        "CENTREON_USERNAME": sim.config.username,
        "CENTREON_PASSWORD": sim.config.password,
        "LAKE_URL": lake,
        **extra,
    }


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run ``python -m centreon`` in a child process; return code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "centreon",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    assert process.returncode is not None

    return process.returncode, out.decode(), err.decode()


def parquet_files(lake: Path) -> list[Path]:
    return sorted(lake.rglob("*.parquet")) if lake.exists() else []


@pytest.mark.slow
async def test_run_ingests_the_simulator_into_a_local_lake(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """run --json prints only the JSON summary on stdout, plain progress on stderr."""
    lake = tmp_path / "lake"
    async with simulator(hosts=8, services_per_host=4) as sim:
        code, out, err = await cli(centreon_env(sim, str(lake)), "run", "--json")
        served = sim.counters.total_requests

    summary = json.loads(out)
    assert code == 0
    assert out.count("\n") == 1
    assert summary["status"] == "succeeded"
    assert summary["datasets"]["hosts"]["rows"] == 8
    assert summary["datasets"]["services"]["rows"] == 32
    assert summary["requests"] == served
    assert "\r" not in err
    assert re.match(r"done  shards (\d+)/\1  rows 40  ", err.splitlines()[-1])
    assert (lake / summary["manifest"]).exists()
    assert {p.relative_to(lake).parts[0] for p in parquet_files(lake)} == {
        "hosts",
        "services",
        "urls",
    }


@pytest.mark.slow
async def test_run_exits_1_and_leaves_no_data_when_a_resource_keeps_failing(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A resource answering 500 every time fails the run, compensated to nothing."""
    lake = tmp_path / "lake"
    async with simulator(hosts=4, services_per_host=2) as sim:
        failing = sim.fleet.services[0].uuid
    faults = FaultConfig(failing=frozenset({failing}))
    async with simulator(hosts=4, services_per_host=2, faults=faults) as sim:
        code, out, _ = await cli(centreon_env(sim, str(lake)), "run", "--json")

    summary = json.loads(out)
    assert code == 1
    assert summary["status"] == "failed"
    assert summary["reason"] == "shards failed"
    assert summary["compensated"] is True
    assert parquet_files(lake) == []
    assert json.loads((lake / summary["manifest"]).read_text())["status"] == "failed"


@pytest.mark.slow
async def test_run_exits_1_and_leaves_no_data_past_its_deadline(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A run still fetching at its deadline is abandoned and compensated."""
    lake = tmp_path / "lake"
    async with simulator(
        hosts=10, services_per_host=4, latency_ms=400.0, workers=2
    ) as sim:
        env = centreon_env(sim, str(lake))
        code, out, _ = await cli(env, "run", "--json", "--deadline", "1.5")

    summary = json.loads(out)
    assert code == 1
    assert summary["reason"] == "deadline"
    assert parquet_files(lake) == []


@pytest.fixture
def container(azurite: Azurite) -> Iterator[tuple[str, ContainerClient]]:
    """A fresh blob container on the session's Azurite, and the lake URL in it."""
    name = f"lake{uuid.uuid4().hex[:12]}"
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    with service:
        client = service.create_container(name)
        yield f"{azurite.blob_endpoint}/{name}/centreon", client


@pytest.mark.slow
@pytest.mark.azurite
async def test_run_ingests_into_azurite(
    simulator: SimulatorFactory,
    azurite: Azurite,
    container: tuple[str, ContainerClient],
) -> None:
    """The same run lands in a blob container on Azurite."""
    lake_url, blobs = container
    async with simulator(hosts=5, services_per_host=3) as sim:
        env = centreon_env(
            sim, lake_url, LAKE_CONNECTION_STRING=azurite.connection_string
        )
        code, out, _ = await cli(env, "run", "--json")

    summary = json.loads(out)
    names = [blob.name for blob in blobs.list_blobs()]
    assert code == 0
    assert summary["datasets"]["services"]["rows"] == 15
    assert f"centreon/{summary['manifest']}" in names
    assert any(
        n.startswith("centreon/services/") and n.endswith(".parquet") for n in names
    )


@pytest.mark.slow
@pytest.mark.azurite
async def test_run_exits_1_and_leaves_only_the_manifest_in_azurite_on_failure(
    simulator: SimulatorFactory,
    azurite: Azurite,
    container: tuple[str, ContainerClient],
) -> None:
    """A failing resource fails the run on Azurite too, and no data blob remains."""
    lake_url, blobs = container
    async with simulator(hosts=4, services_per_host=2) as sim:
        failing = sim.fleet.hosts[1].uuid
    faults = FaultConfig(failing=frozenset({failing}))
    async with simulator(hosts=4, services_per_host=2, faults=faults) as sim:
        env = centreon_env(
            sim, lake_url, LAKE_CONNECTION_STRING=azurite.connection_string
        )
        code, out, _ = await cli(env, "run", "--json")

    summary = json.loads(out)
    assert code == 1
    assert [blob.name for blob in blobs.list_blobs()] == [
        f"centreon/{summary['manifest']}"
    ]


@pytest.mark.slow
async def test_run_dry_run_plans_and_writes_nothing(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """--dry-run exits 0 with the plan and leaves the lake untouched."""
    lake = tmp_path / "lake"
    async with simulator(hosts=3, services_per_host=2) as sim:
        code, out, _ = await cli(
            centreon_env(sim, str(lake)), "run", "--dry-run", "--json"
        )
        served = sim.counters.total_requests

    summary = json.loads(out)
    assert code == 0
    assert summary["requests"] == served
    assert summary["dry_run"] is True
    assert summary["totals"]["urls"] == 9
    assert sum(shard["urls"] for shard in summary["plan"]) == 9
    assert not lake.exists()


@pytest.mark.slow
async def test_run_prints_a_summary_table_without_json(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """Without --json, stdout shows the run as a table, the lake flag winning."""
    lake = tmp_path / "flagged"
    async with simulator(hosts=2, services_per_host=1) as sim:
        env = centreon_env(sim, str(tmp_path / "ignored"))
        code, out, _ = await cli(env, "run", "--lake", str(lake))

    assert code == 0
    assert "status     succeeded" in out
    assert "services            2" in out
    assert lake.exists()
    assert not (tmp_path / "ignored").exists()


def run_main(argv: list[str], env: dict[str, Any]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_main_exits_2_naming_a_missing_variable() -> None:
    """A missing setting is one line on stderr naming it, and exit code 2."""
    code, out, err = run_main(["run"], {"LAKE_URL": "lake"})

    assert code == 2
    assert out == ""
    assert err.startswith("centreon: error: CENTREON_URL: is not set")
    assert err.count("\n") == 1


def test_main_exits_2_naming_a_bad_flag_value() -> None:
    """A flag overriding a setting is validated like the setting."""
    env = {
        "CENTREON_URL": "https://c.example/centreon/api/latest",
        "CENTREON_API_TOKEN": "t",
        "LAKE_URL": "lake",
    }

    code, _, err = run_main(["run", "--max-concurrency", "zero"], env)

    assert code == 2
    assert "CENTREON_MAX_CONCURRENCY" in err


def test_main_exits_2_on_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command is a usage error."""
    code, _, _ = run_main(["ingest-everything"], {})

    assert code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_main_hands_simulate_to_the_simulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """simulate takes the simulator's own options."""
    code, _, _ = run_main(["simulate", "--help"], {})

    assert code == 0
    assert "--hosts" in capsys.readouterr().out


def test_main_exits_2_naming_a_malformed_application_insights_string() -> None:
    """A connection string Application Insights cannot parse is a config error."""
    secret = "InstrumentationKey00000000-not-a-connection-string"
    env = {"APPLICATIONINSIGHTS_CONNECTION_STRING": secret, "LAKE_URL": "lake"}

    code, out, err = run_main(["run"], env)

    assert code == 2
    assert out == ""
    assert err == (
        "centreon: error: APPLICATIONINSIGHTS_CONNECTION_STRING: "
        "is not an Application Insights connection string\n"
    )


def test_main_reports_a_bad_simulator_option_on_its_stderr() -> None:
    """A simulator option out of range is one line on the given stderr, exit 2."""
    code, out, err = run_main(["simulate", "--error-rate", "1.5"], {})

    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "error_rate" in err
    assert "1.5" in err


@pytest.mark.parametrize(
    "schedule",
    [
        pytest.param("0 */x * * * *", id="letter-step"),
        pytest.param("0 MON * * * *", id="name-in-minutes"),
        pytest.param("0 */0 * * * *", id="zero-step"),
    ],
)
def test_main_exits_2_naming_a_schedule_that_cannot_be_evaluated(
    schedule: str,
) -> None:
    """A malformed INGEST_SCHEDULE is one line naming it, not a crash at firing."""
    env = {
        "CENTREON_URL": "https://c.example/centreon/api/latest",
        "CENTREON_API_TOKEN": "t",
        "LAKE_URL": "lake",
        "INGEST_SCHEDULE": schedule,
    }

    code, _, err = run_main(["run"], env)

    assert code == 2
    assert err.startswith("centreon: error: INGEST_SCHEDULE: ")
    assert err.count("\n") == 1


def test_main_exits_2_for_a_malformed_lake_url() -> None:
    """A lake URL no backend understands is a configuration error, not a failed run."""
    env = {
        "CENTREON_URL": "https://c.example/centreon/api/latest",
        "CENTREON_API_TOKEN": "t",
    }

    code, _, err = run_main(["run", "--lake", "ftp://files.example/lake"], env)

    assert code == 2
    assert err.startswith("centreon: error: LAKE_URL:")


def test_main_exits_2_for_a_malformed_lake_connection_string() -> None:
    """A malformed connection string is reported without echoing it."""
    env = {
        "CENTREON_URL": "https://c.example/centreon/api/latest",
        "CENTREON_API_TOKEN": "t",
        "LAKE_URL": "https://acct.blob.core.windows.net/lake",
        "LAKE_CONNECTION_STRING": "AccountKey-s3cret",
    }

    code, _, err = run_main(["run"], env)

    assert code == 2
    assert "LAKE_CONNECTION_STRING" in err
    assert "s3cret" not in err
