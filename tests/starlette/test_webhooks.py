"""What only the Starlette adapter's webhooks do: threads for sync handlers, options."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect

from relaybox_integrations import ConfigurationError, sign_webhook
from relaybox_integrations.starlette import RelayBoxWebhooks, relaybox_webhook_routes
from tests.starlette.asgi import call
from tests.support.extras import assert_says_how_to_install, configure_without

SIGNING_KEY = "whsec-starlette-tests-signing-key-0123456789"


def test_sync_handlers_run_off_the_event_loop_thread() -> None:
    threads: list[threading.Thread] = []
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY)

    @webhooks.on("room:join")
    def joined(event: Any) -> None:
        threads.append(threading.current_thread())

    app = Starlette(routes=relaybox_webhook_routes(webhooks))
    delivery = sign_webhook("room:join", {}, SIGNING_KEY)
    response = call(
        app, "POST", "/relaybox/webhooks", content=delivery.body, headers=delivery.headers
    )
    assert response.status_code == 200
    assert len(threads) == 1
    assert threads[0] is not threading.main_thread()  # asyncio.run() runs the loop here


def test_a_handler_without_event_names_is_an_error() -> None:
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY)
    with pytest.raises(ConfigurationError, match='at least one event name, or "\\*"'):
        webhooks.on()


def test_webhooks_or_options_not_both() -> None:
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY)
    with pytest.raises(ConfigurationError, match="either webhooks= or its options"):
        relaybox_webhook_routes(webhooks, tolerance=60)
    with pytest.raises(ConfigurationError) as caught:
        relaybox_webhook_routes(signing_key="")
    assert caught.value.setting == "signing_key"


def receive_in(chunks: list[bytes], read: list[bytes]) -> Any:
    """An ASGI ``receive`` sending ``chunks`` as one streamed body with no Content-Length."""
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        chunk = pending.pop(0)
        read.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return receive


def delivery_scope(signature: str) -> dict[str, Any]:
    """The ASGI scope of a delivery's POST with this signature."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/relaybox/webhooks",
        "headers": [(b"x-relaybox-webhook-signature", signature.encode())],
        "query_string": b"",
        "root_path": "",
    }


def post_streamed(app: Any, chunks: list[bytes], signature: str) -> tuple[int, bytes]:
    """POST a body in ``chunks`` straight through ASGI, as a chunked upload arrives."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = delivery_scope(signature)
    read: list[bytes] = []
    asyncio.run(app(scope, receive_in(chunks, read), send))
    return sent[0]["status"], b"".join(read)


def test_a_streamed_body_is_read_whole_and_verified() -> None:
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY)
    joined: list[str] = []
    webhooks.on("room:join")(lambda event: joined.append(event.id))
    delivery = sign_webhook("room:join", {"roomId": "lobby"}, SIGNING_KEY)
    app = Starlette(routes=relaybox_webhook_routes(webhooks))
    chunks = [delivery.body[i : i + 7] for i in range(0, len(delivery.body), 7)]
    signature = delivery.headers["X-RelayBox-Webhook-Signature"]
    assert post_streamed(app, chunks, signature) == (200, delivery.body)
    assert joined == [json.loads(delivery.body)["id"]]


def test_a_streamed_body_over_the_limit_is_refused_before_the_rest_is_read() -> None:
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY, max_body_size=1000)
    app = Starlette(routes=relaybox_webhook_routes(webhooks))
    chunks = [b"x" * 400] * 10
    status, read = post_streamed(app, chunks, "0" * 64)
    assert status == 413
    assert len(read) == 1200  # one chunk past the limit, not the 4000 bytes sent


def test_a_client_that_leaves_mid_body_gets_no_answer_and_runs_nothing() -> None:
    """As Starlette's own ``Request.body()`` does, the route raises ClientDisconnect (which
    the server drops) rather than answering; the delivery is not claimed, so a retry runs."""
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY)
    joined: list[str] = []
    webhooks.on("room:join")(lambda event: joined.append(event.id))
    (route,) = relaybox_webhook_routes(webhooks)
    delivery = sign_webhook("room:join", {}, SIGNING_KEY, event_id="left")
    signature = delivery.headers["X-RelayBox-Webhook-Signature"]
    messages = [
        {"type": "http.request", "body": delivery.body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = delivery_scope(signature)
    with pytest.raises(ClientDisconnect):
        asyncio.run(route.app(scope, receive, send))  # type: ignore[attr-defined]
    assert sent == []
    assert messages == []
    assert joined == []
    app = Starlette(routes=[route])
    assert post_streamed(app, [delivery.body], signature) == (200, delivery.body)
    assert joined == ["left"]


def test_without_the_webhooks_extra_the_routes_refuse_to_start_naming_it() -> None:
    said = configure_without(
        ("orjson",),
        "from relaybox_integrations.starlette import relaybox_webhook_routes\n"
        "relaybox_webhook_routes(signing_key=SIGNING_KEY)",
    )
    assert_says_how_to_install(said, "webhooks")
