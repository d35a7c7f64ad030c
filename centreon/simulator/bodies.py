"""Serialised bodies per resource, built once and rendered per request.

Each resource keeps a listing-item template and a detail template (Symfony
escaping already applied). Rendering fills the ages relative to "now" and
the request time of the downtime link. A status change forgets the changed
resource's templates and, for a host, its services' (they embed the host's
status).
"""

from __future__ import annotations

from typing import Any

import orjson

from centreon.simulator.encoding import Template
from centreon.simulator.fleet import Host, Service
from centreon.simulator.presenter import (
    DURATION,
    LAST_CHECK,
    NOW,
    DateFormatter,
    host_detail,
    humanize,
    listing_item,
    service_detail,
)

__all__ = ["DRIFT_FIELDS", "Bodies"]

# Fields newer Centreon builds add (25.x) and one no build has: clients must
# ignore both.
DRIFT_FIELDS: dict[str, Any] = {
    "is_in_flapping": False,
    "percent_state_change": None,
    "x_simulator_drift": {"since": "25.10", "values": [1, "two", None]},
}
_DRIFT_SUFFIX = orjson.dumps(DRIFT_FIELDS)[1:-1]
_FALSE = b"false"
_NULL = b"null"


def with_drift(body: bytes) -> bytes:
    """The JSON object ``body`` with the drift fields appended."""
    return body[:-1] + b"," + _DRIFT_SUFFIX + b"}"


def _age(now: float, when: float | None) -> bytes:
    if when is None:
        return _NULL
    return orjson.dumps(humanize(now - when))


class Bodies:
    """Template cache for one fleet."""

    def __init__(self, date: DateFormatter) -> None:
        self._date = date
        self._listing: dict[str, Template] = {}
        self._detail: dict[str, Template] = {}
        self._stamped_at = -1.0
        self._stamp_bytes = b"0"

    def warm(self, resources: list[Host | Service]) -> None:
        """Build every template now rather than on first request."""
        for resource in resources:
            self._listing_template(resource)
            self._detail_template(resource)

    def forget(self, resource: Host | Service) -> None:
        """Drop templates that show this resource's state."""
        stale: list[Host | Service] = [resource]
        if isinstance(resource, Host):
            stale.extend(resource.services)
        for item in stale:
            self._listing.pop(item.uuid, None)
            self._detail.pop(item.uuid, None)

    def listing_item(
        self, resource: Host | Service, now: float, *, false_duration: bool = False
    ) -> bytes:
        """One listing item as served at ``now``."""
        template = self._listing_template(resource)
        duration = _FALSE if false_duration else _age(now, resource.last_status_change)
        return template.render(
            {
                DURATION: duration,
                LAST_CHECK: _age(now, resource.last_check),
                NOW: self._stamp(now),
            }
        )

    def detail(
        self, resource: Host | Service, now: float, *, false_duration: bool = False
    ) -> bytes:
        """The resource's detail body as served at ``now``."""
        template = self._detail_template(resource)
        duration = _FALSE if false_duration else _age(now, resource.last_status_change)
        return template.render({DURATION: duration})

    def _listing_template(self, resource: Host | Service) -> Template:
        template = self._listing.get(resource.uuid)
        if template is None:
            template = Template.symfony(listing_item(resource, self._date))
            self._listing[resource.uuid] = template
        return template

    def _detail_template(self, resource: Host | Service) -> Template:
        template = self._detail.get(resource.uuid)
        if template is None:
            shaped = (
                host_detail(resource, self._date)
                if isinstance(resource, Host)
                else service_detail(resource, self._date)
            )
            template = Template.symfony(shaped)
            self._detail[resource.uuid] = template
        return template

    def _stamp(self, now: float) -> bytes:
        if now != self._stamped_at:
            self._stamped_at = now
            self._stamp_bytes = str(int(now)).encode()
        return self._stamp_bytes
