"""The original approach, written plainly as it was described, to compare against.

Three ways the original system fetched one detail URL per host and service:

- ``sequential``: ``requests`` with one ``Session``, one URL after the other;
- ``gather``: aiohttp, ``asyncio.gather`` over every URL at once (the
  connector's default pool of 100 connections is the only limit);
- ``gather-semaphore``: the same, with an ``asyncio.Semaphore`` at the same
  concurrency budget centreon-lake is given.

None of them retries a detail call, re-logs in or writes anything: a failed
call is a lost row, and the bodies are kept in memory as the original did. The
URL list comes from ``/monitoring/resources`` with the stable sort, paged
sequentially with a few plain retries, so every baseline starts from the same
complete list and the comparison is about the detail calls; the time that
listing took is reported apart (``durations_s["plan"]``).

Run as ``python -m benchmarks.baselines NAME --url API_URL --concurrency C``
with ``CENTREON_USERNAME`` and ``CENTREON_PASSWORD`` in the environment; it
prints one JSON object: rows, failed, planned, retries (listing pages asked
again), duration_s and durations_s (``plan``: sign-in and listing,
``fetch``: the detail calls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import requests

__all__ = ["BASELINES", "discover_paths", "login"]

LISTINGS = (
    ({"types": '["host"]', "sort_by": '{"id":"ASC"}'}, "host"),
    ({"types": '["service"]', "sort_by": '{"parent_id":"ASC","id":"ASC"}'}, "service"),
)
PAGE_SIZE = 1000
LISTING_ATTEMPTS = 5


def login(session: requests.Session, api_url: str, username: str, password: str) -> str:
    """Sign in and return the token."""
    body = {"security": {"credentials": {"login": username, "password": password}}}
    response = session.post(f"{api_url}/login", json=body, timeout=30)
    response.raise_for_status()
    token: str = response.json()["security"]["token"]

    return token


def _listing_page(
    session: requests.Session, api_url: str, params: dict[str, str], page: int
) -> tuple[dict[str, Any], int]:
    """One listing page and how many times it had to be asked again."""
    query = {**params, "page": str(page), "limit": str(PAGE_SIZE)}
    for attempt in range(LISTING_ATTEMPTS):
        try:
            response = session.get(
                f"{api_url}/monitoring/resources", params=query, timeout=60
            )
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body, attempt
        except requests.RequestException:
            if attempt == LISTING_ATTEMPTS - 1:
                raise
        time.sleep(0.2 * (attempt + 1))

    raise RuntimeError(f"listing page {page} kept failing")


def discover_paths(session: requests.Session, api_url: str) -> tuple[list[str], int]:
    """Every detail path, hosts then services, from the stable-sorted listing.

    Also returns the number of listing requests that were retries.
    """
    paths: list[str] = []
    retries = 0
    for params, kind in LISTINGS:
        page = 1
        while True:
            body, again = _listing_page(session, api_url, params, page)
            retries += again
            for item in body["result"]:
                if kind == "host":
                    paths.append(f"/monitoring/resources/hosts/{item['id']}")
                else:
                    host, service = item["host_id"], item["id"]
                    paths.append(
                        f"/monitoring/resources/hosts/{host}/services/{service}"
                    )
            if page * PAGE_SIZE >= body["meta"]["total"]:
                break
            page += 1

    return paths, retries


def run_sequential(
    session: requests.Session, api_url: str, paths: list[str], concurrency: int
) -> tuple[list[Any], int]:
    """One detail call after the other on one keep-alive session."""
    bodies: list[Any] = []
    failed = 0
    for path in paths:
        try:
            response = session.get(f"{api_url}{path}", timeout=30)
        except requests.RequestException:
            failed += 1
            continue
        if response.status_code == 200:
            bodies.append(response.json())
        else:
            failed += 1

    return bodies, failed


async def _gather(
    api_url: str, token: str, paths: list[str], semaphore: asyncio.Semaphore | None
) -> tuple[list[Any], int]:
    async with aiohttp.ClientSession(headers={"X-AUTH-TOKEN": token}) as session:

        async def fetch(path: str) -> Any:
            try:
                async with session.get(f"{api_url}{path}") as response:
                    if response.status == 200:
                        return await response.json()
            except (TimeoutError, aiohttp.ClientError):
                pass
            return None

        async def bounded(path: str) -> Any:
            assert semaphore is not None
            async with semaphore:
                return await fetch(path)

        calls = [bounded(p) if semaphore else fetch(p) for p in paths]
        results = await asyncio.gather(*calls)
    bodies = [r for r in results if r is not None]

    return bodies, len(paths) - len(bodies)


def run_gather(
    session: requests.Session, api_url: str, paths: list[str], concurrency: int
) -> tuple[list[Any], int]:
    """``asyncio.gather`` over every URL, limited only by aiohttp's pool."""
    token = session.headers["X-AUTH-TOKEN"]
    assert isinstance(token, str)

    return asyncio.run(_gather(api_url, token, paths, None))


def run_gather_semaphore(
    session: requests.Session, api_url: str, paths: list[str], concurrency: int
) -> tuple[list[Any], int]:
    """``asyncio.gather`` with a semaphore holding ``concurrency`` calls in flight."""
    token = session.headers["X-AUTH-TOKEN"]
    assert isinstance(token, str)

    async def bounded() -> tuple[list[Any], int]:
        return await _gather(api_url, token, paths, asyncio.Semaphore(concurrency))

    return asyncio.run(bounded())


Baseline = Callable[[requests.Session, str, list[str], int], tuple[list[Any], int]]

BASELINES: dict[str, Baseline] = {
    "sequential": run_sequential,
    "gather": run_gather,
    "gather-semaphore": run_gather_semaphore,
}


def main(argv: list[str] | None = None) -> int:
    """Run one baseline end to end and print its JSON summary."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baselines")
    parser.add_argument("name", choices=sorted(BASELINES))
    parser.add_argument("--url", required=True, help="Centreon API base URL")
    parser.add_argument("--concurrency", type=int, required=True)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with requests.Session() as session:
        token = login(
            session,
            args.url,
            os.environ["CENTREON_USERNAME"],
            os.environ["CENTREON_PASSWORD"],
        )
        session.headers["X-AUTH-TOKEN"] = token
        paths, retries = discover_paths(session, args.url)
        planned = time.perf_counter()
        bodies, failed = BASELINES[args.name](
            session, args.url, paths, args.concurrency
        )
    finished = time.perf_counter()
    summary = {
        "rows": len(bodies),
        "failed": failed,
        "planned": len(paths),
        "retries": retries,
        "duration_s": finished - started,
        "durations_s": {"plan": planned - started, "fetch": finished - planned},
    }
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")

    return 0


if __name__ == "__main__":
    sys.exit(main())
