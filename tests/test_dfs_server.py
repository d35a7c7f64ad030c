"""Tests for tests/dfs_server.py: its answers follow the ADLS Gen2 REST reference."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.dfs_server import DfsEndpoint

AUTH = {"Authorization": "SharedKey devstoreaccount1:c2lnbmF0dXJl"}


@pytest.fixture
async def http(dfs_endpoint: DfsEndpoint) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
        base_url=dfs_endpoint.url + "/", headers=AUTH
    ) as session:
        await session.put("fs", params={"resource": "filesystem"})
        yield session


async def answer(response: aiohttp.ClientResponse) -> tuple[int, str | None]:
    await response.read()
    return response.status, response.headers.get("x-ms-error-code")


async def create_file(http: aiohttp.ClientSession, path: str, data: bytes) -> None:
    await http.put(f"fs/{path}", params={"resource": "file"})
    await http.patch(
        f"fs/{path}", params={"action": "append", "position": "0"}, data=data
    )
    await http.patch(
        f"fs/{path}", params={"action": "flush", "position": str(len(data))}
    )


async def test_dfs_server_refuses_unsigned_requests(dfs_endpoint: DfsEndpoint) -> None:
    """A request without a SharedKey Authorization header gets 403."""
    async with aiohttp.ClientSession() as session:
        response = await session.put(f"{dfs_endpoint.url}/fs?resource=filesystem")

        assert await answer(response) == (403, "AuthorizationFailure")


async def test_dfs_server_creating_an_existing_filesystem_conflicts(
    http: aiohttp.ClientSession,
) -> None:
    """Filesystem create answers 409 when the filesystem exists."""
    response = await http.put("fs", params={"resource": "filesystem"})

    assert await answer(response) == (409, "ContainerAlreadyExists")


async def test_dfs_server_commits_appended_data_on_flush(
    http: aiohttp.ClientSession,
) -> None:
    """Data is readable only after flush, and exactly the flushed length."""
    await http.put("fs/d/f.txt", params={"resource": "file"})
    await http.patch(
        "fs/d/f.txt", params={"action": "append", "position": "0"}, data=b"abc"
    )
    before = await (await http.get("fs/d/f.txt")).read()

    flushed = await http.patch(
        "fs/d/f.txt", params={"action": "flush", "position": "3"}
    )

    assert before == b""
    assert flushed.status == 200
    assert await (await http.get("fs/d/f.txt")).read() == b"abc"


async def test_dfs_server_refuses_a_flush_past_the_appended_data(
    http: aiohttp.ClientSession,
) -> None:
    """Flushing more than was appended is 400 InvalidFlushPosition."""
    await http.put("fs/f.txt", params={"resource": "file"})

    response = await http.patch("fs/f.txt", params={"action": "flush", "position": "5"})

    assert await answer(response) == (400, "InvalidFlushPosition")


async def test_dfs_server_create_with_if_none_match_refuses_an_existing_path(
    http: aiohttp.ClientSession,
) -> None:
    """Create with If-None-Match: * on an existing file is 409 PathAlreadyExists."""
    await create_file(http, "f.txt", b"1")

    response = await http.put(
        "fs/f.txt", params={"resource": "file"}, headers={"If-None-Match": "*"}
    )

    assert await answer(response) == (409, "PathAlreadyExists")


async def test_dfs_server_renames_a_directory_with_its_files(
    http: aiohttp.ClientSession, dfs_endpoint: DfsEndpoint
) -> None:
    """Rename moves a directory and everything below it in one request."""
    await create_file(http, "src/a/1.txt", b"1")
    await http.put("fs/dst", params={"resource": "directory"})

    response = await http.put(
        "fs/dst/moved",
        params={"mode": "legacy"},
        headers={"x-ms-rename-source": "/fs/src"},
    )

    assert response.status == 201
    assert dfs_endpoint.server.files("fs") == {"dst/moved/a/1.txt": b"1"}


async def test_dfs_server_conditional_rename_refuses_an_existing_destination(
    http: aiohttp.ClientSession,
) -> None:
    """Rename with If-None-Match: * onto an existing path is 409 PathAlreadyExists."""
    await create_file(http, "src/1.txt", b"1")
    await create_file(http, "dst/2.txt", b"2")

    response = await http.put(
        "fs/dst",
        headers={"x-ms-rename-source": "/fs/src", "If-None-Match": "*"},
    )

    assert await answer(response) == (409, "PathAlreadyExists")


@pytest.mark.parametrize(
    ("source", "destination", "code"),
    [
        pytest.param("/fs/absent", "fs/dst", "SourcePathNotFound", id="no-source"),
        pytest.param(
            "/fs/src",
            "fs/no/parent",
            "RenameDestinationParentPathNotFound",
            id="no-parent",
        ),
    ],
)
async def test_dfs_server_rename_reports_missing_paths(
    http: aiohttp.ClientSession, source: str, destination: str, code: str
) -> None:
    """Rename answers 404 with the error code of whichever side is missing."""
    await create_file(http, "src/1.txt", b"1")

    response = await http.put(destination, headers={"x-ms-rename-source": source})

    assert await answer(response) == (404, code)


async def test_dfs_server_delete_needs_recursive_for_a_non_empty_directory(
    http: aiohttp.ClientSession, dfs_endpoint: DfsEndpoint
) -> None:
    """Deleting a non-empty directory is 409 unless recursive=true."""
    await create_file(http, "d/1.txt", b"1")

    refused = await http.delete("fs/d", params={"recursive": "false"})
    deleted = await http.delete("fs/d", params={"recursive": "true"})
    again = await http.delete("fs/d", params={"recursive": "true"})

    assert await answer(refused) == (409, "DirectoryNotEmpty")
    assert deleted.status == 200
    assert await answer(again) == (404, "PathNotFound")
    assert dfs_endpoint.server.files("fs") == {}


async def test_dfs_server_lists_paths_in_pages_with_a_continuation(
    http: aiohttp.ClientSession,
) -> None:
    """Listing pages by maxResults and hands back x-ms-continuation until the end."""
    for name in ("a", "b", "c"):
        await create_file(http, f"d/{name}.txt", b"12")
    query = {"resource": "filesystem", "directory": "d", "recursive": "true"}

    first = await http.get("fs", params={**query, "maxResults": "2"})
    token = first.headers["x-ms-continuation"]
    second = await http.get(
        "fs", params={**query, "maxResults": "2", "continuation": token}
    )

    names = [p["name"] for p in (await first.json())["paths"]]
    names += [p["name"] for p in (await second.json())["paths"]]
    assert names == ["d/a.txt", "d/b.txt", "d/c.txt"]
    assert "x-ms-continuation" not in second.headers
    assert (await second.json())["paths"][0]["contentLength"] == "2"


async def test_dfs_server_listing_a_missing_directory_is_not_found(
    http: aiohttp.ClientSession,
) -> None:
    """Listing a directory that does not exist is 404 PathNotFound."""
    response = await http.get(
        "fs",
        params={"resource": "filesystem", "directory": "absent", "recursive": "true"},
    )

    assert await answer(response) == (404, "PathNotFound")


async def test_dfs_server_answers_ranged_reads_with_206(
    http: aiohttp.ClientSession,
) -> None:
    """A ranged read gets 206 with Content-Range; a range past the end gets 416."""
    await create_file(http, "f.bin", b"0123456789")

    part = await http.get("fs/f.bin", headers={"x-ms-range": "bytes=2-4"})
    past = await http.get("fs/f.bin", headers={"x-ms-range": "bytes=20-30"})

    assert part.status == 206
    assert part.headers["Content-Range"] == "bytes 2-4/10"
    assert await part.read() == b"234"
    assert await answer(past) == (416, "InvalidRange")
