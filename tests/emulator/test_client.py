"""The Python client with a token from an application's auth endpoint, as the browser takes
it, and the emulator run in the test's own event loop."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import Emulator, RealtimeClient

from .conftest import API_KEY, run


def test_tokens_from_the_auth_endpoint_and_a_fresh_one_on_reconnect() -> None:
    relaybox = RelayBox(API_KEY)
    requests: list[web.Request] = []

    async def auth(request: web.Request) -> web.Response:
        requests.append(request)
        user = request.query["user"]  # what authParams carry, as a logged-in session would
        response = relaybox.generate_token_response(client_id=user)
        return web.Response(body=response.to_json(), content_type="application/json")

    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/relaybox/auth", auth)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        endpoint = f"http://127.0.0.1:{runner.addresses[0][1]}/relaybox/auth"
        try:
            async with Emulator(API_KEY) as emulator:  # in this event loop
                alice = RealtimeClient(
                    emulator.url, auth_endpoint=endpoint, auth_params={"user": "alice"}
                )
                async with alice:
                    assert alice.client_id == "alice"
                    room = await alice.join("r")
                    await room.subscribe("e")
                    first = alice.connection_id
                    emulator.disconnect()  # from the loop: scheduled, not waited for
                    await alice.wait_connected(2)
                    assert alice.connection_id == first
                    await room.publish("e", "after the reconnect")
                    await room.wait_for_messages("e")
                    message = await emulator.await_message("r", "e")
                    assert message.client_id == "alice"
        finally:
            await runner.cleanup()

    run(scenario())
    assert len(requests) == 2  # connect, then a fresh token for the reconnect
    assert all(r.headers["Content-Type"] == "application/json" for r in requests)


def test_the_auth_endpoints_refusal_is_reported() -> None:
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": "login required"}, status=401)

    async def scenario() -> str:
        app = web.Application()
        app.router.add_get("/auth", refuse)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            client = RealtimeClient(
                "http://127.0.0.1:9",
                auth_endpoint=f"http://127.0.0.1:{runner.addresses[0][1]}/auth",
            )
            try:
                await client.connect()
            except ConnectionError as error:
                return str(error)
            finally:
                await client.close()
            return "connected"
        finally:
            await runner.cleanup()

    assert run(scenario()) == 'the auth endpoint answered HTTP 401: {"error": "login required"}'


def test_wait_for_message_from_the_loop_says_what_to_use_instead() -> None:
    async def scenario() -> str:
        async with Emulator(API_KEY) as emulator:
            try:
                emulator.wait_for_message("r", "e", timeout=0)
            except RuntimeError as error:
                return str(error)
            return "blocked"

    assert "await emulator.await_message" in run(scenario())


def test_wait_for_message_names_what_was_delivered(relaybox_emulator: Emulator) -> None:
    with RelayBox(API_KEY, core_url=relaybox_emulator.core_url) as relaybox:
        relaybox.publish("r", "other", 1)
    with pytest.raises(TimeoutError, match=r"delivered: \[\('r', 'other'\)\]"):
        relaybox_emulator.wait_for_message("r", "wanted", timeout=0.1)


def test_an_unused_event_loop_stays_clean() -> None:
    async def scenario() -> int:
        async with Emulator(API_KEY):
            pass
        return len(asyncio.all_tasks())

    assert run(scenario()) == 1
