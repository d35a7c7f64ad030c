"""The one exception tree of centreon-lake.

::

    CentreonLakeError
    ├── ConfigError                     a setting is missing or malformed
    ├── CentreonError                   anything Centreon (or the path to it) did
    │   ├── TransportError *            connection refused or reset, DNS, TLS
    │   ├── RequestTimeoutError *       no answer in time (also a TimeoutError)
    │   ├── CertificateError            the server's TLS certificate did not verify
    │   ├── HTTPStatusError             an unexpected status; `transient` by status
    │   ├── LoginError                  /login refused the credentials
    │   ├── AccessDeniedError           401/403 again right after a fresh login
    │   ├── MalformedResponseError      a success whose body is not what the spec says
    │   └── RetryBudgetExhaustedError   the server is sick: retries exceeded the budget
    └── LakeError                       the lake refused or lost a write
        ├── LakeConflictError           another publisher already moved the run
        └── LakeNotFoundError           an expected path does not exist

``*`` marks classes that are always transient. Callers ask an exception whether
it is worth retrying through its ``transient`` attribute, never by matching
third-party types: aiohttp and Azure SDK errors are translated once, in the
client and lake modules, with ``raise ... from exc``; an aiohttp error that
holds the request's headers (and so the token) is described, never chained.

Messages and attributes never hold a secret: URLs are stored redacted, tokens
and passwords are not stored at all.
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "CentreonError",
    "CentreonLakeError",
    "CertificateError",
    "ConfigError",
    "HTTPStatusError",
    "LakeConflictError",
    "LakeError",
    "LakeNotFoundError",
    "LoginError",
    "MalformedResponseError",
    "RequestTimeoutError",
    "RetryBudgetExhaustedError",
    "TransportError",
]

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class CentreonLakeError(Exception):
    """Root of every error raised on purpose by centreon-lake."""

    transient: bool = False


class ConfigError(CentreonLakeError):
    """A setting is missing or malformed; the message names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class CentreonError(CentreonLakeError):
    """Centreon, or the network on the way to it, did not give what was asked.

    ``url`` is the redacted request URL (no credentials, no query secrets).
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(f"{message} ({url})" if url else message)
        self.url = url


class TransportError(CentreonError):
    """The connection failed: refused, reset, closed early, DNS or TLS."""

    transient = True


class RequestTimeoutError(CentreonError, TimeoutError):
    """No complete answer within the request timeout."""

    transient = True


class CertificateError(CentreonError):
    """The server's TLS certificate did not verify; retrying cannot fix that."""


class HTTPStatusError(CentreonError):
    """Centreon answered with a status the caller cannot use."""

    def __init__(
        self,
        status: int,
        *,
        url: str | None = None,
        detail: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        text = f"HTTP {status}" + (f": {detail}" if detail else "")
        super().__init__(text, url=url)
        self.status = status
        self.detail = detail
        self.retry_after_s = retry_after_s

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.status in TRANSIENT_STATUSES


class LoginError(CentreonError):
    """``POST /login`` refused the credentials; retrying would lock the account."""


class AccessDeniedError(CentreonError):
    """A fresh token was refused too: the account lacks a right or was revoked."""


class MalformedResponseError(CentreonError):
    """A success response whose body is not JSON or not the documented shape."""


class RetryBudgetExhaustedError(CentreonError):
    """Retries passed the run's budget; the server is struggling, so stop."""


class LakeError(CentreonLakeError):
    """The lake refused or lost a write, a move or a delete at ``path``."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(f"{message} ({path})" if path else message)
        self.path = path


class LakeConflictError(LakeError):
    """The destination already exists: another publisher got there first."""


class LakeNotFoundError(LakeError):
    """A path the operation needs does not exist."""
