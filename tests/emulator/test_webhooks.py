"""Webhooks as Relaybox's webhook service sends them: signed, retried, then recorded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from relaybox_integrations import RelayBox, verify_webhook
from relaybox_integrations.emulator import Emulator, RealtimeClient

from .conftest import API_KEY, run

SIGNING_KEY = "test-signing-key-for-the-emulator-suite-0000"


class Receiver:
    """A webhook endpoint answering each request with the next planned status."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.statuses = statuses or []
        self.delay = delay
        self.requests: list[tuple[bytes, dict[str, str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((await request.read(), dict(request.headers)))
        await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_events_are_signed_as_relaybox_signs_them() -> None:
    receiver = Receiver()

    async def scenario() -> None:
        async with serving(receiver) as url:
            with Emulator(API_KEY, webhook_urls=[url], webhook_signing_key=SIGNING_KEY) as emulator:
                token = RelayBox(API_KEY).generate_token_response(client_id="alice")
                async with RealtimeClient(emulator.url, token=token) as client:
                    room = await client.join("r")
                    await room.publish("message", {"text": "hi"})
                    await room.publish("quiet", 1, transient=True)  # no webhook
                    await room.presence.enter({"name": "A"})
                    await room.leave()
                done = await asyncio.to_thread(emulator.wait_for_webhooks, 5)
                assert [d.outcome for d in done] == ["delivered"] * 5

    run(scenario())
    events = []
    for body, headers in receiver.requests:
        event = verify_webhook(body, headers["X-RelayBox-Webhook-Signature"], SIGNING_KEY)
        assert headers["X-RelayBox-Webhook-Id"] == "emulator-webhook-1"
        events.append(event)
    by_event = {e.event: e for e in events}  # each delivery is its own request: any order
    assert sorted(by_event) == [
        "auth:session:initialize",
        "presence:join",
        "room:join",
        "room:leave",
        "room:publish",
    ]
    publish = by_event["room:publish"]
    assert publish.data["body"] == {"text": "hi"}
    assert publish.data["roomId"] == "r"
    assert publish.session["clientId"] == "alice"
    assert publish.session["appPid"] == "demo-app"
    assert by_event["presence:join"].data == {"roomId": "r", "userData": {"name": "A"}}


def test_retries_then_delivers_with_the_same_id() -> None:
    receiver = Receiver(statuses=[503, 429, 200])

    async def scenario() -> None:
        async with serving(receiver) as url:
            with Emulator(API_KEY, webhook_urls=[url], webhook_signing_key=SIGNING_KEY) as emulator:
                token = RelayBox(API_KEY).generate_token_response()
                async with RealtimeClient(emulator.url, token=token):
                    pass
                [delivery] = await asyncio.to_thread(emulator.wait_for_webhooks, 1)
                assert (delivery.outcome, delivery.attempts, delivery.status) == (
                    "delivered",
                    3,
                    200,
                )

    run(scenario())
    ids = {
        verify_webhook(b, h["X-RelayBox-Webhook-Signature"], SIGNING_KEY).id
        for b, h in receiver.requests
    }
    assert len(receiver.requests) == 3
    assert len(ids) == 1


def test_a_final_answer_is_not_retried() -> None:
    receiver = Receiver(statuses=[400])

    async def scenario() -> None:
        async with serving(receiver) as url:
            with Emulator(API_KEY, webhook_urls=[url], webhook_signing_key=SIGNING_KEY) as emulator:
                token = RelayBox(API_KEY).generate_token_response()
                async with RealtimeClient(emulator.url, token=token):
                    pass
                [delivery] = await asyncio.to_thread(emulator.wait_for_webhooks, 1)
                assert (delivery.outcome, delivery.attempts, delivery.status) == (
                    "delivered",
                    1,
                    400,
                )

    run(scenario())


def test_a_receiver_down_or_slow_is_retried_five_times_then_recorded_as_failed() -> None:
    slow = Receiver(delay=3.0)
    down = f"http://127.0.0.1:{_unused_port()}/hook"

    async def scenario() -> list[Any]:
        async with serving(slow) as slow_url:
            with Emulator(
                API_KEY,
                webhook_urls=[down, slow_url],
                webhook_signing_key=SIGNING_KEY,
                webhook_timeout=0.3,
            ) as emulator:
                token = RelayBox(API_KEY).generate_token_response()
                async with RealtimeClient(emulator.url, token=token):
                    pass
                return await asyncio.to_thread(emulator.wait_for_webhooks, 2, 120)

    deliveries = run(scenario())
    assert [(d.outcome, d.attempts) for d in deliveries] == [("failed", 5)] * 2
    assert down in {d.url for d in deliveries}
    assert all(d.status is None and d.error for d in deliveries)
    assert len(slow.requests) == 5


def test_room_management_frames_send_cores_webhooks() -> None:
    receiver = Receiver()

    async def scenario() -> None:
        async with serving(receiver) as url:
            with Emulator(API_KEY, webhook_urls=[url], webhook_signing_key=SIGNING_KEY) as emulator:
                token = RelayBox(API_KEY).generate_token_response(client_id="olga")
                async with RealtimeClient(emulator.url, token=token) as olga:
                    create = {"roomId": "vault", "visibility": "protected", "password": "a"}
                    await olga.request("ds:client:room:create", create)
                    update = {"roomId": "vault", "password": "b"}
                    await olga.request("ds:client:room:password:update", update)
                    member = {"roomId": "vault", "clientId": "bob"}
                    await olga.request("ds:client:room:member:add", member)
                    await olga.request(
                        "ds:client:room:member:type", {**member, "memberType": "admin"}
                    )
                    await olga.request("ds:client:room:member:remove", member)
                done = await asyncio.to_thread(emulator.wait_for_webhooks, 6)
                events = [d.event for d in done if d.event != "auth:session:initialize"]
                assert events == [
                    "room:create",
                    "room:password:update",
                    "room:member:add",
                    "room:member:type",
                    "room:member:remove",
                ]
                by_event = {d.event: d.payload for d in done}
                assert by_event["room:create"]["data"]["visibility"] == "protected"
                assert by_event["room:member:type"]["data"]["memberType"] == "admin"
                assert by_event["room:member:remove"]["session"]["clientId"] == "olga"
                for body, headers in receiver.requests:  # signed as every other webhook
                    verify_webhook(body, headers["X-RelayBox-Webhook-Signature"], SIGNING_KEY)

    run(scenario())
