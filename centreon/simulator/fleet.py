"""The simulated estate: hosts and their services, generated from a seed.

The generator aims at what a real Centreon holds: sparse, non-contiguous ids
(a host id and a service id can be equal, and a service attached through a
host group keeps one service id on several hosts), names and plugin outputs
with accents, CJK and emoji, pending resources with no check yet, problems
that are acknowledged or in downtime, severities, groups, categories, icons,
notes and action URLs. Every timestamp is an offset before the fleet's epoch,
so a run is reproducible from ``(seed, hosts, services_per_host, epoch)``.

Resources are mutable only through :meth:`Fleet.change_status` (the churn
fault); each change bumps :attr:`Fleet.version` so cached orderings and
rendered bodies know they are stale.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "HOST_STATUSES",
    "SERVICE_STATUSES",
    "Acknowledgement",
    "Downtime",
    "Fleet",
    "Group",
    "Host",
    "Icon",
    "Resource",
    "Service",
    "Severity",
    "Status",
]


@dataclass(frozen=True, slots=True)
class Status:
    """A monitoring status: engine code, name and Centreon's severity rank."""

    code: int
    name: str
    severity_code: int

    @property
    def ordered(self) -> int:
        """Centreon's ``status_ordered``: larger is worse."""
        return 5 - self.severity_code

    @property
    def is_ok(self) -> bool:
        """UP and OK are the statuses that are not problems."""
        return self.severity_code == 5

    @property
    def is_problem(self) -> bool:
        """DOWN, UNREACHABLE, WARNING, CRITICAL and UNKNOWN (not PENDING)."""
        return self.severity_code in (1, 2, 3)


HOST_STATUSES = {
    s.code: s
    for s in (
        Status(0, "UP", 5),
        Status(1, "DOWN", 1),
        Status(2, "UNREACHABLE", 3),
        Status(4, "PENDING", 4),
    )
}
SERVICE_STATUSES = {
    s.code: s
    for s in (
        Status(0, "OK", 5),
        Status(1, "WARNING", 2),
        Status(2, "CRITICAL", 1),
        Status(3, "UNKNOWN", 3),
        Status(4, "PENDING", 4),
    )
}


@dataclass(frozen=True, slots=True)
class Icon:
    """A media image."""

    id: int
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class Severity:
    """A host or service severity with its icon."""

    id: int
    name: str
    level: int
    icon: Icon


@dataclass(frozen=True, slots=True)
class Group:
    """A host group, host category, service group or service category."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The acknowledgement of a problem."""

    id: int
    author_id: int
    author_name: str
    comment: str
    entry_time: float
    is_notify_contacts: bool
    is_persistent_comment: bool
    is_sticky: bool
    state: int
    with_services: bool


@dataclass(frozen=True, slots=True)
class Downtime:
    """A scheduled downtime that is currently running."""

    id: int
    internal_id: int
    author_id: int
    author_name: str
    comment: str
    entry_time: float
    start_time: float
    end_time: float
    actual_start_time: float
    is_fixed: bool

    @property
    def duration(self) -> int:
        """Scheduled length in seconds."""
        return int(self.end_time - self.start_time)


@dataclass(frozen=True, slots=True)
class Poller:
    """A monitoring server."""

    id: int
    name: str


@dataclass(slots=True, eq=False)
class Resource:
    """What hosts and services share: state, check data and decorations."""

    id: int
    name: str
    poller: Poller
    status: Status
    state_type: int
    attempt: int
    max_attempts: int
    output: str
    perfdata: str | None
    command_line: str | None
    last_check: float | None
    next_check: float | None
    last_status_change: float | None
    last_hard_state_change: float | None
    last_time_ok: float | None
    last_notification: float | None
    notification_number: int
    latency: float | None
    execution_time: float | None
    percent_state_change: float | None
    flapping: bool
    active_checks: bool
    passive_checks: bool
    icon: Icon | None
    severity: Severity | None
    groups: tuple[Group, ...]
    categories: tuple[Group, ...]
    acknowledgement: Acknowledgement | None
    downtimes: tuple[Downtime, ...]
    action_url: str | None
    notes_label: str | None
    notes_url: str | None
    row: int = 0

    @property
    def acknowledged(self) -> bool:
        """Whether a user acknowledged the current problem."""
        return self.acknowledgement is not None

    @property
    def in_downtime(self) -> bool:
        """Whether a downtime is running."""
        return bool(self.downtimes)


@dataclass(slots=True, eq=False)
class Host(Resource):
    """A monitored host."""

    alias: str = ""
    address: str = ""
    timezone: str | None = None
    services: list[Service] = field(default_factory=list)

    kind: Literal["host"] = "host"

    @property
    def uuid(self) -> str:
        """Centreon's resource key, ``h<host_id>``."""
        return f"h{self.id}"

    @property
    def host(self) -> Host:
        """The host behind the resource: itself."""
        return self

    @property
    def detail_path(self) -> str:
        """The detail URL, relative to the API base."""
        return f"/monitoring/resources/hosts/{self.id}"


@dataclass(slots=True, eq=False)
class Service(Resource):
    """A service attached to one host (the same service id may sit on several)."""

    parent: Host | None = None

    kind: Literal["service"] = "service"

    @property
    def host(self) -> Host:
        """The host the service belongs to."""
        if self.parent is None:
            raise LookupError(f"service {self.id} has no host")
        return self.parent

    @property
    def description(self) -> str:
        """The service description (Centreon's service name)."""
        return self.name

    @property
    def uuid(self) -> str:
        """Centreon's resource key, ``h<host_id>-s<service_id>``."""
        return f"h{self.host.id}-s{self.id}"

    @property
    def detail_path(self) -> str:
        """The detail URL, relative to the API base."""
        return f"/monitoring/resources/hosts/{self.host.id}/services/{self.id}"


_POLLERS = (
    Poller(1, "Central"),
    Poller(2, "Poller-Paris"),
    Poller(3, "Poller-Lyon"),
    Poller(4, "Poller-東京"),
)
_HOST_STEMS = (
    "srv-paris",
    "srv-lyon",
    "db-müller",
    "web-zürich",
    "app-são-paulo",
    "edge-東京",
    "mail-köln",
    "fw-montréal",
    "proxy-δέλτα",
    "backup-🚀",
    "k8s-node",
    "esx-host",
)
_SERVICE_NAMES = (
    "Ping",
    "Cpu",
    "Load",
    "Memory",
    "Swap",
    "Disk-/",
    "Disk-/var",
    "Traffic-eth0",
    "NTP",
    "Uptime",
    "HTTP-Réponse",
    "Mémoire-JVM",
    "Überwachung-Dienst",
    "ディスク使用率",
    "Queue 📬",
    "Process-nginx",
    "TLS-Certificate",
    "DNS-Resolve",
    "Inodes-/home",
    "Température-°C",
)
_HOST_GROUPS = tuple(
    Group(i, n)
    for i, n in (
        (3, "Linux-Servers"),
        (5, "Windows-Servers"),
        (8, "Réseau-Cœur"),
        (13, "Datacenter-東京"),
        (21, "Firewalls"),
        (28, "ESX-Paris"),
    )
)
_HOST_CATEGORIES = tuple(
    Group(i, n) for i, n in ((2, "Linux"), (4, "Windows"), (9, "Physique"), (17, "VM"))
)
_SERVICE_GROUPS = tuple(
    Group(i, n)
    for i, n in (
        (6, "Ping-Services"),
        (7, "Memory-Services"),
        (12, "Disk-Services"),
        (19, "Web-Services"),
        (33, "Überwachung"),
    )
)
_SERVICE_CATEGORIES = tuple(
    Group(i, n)
    for i, n in ((1, "Ping"), (10, "CPUs"), (11, "Memory"), (14, "Disk"), (25, "Web"))
)
_SEVERITY_ICONS = (
    Icon(10, "dog.png", "ppm/dog.png"),
    Icon(11, "fire.png", "ppm/fire.png"),
    Icon(3, "applications-monitoring-centreon-central-centreon-128-2.png", "ppm/c.png"),
)
_HOST_SEVERITIES = (
    Severity(28, "High", 50, _SEVERITY_ICONS[0]),
    Severity(29, "Critique", 90, _SEVERITY_ICONS[1]),
)
_SERVICE_SEVERITIES = (
    Severity(1, "Priority 1", 1, _SEVERITY_ICONS[2]),
    Severity(2, "Priorité 2", 20, _SEVERITY_ICONS[1]),
    Severity(4, "Low", 70, _SEVERITY_ICONS[0]),
)
_ICONS = (
    Icon(12, "memory", "ppm/memory.png"),
    Icon(14, "linux", "ppm/operatingsystems-linux-snmp-linux-128.png"),
    Icon(15, "réseau", "ppm/network.png"),
)
_TIMEZONES = ("Europe/Paris", "Europe/Berlin", "Asia/Tokyo", "America/Sao_Paulo", None)
_AUTHORS = ((1, "admin"), (3, "opérateur"), (7, "佐藤"))

_HOST_OUTPUTS = {
    0: "OK - {addr} rta 0.{n}ms lost 0%",
    1: "CRITICAL - {addr}: Host unreachable @ 10.0.0.1. rta nan, lost 100%",
    2: "UNREACHABLE - parent <fw-core> & route down for {addr}",
    4: "",
}
_SERVICE_OUTPUTS = {
    0: (
        "OK - {name}: {n}% used <limit 80%> & stable",
        "OK - Réponse en {n} ms, état nominal",
        "OK - 正常です ({n} ms)",
        "OK: all 'checks' passed ✅\nline two of the long output",
    ),
    1: (
        "WARNING - {name} at {n}% (threshold 80%)",
        "AVERTISSEMENT - mémoire à {n} %",
    ),
    2: (
        "CRITICAL - {name}: {n}% used > 95% & rising",
        'KRITISCH - Festplatte "/data" voll',
    ),
    3: ("UNKNOWN - timeout after 10s", "不明 - タイムアウト"),
    4: ("",),
}
_SERVICE_LEVELS = {0: (1, 79), 1: (81, 95), 2: (96, 99)}
"""The range of the number in each state's outputs, so that a CRITICAL output
reads above its 95 % threshold and an OK one below its 80 % limit."""

_DAY = 86_400.0


def _weighted(rng: random.Random, choices: tuple[tuple[int, float], ...]) -> int:
    point = rng.random()
    total = 0.0
    for value, weight in choices:
        total += weight
        if point < total:
            return value
    return choices[-1][0]


class _Counter:
    """Sparse id sequence: every next id skips a few numbers."""

    def __init__(self, rng: random.Random, start: int, max_gap: int) -> None:
        self._rng = rng
        self._next = start
        self._max_gap = max_gap

    def take(self) -> int:
        value = self._next
        self._next += self._rng.randint(1, self._max_gap)
        return value


class Fleet:
    """Every host and service of the simulated Centreon, with lookups.

    ``resources`` is in storage order (hosts, each followed by its services),
    which is also the tie-break of every sort.
    """

    def __init__(
        self, *, seed: int, hosts: int, services_per_host: int, epoch: float
    ) -> None:
        self.seed = seed
        self.epoch = epoch
        self.version = 0
        self.hosts: list[Host] = []
        self.services: list[Service] = []
        self.resources: list[Host | Service] = []
        self._hosts_by_id: dict[int, Host] = {}
        self._services_by_key: dict[tuple[int, int], Service] = {}
        self._by_uuid: dict[str, Host | Service] = {}
        rng = random.Random(seed)  # noqa: S311 - simulated data, not security
        self._generate(rng, hosts, services_per_host)

    def host(self, host_id: int) -> Host | None:
        """The host with this id, if any."""
        return self._hosts_by_id.get(host_id)

    def service(self, host_id: int, service_id: int) -> Service | None:
        """The service with this id on this host, if any."""
        return self._services_by_key.get((host_id, service_id))

    def by_uuid(self, uuid: str) -> Host | Service | None:
        """The resource with this uuid (``h14``, ``h14-s26``), if any."""
        return self._by_uuid.get(uuid)

    @property
    def detail_paths(self) -> list[str]:
        """Every detail URL relative to the API base, hosts then services."""
        return [r.detail_path for r in self.resources]

    def change_status(self, resource: Host | Service, code: int, at: float) -> None:
        """Move a resource to another status (hard), as a check result would."""
        statuses = HOST_STATUSES if resource.kind == "host" else SERVICE_STATUSES
        status = statuses[code]
        resource.status = status
        resource.state_type = 1
        resource.attempt = resource.max_attempts if not status.is_ok else 1
        resource.last_status_change = at
        resource.last_hard_state_change = at
        resource.last_check = at
        if status.is_ok:
            resource.last_time_ok = at
            resource.acknowledgement = None
        self.version += 1

    def _generate(self, rng: random.Random, hosts: int, per_host: int) -> None:
        host_ids = _Counter(rng, 14, 7)
        service_ids = _Counter(rng, 19, 4)
        shared_ids: dict[str, int] = {}
        ids = _Counter(rng, 30, 9)
        for index in range(hosts):
            host = self._make_host(rng, host_ids.take(), index, ids)
            names = self._service_names(rng, per_host)
            for name in names:
                if name in shared_ids and rng.random() < 0.3:
                    service_id = shared_ids[name]
                else:
                    service_id = service_ids.take()
                    shared_ids.setdefault(name, service_id)
                service = self._make_service(rng, service_id, name, host, ids)
                host.services.append(service)
            self._add(host)

    def _add(self, host: Host) -> None:
        self.hosts.append(host)
        self._hosts_by_id[host.id] = host
        members: list[Host | Service] = [host, *host.services]
        for resource in members:
            resource.row = len(self.resources)
            self.resources.append(resource)
            self._by_uuid[resource.uuid] = resource
        for service in host.services:
            self.services.append(service)
            self._services_by_key[(host.id, service.id)] = service

    @staticmethod
    def _service_names(rng: random.Random, count: int) -> list[str]:
        pool = list(_SERVICE_NAMES)
        rng.shuffle(pool)
        names = pool[:count]
        names.extend(f"Disk-/data{n}" for n in range(count - len(names)))
        return names

    def _make_host(
        self, rng: random.Random, host_id: int, index: int, ids: _Counter
    ) -> Host:
        code = _weighted(rng, ((0, 0.88), (1, 0.06), (2, 0.03), (4, 0.03)))
        stem = _HOST_STEMS[index % len(_HOST_STEMS)]
        name = f"{stem}-{index:03d}"
        address = f"10.{(host_id >> 16) & 255}.{(host_id >> 8) & 255}.{host_id & 255}"
        output = _HOST_OUTPUTS[code].format(addr=address, n=rng.randint(10, 999))
        timezone = rng.choice(_TIMEZONES)
        host = Host(
            alias=f"{name.upper()} ({address})",
            address=address,
            timezone=timezone,
            **self._common(rng, host_id, name, HOST_STATUSES[code], output, ids),
        )
        host.command_line = (
            None
            if code == 4
            else f"/usr/lib64/nagios/plugins/check_icmp -H {address} -n 5 -w 200,20%"
        )
        host.perfdata = (
            None
            if code == 4
            else f"rta={rng.randint(1, 900) / 1000}ms;200;400;0; pl=0%"
        )
        host.severity = rng.choice(_HOST_SEVERITIES) if rng.random() < 0.3 else None
        host.groups = tuple(rng.sample(_HOST_GROUPS, rng.randint(0, 3)))
        host.categories = tuple(rng.sample(_HOST_CATEGORIES, rng.randint(0, 2)))
        return host

    def _make_service(
        self, rng: random.Random, service_id: int, name: str, host: Host, ids: _Counter
    ) -> Service:
        code = _weighted(rng, ((0, 0.8), (1, 0.08), (2, 0.06), (3, 0.03), (4, 0.03)))
        template = rng.choice(_SERVICE_OUTPUTS[code])
        output = template.format(
            name=name, n=rng.randint(*_SERVICE_LEVELS.get(code, (1, 99)))
        )
        service = Service(
            parent=host,
            **self._common(rng, service_id, name, SERVICE_STATUSES[code], output, ids),
        )
        service.poller = host.poller
        if code == 4:
            service.perfdata = None
            service.command_line = None
        else:
            used = rng.randint(1, 99)
            service.perfdata = f"'used'={used}%;80;95;0;100 'free'={100 - used}%"
            service.command_line = (
                f"/usr/lib/centreon/plugins/centreon_linux_snmp.pl --plugin=os::linux "
                f"--hostname={host.address} --snmp-community='*****' --mode={name}"
            )
        service.severity = (
            rng.choice(_SERVICE_SEVERITIES) if rng.random() < 0.25 else None
        )
        service.groups = tuple(rng.sample(_SERVICE_GROUPS, rng.randint(0, 2)))
        service.categories = tuple(rng.sample(_SERVICE_CATEGORIES, rng.randint(0, 2)))
        return service

    def _common(
        self,
        rng: random.Random,
        resource_id: int,
        name: str,
        status: Status,
        output: str,
        ids: _Counter,
    ) -> dict[str, Any]:
        epoch = self.epoch
        pending = status.code == 4
        changed = None if pending else epoch - rng.uniform(60, 90 * _DAY)
        last_check = None if pending else epoch - rng.uniform(5, 300)
        hard = pending or rng.random() < 0.85
        max_attempts = rng.choice((3, 3, 5))
        attempt = 1 if status.is_ok or pending else (max_attempts if hard else 2)
        ack = None
        if status.is_problem and rng.random() < 0.35 and changed is not None:
            author_id, author = rng.choice(_AUTHORS)
            ack = Acknowledgement(
                id=ids.take(),
                author_id=author_id,
                author_name=author,
                comment=rng.choice(
                    ("Acknowledged by admin", "Pris en compte — ticket #42")
                ),
                entry_time=changed + rng.uniform(1, 3_600),
                is_notify_contacts=rng.random() < 0.5,
                is_persistent_comment=True,
                is_sticky=rng.random() < 0.7,
                state=status.code,
                with_services=False,
            )
        downtimes: tuple[Downtime, ...] = ()
        if rng.random() < 0.04:
            author_id, author = rng.choice(_AUTHORS)
            start = epoch - rng.uniform(60, 7_200)
            downtimes = (
                Downtime(
                    id=ids.take(),
                    internal_id=ids.take(),
                    author_id=author_id,
                    author_name=author,
                    comment="Maintenance planifiée / patch",
                    entry_time=start - 600,
                    start_time=start,
                    end_time=start + 7_200,
                    actual_start_time=start + 2,
                    is_fixed=rng.random() < 0.8,
                ),
            )
        has_notes = rng.random() < 0.2
        return {
            "id": resource_id,
            "name": name,
            "poller": rng.choice(_POLLERS),
            "status": status,
            "state_type": 1 if hard else 0,
            "attempt": attempt,
            "max_attempts": max_attempts,
            "output": output,
            "perfdata": None,
            "command_line": None,
            "last_check": last_check,
            "next_check": None if last_check is None else last_check + 300,
            "last_status_change": changed,
            "last_hard_state_change": changed,
            "last_time_ok": None if pending else epoch - rng.uniform(5, 2 * _DAY),
            "last_notification": (
                None if status.is_ok or changed is None else changed + 60
            ),
            "notification_number": 0 if status.is_ok else rng.randint(0, 5),
            "latency": None if pending else round(rng.uniform(0, 0.5), 3),
            "execution_time": None if pending else round(rng.uniform(0.01, 4), 6),
            "percent_state_change": None if pending else round(rng.uniform(0, 30), 2),
            "flapping": rng.random() < 0.02,
            "active_checks": rng.random() < 0.95,
            "passive_checks": rng.random() < 0.2,
            "icon": rng.choice(_ICONS) if rng.random() < 0.2 else None,
            "severity": None,
            "groups": (),
            "categories": (),
            "acknowledgement": ack,
            "downtimes": downtimes,
            "action_url": (
                f"https://wiki.example.com/index.php?page={resource_id}&view=full"
                if rng.random() < 0.15
                else None
            ),
            "notes_label": "Procédure d'exploitation" if has_notes else None,
            "notes_url": (
                f"https://docs.example.com/runbooks/{resource_id}"
                if has_notes
                else None
            ),
        }
