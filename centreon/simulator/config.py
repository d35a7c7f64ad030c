"""The simulator's knobs: one frozen value for the server, one for its faults.

Rates are probabilities per eligible request (or per resource for
``vanish_rate`` and ``churn_rate``), drawn from generators seeded by
``SimulatorConfig.seed``, so the same configuration and the same request
order give the same faults. Times given in seconds are measured on the
simulator's injected clock from the moment it started.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centreon.errors import ConfigError

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "FaultConfig",
    "SimulatorConfig",
]

DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "centreon"  # noqa: S105 - Centreon's well-known install default
DEFAULT_API_VERSION = "24.10"


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(name, f"must be between 0 and 1, got {value}")


def _check_at_least(name: str, value: float, low: float) -> None:
    if value < low:
        raise ConfigError(name, f"must be at least {low:g}, got {value}")


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """What goes wrong, and how often.

    ``error_rate``: JSON 500 envelope. ``html_502_rate``: the reverse proxy's
    HTML "Bad Gateway" page. ``reset_rate``: the connection is closed with no
    response. ``slow_rate``/``slow_ms``: extra delay on top of the latency.
    ``rate_limit_rate``: 429 with ``Retry-After: retry_after_s`` (a proxy or WAF
    in front of Centreon). ``restart_after_s``: at each of these clock offsets
    Centreon restarts and every login session is dropped. ``churn_rate``:
    fraction of resources whose status changes before each listing page is
    served. ``vanish_rate``/``vanished``: resources that are listed but answer
    404 on their detail URL. ``drift_rate``: bodies that carry unknown extra
    fields. ``false_duration_rate``: listing items and details whose
    ``duration`` is ``false`` instead of a string. ``failing``: resource uuids
    whose detail answers 500 every time. ``on_auth``: whether the per-request
    faults also hit ``/login`` and ``/logout``.
    """

    error_rate: float = 0.0
    html_502_rate: float = 0.0
    reset_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = 5_000.0
    rate_limit_rate: float = 0.0
    retry_after_s: int = 1
    restart_after_s: tuple[float, ...] = ()
    churn_rate: float = 0.0
    vanish_rate: float = 0.0
    vanished: frozenset[str] = frozenset()
    drift_rate: float = 0.0
    false_duration_rate: float = 0.0
    failing: frozenset[str] = frozenset()
    on_auth: bool = False

    def __post_init__(self) -> None:
        for name in (
            "error_rate",
            "html_502_rate",
            "reset_rate",
            "slow_rate",
            "rate_limit_rate",
            "churn_rate",
            "vanish_rate",
            "drift_rate",
            "false_duration_rate",
        ):
            _check_rate(f"faults.{name}", getattr(self, name))
        _check_at_least("faults.slow_ms", self.slow_ms, 0)
        _check_at_least("faults.retry_after_s", self.retry_after_s, 0)
        for offset in self.restart_after_s:
            _check_at_least("faults.restart_after_s", offset, 0)


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How the simulated Centreon looks and how much load it takes.

    Fleet: ``hosts`` hosts with ``services_per_host`` services each, generated
    from ``seed``; timestamps are placed before ``epoch`` (the clock's value at
    start when ``None``). Capacity: ``workers`` requests execute at once,
    ``backlog`` more wait; anything beyond is refused with 503 and
    ``Retry-After: refuse_retry_after_s``. Latency per request is lognormal
    with median ``latency_ms`` and shape ``latency_spread``, plus
    ``page_cost_ms_per_item`` times ``limit`` on listing pages. Sessions: a
    login token idles out after ``session_expire_min`` minutes without use and,
    when ``max_token_age_s`` is set, dies that long after login whatever its
    use. ``api_token`` is a manual API token that is never refreshed and, when
    ``api_token_expires_after_s`` is set, stops working that long after start.
    """

    seed: int = 7
    hosts: int = 200
    services_per_host: int = 9
    workers: int = 30
    backlog: int = 100
    latency_ms: float = 150.0
    latency_spread: float = 0.2
    page_cost_ms_per_item: float = 0.0
    refuse_retry_after_s: int = 1
    username: str = DEFAULT_USERNAME
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    api_token: str | None = field(default=None, repr=False)
    api_token_expires_after_s: float | None = None
    session_expire_min: float = 120.0
    max_token_age_s: float | None = None
    lockout_failures: int = 5
    lockout_s: float = 900.0
    host: str = "127.0.0.1"
    port: int = 0
    api_version: str = DEFAULT_API_VERSION
    epoch: float | None = None
    utc_offset_min: int = 60
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        _check_at_least("hosts", self.hosts, 0)
        _check_at_least("services_per_host", self.services_per_host, 0)
        _check_at_least("workers", self.workers, 1)
        _check_at_least("backlog", self.backlog, 0)
        _check_at_least("latency_ms", self.latency_ms, 0)
        _check_at_least("latency_spread", self.latency_spread, 0)
        _check_at_least("page_cost_ms_per_item", self.page_cost_ms_per_item, 0)
        _check_at_least("refuse_retry_after_s", self.refuse_retry_after_s, 0)
        _check_at_least("session_expire_min", self.session_expire_min, 0)
        _check_at_least("lockout_failures", self.lockout_failures, 1)
        _check_at_least("lockout_s", self.lockout_s, 0)
        if self.max_token_age_s is not None:
            _check_at_least("max_token_age_s", self.max_token_age_s, 0)
        if self.api_token is not None and not self.api_token:
            raise ConfigError("api_token", "must not be empty")
        if not 0 <= self.port <= 65_535:
            raise ConfigError("port", f"must be between 0 and 65535, got {self.port}")
        if abs(self.utc_offset_min) > 14 * 60:
            raise ConfigError("utc_offset_min", "must be within +-14 hours")
