"""What only Django's webhook views do: on_webhook, deduplication through its cache, and
reading the body (ASGI stops at the size limit; WSGI reads a chunked delivery or says why not).

The shared behaviour (signatures, retries, answers) is the contract suite's.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.test import AsyncClient, Client, override_settings

from relaybox_integrations import (
    DEFAULT_WEBHOOK_BODY_LIMIT,
    WEBHOOK_SIGNATURE_HEADER,
    ClaimOutcome,
    ConfigurationError,
    sign_webhook,
)
from relaybox_integrations.django import on_webhook, webhook_received
from relaybox_integrations.django.asgi import ASGIHandler
from relaybox_integrations.django.stores import AsyncCacheWebhookStore, CacheWebhookStore
from tests.support.django_settings import TEST_WEBHOOK_SIGNING_KEY
from tests.support.redis_server import redis_server
from tests.support.servers import TEST_API_KEY

pytestmark = pytest.mark.django_db
RELAYBOX = {"API_KEY": TEST_API_KEY, "WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY}


def post(event: str, event_id: str) -> int:
    delivery = sign_webhook(event, {}, TEST_WEBHOOK_SIGNING_KEY, event_id=event_id)
    response = Client().post(
        "/relaybox/webhooks", delivery.body, "application/json", headers=delivery.headers
    )
    return int(response.status_code)


@pytest.mark.skipif(django.VERSION < (5, 0), reason="Django runs async receivers from 5.0")
def test_an_async_on_webhook_receiver_through_the_async_view() -> None:
    seen: list[str] = []

    @on_webhook("room:join")
    async def joined(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event.event)

    async def deliver(event: str, event_id: str) -> int:
        delivery = sign_webhook(event, {}, TEST_WEBHOOK_SIGNING_KEY, event_id=event_id)
        response = await AsyncClient().post(
            "/async/relaybox/webhooks", delivery.body, "application/json", headers=delivery.headers
        )
        return int(response.status_code)

    try:
        caches["default"].clear()
        assert async_to_sync(deliver)("presence:update", "async-1") == 200
        assert async_to_sync(deliver)("room:join", "async-2") == 200
    finally:
        assert webhook_received.disconnect(dispatch_uid=(joined, frozenset({"room:join"})))
    assert seen == ["room:join"]


@pytest.mark.skipif(django.VERSION >= (5, 0), reason="Django awaits async receivers from 5.0")
def test_before_django_5_an_async_receiver_fails_loudly_rather_than_never_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def joined(sender: Any, event: Any, **kwargs: Any) -> None:
        raise AssertionError("Django 4.2 never awaits this")

    with pytest.raises(ImproperlyConfigured, match=r"joined: .*need Django 5\.0"):
        on_webhook("room:join")(joined)
    webhook_received.connect(joined, weak=False, dispatch_uid="async-before-django-5")
    try:
        caches["default"].clear()
        assert post("room:join", "async-before-5") == 500  # Relaybox retries; not marked done
        assert "need Django 5.0" in caplog.text
    finally:
        assert webhook_received.disconnect(dispatch_uid="async-before-django-5")


def test_on_webhook_receives_its_events_only() -> None:
    seen: list[str] = []

    @on_webhook("room:join", "room:leave")
    def joined(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event.event)

    try:
        caches["default"].clear()
        for number, event in enumerate(["room:join", "presence:update", "room:leave"]):
            assert post(event, f"on-webhook-{number}") == 200
    finally:
        assert webhook_received.disconnect(
            dispatch_uid=(joined, frozenset({"room:join", "room:leave"}))
        )
    assert seen == ["room:join", "room:leave"]


def test_on_webhook_star_receives_every_event() -> None:
    seen: list[str] = []

    @on_webhook("*")
    def every(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event.event)

    try:
        caches["default"].clear()
        for number, event in enumerate(["room:join", "presence:update"]):
            assert post(event, f"on-webhook-every-{number}") == 200
    finally:
        assert webhook_received.disconnect(dispatch_uid=(every, frozenset({None})))
    assert seen == ["room:join", "presence:update"]


def test_on_webhook_without_event_names_is_an_error_not_a_silent_receiver() -> None:
    with pytest.raises(ConfigurationError, match='at least one event name, or "\\*"'):
        on_webhook()
    with pytest.raises(ConfigurationError, match="non-empty strings"):
        on_webhook("room:join", "")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def close_redis_connections() -> None:
    """Django's Redis backend keeps one pool per thread's cache and never closes it."""
    for pool in caches["default"]._cache._pools.values():  # type: ignore[attr-defined]
        pool.disconnect()


def test_two_concurrent_deliveries_of_one_id_run_the_receiver_once(
    redis_url: str, tmp_path: Path
) -> None:
    """Django's Redis cache backend shared by threads standing in for workers: one claims."""
    ran: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    def slow(sender: Any, event: Any, **kwargs: Any) -> None:
        ran.append(event.id)
        entered.set()
        release.wait(10)

    cache = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    statuses: list[int] = []
    with override_settings(CACHES=cache, RELAYBOX=RELAYBOX):
        caches["default"].clear()
        webhook_received.connect(slow, weak=False)
        try:

            def deliver_in_a_thread() -> None:
                statuses.append(post("room:join", "one"))
                close_redis_connections()

            first = threading.Thread(target=deliver_in_a_thread)
            first.start()
            assert entered.wait(10)
            assert post("room:join", "one") == 503  # in progress elsewhere: Relaybox retries
            release.set()
            first.join(10)
            assert post("room:join", "one") == 200  # done: a duplicate
        finally:
            release.set()
            webhook_received.disconnect(slow)
            close_redis_connections()

    assert statuses == [200]
    assert ran == ["one"]


def test_the_cache_store_releases_a_claim_but_never_forgets_a_done_delivery() -> None:
    store = CacheWebhookStore(caches["default"], prefix="release-test:")
    store.cache.clear()
    assert store.claim("failed") is ClaimOutcome.CLAIMED
    store.release("failed")  # a handler failed: Relaybox's retry may claim it again
    assert store.claim("failed") is ClaimOutcome.CLAIMED
    assert store.claim("done") is ClaimOutcome.CLAIMED
    store.mark_done("done")
    store.release("done")
    assert store.claim("done") is ClaimOutcome.DONE


def test_the_async_cache_store_releases_a_claim_but_never_forgets_a_done_delivery() -> None:
    store = AsyncCacheWebhookStore(caches["default"], prefix="async-release-test:")
    store.cache.clear()

    async def outcomes() -> list[ClaimOutcome]:
        claimed = await store.claim("failed")
        await store.release("failed")
        reclaimed = await store.claim("failed")
        assert await store.claim("done") is ClaimOutcome.CLAIMED
        await store.mark_done("done")
        await store.release("done")
        return [claimed, reclaimed, await store.claim("done")]

    assert asyncio.run(outcomes()) == [
        ClaimOutcome.CLAIMED,
        ClaimOutcome.CLAIMED,
        ClaimOutcome.DONE,
    ]


# --- how the body is read: ASGI stops at the limit, WSGI reads a chunked body -----------------

LIMIT = DEFAULT_WEBHOOK_BODY_LIMIT
CHUNK = 64 * 1024


class CountingClient:
    """An ASGI server's side of one request: hands the body over in chunks, counting them."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.given = 0
        self.answer: list[dict[str, Any]] = []
        self.answered: asyncio.Event | None = None

    async def receive(self) -> dict[str, Any]:
        if self.answered is None:
            self.answered = asyncio.Event()
            first = True
        else:
            first = False
        if self.given == len(self.body) and not first:  # Django listens for a disconnect
            await self.answered.wait()
            return {"type": "http.disconnect"}
        chunk = self.body[self.given : self.given + CHUNK]
        self.given += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": self.given < len(self.body)}

    async def send(self, message: dict[str, Any]) -> None:
        self.answer.append(message)
        if message["type"] == "http.response.body" and self.answered is not None:
            self.answered.set()

    def status(self) -> int:
        return int(self.answer[0]["status"])

    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.answer[1:]))


def serve_asgi(
    path: str, body: bytes, headers: dict[str, str], *, method: str = "POST"
) -> CountingClient:
    """One request through the package's ASGI handler, as an ASGI server would make it."""
    client = CountingClient(body)
    async_to_sync(ASGIHandler())(asgi_scope(method, path, headers), client.receive, client.send)
    return client


def asgi_scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The scope an ASGI server gives the handler for one request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def test_asgi_leaves_other_methods_and_other_views_to_django() -> None:
    """A GET to the webhook view, a POST to another view or to no view: Django's own."""
    get = serve_asgi("/relaybox/webhooks", b"", {}, method="GET")
    assert get.status() == 405
    assert (b"Allow", b"POST") in get.answer[0]["headers"]
    assert get.json()["error"] == "method_not_allowed"
    oversized = b"x" * (LIMIT + 1)  # no limit of the webhook endpoint's elsewhere
    for path, status in (("/nowhere", 404), ("/user/auth", 403)):  # 403: no CSRF token
        other = serve_asgi(path, oversized, {"Content-Length": str(len(oversized))})
        assert other.status() == status
        assert other.given == len(oversized)  # read whole, by Django's handler


@pytest.mark.parametrize("path", ["/relaybox/webhooks", "/async/relaybox/webhooks"])
def test_asgi_answers_nothing_to_a_client_that_left_mid_delivery(path: str) -> None:
    caches["default"].clear()
    delivery = sign_webhook("room:join", {}, TEST_WEBHOOK_SIGNING_KEY, event_id="left")
    sent: list[dict[str, Any]] = []
    received: list[str] = []

    async def receive() -> dict[str, Any]:
        received.append("disconnect")
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = asgi_scope("POST", path, delivery.headers)
    async_to_sync(ASGIHandler())(scope, receive, send)
    assert sent == []
    assert received == ["disconnect"]
    # Nothing was claimed: the retry of the delivery is processed, not a duplicate.
    retried = serve_asgi(path, delivery.body, delivery.headers)
    assert (retried.status(), retried.json()["status"]) == (200, "processed")


@pytest.mark.parametrize("path", ["/relaybox/webhooks", "/async/relaybox/webhooks"])
def test_asgi_stops_reading_a_chunked_body_past_the_limit(path: str) -> None:
    """Sent without Content-Length, 4 MiB: answered 413 after the limit and one chunk."""
    oversized = b'{"data": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    client = serve_asgi(path, oversized, {WEBHOOK_SIGNATURE_HEADER: "0" * 64})
    assert client.status() == 413
    assert client.json()["error"] == "body_too_large"
    assert client.given <= LIMIT + CHUNK


def test_asgi_refuses_a_declared_oversized_body_without_reading_any() -> None:
    oversized = b"x" * (LIMIT + 1)
    headers = {WEBHOOK_SIGNATURE_HEADER: "0" * 64, "Content-Length": str(len(oversized))}
    client = serve_asgi("/async/relaybox/webhooks", oversized, headers)
    assert client.status() == 413
    assert client.given == 0


@pytest.mark.parametrize("path", ["/relaybox/webhooks", "/async/relaybox/webhooks"])
def test_asgi_hands_django_the_body_it_read(path: str) -> None:
    """A delivery larger than one chunk, read by the handler, reaches the view whole."""
    caches["default"].clear()
    delivery = sign_webhook(
        "room:publish", {"text": "y" * (2 * CHUNK)}, TEST_WEBHOOK_SIGNING_KEY, event_id=path
    )
    client = serve_asgi(path, delivery.body, delivery.headers)
    assert (client.status(), client.json()["status"]) == (200, "processed")
    assert client.given == len(delivery.body)


def wsgi_chunked(body: bytes, headers: dict[str, str], *, terminated: bool) -> tuple[int, Any]:
    """A delivery sent chunked (no Content-Length) through Django's WSGI handler, its input
    already de-chunked as a WSGI server hands it over; ``terminated``: the server says the
    input ends where the body does (``wsgi.input_terminated``, as gunicorn does)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/relaybox/webhooks",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    started: list[str] = []
    answer = WSGIHandler()(environ, lambda status, headers: started.append(status))
    return int(started[0].split()[0]), json.loads(b"".join(answer))


def test_wsgi_reads_a_chunked_delivery_when_the_server_ends_its_input() -> None:
    caches["default"].clear()
    delivery = sign_webhook("room:join", {}, TEST_WEBHOOK_SIGNING_KEY, event_id="chunked-1")
    headers = {k: v for k, v in delivery.headers.items() if k != "Content-Type"}
    status, answer = wsgi_chunked(delivery.body, headers, terminated=True)
    assert (status, answer) == (200, {"id": "chunked-1", "status": "processed"})


def test_wsgi_answers_411_for_a_chunked_delivery_it_cannot_read() -> None:
    delivery = sign_webhook("room:join", {}, TEST_WEBHOOK_SIGNING_KEY, event_id="chunked-2")
    headers = {k: v for k, v in delivery.headers.items() if k != "Content-Type"}
    status, answer = wsgi_chunked(delivery.body, headers, terminated=False)
    assert (status, answer["error"]) == (411, "length_required")
    assert "Content-Length" in answer["message"]
