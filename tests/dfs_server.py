"""A small ADLS Gen2 (dfs) REST server for the lake's tests (pytest plugin).

Azurite has no dfs endpoint, so the ADLS backend is tested against this
in-memory server, which implements exactly the operations the backend uses,
as the public "Azure Data Lake Storage Gen2 REST API" reference describes
them, through the real azure-storage-file-datalake SDK:

- filesystem create (``PUT ?resource=filesystem``, or ``?restype=container``
  on the blob endpoint as the SDK sends it): 201, or 409 when it exists;
- path create (``PUT ?resource=file|directory``): 201; parents are created
  implicitly; ``If-None-Match: *`` on an existing path gives 409
  ``PathAlreadyExists``, a failed ``If-Match`` 412 ``ConditionNotMet``;
- append (``PATCH ?action=append&position=P``): 202, data kept uncommitted;
- flush (``PATCH ?action=flush&position=N``): 200, commits exactly N bytes,
  400 ``InvalidFlushPosition`` when the appended data does not reach N;
- rename (``PUT`` with ``x-ms-rename-source``): 201; 404
  ``SourcePathNotFound``, 404 ``RenameDestinationParentPathNotFound``, 409
  ``PathAlreadyExists`` when ``If-None-Match: *`` meets an existing
  destination; an existing directory is never replaced;
- delete (``DELETE ?recursive=true|false``): 200; 404 ``PathNotFound``;
  409 ``DirectoryNotEmpty`` without ``recursive``;
- list (``GET ?resource=filesystem&directory=&recursive=``): 200 JSON
  ``{"paths": [...]}`` pages of ``maxResults`` with ``x-ms-continuation``;
  404 ``PathNotFound`` for a missing directory;
- read and properties (``GET``/``HEAD`` on a path, which the SDK sends to the
  blob endpoint): ranges answered with 206 and ``Content-Range``.

Errors carry ``x-ms-error-code`` and a JSON ``{"error": {...}}`` body.
``failing_renames`` makes that many renames answer 500 after renaming, as
when a rename's answer is lost and the client cannot tell it happened.
Signatures are not verified; a request without a SharedKey Authorization
header is refused with 403. Unknown operations get 400 so a test notices.
"""

from __future__ import annotations

import email.utils
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

ACCOUNT = "devstoreaccount1"
# A made-up base64 key: the server does not verify signatures.
KEY = "ZGZzLXRlc3Qtc2VydmVyLWtleS1ub3QtYS1zZWNyZXQ="
MAX_RESULTS = 5000

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_etags = itertools.count(1)


def _etag() -> str:
    return f'"0x8DC{next(_etags):012X}"'


@dataclass
class Node:
    """One path: a directory, or a file with committed and appended data."""

    directory: bool
    data: bytes = b""
    appended: dict[int, bytes] = field(default_factory=dict)
    etag: str = field(default_factory=_etag)
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))

    def touch(self) -> None:
        self.etag = _etag()
        self.modified = datetime.now(UTC)


class DfsError(Exception):
    """An error answer: status and storage error code."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or code


class DfsServer:
    """In-memory filesystems of one account, served as the dfs endpoint does."""

    def __init__(self, account: str = ACCOUNT) -> None:
        self.account = account
        self.filesystems: dict[str, dict[str, Node]] = {}
        self.operations: list[tuple[str, str, dict[str, str]]] = []
        self.failing_renames = 0
        self.app = web.Application()
        self.app.router.add_route("*", "/{account}/{tail:.*}", self._handle)

    def files(self, filesystem: str) -> dict[str, bytes]:
        """Committed files of a filesystem, by path (for assertions)."""
        nodes = self.filesystems.get(filesystem, {})
        return {p: n.data for p, n in sorted(nodes.items()) if not n.directory}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            if not request.headers.get("Authorization", "").startswith("SharedKey "):
                raise DfsError(403, "AuthorizationFailure", "no SharedKey signature")
            if request.match_info["account"] != self.account:
                raise DfsError(404, "AccountNotFound")
            filesystem, _, path = request.match_info["tail"].partition("/")
            return await self._dispatch(request, filesystem, path.strip("/"))
        except DfsError as error:
            return _error(error)

    async def _dispatch(
        self, request: web.Request, filesystem: str, path: str
    ) -> web.StreamResponse:
        query, method = request.query, request.method
        if not path:
            if method == "PUT" and (
                query.get("restype") == "container"
                or query.get("resource") == "filesystem"
            ):
                return self._create_filesystem(filesystem)
            if method == "GET" and query.get("resource") == "filesystem":
                return self._list(filesystem, query)
        elif method == "PUT" and "x-ms-rename-source" in request.headers:
            return self._rename(request, filesystem, path)
        elif method == "PUT" and query.get("resource") in ("file", "directory"):
            return self._create(request, filesystem, path, query["resource"])
        elif method == "PATCH" and query.get("action") == "append":
            return self._append(filesystem, path, query, await request.read())
        elif method == "PATCH" and query.get("action") == "flush":
            return self._flush(request, filesystem, path, query)
        elif method == "DELETE":
            return self._delete(filesystem, path, query.get("recursive") == "true")
        elif method in ("GET", "HEAD"):
            return self._read(request, filesystem, path)

        raise DfsError(400, "UnsupportedOperation", f"{method} {request.path_qs}")

    def _record(self, operation: str, path: str, **details: str) -> None:
        self.operations.append((operation, path, details))

    def _fs(self, filesystem: str) -> dict[str, Node]:
        nodes = self.filesystems.get(filesystem)
        if nodes is None:
            raise DfsError(404, "FilesystemNotFound")
        return nodes

    def _create_filesystem(self, filesystem: str) -> web.Response:
        self._record("create_filesystem", filesystem)
        if filesystem in self.filesystems:
            raise DfsError(409, "ContainerAlreadyExists")
        self.filesystems[filesystem] = {}
        return web.Response(status=201, headers=_node_headers(Node(directory=True)))

    def _create(
        self, request: web.Request, filesystem: str, path: str, resource: str
    ) -> web.Response:
        nodes = self._fs(filesystem)
        existing = nodes.get(path)
        self._record("create", path, resource=resource, **_conditions(request))
        _check_conditions(request.headers, existing)
        if existing is not None and existing.directory != (resource == "directory"):
            raise DfsError(409, "PathConflict", "a path of the other kind exists")
        self._make_parents(nodes, path)
        if existing is not None and existing.directory:
            return web.Response(status=201, headers=_node_headers(existing))
        node = Node(directory=resource == "directory")
        nodes[path] = node
        return web.Response(status=201, headers=_node_headers(node))

    def _make_parents(self, nodes: dict[str, Node], path: str) -> None:
        parts = path.split("/")
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            node = nodes.setdefault(parent, Node(directory=True))
            if not node.directory:
                raise DfsError(409, "ParentNotDirectory")

    def _file(self, filesystem: str, path: str) -> Node:
        node = self._fs(filesystem).get(path)
        if node is None or node.directory:
            raise DfsError(404, "PathNotFound")
        return node

    def _append(
        self, filesystem: str, path: str, query: dict[str, str] | object, body: bytes
    ) -> web.Response:
        node = self._file(filesystem, path)
        position = int(query.get("position", "-1"))  # type: ignore[attr-defined]
        self._record("append", path, position=str(position), length=str(len(body)))
        if position < len(node.data):
            raise DfsError(400, "InvalidFlushPosition", "append before committed end")
        node.appended[position] = body
        return web.Response(status=202)

    def _flush(
        self, request: web.Request, filesystem: str, path: str, query: object
    ) -> web.Response:
        node = self._file(filesystem, path)
        position = int(request.query.get("position", "-1"))
        self._record("flush", path, position=str(position), **_conditions(request))
        _check_conditions(request.headers, node)
        data = bytearray(node.data)
        while len(data) < position and len(data) in node.appended:
            data += node.appended.pop(len(data))
        if len(data) != position:
            raise DfsError(
                400, "InvalidFlushPosition", "appended data does not reach it"
            )
        node.data, node.appended = bytes(data), {}
        node.touch()
        return web.Response(status=200, headers=_node_headers(node))

    def _rename(self, request: web.Request, filesystem: str, path: str) -> web.Response:
        source_ref = urlsplit(request.headers["x-ms-rename-source"]).path
        source_fs, _, source = unquote(source_ref).strip("/").partition("/")
        self._record("rename", path, source=source, **_conditions(request))
        nodes, source_nodes = self._fs(filesystem), self._fs(source_fs)
        node = source_nodes.get(source)
        if node is None:
            raise DfsError(404, "SourcePathNotFound")
        existing = nodes.get(path)
        _check_conditions(request.headers, existing)
        parent = path.rpartition("/")[0]
        if parent and not (parent in nodes and nodes[parent].directory):
            raise DfsError(404, "RenameDestinationParentPathNotFound")
        if existing is not None and existing.directory:
            raise DfsError(409, "PathAlreadyExists", "destination directory exists")
        moved = {
            p: n
            for p, n in source_nodes.items()
            if p == source or p.startswith(f"{source}/")
        }
        for old, moving in moved.items():
            del source_nodes[old]
            nodes[path + old[len(source) :]] = moving
        if self.failing_renames:
            self.failing_renames -= 1
            raise DfsError(500, "InternalError", "renamed, but the answer is lost")
        return web.Response(status=201, headers=_node_headers(node))

    def _delete(self, filesystem: str, path: str, recursive: bool) -> web.Response:
        nodes = self._fs(filesystem)
        self._record("delete", path, recursive=str(recursive).lower())
        if path not in nodes:
            raise DfsError(404, "PathNotFound")
        children = [p for p in nodes if p.startswith(f"{path}/")]
        if children and not recursive:
            raise DfsError(409, "DirectoryNotEmpty")
        for doomed in [path, *children]:
            del nodes[doomed]
        return web.Response(status=200)

    def _list(self, filesystem: str, query: object) -> web.Response:
        nodes = self._fs(filesystem)
        params: dict[str, str] = dict(query)  # type: ignore[call-overload]
        directory = params.get("directory", "").strip("/")
        recursive = params.get("recursive", "false") == "true"
        self._record("list", directory, recursive=str(recursive).lower())
        if directory and not (directory in nodes and nodes[directory].directory):
            raise DfsError(404, "PathNotFound")
        prefix = f"{directory}/" if directory else ""
        names = sorted(
            p
            for p in nodes
            if p.startswith(prefix) and (recursive or "/" not in p[len(prefix) :])
        )
        start = int(params.get("continuation") or 0)
        size = min(int(params.get("maxResults") or MAX_RESULTS), MAX_RESULTS)
        page = names[start : start + size]
        headers = {}
        if start + size < len(names):
            headers["x-ms-continuation"] = str(start + size)
        paths = [_listing_entry(name, nodes[name]) for name in page]
        return web.json_response({"paths": paths}, headers=headers)

    def _read(self, request: web.Request, filesystem: str, path: str) -> web.Response:
        nodes = self.filesystems.get(filesystem)
        if nodes is None:
            raise DfsError(404, "ContainerNotFound")
        node = nodes.get(path)
        self._record("read" if request.method == "GET" else "properties", path)
        if node is None:
            raise DfsError(404, "BlobNotFound")
        headers = _node_headers(node)
        headers.update({"x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes"})
        total = len(node.data)
        if request.method == "HEAD":
            headers["Content-Length"] = str(total)
            return web.Response(status=200, headers=headers)
        wanted = request.headers.get("x-ms-range") or request.headers.get("Range")
        match = _RANGE.match(wanted or "")
        if not match:
            return web.Response(status=200, body=node.data, headers=headers)
        first = int(match[1])
        last = min(int(match[2]) if match[2] else total - 1, total - 1)
        if first >= total:
            raise DfsError(416, "InvalidRange")
        headers["Content-Range"] = f"bytes {first}-{last}/{total}"
        return web.Response(
            status=206, body=node.data[first : last + 1], headers=headers
        )


def _conditions(request: web.Request) -> dict[str, str]:
    return {
        name: request.headers[name]
        for name in ("If-None-Match", "If-Match")
        if name in request.headers
    }


def _check_conditions(headers: object, existing: Node | None) -> None:
    values: dict[str, str] = dict(headers)  # type: ignore[call-overload]
    if values.get("If-None-Match") == "*" and existing is not None:
        raise DfsError(409, "PathAlreadyExists")
    if_match = values.get("If-Match")
    if if_match is not None and (
        existing is None or if_match not in ("*", existing.etag)
    ):
        raise DfsError(412, "ConditionNotMet")


def _node_headers(node: Node) -> dict[str, str]:
    return {
        "ETag": node.etag,
        "Last-Modified": email.utils.format_datetime(node.modified, usegmt=True),
        "x-ms-resource-type": "directory" if node.directory else "file",
        "x-ms-request-server-encrypted": "false",
    }


def _listing_entry(name: str, node: Node) -> dict[str, str]:
    entry = {
        "name": name,
        "contentLength": str(len(node.data)),
        "lastModified": email.utils.format_datetime(node.modified, usegmt=True),
        "etag": node.etag,
    }
    if node.directory:
        entry["isDirectory"] = "true"
    return entry


def _error(error: DfsError) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message}}
    headers = {"x-ms-error-code": error.code}
    return web.json_response(body, status=error.status, headers=headers)


@dataclass(frozen=True, slots=True)
class DfsEndpoint:
    """A running DfsServer and how the SDK reaches it."""

    server: DfsServer
    url: str

    @property
    def account(self) -> str:
        """The account the server serves."""
        return self.server.account

    @property
    def connection_string(self) -> str:
        """A connection string whose DfsEndpoint points at this server."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account};"
            f"AccountKey={KEY};DfsEndpoint={self.url};"
        )


@asynccontextmanager
async def running_dfs_server() -> AsyncIterator[DfsEndpoint]:
    """A fresh dfs server on a free loopback port, stopped on exit."""
    server = DfsServer()
    async with TestServer(server.app, host="127.0.0.1") as test_server:
        yield DfsEndpoint(server, str(test_server.make_url(f"/{server.account}")))


@pytest.fixture
async def dfs_endpoint() -> AsyncIterator[DfsEndpoint]:
    """A fresh dfs server on a free loopback port."""
    async with running_dfs_server() as endpoint:
        yield endpoint
