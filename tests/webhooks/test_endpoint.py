"""WebhookEndpoint: the answers Relaybox gets, and handlers run once per event id, with the
in-process store and a real Redis, from threads (handle) and asyncio tasks (ahandle)."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
import redis.asyncio

from relaybox_integrations import (
    AsyncRedisWebhookStore,
    ClaimOutcome,
    ConfigurationError,
    EndpointResponse,
    InMemoryWebhookStore,
    RedisWebhookStore,
    SignedWebhook,
    WebhookEndpoint,
    WebhookEvent,
    WebhookStore,
    sign_webhook,
)
from relaybox_integrations.webhooks import VERIFY_IN_THREAD_ABOVE
from tests.support.servers import free_port
from tests.webhooks.conftest import SIGNING_KEY

SIGNATURE = "X-RelayBox-Webhook-Signature"
#: How long a test waits for another thread or task before it fails, never a pass condition.
PATIENCE = 10.0


def deliver(
    endpoint: WebhookEndpoint, delivery: SignedWebhook, method: str = "POST"
) -> EndpointResponse:
    return endpoint.handle(method, delivery.body, delivery.headers[SIGNATURE])


def attempt(event_id: str = "evt-1", event: str = "room:publish", **options: Any) -> SignedWebhook:
    """One delivery attempt: Relaybox signs each attempt afresh, with a new timestamp."""
    return sign_webhook(event, {"roomId": "lobby"}, SIGNING_KEY, event_id=event_id, **options)


def body_of(response: EndpointResponse) -> dict[str, Any]:
    headers = dict(response.headers)
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    return dict(json.loads(response.body))


class Recorder:
    """A handler that records the events it ran for."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []

    def __call__(self, event: WebhookEvent) -> None:
        self.events.append(event)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def endpoint(store: WebhookStore, recorder: Recorder) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(SIGNING_KEY, store=store)
    endpoint.on("room:publish")(recorder)
    return endpoint


def test_a_genuine_delivery_runs_the_handler_and_gets_200(
    endpoint: WebhookEndpoint, recorder: Recorder
) -> None:
    response = deliver(endpoint, attempt())
    assert response.status == 200
    assert body_of(response) == {"id": "evt-1", "status": "processed"}
    (event,) = recorder.events
    assert (event.id, event.event, event.data) == ("evt-1", "room:publish", {"roomId": "lobby"})


def test_the_same_id_three_times_runs_the_handler_once(
    endpoint: WebhookEndpoint, recorder: Recorder
) -> None:
    answers = [body_of(deliver(endpoint, attempt()))["status"] for _ in range(3)]
    assert answers == ["processed", "duplicate", "duplicate"]
    assert len(recorder.events) == 1
    assert body_of(deliver(endpoint, attempt("evt-2")))["status"] == "processed"
    assert [event.id for event in recorder.events] == ["evt-1", "evt-2"]


@pytest.mark.parametrize(
    ("delivery", "status", "error"),
    [
        (lambda: (attempt().body, "0" * 64), 403, "invalid_signature"),
        (lambda: (attempt().body, None), 403, "invalid_signature"),
        (
            lambda: (
                attempt().body,
                sign_webhook("room:publish", None, "another-key").headers[SIGNATURE],
            ),
            403,
            "invalid_signature",
        ),
        (
            lambda: (
                (
                    d := attempt(
                        timestamp=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
                    )
                ).body,
                d.headers[SIGNATURE],
            ),
            403,
            "stale_timestamp",
        ),
        (lambda: (b"not json", "0" * 64), 400, "invalid_body"),
    ],
    ids=["forged", "unsigned", "other key", "stale", "not JSON"],
)
def test_refused_deliveries_get_a_final_4xx_and_run_nothing(
    endpoint: WebhookEndpoint,
    recorder: Recorder,
    delivery: Any,
    status: int,
    error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, signature = delivery()
    with caplog.at_level(logging.WARNING, logger="relaybox_integrations"):
        response = endpoint.handle("POST", body, signature)
    assert response.status == status
    assert body_of(response)["error"] == error
    assert recorder.events == []
    assert "Relaybox webhook refused" in caplog.text
    assert SIGNING_KEY not in caplog.text


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_other_methods_get_405_with_allow(
    endpoint: WebhookEndpoint, recorder: Recorder, method: str
) -> None:
    for response in (
        endpoint.reject_before_reading(method, None),
        deliver(endpoint, attempt(), method=method),
    ):
        assert response is not None
        assert response.status == 405
        assert dict(response.headers)["Allow"] == "POST"
        assert body_of(response)["error"] == "method_not_allowed"
    assert recorder.events == []


def test_oversize_bodies_get_413_before_and_after_reading(recorder: Recorder) -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY, max_body_size=1024)
    endpoint.on("*")(recorder)
    assert endpoint.reject_before_reading("POST", "1024") is None
    assert endpoint.reject_before_reading("POST", None) is None
    assert endpoint.reject_before_reading("POST", "chunked?") is None
    early = endpoint.reject_before_reading("POST", 1025)
    assert early is not None
    assert early.status == 413
    large = sign_webhook("room:publish", "x" * 1024, SIGNING_KEY)
    response = deliver(endpoint, large)
    assert response.status == 413
    assert body_of(response)["error"] == "body_too_large"
    assert recorder.events == []
    assert deliver(endpoint, attempt()).status == 200


def test_the_default_body_limit_is_256_kib() -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY)
    assert endpoint.max_body_size == 256 * 1024
    assert endpoint.reject_before_reading("POST", 256 * 1024) is None


def test_a_failing_handler_gets_500_and_the_retry_runs_it_again(
    endpoint: WebhookEndpoint, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    failures = iter([RuntimeError("database down")])

    @endpoint.on("room:publish")
    def flaky(event: WebhookEvent) -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        first = deliver(endpoint, attempt())
    assert first.status == 500
    assert body_of(first)["error"] == "handler_failed"
    assert "database down" in caplog.text
    assert "database down" not in first.body.decode()
    retried = deliver(endpoint, attempt())
    assert body_of(retried) == {"id": "evt-1", "status": "processed"}
    assert body_of(deliver(endpoint, attempt()))["status"] == "duplicate"
    assert len(recorder.events) == 2  # the handler before the flaky one ran on each attempt


def test_handlers_run_in_registration_order_catch_alls_included(store: WebhookStore) -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY, store=store)
    calls: list[str] = []
    endpoint.on("room:join")(lambda event: calls.append("join"))
    endpoint.on("*")(lambda event: calls.append(f"any {event.event}"))
    endpoint.on("room:join", "room:leave")(lambda event: calls.append("join or leave"))
    deliver(endpoint, attempt("a", "room:join"))
    deliver(endpoint, attempt("b", "room:leave"))
    deliver(endpoint, attempt("c", "presence:update"))
    assert calls == [
        "join", "any room:join", "join or leave",
        "any room:leave", "join or leave",
        "any presence:update",
    ]  # fmt: skip


def test_an_event_without_handlers_is_acknowledged_and_not_stored(
    endpoint: WebhookEndpoint, recorder: Recorder
) -> None:
    response = deliver(endpoint, attempt(event="presence:join"))
    assert body_of(response) == {"id": "evt-1", "status": "ignored"}
    # The id was not claimed: a handler for another event name can still run for it.
    assert endpoint.store.claim("evt-1") is ClaimOutcome.CLAIMED


def test_two_concurrent_deliveries_of_one_id_run_the_handler_once(
    endpoint: WebhookEndpoint, recorder: Recorder
) -> None:
    """Threads, as a threaded WSGI server runs them. The second attempt arrives while the
    first's handler runs (Relaybox's 5 s timeout fired): it gets a retryable 503, so that
    the delivery is not over should the first attempt then fail."""
    started, finish = threading.Event(), threading.Event()

    @endpoint.on("room:publish")
    def slow(event: WebhookEvent) -> None:
        started.set()
        assert finish.wait(PATIENCE)

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(deliver, endpoint, attempt())
        assert started.wait(PATIENCE)
        second = deliver(endpoint, attempt())
        finish.set()
        assert first.result(timeout=PATIENCE).status == 200
    assert second.status == 503
    assert body_of(second)["error"] == "delivery_in_progress"
    assert body_of(deliver(endpoint, attempt()))["status"] == "duplicate"
    assert len(recorder.events) == 1


def test_when_the_running_attempt_fails_the_next_retry_runs_the_handler(
    endpoint: WebhookEndpoint, recorder: Recorder
) -> None:
    started, finish = threading.Event(), threading.Event()
    attempts = iter(["fail", "succeed"])

    @endpoint.on("room:publish")
    def slow_then_fine(event: WebhookEvent) -> None:
        if next(attempts) == "fail":
            started.set()
            assert finish.wait(PATIENCE)
            raise RuntimeError("timed out talking to the database")

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(deliver, endpoint, attempt())
        assert started.wait(PATIENCE)
        assert deliver(endpoint, attempt()).status == 503
        finish.set()
        assert first.result(timeout=PATIENCE).status == 500
    assert body_of(deliver(endpoint, attempt()))["status"] == "processed"
    assert len(recorder.events) == 2


def test_many_threads_racing_one_id_run_the_handler_once(
    endpoint: WebhookEndpoint, recorder: Recorder
) -> None:
    deliveries = [attempt() for _ in range(16)]
    barrier = threading.Barrier(len(deliveries))

    def race(delivery: SignedWebhook) -> int:
        barrier.wait(PATIENCE)
        return deliver(endpoint, delivery).status

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        statuses = list(pool.map(race, deliveries))
    assert len(recorder.events) == 1
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 503}


def test_an_async_handler_under_handle_is_a_logged_500_and_releases_the_claim(
    store: WebhookStore, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY, store=store)

    @endpoint.on("room:publish")
    async def handler(event: WebhookEvent) -> None:
        raise AssertionError("never awaited")

    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        assert deliver(endpoint, attempt()).status == 500
    assert "runs synchronously: use the framework's async view" in caplog.text
    assert store.claim("evt-1") is ClaimOutcome.CLAIMED


def test_a_handler_returning_a_future_under_handle_is_a_logged_500_and_releases_the_claim(
    store: WebhookStore, caplog: pytest.LogCaptureFixture
) -> None:
    """An awaitable that is not a coroutine (nothing to close): refused all the same."""
    loop = asyncio.new_event_loop()
    endpoint = WebhookEndpoint(SIGNING_KEY, store=store)

    @endpoint.on("room:publish")
    def handler(event: WebhookEvent) -> asyncio.Future[None]:
        return loop.create_future()  # say, work handed to an executor: never awaited

    try:
        with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
            response = deliver(endpoint, attempt())
    finally:
        loop.close()
    assert response.status == 500
    assert body_of(response)["error"] == "handler_failed"
    assert "returned an awaitable, but this endpoint runs synchronously" in caplog.text
    assert store.claim("evt-1") is ClaimOutcome.CLAIMED


class UnreachableStore:
    """A store whose backend is down: each call fails as a Redis client's would."""

    def claim(self, delivery_id: str) -> ClaimOutcome:
        raise redis.ConnectionError("Error 111 connecting to localhost:6379. Connection refused.")

    mark_done = release = claim


def test_a_store_that_fails_gets_503_which_relaybox_retries(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    # A store that raises at once: a real client aimed at a closed port retries for seconds.
    endpoint = WebhookEndpoint(SIGNING_KEY, store=UnreachableStore())
    endpoint.on("*")(recorder)
    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = deliver(endpoint, attempt())
    assert response.status == 503
    assert body_of(response)["error"] == "store_unavailable"
    assert recorder.events == []
    assert "store claim failed" in caplog.text


class DownAfterTheClaim(InMemoryWebhookStore):
    """A store whose backend goes down once the delivery is claimed."""

    def release(self, delivery_id: str) -> None:
        raise redis.ConnectionError("Error 111 connecting to localhost:6379. Connection refused.")

    mark_done = release


def test_a_release_that_fails_still_answers_the_handlers_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = DownAfterTheClaim()
    endpoint = WebhookEndpoint(SIGNING_KEY, store=store)

    @endpoint.on("room:publish")
    def failing(event: WebhookEvent) -> None:
        raise RuntimeError("database down")

    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = deliver(endpoint, attempt())
    assert response.status == 500
    assert body_of(response)["error"] == "handler_failed"
    assert "evt-1: store release failed" in caplog.text
    assert "database down" in caplog.text
    # The claim was not released: it holds until its lease expires, and a retry waits.
    assert store.claim("evt-1") is ClaimOutcome.IN_PROGRESS


def test_a_done_mark_that_fails_still_answers_processed(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    store = DownAfterTheClaim()
    endpoint = WebhookEndpoint(SIGNING_KEY, store=store)
    endpoint.on("room:publish")(recorder)
    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = deliver(endpoint, attempt())
    assert body_of(response) == {"id": "evt-1", "status": "processed"}
    assert "evt-1: handled, but not marked done" in caplog.text
    assert [event.id for event in recorder.events] == ["evt-1"]
    assert store.claim("evt-1") is ClaimOutcome.IN_PROGRESS  # the claim's lease still holds


class BooleanStore:
    """A store written to another protocol: its claim answers True or False."""

    def claim(self, delivery_id: str) -> object:
        return True

    def mark_done(self, delivery_id: str) -> None:
        raise AssertionError("never reached")

    release = mark_done


def test_a_store_whose_claim_is_not_a_claim_outcome_gets_503(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY, store=BooleanStore())  # type: ignore[arg-type]
    endpoint.on("*")(recorder)
    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = deliver(endpoint, attempt())
    assert response.status == 503
    assert body_of(response)["error"] == "store_unavailable"
    assert recorder.events == []
    assert "store claim failed" in caplog.text
    assert "the store's claim must return a ClaimOutcome; got True" in caplog.text


class ASGIClient:
    """The ``receive`` of an ASGI server: the given messages, then a disconnect."""

    def __init__(self, *messages: dict[str, Any]) -> None:
        self.messages = list(messages)
        self.received = 0

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        return self.messages.pop(0) if self.messages else {"type": "http.disconnect"}


def test_receive_asgi_body_joins_the_chunks_to_the_end() -> None:
    client = ASGIClient(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"c"},
    )
    assert asyncio.run(WebhookEndpoint(SIGNING_KEY).receive_asgi_body(client.receive)) == b"abc"
    assert client.received == 3


def test_receive_asgi_body_is_none_when_the_client_leaves() -> None:
    client = ASGIClient({"type": "http.request", "body": b"ab", "more_body": True})
    assert asyncio.run(WebhookEndpoint(SIGNING_KEY).receive_asgi_body(client.receive)) is None
    assert client.received == 2


def test_receive_asgi_body_stops_one_chunk_past_the_limit() -> None:
    chunk = {"type": "http.request", "body": b"xyz", "more_body": True}
    client = ASGIClient(*[chunk] * 10)
    endpoint = WebhookEndpoint(SIGNING_KEY, max_body_size=4)
    body = asyncio.run(endpoint.receive_asgi_body(client.receive))
    assert body == b"xyzxyz"
    assert client.received == 2
    refused = endpoint.reject_before_reading("POST", len(body or b""))
    assert refused is not None
    assert body_of(refused)["error"] == "body_too_large"


def test_handler_registration_is_checked() -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY)
    with pytest.raises(ConfigurationError, match="at least one event name"):
        endpoint.on()
    with pytest.raises(ConfigurationError, match="non-empty strings"):
        endpoint.on("")
    with pytest.raises(ConfigurationError, match="must be callable"):
        endpoint.on("*")("not a function")  # type: ignore[type-var]
    with pytest.raises(ConfigurationError):
        WebhookEndpoint(SIGNING_KEY, max_body_size=0)


# --- the stores themselves -------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_in_memory_leases_and_done_marks_expire() -> None:
    clock = Clock()
    store = InMemoryWebhookStore(claim_ttl=30, done_ttl=3600, clock=clock)
    assert store.claim("a") is ClaimOutcome.CLAIMED
    clock.now += 29
    assert store.claim("a") is ClaimOutcome.IN_PROGRESS
    clock.now += 1  # a process killed mid-handler holds the id no longer than claim_ttl
    assert store.claim("a") is ClaimOutcome.CLAIMED
    store.mark_done("a")
    clock.now += 3599
    assert store.claim("a") is ClaimOutcome.DONE
    clock.now += 1
    assert store.claim("a") is ClaimOutcome.CLAIMED
    assert "entries=1" in repr(store)


def test_redis_leases_expire(redis_client: redis.Redis) -> None:
    store = RedisWebhookStore(redis_client, claim_ttl=30)
    assert store.claim("a") is ClaimOutcome.CLAIMED
    assert store.claim("a") is ClaimOutcome.IN_PROGRESS
    assert 0 < redis_client.pttl("relaybox:webhook:a") <= 30_000
    redis_client.pexpire("relaybox:webhook:a", 1)  # let it lapse without waiting 30 s
    deadline = time.monotonic() + PATIENCE
    while redis_client.exists("relaybox:webhook:a"):
        assert time.monotonic() < deadline
    assert store.claim("a") is ClaimOutcome.CLAIMED
    store.mark_done("a")
    assert 3_599_000 < redis_client.pttl("relaybox:webhook:a") <= 3_600_000


@pytest.fixture(params=["memory", "redis"])
def clocked_store(request: pytest.FixtureRequest) -> Iterator[WebhookStore]:
    if request.param == "memory":
        yield InMemoryWebhookStore()
    else:
        yield RedisWebhookStore(request.getfixturevalue("redis_client"), prefix="test:")


def test_release_drops_a_claim_but_never_a_done_mark(clocked_store: WebhookStore) -> None:
    store = clocked_store
    assert store.claim("a") is ClaimOutcome.CLAIMED
    store.release("a")
    assert store.claim("a") is ClaimOutcome.CLAIMED
    store.mark_done("a")
    store.release("a")  # a late release from an attempt whose lease had lapsed
    assert store.claim("a") is ClaimOutcome.DONE


def test_redis_keys_carry_the_prefix(redis_client: redis.Redis, redis_url: str) -> None:
    store = RedisWebhookStore(redis_client, prefix="myapp:hooks:")
    store.claim("evt-9")
    assert redis_client.get("myapp:hooks:evt-9") == b"in_progress"
    store.mark_done("evt-9")
    assert redis_client.get("myapp:hooks:evt-9") == b"done"
    assert "myapp:hooks:" in repr(store)
    # A client that decodes responses to str reads the same marks.
    with redis.Redis.from_url(redis_url, decode_responses=True) as decoding:
        assert RedisWebhookStore(decoding, prefix="myapp:hooks:").claim("evt-9") is (
            ClaimOutcome.DONE
        )


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), "30", True])
def test_bad_ttls(ttl: Any, redis_client: redis.Redis) -> None:
    for build in (
        lambda: InMemoryWebhookStore(claim_ttl=ttl),
        lambda: InMemoryWebhookStore(done_ttl=ttl),
        lambda: RedisWebhookStore(redis_client, claim_ttl=ttl),
    ):
        with pytest.raises(ConfigurationError, match="_ttl must be"):
            build()


def test_a_redis_store_refuses_the_other_kind_of_client() -> None:
    # Never connected: the check is on the client's type, at start-up.
    with pytest.raises(ConfigurationError) as raised:
        RedisWebhookStore(redis.asyncio.Redis(port=free_port()))
    assert raised.value.setting == "client"
    assert str(raised.value) == (
        "RedisWebhookStore needs a redis.Redis; got a redis.asyncio.client.Redis"
    )
    with pytest.raises(ConfigurationError, match=r"needs a redis\.asyncio\.Redis; got a redis\."):
        AsyncRedisWebhookStore(redis.Redis(port=free_port()))
    prefix = "not a str"
    with pytest.raises(ConfigurationError, match="prefix must be a str"):
        RedisWebhookStore(redis.Redis(port=free_port()), prefix=prefix.encode())  # type: ignore[arg-type]


# --- ahandle: asyncio tasks ------------------------------------------------------------


@pytest.fixture(params=["memory", "redis.asyncio"])
def async_store(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Any]:
    """A factory: each test's event loop gets its own asyncio Redis client."""
    if request.param == "memory":
        memory = InMemoryWebhookStore()
        yield lambda: memory
        return
    clients: list[redis.asyncio.Redis] = []

    def build() -> AsyncRedisWebhookStore:
        client = redis.asyncio.Redis.from_url(redis_url)
        clients.append(client)
        return AsyncRedisWebhookStore(client, prefix=f"async-{id(clients)}:")

    yield build


async def close(store: WebhookStore) -> None:
    if isinstance(store, AsyncRedisWebhookStore):
        await store.client.aclose()


async def adeliver(endpoint: WebhookEndpoint, delivery: SignedWebhook) -> EndpointResponse:
    return await endpoint.ahandle("POST", delivery.body, delivery.headers[SIGNATURE])


def test_async_handlers_run_once_per_id(async_store: Any) -> None:
    async def scenario() -> list[str]:
        endpoint = WebhookEndpoint(SIGNING_KEY, store=async_store())
        seen: list[str] = []

        @endpoint.on("room:publish")
        async def handler(event: WebhookEvent) -> None:
            await asyncio.sleep(0)
            seen.append(event.id)

        endpoint.on("*")(lambda event: seen.append(f"sync {event.id}"))
        answers = [body_of(await adeliver(endpoint, attempt()))["status"] for _ in range(3)]
        assert answers == ["processed", "duplicate", "duplicate"]
        await close(endpoint.store)
        return seen

    assert asyncio.run(scenario()) == ["evt-1", "sync evt-1"]


def test_two_concurrent_tasks_of_one_id_run_the_handler_once(async_store: Any) -> None:
    async def scenario() -> None:
        endpoint = WebhookEndpoint(SIGNING_KEY, store=async_store())
        started, finish = asyncio.Event(), asyncio.Event()
        runs: list[str] = []

        @endpoint.on("room:publish")
        async def slow(event: WebhookEvent) -> None:
            runs.append(event.id)
            started.set()
            await asyncio.wait_for(finish.wait(), PATIENCE)

        first = asyncio.create_task(adeliver(endpoint, attempt()))
        await asyncio.wait_for(started.wait(), PATIENCE)
        second = await adeliver(endpoint, attempt())
        finish.set()
        assert (await first).status == 200
        assert second.status == 503
        assert body_of(second)["error"] == "delivery_in_progress"
        assert body_of(await adeliver(endpoint, attempt()))["status"] == "duplicate"
        assert runs == ["evt-1"]
        await close(endpoint.store)

    asyncio.run(scenario())


def test_async_failure_then_retry_and_cancellation_release_the_claim(async_store: Any) -> None:
    async def scenario() -> None:
        endpoint = WebhookEndpoint(SIGNING_KEY, store=async_store())
        outcomes = iter(["raise", "hang", "succeed"])
        started = asyncio.Event()

        @endpoint.on("room:publish")
        async def handler(event: WebhookEvent) -> None:
            outcome = next(outcomes)
            if outcome == "raise":
                raise RuntimeError("boom")
            if outcome == "hang":
                started.set()
                await asyncio.sleep(PATIENCE * 10)

        assert (await adeliver(endpoint, attempt())).status == 500
        # The server cancels a request whose client went away (Relaybox's 5 s timeout).
        hanging = asyncio.create_task(adeliver(endpoint, attempt()))
        await asyncio.wait_for(started.wait(), PATIENCE)
        hanging.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hanging
        assert body_of(await adeliver(endpoint, attempt()))["status"] == "processed"
        await close(endpoint.store)

    asyncio.run(scenario())


def test_ahandle_verifies_a_large_body_off_the_event_loop() -> None:
    """The check of a body over VERIFY_IN_THREAD_ABOVE runs while the loop runs other tasks.

    The endpoint's clock is read during the check: here it waits until a task on the loop has
    run, which it could never do if the check held the loop. A small body is checked on the
    loop itself (no thread hand-over for Relaybox's usual deliveries).
    """
    loop_ran = threading.Event()
    checked_in: list[str] = []

    def clock() -> float:
        checked_in.append(threading.current_thread().name)
        if len(checked_in) == 2:  # the large body's check
            assert loop_ran.wait(PATIENCE), "the event loop did not run during the check"
        return time.time()

    endpoint = WebhookEndpoint(SIGNING_KEY, clock=clock)
    small = sign_webhook("room:join", {}, SIGNING_KEY)
    large = sign_webhook("room:join", {"text": "x" * VERIFY_IN_THREAD_ABOVE}, SIGNING_KEY)

    async def scenario() -> list[int]:
        statuses = [(await adeliver(endpoint, small)).status]
        check = asyncio.create_task(adeliver(endpoint, large))
        await asyncio.sleep(0)  # the check has started in its thread
        loop_ran.set()
        statuses.append((await check).status)
        return statuses

    assert asyncio.run(scenario()) == [200, 200]
    assert checked_in[0] == threading.current_thread().name
    assert checked_in[1] != threading.current_thread().name
