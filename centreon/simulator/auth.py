"""Sessions as Centreon's local provider and token authenticator keep them.

A login token is the first 64 characters of base64(64 random bytes). It
lives ``session_expire_min`` minutes after its last use (sliding), and at
most ``max_token_age_s`` after login when that is set. A configured manual
API token is never refreshed and may expire at a fixed time. Five failed
logins block the account for 900 s, during which even the right password
fails with the same answer. Everything time-related reads the injected clock.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from centreon.simulator.config import SimulatorConfig

__all__ = ["Clock", "Sessions", "new_token"]

Clock = Callable[[], float]


def new_token() -> str:
    """A token as ``Security\\Encryption::generateRandomString`` makes it."""
    return base64.b64encode(secrets.token_bytes(64)).decode("ascii")[:64]


@dataclass(slots=True)
class _Session:
    created: float
    last_used: float


@dataclass(slots=True)
class _Failures:
    count: int = 0
    blocked_until: float = 0.0


class Sessions:
    """Login tokens, the manual API token and the lockout of the account."""

    def __init__(self, config: SimulatorConfig, clock: Clock, started: float) -> None:
        self._config = config
        self._clock = clock
        self._idle_s = config.session_expire_min * 60.0
        self._tokens: dict[str, _Session] = {}
        self._failures: dict[str, _Failures] = {}
        self._api_token_expires = (
            None
            if config.api_token_expires_after_s is None
            else started + config.api_token_expires_after_s
        )

    @property
    def active(self) -> int:
        """Login tokens currently stored (expired ones included until purged)."""
        return len(self._tokens)

    @property
    def tokens(self) -> frozenset[str]:
        """The login tokens currently stored, for tests that look for leaks."""
        return frozenset(self._tokens)

    def login(self, login: str, password: str) -> str | None:
        """A new token, or ``None`` when Centreon answers "Authentication failed"."""
        now = self._clock()
        if login != self._config.username:
            return None
        failures = self._failures.setdefault(login, _Failures())
        if failures.blocked_until > now:
            return None
        if failures.blocked_until:
            failures.count = 0
            failures.blocked_until = 0.0
        if not hmac.compare_digest(password.encode(), self._config.password.encode()):
            failures.count += 1
            if failures.count >= self._config.lockout_failures:
                failures.blocked_until = now + self._config.lockout_s
            return None
        failures.count = 0
        token = new_token()
        self._tokens[token] = _Session(created=now, last_used=now)
        return token

    def authenticate(self, token: str) -> bool:
        """Whether the token is valid now; a valid login token is refreshed."""
        now = self._clock()
        api_token = self._config.api_token
        # Header values arrive decoded with surrogateescape; bytes compare any.
        presented = token.encode("utf-8", "surrogateescape")
        if api_token is not None and hmac.compare_digest(presented, api_token.encode()):
            expires = self._api_token_expires
            return expires is None or now < expires
        session = self._tokens.get(token)
        if session is None:
            return False
        max_age = self._config.max_token_age_s
        idle = now - session.last_used >= self._idle_s
        if idle or (max_age is not None and now - session.created >= max_age):
            del self._tokens[token]
            return False
        session.last_used = now
        return True

    def logout(self, token: str) -> bool:
        """Delete a login token; ``False`` when it is unknown or expired."""
        if not self.authenticate(token):
            return False
        self._tokens.pop(token, None)
        return True

    def drop_all(self) -> int:
        """Forget every login token (a restart); returns how many were dropped."""
        dropped = len(self._tokens)
        self._tokens.clear()
        return dropped
