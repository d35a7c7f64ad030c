"""Micro-benchmark: CPU per resource from detail body to Parquet, by stage.

Detail bodies are fetched once, untimed, from a simulator with no latency and
no faults (so they have exactly the shape, size and variety the server
sends), then streamed through the product's own path in batches of 500, as a
shard streams them (so only a batch is alive at a time), one stage at a time:

- ``decode``: ``orjson.loads`` of each body, as the client decodes it;
- ``arrow``: the lake's :class:`~centreon.conversion.Converter`, batches of
  500 records of one dataset into record batches of its schema;
- ``parquet``: the lake's shard writer (conversion included) into a local
  lake, minus the ``arrow`` stage, i.e. encoding, compression and file writes.

Each stage is timed with ``time.process_time`` (CPU of this process, all
threads), and reported in microseconds per resource from the least disturbed
of a few passes (other work on a shared machine only ever adds time).
"""

from __future__ import annotations

import asyncio
import cProfile
import itertools
import pstats
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
HOTSPOTS = 8
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
            paths = discover_paths(session, server.api_url)[0][:distinct]
        bodies = asyncio.run(_fetch_all(server.api_url, token, paths))

    return list(itertools.islice(itertools.cycle(bodies), count))


def _batches(bodies: Sequence[Body]) -> list[tuple[str, list[bytes]]]:
    batches: list[tuple[str, list[bytes]]] = []
    for dataset in ("hosts", "services"):
        raws = [raw for name, raw in bodies if name == dataset]
        for start in range(0, len(raws), BATCH_SIZE):
            batches.append((dataset, raws[start : start + BATCH_SIZE]))

    return batches


async def _stream(
    batches: Sequence[tuple[str, list[bytes]]], root: Path
) -> dict[str, float]:
    from centreon.conversion import Converter
    from centreon.fetch import FetchedRecord
    from centreon.lake import open_lake
    from centreon.layout import RunRef
    from centreon.parquet import ShardWriter
    from centreon.schemas import record_schema
    from centreon.settings import LakeSettings

    now = datetime.now(UTC)
    run = RunRef(run_id="bench", snapshot_ts=now)
    converters = {
        name: Converter(record_schema(name, "detail")) for name in ("hosts", "services")
    }
    spent = dict.fromkeys(("decode", "arrow", "writer"), 0.0)
    async with open_lake(LakeSettings(url=str(root))) as store:
        writer = ShardWriter(store, run, shard=0)
        for dataset, raws in batches:
            started = time.process_time()
            payloads = [orjson.loads(raw) for raw in raws]
            decoded = time.process_time()
            converters[dataset].convert(
                payloads, [now] * len(payloads), run_id=run.run_id, snapshot_ts=now
            )
            converted = time.process_time()
            records = [FetchedRecord(dataset, p, now) for p in payloads]  # type: ignore[arg-type]
            await writer.write(records)
            written = time.process_time()
            spent["decode"] += decoded - started
            spent["arrow"] += converted - decoded
            spent["writer"] += written - converted
        started = time.process_time()
        await writer.close()
        spent["writer"] += time.process_time() - started

    return spent


def _pass(batches: Sequence[tuple[str, list[bytes]]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="centreon-bench-") as folder:
        return asyncio.run(_stream(batches, Path(folder)))


def _hotspots(batches: Sequence[tuple[str, list[bytes]]]) -> list[dict[str, Any]]:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    _pass(batches)
    profiler.disable()
    entries = pstats.Stats(profiler).stats.items()  # type: ignore[attr-defined]
    total = sum(own for _, (_, _, own, _, _) in entries) or 1.0
    ranked = sorted(entries, key=lambda item: item[1][2], reverse=True)

    return [
        {
            "function": f"{'/'.join(Path(file).parts[-2:])}:{line}({name})",
            "share": round(own / total, 3),
        }
        for (file, line, name), (_, _, own, _, _) in ranked[:HOTSPOTS]
    ]


def profile(bodies: Sequence[Body], *, repeats: int = 3) -> dict[str, Any]:
    """Stream ``bodies`` through each stage, one batch at a time, as a shard does.

    Returns microseconds of CPU per resource for ``decode``, ``arrow`` and
    ``parquet`` (the writer's time minus its conversion, measured as
    ``arrow`` on the same batch) and their ``total``, from the least
    disturbed of ``repeats`` passes, and the functions with the largest share
    of CPU of their own under cProfile (``hotspots``). cProfile sees the event
    loop's thread only: the writer converts and encodes in a worker thread,
    whose CPU shows up as the loop's ``epoll.poll`` while it waits.
    """
    batches = _batches(bodies)
    passes = [_pass(batches) for _ in range(repeats)]
    best = min(passes, key=lambda spent: spent["decode"] + spent["writer"])
    per = 1e6 / len(bodies)
    stages = {
        "decode": best["decode"] * per,
        "arrow": best["arrow"] * per,
        "parquet": max(0.0, best["writer"] - best["arrow"]) * per,
    }

    return {
        "resources": len(bodies),
        "body_bytes_mean": round(sum(len(raw) for _, raw in bodies) / len(bodies)),
        "stages_us": {k: round(v, 2) for k, v in stages.items()},
        "total_us": round((best["decode"] + best["writer"]) * per, 2),
        "hotspots": _hotspots(batches),
    }


def profile_or_reason(count: int) -> tuple[dict[str, Any] | None, str]:
    """:func:`profile` over ``count`` bodies, or why it could not run."""
    try:
        bodies = detail_bodies(count)
        return profile(bodies), ""
    except RuntimeError as exc:
        return None, str(exc)
