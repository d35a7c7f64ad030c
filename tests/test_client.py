"""The Centreon client against small local HTTP servers, for what the simulator
cannot express: request hygiene, malformed successes, HTTP-date Retry-After."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from centreon.client import CentreonClient, LatencyHistogram, _Answer
from centreon.errors import CertificateError, MalformedResponseError, TransportError
from centreon.retry import RetryBudget, RetryPolicy
from centreon.settings import CentreonSettings
from tests.doubles import Recorder

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
SEEN = web.AppKey("seen", list[web.Request])
TOKEN = "t0k3n/with+base64=chars"
PASSWORD = "s3cret-pass"


def centreon_app(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> web.Application:
    """A Centreon-like app: /login gives a token and a cookie, handler the rest."""
    seen: list[web.Request] = []

    async def login(request: web.Request) -> web.Response:
        response = web.json_response(
            {"contact": {"id": 1}, "security": {"token": TOKEN}}
        )
        response.set_cookie("PHPSESSID", "session-cookie")
        return response

    async def logout(request: web.Request) -> web.Response:
        return web.json_response({"message": "Successful logout"})

    async def other(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        return await handler(request)

    app = web.Application()
    app[SEEN] = seen
    app.router.add_post("/centreon/api/latest/login", login)
    app.router.add_get("/centreon/api/latest/logout", logout)
    app.router.add_get("/centreon/api/latest/{tail:.*}", other)
    return app


def settings_for(server: TestServer, **overrides: Any) -> CentreonSettings:
    base = str(server.make_url("/centreon/api/latest"))
    options: dict[str, Any] = {"username": "admin", "password": PASSWORD} | overrides
    return CentreonSettings(url=base, **options)


async def test_client_sends_token_header_gzip_and_no_cookie(
    aiohttp_server: ServerFactory,
) -> None:
    """Requests carry X-AUTH-TOKEN and Accept-Encoding gzip, never a cookie or a
    token in the URL."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    server = await aiohttp_server(centreon_app(handler))
    async with CentreonClient(settings_for(server)) as client:
        body = await client.get_json("/monitoring/resources", {"page": "1"})

    (request,) = server.app[SEEN]
    assert body == {"ok": True}
    assert request.headers["X-AUTH-TOKEN"] == TOKEN
    assert "gzip" in request.headers["Accept-Encoding"]
    assert "Cookie" not in request.headers
    assert TOKEN not in str(request.rel_url)


async def test_client_raises_malformed_response_for_a_success_that_is_not_json(
    aiohttp_server: ServerFactory,
) -> None:
    """A 200 with an HTML body is a MalformedResponseError naming status and URL."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    server = await aiohttp_server(centreon_app(handler))
    async with CentreonClient(settings_for(server)) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.get_json("/monitoring/resources/hosts/1")

    assert "HTTP 200" in str(caught.value)
    assert caught.value.url is not None
    assert caught.value.url.endswith("/monitoring/resources/hosts/1")
    assert len(server.app[SEEN]) == 1


async def test_client_honours_retry_after_given_as_an_http_date(
    aiohttp_server: ServerFactory,
) -> None:
    """Retry-After as a date is measured against the response's Date header."""
    answers = iter([503, 200])

    async def handler(request: web.Request) -> web.Response:
        if next(answers) == 503:
            return web.json_response(
                {"code": 503, "message": "busy"},
                status=503,
                headers={
                    "Date": "Wed, 02 Dec 2026 10:00:00 GMT",
                    "Retry-After": "Wed, 02 Dec 2026 10:00:07 GMT",
                },
            )
        return web.json_response({"ok": True})

    server = await aiohttp_server(centreon_app(handler))
    sleep = Recorder()
    async with CentreonClient(settings_for(server), sleep=sleep) as client:
        assert await client.get_json("/monitoring/resources/hosts/1") == {"ok": True}

    assert sleep.sleeps == [7.0]
    assert (client.stats.retries, client.stats.refused) == (1, 1)


async def test_client_retries_a_connection_reset_without_an_answer(
    aiohttp_server: ServerFactory,
) -> None:
    """A connection closed without an answer is retried.

    aiohttp resends an idempotent request once by itself (RFC 9112); the second
    reset reaches the client as a TransportError and is retried after a wait.
    """
    answers = iter(["reset", "reset", "ok"])

    async def handler(request: web.Request) -> web.Response:
        if next(answers) == "reset" and request.transport is not None:
            request.transport.abort()
        return web.json_response({"ok": True})

    server = await aiohttp_server(centreon_app(handler))
    sleep = Recorder()
    settings = settings_for(server, username=None, password=None, api_token=TOKEN)
    async with CentreonClient(settings, sleep=sleep) as client:
        assert await client.get_json("/monitoring/resources/hosts/1") == {"ok": True}

    assert (client.stats.transport_errors, client.stats.retries) == (1, 1)
    assert len(sleep.sleeps) == 1
    assert len(server.app[SEEN]) == 3


async def test_client_redacts_query_parameters_outside_the_allowlist(
    aiohttp_server: ServerFactory,
) -> None:
    """Only allowlisted query parameters keep their value in a redacted URL."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({})

    server = await aiohttp_server(centreon_app(handler))
    client = CentreonClient(settings_for(server))

    url = client.redact("/monitoring/resources", {"page": "2", "secret": "x"})

    assert url.endswith("/monitoring/resources?page=2&secret=REDACTED")


async def test_client_translates_a_refused_connection_into_transport_error() -> None:
    """Nothing listening: a TransportError after the bounded attempts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = CentreonSettings(
        url=f"http://127.0.0.1:{port}/centreon/api/latest", api_token=TOKEN
    )
    sleep = Recorder()

    async with CentreonClient(
        settings, policy=RetryPolicy(max_attempts=3), budget=RetryBudget(), sleep=sleep
    ) as client:
        with pytest.raises(TransportError) as caught:
            await client.get_json("/monitoring/resources")

    assert len(sleep.sleeps) == 2
    assert caught.value.__cause__ is not None
    assert TOKEN not in str(caught.value)


async def test_client_keeps_the_token_out_of_an_unreadable_answer_error(
    aiohttp_server: ServerFactory,
) -> None:
    """A malformed status line that echoes the request's token leaves no trace of
    the token in the error, its chain or their reprs."""

    async def handler(request: web.Request) -> web.Response:
        if request.transport is not None:
            echoed = request.headers["X-AUTH-TOKEN"].encode()
            request.transport.write(b"HTTP/1.1 2OO " + echoed + b"\r\n\r\n")
            request.transport.close()
        return web.json_response({"ok": True})

    server = await aiohttp_server(centreon_app(handler))
    policy = RetryPolicy(max_attempts=2)
    async with CentreonClient(
        settings_for(server), policy=policy, sleep=Recorder()
    ) as client:
        with pytest.raises(TransportError) as caught:
            await client.get_json("/monitoring/resources/hosts/1")

    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert len(server.app[SEEN]) == 2
    assert TOKEN not in "".join(traceback.format_exception(caught.value))
    assert all(TOKEN not in repr(e) and TOKEN not in repr(e.args) for e in chain)


def test_client_answer_repr_leaves_out_the_body() -> None:
    """An answer's repr shows its status but not its body, which holds a token
    when it answers /login."""
    answer = _Answer(200, orjson.dumps({"security": {"token": TOKEN}}), None)

    assert "200" in repr(answer)
    assert TOKEN not in repr(answer)


def test_client_takes_its_ceiling_and_retry_floor_from_settings() -> None:
    """The in-flight ceiling is CENTREON_MAX_CONCURRENCY unless a share is given."""
    settings = CentreonSettings(
        url="https://centreon.test/centreon/api/latest",
        api_token=TOKEN,
        max_concurrency=9,
    )

    whole, share = CentreonClient(settings), CentreonClient(settings, concurrency=3)

    assert (whole.limiter.ceiling, whole.budget.floor) == (9, 18)
    assert (share.limiter.ceiling, share.budget.floor) == (3, 10)
    assert TOKEN not in repr(whole)


def test_latency_histogram_percentiles_are_within_two_percent() -> None:
    """Percentiles come back within the 2 % bucket width."""
    histogram = LatencyHistogram()
    for millis in range(1, 1001):
        histogram.add(millis / 1000.0)

    p50, p95 = histogram.percentile_ms(0.5), histogram.percentile_ms(0.95)

    assert p50 == pytest.approx(500, rel=0.02)
    assert p95 == pytest.approx(950, rel=0.02)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "centreon.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
async def tls_server(tmp_path: Path) -> Any:
    """A Centreon-like HTTPS server with a self-signed certificate, and its CA file."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = TestServer(centreon_app(handler), host="127.0.0.1", scheme="https")
    await server.start_server(ssl=context)
    yield server, cert_file
    await server.close()


async def test_client_trusts_a_private_server_through_the_ca_bundle(
    tls_server: tuple[TestServer, Path],
) -> None:
    """With CENTREON_CA_BUNDLE naming the server's CA, HTTPS requests verify."""
    server, cert_file = tls_server
    settings = settings_for(server, ca_bundle=str(cert_file))

    async with CentreonClient(settings) as client:
        assert await client.get_json("/monitoring/resources") == {"ok": True}


async def test_client_refuses_an_unverified_certificate_without_retrying(
    tls_server: tuple[TestServer, Path],
) -> None:
    """Without the CA bundle the certificate fails verification: final at once."""
    server, _ = tls_server
    sleep = Recorder()
    settings = settings_for(server, username=None, password=None, api_token=TOKEN)

    async with CentreonClient(settings, sleep=sleep) as client:
        with pytest.raises(CertificateError) as caught:
            await client.get_json("/monitoring/resources")

    assert "CENTREON_CA_BUNDLE" in str(caught.value)
    assert sleep.sleeps == []
    assert server.app is not None
    assert server.app[SEEN] == []
