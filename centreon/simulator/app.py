"""The aiohttp application that answers as Centreon 24.10 behind Apache.

Every request under ``/centreon/api/{version}`` goes through one pipeline:
scheduled restarts, the proxy's rate limit (429), admission to the PHP-FPM
pool (503 when full), service time in a worker, then the per-request faults
(reset, HTML 502, JSON 500) and finally the route itself. Admin routes under
``/_simulator/`` bypass all of it. No request ever sees a Python traceback:
anything unexpected becomes Centreon's 500 envelope.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from centreon.simulator.auth import Clock, Sessions
from centreon.simulator.bodies import Bodies, with_drift
from centreon.simulator.capacity import Capacity, Latency, Sleep
from centreon.simulator.config import SimulatorConfig
from centreon.simulator.counters import Counters
from centreon.simulator.encoding import dumps_jms, dumps_symfony
from centreon.simulator.faults import Faults, Outcome
from centreon.simulator.fleet import Fleet, Host, Service
from centreon.simulator.legacy import (
    HOST_FIELDS,
    HOST_SERVICE_FIELDS,
    SERVICE_FIELDS,
    host_order,
    service_order,
    truthy,
)
from centreon.simulator.presenter import (
    DateFormatter,
    humanize,
    legacy_host,
    legacy_service,
)
from centreon.simulator.query import (
    Page,
    Rejection,
    compile_search,
    normalise_search,
    parse_page,
    parse_sort,
    sort_rows,
)
from centreon.simulator.resources import ResourceQuery, parse_resource_query, select

__all__ = ["ADMIN_PREFIX", "API_PREFIX", "SimulatorApp"]

logger = logging.getLogger(__name__)

API_PREFIX = "/centreon/api"
ADMIN_PREFIX = "/_simulator"
DETAIL_ROUTES = frozenset({"host_detail", "service_detail"})
_VERSION = re.compile(r"^(latest|beta|v(\d+)(?:\.(\d+))?)$")
_LATEST_LINK = b"\\/api\\/latest\\/"
_SELECTION_CACHE_SIZE = 64

_HTML_502 = b"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>502 Proxy Error</title>
</head><body>
<h1>Proxy Error</h1>
<p>The proxy server received an invalid
response from an upstream server.<br />
The proxy server could not handle the request<p>Reason: <strong>\
Error reading from remote server</strong></p></p>
</body></html>
"""
_HTML_503 = b"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>503 Service Unavailable</title>
</head><body>
<h1>Service Unavailable</h1>
<p>The server is temporarily unable to service your
request due to maintenance downtime or capacity
problems. Please try again later.</p>
</body></html>
"""
_HTML_429 = b"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>429 Too Many Requests</title>
</head><body>
<h1>Too Many Requests</h1>
<p>The user has sent too many requests in a given amount of time.</p>
</body></html>
"""
_HTML_404 = b"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
"""

Handler = Callable[["_Call"], Awaitable[web.Response]]


@dataclass(frozen=True, slots=True)
class _Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    since: tuple[int, int]
    data: bool
    handler: Handler


@dataclass(frozen=True, slots=True)
class _LegacyPage:
    page: Page
    search: dict[str, Any]
    sort: dict[str, str]
    rows: list[Any]
    total: int


@dataclass(slots=True)
class _Call:
    request: web.Request
    params: dict[str, str]
    version: str
    now: float


def _version_tuple(match: re.Match[str]) -> tuple[int, int] | None:
    if match.group(2) is None:
        return None
    return (int(match.group(2)), int(match.group(3) or 0))


def _compress(request: web.Request, response: web.Response) -> None:
    """Compress as Apache's mod_deflate does: gzip whenever the client accepts it."""
    accepted = request.headers.get("Accept-Encoding", "").lower()
    if "gzip" in accepted:
        response.enable_compression(web.ContentCoding.gzip)
    elif "deflate" in accepted:
        response.enable_compression(web.ContentCoding.deflate)


class SimulatorApp:
    """Routes and the request pipeline over one fleet.

    ``clock`` stamps and expires; ``sleep`` spends every request's service time.
    """

    def __init__(
        self,
        config: SimulatorConfig,
        clock: Clock,
        fleet: Fleet,
        counters: Counters,
        started: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self.clock = clock
        self.fleet = fleet
        self.counters = counters
        self.sessions = Sessions(config, clock, started)
        self.capacity = Capacity(config.workers, config.backlog, counters, sleep)
        self.latency = Latency(
            config.latency_ms,
            config.latency_spread,
            config.page_cost_ms_per_item,
            config.seed,
        )
        self.faults = Faults(config.faults, config.seed, fleet, started)
        self.date = DateFormatter(config.utc_offset_min)
        self.bodies = Bodies(self.date)
        self._api_headers = {"Api-Version": config.api_version}
        self._selections: dict[bytes, list[Host | Service]] = {}
        self._selections_version = fleet.version
        self._routes = self._make_routes()

    def build(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_get(f"{ADMIN_PREFIX}/counters", self._admin_counters)
        app.router.add_post(f"{ADMIN_PREFIX}/restart", self._admin_restart)
        app.router.add_post(f"{ADMIN_PREFIX}/counters/reset", self._admin_reset)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    def restart(self) -> int:
        """Drop every login session now, as a Centreon restart does."""
        dropped = self.sessions.drop_all()
        self.counters.restarts += 1
        self.counters.sessions_dropped += dropped
        logger.warning("centreon restarted", extra={"rows": dropped})
        return dropped

    def _make_routes(self) -> list[_Route]:
        def route(
            name: str,
            method: str,
            path: str,
            since: tuple[int, int],
            handler: Handler,
            *,
            data: bool = True,
        ) -> _Route:
            # Ids beyond 18 digits are not PHP integers: no route matches.
            pattern = re.compile(
                "^" + path.replace("{", "(?P<").replace("}", ">[0-9]{1,18})") + "$"
            )
            return _Route(name, method, pattern, since, data, handler)

        return [
            route("login", "POST", "/login", (21, 10), self._login, data=False),
            route("logout", "GET", "/logout", (21, 10), self._logout, data=False),
            route(
                "resources", "GET", "/monitoring/resources", (21, 10), self._resources
            ),
            route(
                "host_detail",
                "GET",
                "/monitoring/resources/hosts/{host_id}",
                (22, 4),
                self._host_detail,
            ),
            route(
                "service_detail",
                "GET",
                "/monitoring/resources/hosts/{host_id}/services/{service_id}",
                (22, 4),
                self._service_detail,
            ),
            route(
                "legacy_hosts", "GET", "/monitoring/hosts", (2, 0), self._legacy_hosts
            ),
            route(
                "legacy_services",
                "GET",
                "/monitoring/services",
                (2, 0),
                self._legacy_services,
            ),
            route(
                "legacy_host_services",
                "GET",
                "/monitoring/hosts/{host_id}/services",
                (2, 0),
                self._legacy_host_services,
            ),
        ]

    # -- responses -------------------------------------------------------

    def _json(self, body: bytes, status: int = 200) -> web.Response:
        response = web.Response(
            body=body,
            status=status,
            content_type="application/json",
            headers=self._api_headers,
        )
        return response

    def _envelope(self, status: int, code: int, message: str) -> web.Response:
        return self._json(dumps_symfony({"code": code, "message": message}), status)

    def _invalid_credentials(self) -> web.Response:
        """Symfony's answer to an unknown or expired token: no ``code``."""
        return self._json(dumps_symfony({"message": "Invalid credentials."}), 401)

    def _authentication_failed(self) -> web.Response:
        """The login provider's answer to bad credentials or no token on logout."""
        return self._json(
            dumps_jms({"code": 401, "message": "Authentication failed"}), 401
        )

    def _reject(self, rejection: Rejection) -> web.Response:
        return self._envelope(rejection.status, rejection.code, rejection.message)

    def _html(
        self, status: int, reason: str, body: bytes, retry_after: int | None
    ) -> web.Response:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return web.Response(
            body=body,
            status=status,
            reason=reason,
            content_type="text/html",
            charset="iso-8859-1",
            headers=headers,
        )

    # -- pipeline --------------------------------------------------------

    def _match(
        self, request: web.Request
    ) -> tuple[_Route | None, dict[str, str], str | None, list[str]]:
        path = request.path
        if not path.startswith(API_PREFIX + "/"):
            return None, {}, None, []
        version, _, rest = path[len(API_PREFIX) + 1 :].partition("/")
        version_match = _VERSION.match(version)
        if version_match is None:
            return None, {}, None, []
        number = _version_tuple(version_match)
        allowed: list[str] = []
        for candidate in self._routes:
            found = candidate.pattern.match("/" + rest)
            if found is None or (number is not None and number < candidate.since):
                continue
            if candidate.method != request.method:
                allowed.append(candidate.method)
                continue
            return candidate, found.groupdict(), version, []
        return None, {}, version, allowed

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route, params, version, allowed = self._match(request)
        name = route.name if route else "unknown"
        try:
            response = await self._serve(request, route, params, version, allowed)
        except Exception:
            logger.exception("simulator request failed", extra={"endpoint": name})
            response = self._envelope(500, 500, "Internal Server Error")
        if response is None:
            self.counters.count(name, "reset")
            return web.Response()
        self.counters.count(name, response.status)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "simulator request", extra={"endpoint": name, "status": response.status}
            )
        if response.content_type == "application/json":
            _compress(request, response)
        return response

    async def _serve(
        self,
        request: web.Request,
        route: _Route | None,
        params: dict[str, str],
        version: str | None,
        allowed: list[str],
    ) -> web.Response | None:
        if self.faults.restart_due(self.clock()):
            self.restart()
        if version is None:
            return self._html(404, "Not Found", _HTML_404, None)
        faulty = route is not None and (route.data or self.config.faults.on_auth)
        refusal = self._refuse(route, params, faulty)
        if refusal is not None:
            return refusal

        async with self.capacity.worker():
            rows = (
                self._page_rows(request) if route and route.name == "resources" else 0
            )
            delay = self.latency.draw(rows)
            await self.capacity.work(
                delay + self.faults.extra_delay_s() if faulty else delay
            )
            outcome = self.faults.outcome() if faulty else Outcome.NORMAL
            if outcome is not Outcome.NORMAL:
                return self._fail(request, outcome)
            if route is None:
                return self._no_route(request, allowed)
            return await route.handler(_Call(request, params, version, self.clock()))

    def _refuse(
        self, route: _Route | None, params: dict[str, str], faulty: bool
    ) -> web.Response | None:
        """Answer before PHP runs (proxy rate limit, full pool), else admit."""
        uuid = self._detail_uuid(route, params)
        if uuid is not None:
            self.counters.note_detail_request(uuid)
        if faulty and self.faults.rate_limited():
            self.counters.rate_limited += 1
            retry = self.config.faults.retry_after_s
            return self._html(429, "Too Many Requests", _HTML_429, retry)
        if not self.capacity.admit():
            retry = self.config.refuse_retry_after_s
            return self._html(503, "Service Unavailable", _HTML_503, retry)
        return None

    def _fail(self, request: web.Request, outcome: Outcome) -> web.Response | None:
        """The injected failure; ``None`` when the connection was reset."""
        if outcome is Outcome.RESET:
            self.counters.resets += 1
            if request.transport is not None:
                request.transport.abort()
            return None
        if outcome is Outcome.HTML_502:
            return self._html(502, "Proxy Error", _HTML_502, None)
        return self._envelope(500, 500, "Internal Server Error")

    @staticmethod
    def _detail_uuid(route: _Route | None, params: dict[str, str]) -> str | None:
        if route is None or route.name not in DETAIL_ROUTES:
            return None
        host = f"h{int(params['host_id'])}"
        if route.name == "host_detail":
            return host
        return f"{host}-s{int(params['service_id'])}"

    @staticmethod
    def _page_rows(request: web.Request) -> int:
        raw = request.query.get("limit", "10").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0

    def _no_route(self, request: web.Request, allowed: list[str]) -> web.Response:
        target = f'"{request.method} {request.url}"'
        if allowed:
            methods = ", ".join(sorted(set(allowed)))
            message = (
                f"No route found for {target}: Method Not Allowed (Allow: {methods})"
            )
            return self._envelope(405, 405, message)
        return self._envelope(404, 404, f"No route found for {target}")

    def _authorize(self, call: _Call) -> web.Response | None:
        token = call.request.headers.get("X-AUTH-TOKEN")
        if token is None:
            return self._envelope(
                403, 403, "You are not authorized to access this resource"
            )
        if not self.sessions.authenticate(token):
            return self._invalid_credentials()
        return None

    def _versioned(self, body: bytes, version: str) -> bytes:
        if version == "latest":
            return body
        return body.replace(_LATEST_LINK, b"\\/api\\/" + version.encode() + b"\\/")

    # -- authentication ----------------------------------------------------

    async def _login(self, call: _Call) -> web.Response:
        try:
            raw = await call.request.read()
            payload = orjson.loads(raw)
        except (orjson.JSONDecodeError, web.HTTPException, UnicodeDecodeError):
            return self._envelope(400, 400, "Invalid JSON body")
        credentials: Any = payload
        for key in ("security", "credentials"):
            credentials = (
                credentials.get(key) if isinstance(credentials, dict) else None
            )
        login = credentials.get("login") if isinstance(credentials, dict) else None
        password = (
            credentials.get("password") if isinstance(credentials, dict) else None
        )
        token = None
        if isinstance(login, str) and isinstance(password, str):
            token = self.sessions.login(login, password)
        if token is None:
            self.counters.logins_failed += 1
            return self._authentication_failed()
        self.counters.logins_ok += 1
        body = {
            "contact": {
                "id": 1,
                "name": "Admin Centreon",
                "alias": self.config.username,
                "email": "admin@localhost",
                "is_admin": True,
            },
            "security": {"token": token},
        }
        return self._json(dumps_jms(body))

    async def _logout(self, call: _Call) -> web.Response:
        token = call.request.headers.get("X-AUTH-TOKEN")
        if token is None:
            return self._authentication_failed()
        if not self.sessions.logout(token):
            return self._invalid_credentials()
        self.counters.logouts += 1
        return self._json(dumps_jms({"message": "Successful logout"}))

    # -- resources ---------------------------------------------------------

    def _select(self, query: ResourceQuery) -> list[Host | Service] | Rejection:
        if self._selections_version != self.fleet.version:
            self._selections.clear()
            self._selections_version = self.fleet.version
        key = query.selection_key
        rows = self._selections.get(key)
        if rows is None:
            if len(self._selections) >= _SELECTION_CACHE_SIZE:
                self._selections.clear()
            selected = select(self.fleet.resources, query)
            if isinstance(selected, Rejection):
                return selected
            rows = self._selections[key] = selected
        return rows

    async def _resources(self, call: _Call) -> web.Response:
        if (denied := self._authorize(call)) is not None:
            return denied
        query = parse_resource_query(call.request.query)
        if isinstance(query, Rejection):
            return self._reject(query)
        page = query.page
        if page.page < 1 or page.limit < 0:
            return self._envelope(500, 500, "Error while searching for resources")
        for changed in self.faults.churn(self.fleet, call.now):
            self.bodies.forget(changed)
        rows = self._select(query)
        if isinstance(rows, Rejection):
            return self._envelope(500, 500, "Error while searching for resources")
        total = len(rows)
        chosen = rows[page.offset : page.offset + page.limit] if page.limit else []
        if query.only_with_performance_data:
            chosen = [r for r in chosen if r.perfdata is not None]
            total = len(chosen)
        items = []
        for resource in chosen:
            item = self.bodies.listing_item(
                resource, call.now, false_duration=self.faults.false_duration()
            )
            items.append(with_drift(item) if self.faults.drift() else item)
        meta = dumps_symfony(
            {
                "page": page.page,
                "limit": page.limit,
                "search": query.search,
                "sort_by": query.sort,
                "total": total,
            }
        )
        body = b'{"result":[' + b",".join(items) + b'],"meta":' + meta + b"}"
        return self._json(self._versioned(body, call.version))

    def _detail(self, call: _Call, resource: Host | Service) -> web.Response:
        if self.faults.is_failing(resource.uuid):
            return self._envelope(500, 500, "Internal Server Error")
        body = self.bodies.detail(
            resource, call.now, false_duration=self.faults.false_duration()
        )
        if self.faults.drift():
            body = with_drift(body)
        self.counters.note_detail_served(resource.uuid)
        return self._json(self._versioned(body, call.version))

    def _visible_host(self, raw_id: str) -> Host | None:
        host = self.fleet.host(int(raw_id))
        if host is None or self.faults.is_vanished(host.uuid):
            return None
        return host

    async def _host_detail(self, call: _Call) -> web.Response:
        if (denied := self._authorize(call)) is not None:
            return denied
        host = self._visible_host(call.params["host_id"])
        if host is None:
            return self._envelope(404, 404, "Host not found")
        return self._detail(call, host)

    async def _service_detail(self, call: _Call) -> web.Response:
        if (denied := self._authorize(call)) is not None:
            return denied
        host = self._visible_host(call.params["host_id"])
        if host is None:
            return self._envelope(404, 404, "Host not found")
        service = self.fleet.service(host.id, int(call.params["service_id"]))
        if service is None or self.faults.is_vanished(service.uuid):
            return self._envelope(404, 404, "Service not found")
        return self._detail(call, service)

    # -- legacy ------------------------------------------------------------

    def _legacy_page(
        self, call: _Call, rows: list[Any], fields: dict[str, Any], kind: str
    ) -> _LegacyPage | web.Response:
        query = call.request.query
        page = parse_page(query)
        if isinstance(page, Rejection):
            return self._reject(page)
        sort = parse_sort(query.get("sort_by"))
        if isinstance(sort, Rejection):
            return self._reject(sort)
        if page.page < 1 or page.limit < 0:
            return self._envelope(500, 500, f"Error while searching for {kind}")
        search = normalise_search(query.get("search"))
        predicate = compile_search(search, fields)
        if isinstance(predicate, Rejection):
            return self._envelope(500, 500, f"Error while searching for {kind}")
        selected = [r for r in rows if predicate(r)]
        if sort:
            selected = sort_rows(selected, sort, fields)
        chosen = selected[page.offset : page.offset + page.limit] if page.limit else []
        return _LegacyPage(page, search, sort, chosen, len(selected))

    def _legacy_body(
        self, shaped: _LegacyPage, items: list[dict[str, Any]]
    ) -> web.Response:
        meta = {
            "page": shaped.page.page,
            "limit": shaped.page.limit,
            "search": shaped.search,
            "sort_by": shaped.sort,
            "total": shaped.total,
        }
        return self._json(dumps_jms({"result": items, "meta": meta}))

    async def _legacy_hosts(self, call: _Call) -> web.Response:
        if (denied := self._authorize(call)) is not None:
            return denied
        hosts = sorted(self.fleet.hosts, key=host_order)
        shaped = self._legacy_page(call, hosts, HOST_FIELDS, "hosts")
        if isinstance(shaped, web.Response):
            return shaped
        show = truthy(call.request.query, "show_service")
        items = [legacy_host(h, self.date, show_services=show) for h in shaped.rows]
        return self._legacy_body(shaped, items)

    def _legacy_services_of(
        self,
        call: _Call,
        services: list[Service],
        fields: dict[str, Any],
        with_host: bool,
    ) -> web.Response:
        shaped = self._legacy_page(call, services, fields, "services")
        if isinstance(shaped, web.Response):
            return shaped
        items = [
            legacy_service(s, self.date, self._age(call.now, s), with_host=with_host)
            for s in shaped.rows
        ]
        return self._legacy_body(shaped, items)

    async def _legacy_services(self, call: _Call) -> web.Response:
        if (denied := self._authorize(call)) is not None:
            return denied
        services = sorted(self.fleet.services, key=service_order)
        return self._legacy_services_of(call, services, SERVICE_FIELDS, True)

    async def _legacy_host_services(self, call: _Call) -> web.Response:
        if (denied := self._authorize(call)) is not None:
            return denied
        host = self._visible_host(call.params["host_id"])
        if host is None:
            return web.Response(status=404, headers=self._api_headers)
        services = sorted(host.services, key=lambda s: s.name.casefold())
        return self._legacy_services_of(call, services, HOST_SERVICE_FIELDS, False)

    @staticmethod
    def _age(now: float, service: Service) -> str | bool | None:
        changed = service.last_status_change
        return None if changed is None else humanize(now - changed)

    # -- admin ---------------------------------------------------------------

    @staticmethod
    def _admin_json(data: dict[str, Any]) -> web.Response:
        return web.Response(body=orjson.dumps(data), content_type="application/json")

    async def _admin_counters(self, _request: web.Request) -> web.Response:
        return self._admin_json(self.counters.to_dict())

    async def _admin_reset(self, _request: web.Request) -> web.Response:
        self.counters.reset()
        return self._admin_json(self.counters.to_dict())

    async def _admin_restart(self, _request: web.Request) -> web.Response:
        return self._admin_json({"sessions_dropped": self.restart()})
