"""What the Azure backends share: credentials, bounded retries, error translation.

Only this module and the two backends import the Azure SDKs. Errors are
translated here, once, into :class:`~centreon.errors.LakeError` subclasses
whose messages hold the lake path, the HTTP status and the service's error
code, never the SDK's message (which can quote request URLs).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)

from centreon.errors import LakeConflictError, LakeError, LakeNotFoundError
from centreon.lake import StorageCredential

__all__ = [
    "CREDENTIAL_OPTIONS",
    "SDK_OPTIONS",
    "azure_credential",
    "blob_name",
    "lake_errors",
    "quiet_sdk_logging",
]

SDK_OPTIONS: dict[str, Any] = {
    "retry_total": 3,
    "retry_connect": 3,
    "retry_read": 3,
    "retry_status": 3,
    "initial_backoff": 0.5,
    "increment_base": 2,
    "random_jitter_range": 0.5,
    "connection_timeout": 5,
    "read_timeout": 15,
}
"""Storage client options: a call that gets no answer gives up within about 90 s
(four attempts of at most 5 s to connect and 15 s of silence each, plus at most
9 s of backoff), a third of a 270 s run, never the SDK's minutes."""

CREDENTIAL_OPTIONS: dict[str, Any] = {
    "retry_total": 2,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 2,
    "connection_timeout": 3,
    "read_timeout": 5,
    "process_timeout": 5,
}
"""``DefaultAzureCredential`` options: a managed-identity token request gives up
within about 26 s (three attempts of 3 s + 5 s, plus at most 2 s of backoff)
instead of the IMDS default of over a minute; developer tools get 5 s each."""

_NOISY_LOGGERS = (
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
    "azure.storage",
)


def quiet_sdk_logging() -> None:
    """Keep the SDKs' per-request logging at WARNING unless configured otherwise."""
    for name in _NOISY_LOGGERS:
        sdk_logger = logging.getLogger(name)
        if sdk_logger.level == logging.NOTSET:
            sdk_logger.setLevel(logging.WARNING)


@asynccontextmanager
async def azure_credential(
    credential: StorageCredential | None,
) -> AsyncIterator[Any]:
    """The SDK credential: the connection string's key or SAS, else the default chain.

    ``DefaultAzureCredential`` (managed identity in Azure, developer sign-in
    elsewhere), built with :data:`CREDENTIAL_OPTIONS`, is closed on exit.
    """
    if credential is not None:
        if credential.account_key and credential.account_name:
            yield {
                "account_name": credential.account_name,
                "account_key": credential.account_key,
            }
        else:
            yield credential.sas_token
        return
    from azure.identity.aio import DefaultAzureCredential

    async with DefaultAzureCredential(**CREDENTIAL_OPTIONS) as default:
        yield default


def blob_name(prefix: str, path: str) -> str:
    """The service-side name of lake ``path`` under ``prefix`` (empty or ``.../``).

    Raises LakeError for a path that is empty, absolute or climbs with ``..``.
    """
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise LakeError("invalid lake path", path=path)

    return prefix + path


def _code(exc: HttpResponseError) -> str:
    code = getattr(exc, "error_code", None)
    status = exc.status_code
    if status is None:
        return type(exc).__name__

    return f"HTTP {status}" + (f" {code}" if code else "")


@contextmanager
def lake_errors(path: str, action: str) -> Iterator[None]:
    """Translate Azure SDK errors raised while doing ``action`` on ``path``."""
    try:
        yield
    except ResourceNotFoundError as exc:
        raise LakeNotFoundError(
            f"{action}: not found ({_code(exc)})", path=path
        ) from exc
    except (ResourceExistsError, ResourceModifiedError) as exc:
        raise LakeConflictError(
            f"{action}: already exists ({_code(exc)})", path=path
        ) from exc
    except ClientAuthenticationError as exc:
        raise LakeError(f"{action}: not authorized ({_code(exc)})", path=path) from exc
    except HttpResponseError as exc:
        if exc.status_code == 412:
            raise LakeConflictError(
                f"{action}: condition not met ({_code(exc)})", path=path
            ) from exc
        if exc.status_code == 404:
            raise LakeNotFoundError(
                f"{action}: not found ({_code(exc)})", path=path
            ) from exc
        raise LakeError(f"{action}: storage refused ({_code(exc)})", path=path) from exc
    except AzureError as exc:
        raise LakeError(
            f"{action}: storage unreachable ({type(exc).__name__})", path=path
        ) from exc
