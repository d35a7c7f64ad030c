"""The LakeStore contract, checked on every backend through open_lake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from centreon.errors import LakeConflictError, LakeError, LakeNotFoundError
from centreon.lake import LakeStore
from centreon.lake.store import LakeFile
from tests.lake_backends import BACKENDS, open_test_lake, paths


@pytest.fixture(params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LakeStore]:
    async with open_test_lake(request.param, request, tmp_path) as lake:
        yield lake


async def test_store_reads_back_what_it_wrote(store: LakeStore) -> None:
    """put_bytes then get_bytes returns the same bytes, and exists says so."""
    await store.put_bytes("a/b/c.json", "é東🚦".encode())

    assert await store.get_bytes("a/b/c.json") == "é東🚦".encode()
    assert await store.exists("a/b/c.json")
    assert not await store.exists("a/b/missing.json")


async def test_store_writes_empty_files(store: LakeStore) -> None:
    """An empty marker such as _SUCCESS is a real, listed file."""
    await store.put_bytes("run/_SUCCESS", b"")

    assert await store.list_files("run") == [LakeFile("run/_SUCCESS", 0)]


async def test_store_uploads_local_files(store: LakeStore, tmp_path: Path) -> None:
    """put_file uploads a local file and reports its size."""
    local = tmp_path / "part.bin"
    local.write_bytes(b"x" * 70_000)

    size = await store.put_file("s/part.bin", str(local))

    assert size == 70_000
    assert await store.get_bytes("s/part.bin") == b"x" * 70_000


async def test_store_reports_missing_files_as_not_found(store: LakeStore) -> None:
    """Reading a missing file raises LakeNotFoundError naming the path."""
    with pytest.raises(LakeNotFoundError) as caught:
        await store.get_bytes("nowhere/x.json")

    assert caught.value.path == "nowhere/x.json"


async def test_conditional_write_lets_exactly_one_writer_win(store: LakeStore) -> None:
    """Of concurrent writes without overwrite, one succeeds and the others conflict."""
    results = await asyncio.gather(
        *(
            store.put_bytes("_runs/r.json", str(i).encode(), overwrite=False)
            for i in range(4)
        ),
        return_exceptions=True,
    )

    winners = [i for i, r in enumerate(results) if r is None]
    assert len(winners) == 1
    assert all(isinstance(r, LakeConflictError) for r in results if r is not None)
    assert await store.get_bytes("_runs/r.json") == str(winners[0]).encode()


async def test_list_files_is_recursive_and_scoped(store: LakeStore) -> None:
    """Listing a folder returns every file below it and nothing beside it."""
    for path in ("d/1.txt", "d/e/2.txt", "d2/3.txt"):
        await store.put_bytes(path, b"12")

    listed = await store.list_files("d")

    assert listed == [LakeFile("d/1.txt", 2), LakeFile("d/e/2.txt", 2)]
    assert await store.list_files("absent") == []


async def test_delete_tree_removes_a_folder_and_tolerates_absence(
    store: LakeStore,
) -> None:
    """delete_tree removes everything below a folder; deleting again is fine."""
    for path in ("d/1.txt", "d/e/2.txt", "keep/3.txt"):
        await store.put_bytes(path, b"1")

    await store.delete_tree("d")
    await store.delete_tree("d")
    await store.delete_file("keep/absent.txt")

    assert await paths(store) == ["keep/3.txt"]


async def test_move_tree_moves_every_file(store: LakeStore) -> None:
    """move_tree puts each file at the same place under the destination."""
    await store.put_bytes("_staging/r/hosts/part-1.parquet", b"1")
    await store.put_bytes("_staging/r/hosts/part-2.parquet", b"2")

    await store.move_tree("_staging/r/hosts", "hosts/snapshot_date=x/run_id=r")

    assert await paths(store) == [
        "hosts/snapshot_date=x/run_id=r/part-1.parquet",
        "hosts/snapshot_date=x/run_id=r/part-2.parquet",
    ]


async def test_move_tree_of_nothing_is_not_found(store: LakeStore) -> None:
    """Moving a folder that holds nothing raises LakeNotFoundError."""
    with pytest.raises(LakeNotFoundError):
        await store.move_tree("_staging/none", "hosts/x")


@pytest.fixture(params=["local", "adls"])
async def renaming_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LakeStore]:
    async with open_test_lake(request.param, request, tmp_path) as lake:
        yield lake


async def test_atomic_move_refuses_an_existing_destination(
    renaming_store: LakeStore,
) -> None:
    """Backends with an atomic rename never move a folder over an existing one."""
    store = renaming_store
    assert store.atomic_move
    await store.put_bytes("src/a.txt", b"new")
    await store.put_bytes("dst/a.txt", b"old")

    with pytest.raises(LakeConflictError):
        await store.move_tree("src", "dst")

    assert await store.get_bytes("dst/a.txt") == b"old"
    assert await store.get_bytes("src/a.txt") == b"new"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("../outside", id="parent"),
        pytest.param("/absolute", id="absolute"),
        pytest.param("a/../../b", id="nested-parent"),
    ],
)
async def test_store_refuses_paths_that_leave_the_root(
    store: LakeStore, path: str
) -> None:
    """A path climbing out of the root is refused before any request is made."""
    with pytest.raises(LakeError, match="invalid lake path"):
        await store.put_bytes(path, b"x")
