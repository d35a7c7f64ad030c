"""Lake backends, chosen from ``LAKE_URL``.

``LAKE_URL`` forms:

- a folder: ``./lake``, ``/data/lake`` or ``file:///data/lake`` (local backend);
- ADLS Gen2 with a hierarchical namespace:
  ``abfss://<filesystem>@<account>.dfs.core.windows.net/<prefix>`` or
  ``https://<account>.dfs.core.windows.net/<filesystem>/<prefix>``;
- Azure Blob Storage (flat namespace):
  ``https://<account>.blob.core.windows.net/<container>/<prefix>``, or a
  path-style emulator URL such as Azurite's
  ``http://127.0.0.1:10000/devstoreaccount1/<container>/<prefix>``.

Credentials: ``LAKE_CONNECTION_STRING`` when set (its ``AccountName`` with
``AccountKey`` or ``SharedAccessSignature``; a ``BlobEndpoint`` or
``DfsEndpoint`` in it replaces the service URL derived from ``LAKE_URL``, as
for Azurite), else azure-identity's ``DefaultAzureCredential`` (managed
identity in Azure), opened and closed with the lake.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from centreon.errors import ConfigError
from centreon.lake.store import LakeFile, LakeStore
from centreon.settings import LakeSettings

__all__ = [
    "LakeFile",
    "LakeLocation",
    "LakeStore",
    "StorageCredential",
    "open_lake",
    "parse_connection_string",
    "parse_lake_url",
]

Kind = Literal["local", "adls", "blob"]

_SETTING = "LAKE_URL"
_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")


@dataclass(frozen=True, slots=True)
class LakeLocation:
    """A parsed ``LAKE_URL``: which backend, and where its root is."""

    kind: Kind
    path: str = ""
    account_url: str = ""
    account: str = ""
    container: str = ""
    prefix: str = ""

    @property
    def display(self) -> str:
        """The root as a URL without credentials (safe to log)."""
        if self.kind == "local":
            return self.path
        tail = f"/{self.prefix}" if self.prefix else ""

        return f"{self.account_url}/{self.container}{tail}"


@dataclass(frozen=True, slots=True)
class StorageCredential:
    """What a connection string holds; secrets excluded from ``repr``."""

    account_name: str | None = None
    account_key: str | None = field(default=None, repr=False)
    sas_token: str | None = field(default=None, repr=False)
    blob_endpoint: str | None = None
    dfs_endpoint: str | None = None


def _clean_prefix(raw: str) -> str:
    parts = [p for p in unquote(raw).split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise ConfigError(_SETTING, "the path must not contain '.' or '..' segments")

    return "/".join(parts)


def _split_container(path: str, what: str) -> tuple[str, str]:
    container, _, rest = path.strip("/").partition("/")
    if not _CONTAINER.match(container):
        raise ConfigError(
            _SETTING,
            f"the {what} name must be 3-63 lowercase letters, digits or single "
            f"hyphens, got {container!r}",
        )

    return container, _clean_prefix(rest)


def parse_lake_url(url: str) -> LakeLocation:
    """Parse ``LAKE_URL``; raise :class:`ConfigError` naming it when malformed."""
    raw = url.strip()
    if not raw:
        raise ConfigError(_SETTING, "is empty")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme in ("", "file"):
        if scheme == "file" and parts.netloc not in ("", "localhost"):
            raise ConfigError(_SETTING, "file:// URLs must name a local path")
        return LakeLocation(kind="local", path=unquote(parts.path) if scheme else raw)
    if parts.query or parts.fragment or parts.password:
        raise ConfigError(
            _SETTING,
            "must not carry a query string, fragment or password; "
            "put secrets in LAKE_CONNECTION_STRING",
        )
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if scheme == "abfss":
        if not parts.username or len(labels) < 3 or labels[1] != "dfs":
            raise ConfigError(
                _SETTING,
                "an abfss URL must look like "
                "abfss://<filesystem>@<account>.dfs.core.windows.net/<prefix>",
            )
        container, prefix = _split_container(
            f"{unquote(parts.username)}/{parts.path}", "filesystem"
        )
        return LakeLocation(
            kind="adls",
            account_url=f"https://{host}" + (f":{parts.port}" if parts.port else ""),
            account=labels[0],
            container=container,
            prefix=prefix,
        )
    if scheme not in ("http", "https") or parts.username:
        raise ConfigError(
            _SETTING,
            "must be a folder, or a file://, abfss://, https:// or http:// URL",
        )
    if len(labels) > 2 and labels[1] in ("dfs", "blob"):
        container, prefix = _split_container(parts.path, "filesystem or container")
        return LakeLocation(
            kind="adls" if labels[1] == "dfs" else "blob",
            account_url=f"{scheme}://{parts.netloc}",
            account=labels[0],
            container=container,
            prefix=prefix,
        )
    account, _, rest = parts.path.strip("/").partition("/")
    if not account or not host:
        raise ConfigError(
            _SETTING,
            "an emulator URL must look like "
            "http://127.0.0.1:10000/<account>/<container>/<prefix>",
        )
    container, prefix = _split_container(rest, "container")

    return LakeLocation(
        kind="blob",
        account_url=f"{scheme}://{parts.netloc}/{account}",
        account=account,
        container=container,
        prefix=prefix,
    )


def parse_connection_string(raw: str) -> StorageCredential:
    """Read a storage connection string; the message never echoes it."""
    setting = "LAKE_CONNECTION_STRING"
    values: dict[str, str] = {}
    for item in raw.strip().strip(";").split(";"):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                setting, "is not a storage connection string (key=value;...)"
            )
        values[key.strip().lower()] = value.strip()
    if values.get("usedevelopmentstorage", "").lower() == "true":
        raise ConfigError(
            setting,
            "UseDevelopmentStorage=true is not supported; give AccountName, "
            "AccountKey and BlobEndpoint",
        )
    credential = StorageCredential(
        account_name=values.get("accountname"),
        account_key=values.get("accountkey"),
        sas_token=values.get("sharedaccesssignature"),
        blob_endpoint=values.get("blobendpoint", "").rstrip("/") or None,
        dfs_endpoint=values.get("dfsendpoint", "").rstrip("/") or None,
    )
    if (
        not (credential.account_key and credential.account_name)
        and not credential.sas_token
    ):
        raise ConfigError(
            setting, "needs AccountName and AccountKey, or SharedAccessSignature"
        )

    return credential


@asynccontextmanager
async def open_lake(settings: LakeSettings) -> AsyncIterator[LakeStore]:
    """Open the lake named by ``settings.url``; close every client on exit.

    Raises :class:`ConfigError` naming ``LAKE_URL`` or ``LAKE_CONNECTION_STRING``
    when one is malformed.
    """
    location = parse_lake_url(settings.url)
    credential = (
        parse_connection_string(settings.connection_string)
        if settings.connection_string
        else None
    )
    if location.kind == "local":
        from centreon.lake.local import LocalStore

        async with LocalStore(location.path) as local:
            yield local
    elif location.kind == "blob":
        from centreon.lake.blob import open_blob_store

        async with open_blob_store(location, credential) as blob:
            yield blob
    else:
        from centreon.lake.adls import open_adls_store

        async with open_adls_store(location, credential) as adls:
            yield adls
