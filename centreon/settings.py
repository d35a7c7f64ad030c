"""Settings, read once from the environment at the edge and frozen.

The names are the Function app settings, so the same values drive the
Azure deployment and ``python -m centreon run``. Every problem is reported
as a :class:`~centreon.errors.ConfigError` whose message names the variable
and says what is wrong, in one line. Empty values count as unset, as they do
in the Azure portal.

Secrets (``CENTREON_PASSWORD``, ``CENTREON_API_TOKEN``,
``LAKE_CONNECTION_STRING``) are excluded from ``repr`` and never echoed in an
error message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from centreon.errors import ConfigError
from centreon.schedule import Schedule

__all__ = [
    "DEFAULT_DEADLINE_S",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SCHEDULE",
    "DEFAULT_TIMEOUT_S",
    "CentreonSettings",
    "IngestSettings",
    "LakeSettings",
    "Settings",
]

DEFAULT_MAX_CONCURRENCY = 12
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_PAGE_SIZE = 1000
DEFAULT_SCHEDULE = "0 */5 * * * *"
DEFAULT_DEADLINE_S = 270.0
DEFAULT_MAX_SHARDS = 16
DEFAULT_BATCH_SIZE = 500

IngestMode = Literal["detail", "listing"]

_API_VERSION_SEGMENT = re.compile(r"^(latest|beta|v\d+(\.\d+)?)$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _require(env: Mapping[str, str], name: str, hint: str) -> str:
    value = _get(env, name)
    if value is None:
        raise ConfigError(name, f"is not set; {hint}")

    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")

    return value


def _float(
    env: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {raw!r}") from None
    if not low < value <= high:
        problem = f"must be above {low:g} and at most {high:g}, got {raw}"
        raise ConfigError(name, problem)

    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _get(env, name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False

    raise ConfigError(name, f"must be true or false, got {raw!r}")


def _parse_centreon_url(raw: str) -> str:
    name = "CENTREON_URL"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, "must be an http:// or https:// URL of the API base")
    if parts.username or parts.password:
        raise ConfigError(
            name,
            "must not carry credentials; use CENTREON_USERNAME and "
            "CENTREON_PASSWORD or CENTREON_API_TOKEN",
        )
    if parts.query or parts.fragment:
        raise ConfigError(name, "must not have a query string or fragment")
    path = parts.path.rstrip("/")
    if not _API_VERSION_SEGMENT.match(path.rsplit("/", 1)[-1]):
        raise ConfigError(
            name,
            "must be the API base ending in /api/latest or /api/vNN.NN "
            "(for example https://centreon.example.com/centreon/api/latest)",
        )

    return f"{parts.scheme}://{parts.netloc}{path}"


@dataclass(frozen=True, slots=True)
class CentreonSettings:
    """How to reach one Centreon server, and how hard we may push it."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    api_token: str | None = field(default=None, repr=False)
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    timeout_s: float = DEFAULT_TIMEOUT_S
    verify_tls: bool = True
    ca_bundle: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CentreonSettings:
        """Read ``CENTREON_*``; raise :class:`ConfigError` naming a bad variable."""
        env = os.environ if env is None else env
        url = _parse_centreon_url(
            _require(env, "CENTREON_URL", "set it to the Centreon API base URL")
        )
        username = _get(env, "CENTREON_USERNAME")
        password = _get(env, "CENTREON_PASSWORD")
        token = _get(env, "CENTREON_API_TOKEN")
        if token and (username or password):
            raise ConfigError(
                "CENTREON_API_TOKEN",
                "is set together with CENTREON_USERNAME/CENTREON_PASSWORD; "
                "set one way of signing in, not both",
            )
        if not token:
            if not username:
                raise ConfigError(
                    "CENTREON_USERNAME",
                    "is not set; set it and CENTREON_PASSWORD, "
                    "or set CENTREON_API_TOKEN",
                )
            if not password:
                raise ConfigError(
                    "CENTREON_PASSWORD", "is not set; CENTREON_USERNAME needs it"
                )
        ca_bundle = _get(env, "CENTREON_CA_BUNDLE")
        if ca_bundle and not os.path.isfile(ca_bundle):
            raise ConfigError("CENTREON_CA_BUNDLE", f"no such file: {ca_bundle}")

        return cls(
            url=url,
            username=username,
            password=password,
            api_token=token,
            max_concurrency=_int(
                env, "CENTREON_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1, 512
            ),
            timeout_s=_float(env, "CENTREON_TIMEOUT_S", DEFAULT_TIMEOUT_S, 0, 300),
            verify_tls=_bool(env, "CENTREON_VERIFY_TLS", True),
            ca_bundle=ca_bundle,
            page_size=_int(env, "CENTREON_PAGE_SIZE", DEFAULT_PAGE_SIZE, 1, 10_000),
        )


@dataclass(frozen=True, slots=True)
class LakeSettings:
    """Where runs land. The URL's form picks the backend (see centreon.lake)."""

    url: str
    connection_string: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LakeSettings:
        """Read ``LAKE_URL`` and ``LAKE_CONNECTION_STRING``."""
        env = os.environ if env is None else env

        return cls(
            url=_require(
                env,
                "LAKE_URL",
                "set it to a folder, an abfss:// URL or a blob container URL",
            ),
            connection_string=_get(env, "LAKE_CONNECTION_STRING"),
        )


def _parse_schedule(raw: str) -> str:
    try:
        Schedule.parse(raw)
    except ValueError as exc:
        raise ConfigError(
            "INGEST_SCHEDULE",
            f"{raw!r} is not a six-field NCRONTAB expression: {exc}",
        ) from None

    return raw


@dataclass(frozen=True, slots=True)
class IngestSettings:
    """How a run is shaped: schedule, deadline, mode and fan-out."""

    schedule: str = DEFAULT_SCHEDULE
    deadline_s: float = DEFAULT_DEADLINE_S
    mode: IngestMode = "detail"
    max_shards: int = DEFAULT_MAX_SHARDS
    batch_size: int = DEFAULT_BATCH_SIZE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestSettings:
        """Read ``INGEST_*``; every variable has a default."""
        env = os.environ if env is None else env
        mode = (_get(env, "INGEST_MODE") or "detail").lower()
        if mode not in ("detail", "listing"):
            raise ConfigError("INGEST_MODE", f"must be detail or listing, got {mode!r}")

        return cls(
            schedule=_parse_schedule(_get(env, "INGEST_SCHEDULE") or DEFAULT_SCHEDULE),
            deadline_s=_float(env, "INGEST_DEADLINE_S", DEFAULT_DEADLINE_S, 0, 3600),
            mode="listing" if mode == "listing" else "detail",
            max_shards=_int(env, "INGEST_MAX_SHARDS", DEFAULT_MAX_SHARDS, 1, 64),
            batch_size=_int(env, "INGEST_BATCH_SIZE", DEFAULT_BATCH_SIZE, 1, 100_000),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs, built once at the edge."""

    centreon: CentreonSettings
    lake: LakeSettings
    ingest: IngestSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every section; the first bad variable raises :class:`ConfigError`."""
        env = os.environ if env is None else env

        return cls(
            centreon=CentreonSettings.from_env(env),
            lake=LakeSettings.from_env(env),
            ingest=IngestSettings.from_env(env),
        )
