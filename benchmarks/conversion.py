"""Micro-benchmark: CPU per resource from detail body to Parquet, by stage.

Detail bodies are fetched once, untimed, from a simulator with no latency and
no faults (so they have exactly the shape, size and variety the server
sends), then fed through the product's own path, one stage at a time, on one
core:

- ``decode``: ``orjson.loads`` of each body, as the client decodes it;
- ``arrow``: the lake's :class:`~centreon.conversion.Converter`, batches of
  500 records of one dataset into record batches of its schema;
- ``parquet``: the lake's shard writer (conversion included) into a local
  lake, minus the ``arrow`` stage, i.e. encoding, compression and file writes.

Each stage is timed with ``time.process_time`` (CPU of this process, all
threads), and reported in microseconds per resource.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import requests

from benchmarks.baselines import discover_paths, login
from benchmarks.scenario import SERVICES_PER_HOST, Capacity, Case
from benchmarks.server import SERVER_PASSWORD, SERVER_USERNAME, SimulatedCentreon

__all__ = ["detail_bodies", "profile", "profile_or_reason"]

BATCH_SIZE = 500
DISTINCT_BODIES = 2000
_SAMPLE_CAPACITY = Capacity(latency_ms=0.0, latency_spread=0.0, fault_rate=0.0)

Body = tuple[str, bytes]


async def _fetch_all(api_url: str, token: str, paths: Sequence[str]) -> list[Body]:
    limit = asyncio.Semaphore(16)
    headers = {"X-AUTH-TOKEN": token}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def fetch(path: str) -> Body:
            async with limit, session.get(f"{api_url}{path}") as response:
                response.raise_for_status()
                dataset = "services" if "/services/" in path else "hosts"
                return dataset, await response.read()

        return list(await asyncio.gather(*(fetch(p) for p in paths)))


def detail_bodies(count: int) -> list[Body]:
    """``count`` raw detail bodies as the simulator serves them, with their dataset.

    At most :data:`DISTINCT_BODIES` are fetched; larger counts cycle them.
    """
    distinct = min(count, DISTINCT_BODIES)
    case = Case("detail", distinct, _SAMPLE_CAPACITY, budget=16, page_size=1000)
    with SimulatedCentreon(case, services_per_host=SERVICES_PER_HOST) as server:
        with requests.Session() as session:
            token = login(session, server.api_url, SERVER_USERNAME, SERVER_PASSWORD)
            session.headers["X-AUTH-TOKEN"] = token
            paths = discover_paths(session, server.api_url)[:distinct]
        bodies = asyncio.run(_fetch_all(server.api_url, token, paths))

    return list(itertools.islice(itertools.cycle(bodies), count))


def _batches(decoded: Sequence[tuple[str, Any]]) -> list[tuple[str, list[Any]]]:
    batches: list[tuple[str, list[Any]]] = []
    for dataset in ("hosts", "services"):
        rows = [payload for name, payload in decoded if name == dataset]
        for start in range(0, len(rows), BATCH_SIZE):
            batches.append((dataset, rows[start : start + BATCH_SIZE]))

    return batches


def _arrow_stage(batches: Sequence[tuple[str, list[Any]]], now: datetime) -> float:
    from centreon.conversion import Converter
    from centreon.schemas import record_schema

    converters = {
        name: Converter(record_schema(name, "detail")) for name in ("hosts", "services")
    }
    started = time.process_time()
    for dataset, payloads in batches:
        converters[dataset].convert(
            payloads, [now] * len(payloads), run_id="bench", snapshot_ts=now
        )

    return time.process_time() - started


async def _writer_stage(
    batches: Sequence[tuple[str, list[Any]]], now: datetime, root: Path
) -> float:
    from centreon.fetch import FetchedRecord
    from centreon.lake import open_lake
    from centreon.layout import RunRef
    from centreon.parquet import ShardWriter
    from centreon.settings import LakeSettings

    run = RunRef(run_id="bench", snapshot_ts=now)
    records = [
        [FetchedRecord(dataset, payload, now) for payload in payloads]  # type: ignore[arg-type]
        for dataset, payloads in batches
    ]
    async with open_lake(LakeSettings(url=str(root))) as store:
        writer = ShardWriter(store, run, shard=0)
        started = time.process_time()
        for batch in records:
            await writer.write(batch)
        await writer.close()

        return time.process_time() - started


def profile(bodies: Sequence[Body]) -> dict[str, Any]:
    """Time each stage over ``bodies``; microseconds of CPU per resource."""
    now = datetime.now(UTC)
    started = time.process_time()
    decoded = [(dataset, orjson.loads(raw)) for dataset, raw in bodies]
    decode_s = time.process_time() - started
    batches = _batches(decoded)
    arrow_s = _arrow_stage(batches, now)
    with tempfile.TemporaryDirectory(prefix="centreon-bench-") as folder:
        writer_s = asyncio.run(_writer_stage(batches, now, Path(folder)))
    count = len(bodies)
    per = 1e6 / count
    stages = {
        "decode": decode_s * per,
        "arrow": arrow_s * per,
        "parquet": max(0.0, writer_s - arrow_s) * per,
    }

    return {
        "resources": count,
        "body_bytes_mean": sum(len(raw) for _, raw in bodies) / count,
        "stages_us": {k: round(v, 2) for k, v in stages.items()},
        "total_us": round(decode_s * per + writer_s * per, 2),
    }


def profile_or_reason(count: int) -> tuple[dict[str, Any] | None, str]:
    """:func:`profile` over ``count`` bodies, or why it could not run."""
    try:
        bodies = detail_bodies(count)
        return profile(bodies), ""
    except ImportError as exc:
        return None, f"needs {exc.name}, not merged yet"
    except RuntimeError as exc:
        return None, str(exc)
