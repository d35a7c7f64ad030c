"""The legacy JMS-serialised listings: ``/monitoring/hosts`` and ``/services``.

Parameters are Centreon's generic ones (``page``, ``limit``, ``search``,
``sort_by``) plus ``show_service`` on hosts; unknown parameters and unknown
search keys are ignored. Multi-valued keys (group and category ids) are not
searchable here.
"""

from __future__ import annotations

from collections.abc import Mapping

from centreon.simulator.fleet import Host, Service
from centreon.simulator.query import Field

__all__ = ["HOST_FIELDS", "HOST_SERVICE_FIELDS", "SERVICE_FIELDS", "truthy"]

HOST_FIELDS: dict[str, Field] = {
    "host.id": lambda h: h.id,
    "host.name": lambda h: h.name,
    "host.alias": lambda h: h.alias,
    "host.address": lambda h: h.address,
    "host.state": lambda h: h.status.code,
    "poller.id": lambda h: h.poller.id,
    "host.is_acknowledged": lambda h: int(h.acknowledged),
    "host.downtime": lambda h: int(h.in_downtime),
    "host.criticality": lambda h: h.severity.level if h.severity else None,
}


def _of_host(field: Field) -> Field:
    return lambda service: field(service.host)


HOST_SERVICE_FIELDS: dict[str, Field] = {
    "service.id": lambda s: s.id,
    "service.description": lambda s: s.name,
    "service.display_name": lambda s: s.name,
    "service.is_acknowledged": lambda s: int(s.acknowledged),
    "service.state": lambda s: s.status.code,
}
SERVICE_FIELDS: dict[str, Field] = {
    **{key: _of_host(field) for key, field in HOST_FIELDS.items()},
    **HOST_SERVICE_FIELDS,
    "service.output": lambda s: s.output,
    "service.downtime": lambda s: int(s.in_downtime),
    "service.criticality": lambda s: s.severity.level if s.severity else None,
}


def truthy(query: Mapping[str, str], name: str) -> bool:
    """A boolean query flag as PHP's ``filter_var`` reads it."""
    return query.get(name, "").strip().lower() in ("1", "true", "on", "yes")


def host_order(host: Host) -> str:
    """Default order of the legacy host listing: by name."""
    return host.name.casefold()


def service_order(service: Service) -> tuple[str, str]:
    """Default order of the legacy service listing: host name, description."""
    return (service.host.name.casefold(), service.name.casefold())
