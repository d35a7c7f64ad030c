"""Open a fresh lake on each backend for the lake's tests.

``local`` is a temporary folder, ``blob`` a fresh container on the session's
Azurite (see tests/azurite.py) and ``adls`` a fresh filesystem on the ADLS
Gen2 dfs test server (see tests/dfs_server.py), always through open_lake.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from centreon.lake import LakeStore, open_lake
from centreon.lake.local import LocalStore
from centreon.settings import LakeSettings
from tests.dfs_server import running_dfs_server

BACKENDS = ["local", "blob", "adls"]


@asynccontextmanager
async def open_test_lake(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LakeStore]:
    """A new, empty lake of ``kind``, closed afterwards."""
    name = f"t{uuid.uuid4().hex[:16]}"
    if kind == "local":
        async with open_lake(LakeSettings(url=str(tmp_path / "lake"))) as store:
            yield store
    elif kind == "blob":
        azurite = request.getfixturevalue("azurite")
        settings = LakeSettings(
            url=f"{azurite.blob_endpoint}/{name}/centreon",
            connection_string=azurite.connection_string,
        )
        async with open_lake(settings) as store:
            yield store
    else:
        async with running_dfs_server() as dfs:
            settings = LakeSettings(
                url=f"abfss://{name}@{dfs.account}.dfs.core.windows.net/centreon",
                connection_string=dfs.connection_string,
            )
            async with open_lake(settings) as store:
                yield store


async def mirror(store: LakeStore, folder: Path) -> Path:
    """Copy every file of the lake into ``folder``, as a reader would see it."""
    for file in await store.list_files(""):
        target = folder.joinpath(*file.path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(await store.get_bytes(file.path))
    return folder


def empty_folders(store: LakeStore) -> list[str]:
    """Every empty folder of a local lake (other backends: none checked here)."""
    if not isinstance(store, LocalStore):
        return []
    return sorted(
        Path(current).relative_to(store.root).as_posix()
        for current, folders, files in os.walk(store.root)
        if not folders and not files and Path(current) != store.root
    )


async def paths(store: LakeStore) -> list[str]:
    """Every file path in the lake."""
    return [f.path for f in await store.list_files("")]
