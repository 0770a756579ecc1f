"""What only the Starlette adapter's webhooks do: threads for sync handlers, options."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.applications import Starlette

from relaybox_integrations import ConfigurationError, sign_webhook
from relaybox_integrations.starlette import RelayBoxWebhooks, relaybox_webhook_routes
from tests.starlette.asgi import call

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


def test_webhooks_or_options_not_both() -> None:
    webhooks = RelayBoxWebhooks(signing_key=SIGNING_KEY)
    with pytest.raises(ConfigurationError, match="either webhooks= or its options"):
        relaybox_webhook_routes(webhooks, tolerance=60)
    with pytest.raises(ConfigurationError) as caught:
        relaybox_webhook_routes(signing_key="")
    assert caught.value.setting == "signing_key"
