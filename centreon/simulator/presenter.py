"""Resources shaped exactly as Centreon 24.10's presenters emit them.

Key sets and key orders follow API-NOTES sections 4.1-4.5. Values that depend
on the time of the request are left as :func:`~centreon.simulator.encoding.marker`
holes: ``duration`` and ``last_check`` ages in the listing (``duration`` in the
details) and the request time that Centreon embeds in the listing's downtime
link. :func:`humanize` fills them the way ``CentreonDuration`` does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from centreon.simulator.encoding import marker
from centreon.simulator.fleet import Group, Host, Icon, Service, Severity, Status

__all__ = [
    "API_BASE",
    "DURATION",
    "LAST_CHECK",
    "NOW",
    "DateFormatter",
    "host_detail",
    "humanize",
    "legacy_host",
    "legacy_service",
    "listing_item",
    "service_detail",
]

BASE_URI = "/centreon"
API_BASE = f"{BASE_URI}/api/latest"
DURATION = "duration"
LAST_CHECK = "last_check"
NOW = "now"

_UNITS = (
    ("y", 31_556_926),
    ("M", 2_629_743),
    ("w", 604_800),
    ("d", 86_400),
    ("h", 3_600),
    ("m", 60),
    ("s", 1),
)


def humanize(seconds: float) -> str | bool:
    """Centreon's duration text: the two largest non-zero units ("5d 2h").

    An age of zero (or a date in the future) is ``False``, as PHP returns it.
    """
    remaining = int(seconds)
    if remaining <= 0:
        return False
    parts: list[str] = []
    for unit, size in _UNITS:
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
            if len(parts) == 2:
                break

    return " ".join(parts)


class DateFormatter:
    """ISO 8601 with the server's UTC offset, as PHP's ``DATE_ATOM``."""

    def __init__(self, utc_offset_min: int) -> None:
        self._zone = timezone(timedelta(minutes=utc_offset_min))

    def __call__(self, when: float | None) -> str | None:
        if when is None:
            return None
        return datetime.fromtimestamp(int(when), self._zone).isoformat()


def _status(status: Status) -> dict[str, Any]:
    return {
        "code": status.code,
        "name": status.name,
        "severity_code": status.severity_code,
    }


def _detail_status(status: Status, state_type: int) -> dict[str, Any]:
    return {
        "name": status.name,
        "code": status.code,
        "severity_code": status.severity_code,
        "type": state_type,
    }


def _icon(icon: Icon | None) -> dict[str, Any] | None:
    if icon is None:
        return None
    return {
        "id": icon.id,
        "name": icon.name,
        "url": f"{BASE_URI}/img/media/{icon.path}",
    }


def _severity(severity: Severity | None, kind: int | str) -> dict[str, Any] | None:
    if severity is None:
        return None
    return {
        "id": severity.id,
        "name": severity.name,
        "level": severity.level,
        "type": kind,
        "icon": _icon(severity.icon),
    }


def _tries(resource: Host | Service, separator: str) -> str:
    kind = "H" if resource.state_type == 1 else "S"
    return f"{resource.attempt}/{resource.max_attempts}{separator}({kind})"


def _downtime_link(prefix: str) -> str:
    now = marker(NOW)
    search = (
        '{"$and":[{"start_time":{"$lt":NOW},"end_time":{"$gt":NOW},'
        '"0":{"$or":{"is_cancelled":{"$neq":1},"deletion_time":{"$gt":NOW}}}}]}'
    )
    encoded = quote(search, safe=":,").replace("NOW", now)
    return f"{prefix}/downtimes?search={encoded}"


def listing_item(resource: Host | Service, date: DateFormatter) -> dict[str, Any]:
    """One ``/monitoring/resources`` item (27 keys), with age and time holes."""
    host = resource.host
    is_service = isinstance(resource, Service)
    if is_service:
        prefix = f"{API_BASE}/monitoring/hosts/{host.id}/services/{resource.id}"
        configuration = f"{BASE_URI}/main.php?p=60201&o=c&service_id={resource.id}"
        uris = {
            "configuration": configuration,
            "logs": f"{BASE_URI}/main.php?p=20301&svc={host.id}_{resource.id}",
            "reporting": (
                f"{BASE_URI}/main.php?p=30702&period=yesterday&start=&end="
                f"&host_id={host.id}&item={resource.id}"
            ),
        }
        details = (
            f"{API_BASE}/monitoring/resources/hosts/{host.id}/services/{resource.id}"
        )
        graphs = resource.perfdata is not None
        parent: dict[str, Any] | None = {
            "uuid": host.uuid,
            "id": host.id,
            "name": host.name,
            "type": "host",
            "short_type": "h",
            "status": _status(host.status),
            "alias": host.alias,
            "fqdn": host.address,
            "monitoring_server_name": None,
            "extra": [],
        }
    else:
        prefix = f"{API_BASE}/monitoring/hosts/{host.id}"
        uris = {
            "configuration": f"{BASE_URI}/main.php?p=60101&o=c&host_id={host.id}",
            "logs": f"{BASE_URI}/main.php?p=20301&h={host.id}",
            "reporting": f"{BASE_URI}/main.php?p=307&host={host.id}",
        }
        details = f"{API_BASE}/monitoring/resources/hosts/{host.id}"
        graphs = False
        parent = None

    return {
        "uuid": resource.uuid,
        "duration": None if resource.last_status_change is None else marker(DURATION),
        "last_check": None if resource.last_check is None else marker(LAST_CHECK),
        "short_type": "s" if is_service else "h",
        "id": resource.id,
        "type": resource.kind,
        "name": resource.name,
        "alias": None if is_service else host.alias,
        "fqdn": None if is_service else host.address,
        "host_id": host.id,
        "service_id": resource.id if is_service else None,
        "icon": _icon(resource.icon),
        "monitoring_server_name": resource.poller.name,
        "parent": parent,
        "status": _status(resource.status),
        "is_in_downtime": resource.in_downtime,
        "is_acknowledged": resource.acknowledged,
        "has_active_checks_enabled": resource.active_checks,
        "has_passive_checks_enabled": resource.passive_checks,
        "last_status_change": date(resource.last_status_change),
        "tries": _tries(resource, " "),
        "information": resource.output,
        "performance_data": None,
        "is_notification_enabled": False,
        "severity": _severity(resource.severity, 0 if is_service else 1),
        "links": {
            "endpoints": {
                "details": details,
                "timeline": f"{prefix}/timeline",
                "status_graph": f"{prefix}/metrics/status" if graphs else None,
                "performance_graph": f"{prefix}/metrics/performance"
                if graphs
                else None,
                "acknowledgement": f"{prefix}/acknowledgements?limit=1",
                "downtime": _downtime_link(prefix),
                "check": f"{prefix}/check",
                "forced_check": f"{prefix}/check",
                "metrics": f"{prefix}/metrics" if graphs else None,
            },
            "uris": uris,
            "externals": {
                "action_url": resource.action_url,
                "notes": {"label": resource.notes_label, "url": resource.notes_url},
            },
        },
        "extra": [],
    }


def _groups(groups: tuple[Group, ...], page: str, key: str) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "name": g.name,
            "configuration_uri": f"{BASE_URI}/main.php?p={page}&o=c&{key}={g.id}",
        }
        for g in groups
    ]


def _acknowledgement(
    resource: Host | Service, date: DateFormatter
) -> dict[str, Any] | None:
    ack = resource.acknowledgement
    if ack is None:
        return None
    return {
        "id": ack.id,
        "poller_id": resource.poller.id,
        "host_id": resource.host.id,
        "service_id": resource.id if isinstance(resource, Service) else None,
        "author_id": ack.author_id,
        "author_name": ack.author_name,
        "comment": ack.comment,
        "deletion_time": None,
        "entry_time": date(ack.entry_time),
        "is_notify_contacts": ack.is_notify_contacts,
        "is_persistent_comment": ack.is_persistent_comment,
        "is_sticky": ack.is_sticky,
        "state": ack.state,
        "type": 1 if ack.is_sticky else 0,
        "with_services": ack.with_services if isinstance(resource, Host) else None,
    }


def _downtimes(resource: Host | Service, date: DateFormatter) -> list[dict[str, Any]]:
    return [
        {
            "start_time": date(d.start_time),
            "end_time": date(d.end_time),
            "actual_start_time": date(d.actual_start_time),
            "actual_end_time": None,
            "id": d.id,
            "entry_time": date(d.entry_time),
            "author_id": d.author_id,
            "author_name": d.author_name,
            "host_id": resource.host.id,
            "service_id": resource.id if isinstance(resource, Service) else None,
            "is_cancelled": False,
            "comment": d.comment,
            "deletion_time": None,
            "duration": d.duration,
            "internal_id": d.internal_id,
            "is_fixed": d.is_fixed,
            "poller_id": resource.poller.id,
            "is_started": True,
        }
        for d in resource.downtimes
    ]


def _detail_icon(icon: Icon | None) -> dict[str, Any] | list[Any]:
    shaped = _icon(icon)
    return [] if shaped is None else shaped


def host_detail(host: Host, date: DateFormatter) -> dict[str, Any]:
    """``/monitoring/resources/hosts/{id}`` (37 keys), with a duration hole."""
    prefix = f"{API_BASE}/monitoring/hosts/{host.id}"
    return {
        "uuid": host.uuid,
        "id": host.id,
        "name": host.name,
        "monitoring_server_name": host.poller.name,
        "type": "host",
        "short_type": "h",
        "fqdn": host.address,
        "alias": host.alias,
        "status": _detail_status(host.status, host.state_type),
        "in_downtime": host.in_downtime,
        "acknowledged": host.acknowledged,
        "flapping": host.flapping,
        "performance_data": host.perfdata,
        "information": host.output,
        "command_line": host.command_line,
        "notification_number": host.notification_number,
        "latency": host.latency,
        "percent_state_change": host.percent_state_change,
        "passive_checks": host.passive_checks,
        "execution_time": host.execution_time,
        "active_checks": host.active_checks,
        "parent": None,
        "icon": _detail_icon(host.icon),
        "groups": _groups(host.groups, "60102", "hg_id"),
        "categories": _groups(host.categories, "60104", "hc_id"),
        "severity": _severity(host.severity, "host"),
        "acknowledgement": _acknowledgement(host, date),
        "downtimes": _downtimes(host, date),
        "timezone": host.timezone,
        "duration": None if host.last_status_change is None else marker(DURATION),
        "next_check": date(host.next_check),
        "last_check": date(host.last_check),
        "last_time_with_no_issue": date(host.last_time_ok),
        "last_status_change": date(host.last_status_change),
        "last_notification": date(host.last_notification),
        "tries": _tries(host, ""),
        "links": {
            "endpoints": {
                "notification_policy": (
                    f"{API_BASE}/configuration/hosts/{host.id}/notification-policy"
                ),
                "timeline": f"{prefix}/timeline",
                "timeline_download": f"{prefix}/timeline/download",
                "details": f"{API_BASE}/monitoring/resources/hosts/{host.id}",
            },
            "uris": {
                "configuration": f"{BASE_URI}/main.php?p=60101&o=c&host_id={host.id}",
                "logs": f"{BASE_URI}/main.php?p=20301&h={host.id}",
                "reporting": f"{BASE_URI}/main.php?p=307&host={host.id}",
            },
        },
    }


def service_detail(service: Service, date: DateFormatter) -> dict[str, Any]:
    """``/monitoring/resources/hosts/{id}/services/{id}`` (34 keys), duration hole."""
    host = service.host
    prefix = f"{API_BASE}/monitoring/hosts/{host.id}/services/{service.id}"
    graphs = service.perfdata is not None
    return {
        "uuid": service.uuid,
        "id": service.id,
        "name": service.name,
        "type": "service",
        "short_type": "s",
        "status": _detail_status(service.status, service.state_type),
        "in_downtime": service.in_downtime,
        "acknowledged": service.acknowledged,
        "flapping": service.flapping,
        "performance_data": service.perfdata,
        "information": service.output,
        "command_line": service.command_line,
        "notification_number": service.notification_number,
        "latency": service.latency,
        "percent_state_change": service.percent_state_change,
        "passive_checks": service.passive_checks,
        "execution_time": service.execution_time,
        "active_checks": service.active_checks,
        "icon": _detail_icon(service.icon),
        "groups": _groups(service.groups, "60203", "sg_id"),
        "parent": {
            "type": "host",
            "id": host.id,
            "name": host.name,
            "status": _detail_status(host.status, host.state_type),
            "monitoring_server_name": host.poller.name,
        },
        "monitoring_server_name": service.poller.name,
        "categories": _groups(service.categories, "60209", "sc_id"),
        "severity": _severity(service.severity, "service"),
        "acknowledgement": _acknowledgement(service, date),
        "downtimes": _downtimes(service, date),
        "duration": None if service.last_status_change is None else marker(DURATION),
        "next_check": date(service.next_check),
        "last_check": date(service.last_check),
        "last_time_with_no_issue": date(service.last_time_ok),
        "last_status_change": date(service.last_status_change),
        "last_notification": date(service.last_notification),
        "tries": _tries(service, ""),
        "links": {
            "endpoints": {
                "notification_policy": (
                    f"{API_BASE}/configuration/hosts/{host.id}/services/{service.id}"
                    "/notification-policy"
                ),
                "timeline": f"{prefix}/timeline",
                "timeline_download": f"{prefix}/timeline/download",
                "status_graph": f"{prefix}/metrics/status" if graphs else None,
                "performance_graph": f"{prefix}/metrics/performance"
                if graphs
                else None,
                "details": (
                    f"{API_BASE}/monitoring/resources/hosts/{host.id}/services/{service.id}"
                ),
                "metrics": f"{prefix}/metrics",
            },
            "uris": {
                "configuration": (
                    f"{BASE_URI}/main.php?p=60201&o=c&service_id={service.id}"
                ),
                "logs": f"{BASE_URI}/main.php?p=20301&svc={host.id}_{service.id}",
                "reporting": (
                    f"{BASE_URI}/main.php?p=30702&period=yesterday&start=&end="
                    f"&host_id={host.id}&item={service.id}"
                ),
            },
        },
    }


def _host_min(host: Host) -> dict[str, Any]:
    return {
        "id": host.id,
        "alias": host.alias,
        "display_name": host.name,
        "name": host.name,
        "state": host.status.code,
    }


def legacy_host(
    host: Host, date: DateFormatter, *, show_services: bool
) -> dict[str, Any]:
    """One legacy ``/monitoring/hosts`` item (27 keys, ``services`` on request)."""
    code = host.status.code
    item = {
        **_host_min(host),
        "poller_id": host.poller.id,
        "acknowledged": host.acknowledged,
        "address_ip": host.address,
        "check_attempt": host.attempt,
        "checked": host.last_check is not None,
        "execution_time": host.execution_time,
        "icon_image": host.icon.path if host.icon else "",
        "icon_image_alt": host.icon.name if host.icon else "",
        "last_check": date(host.last_check),
        "last_hard_state_change": date(host.last_hard_state_change),
        "last_state_change": date(host.last_status_change),
        "last_time_down": date(host.last_status_change) if code == 1 else None,
        "last_time_unreachable": date(host.last_status_change) if code == 2 else None,
        "last_time_up": date(host.last_time_ok),
        "last_update": date(host.last_check),
        "max_check_attempts": host.max_attempts,
        "output": host.output,
        "passive_checks": host.passive_checks,
        "state_type": host.state_type,
        "timezone": f":{host.timezone}" if host.timezone else "",
        "scheduled_downtime_depth": 1 if host.in_downtime else 0,
        "criticality": host.severity.level if host.severity else None,
    }
    if show_services:
        item["services"] = [
            {
                "id": s.id,
                "description": s.name,
                "display_name": s.name,
                "state": s.status.code,
            }
            for s in host.services
        ]
    return item


def legacy_service(
    service: Service, date: DateFormatter, age: str | bool | None, *, with_host: bool
) -> dict[str, Any]:
    """One legacy ``Monitoring.ServiceMain`` item, plus ``hosts`` when asked."""
    item = {
        "id": service.id,
        "description": service.name,
        "display_name": service.name,
        "state": service.status.code,
        "check_attempt": str(service.attempt),
        "icon_image": service.icon.path if service.icon else "",
        "icon_image_alt": service.icon.name if service.icon else "",
        "last_check": date(service.last_check),
        "last_state_change": date(service.last_status_change),
        "max_check_attempts": service.max_attempts,
        "output": service.output,
        "state_type": service.state_type,
        "criticality": service.severity.level if service.severity else None,
        "status": _status(service.status),
        "duration": age,
    }
    if with_host:
        item["hosts"] = _host_min(service.host)
    return item
