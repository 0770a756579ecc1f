"""The home page's chat and its list of webhooks received, in Chromium, for every example.

The chat: the user sends a message through the page's form; the example publishes it to the
events stand-in (which checks it as Relaybox's ``/events`` does), as the session user, and
the page says what went wrong with a blank one.
Relaybox would then relay it to every client subscribed to the room; here the test hands the
page's stood-in client exactly what Relaybox relays for that publish (``{id, body, sender,
timestamp, event}``, as its events handler builds it), and the page must show it, as text.

The webhooks: a delivery signed as Relaybox signs it is posted to the example, and the page
lists it.
"""

from __future__ import annotations

import time
import uuid

import httpx
from playwright.sync_api import Page

from relaybox_integrations import sign_webhook
from tests.browser.harness import SETTLE_MS, BrowserSession, settle
from tests.support.events_standin import EventsStandin
from tests.support.servers import TEST_WEBHOOK_SIGNING_KEY

#: The examples whose framework protects POST against CSRF: the chat sends X-CSRFToken.
CSRF_EXAMPLES = ("django", "django-asgi", "flask")
LOBBY = "demo:lobby"


def wait_for_the_lobby(page: Page) -> None:
    """Until the page's client has joined the lobby and subscribed to its messages."""
    page.wait_for_function(
        "(key) => window.__relayboxStandIn.subscriptions.includes(key)",
        arg=f"{LOBBY}::message",
        timeout=SETTLE_MS,
    )


def wait_for_the_answer(page: Page, previous: str = "") -> None:
    """Until the chat's status shows the server's answer to the message just sent (the
    status text of the one before holds ``previous``)."""
    page.wait_for_function(
        """(previous) => {
          const status = document.getElementById('chat-status');
          return status.dataset.status !== undefined && status.dataset.status !== 'sending'
            && !(previous && status.textContent.includes(previous));
        }""",
        arg=previous,
        timeout=SETTLE_MS,
    )


def test_the_chat_form_publishes_and_incoming_messages_show(
    session: BrowserSession, example: str, example_url: str, events_standin: EventsStandin
) -> None:
    page = session.login(example_url)
    settle(page)
    wait_for_the_lobby(page)
    user_id = session.user_id(example_url)

    text = f"<b>bold?</b> & {uuid.uuid4()}"
    page.fill("#chat-text", text)
    page.click("#chat button[type=submit]")
    wait_for_the_answer(page)
    status = page.locator("#chat-status")
    assert status.get_attribute("data-status") == "200", f"{example}: {status.inner_text()}"
    (sent,) = [item for item in events_standin.published if item.data == {"text": text}]
    assert (sent.room_id, sent.event, sent.client_id) == (LOBBY, "message", user_id)
    assert sent.request_id in status.inner_text()
    assert page.input_value("#chat-text") == ""
    (post,) = session.network(page).to(f"{example_url}/messages", "POST")
    assert post.request_headers["content-type"] == "application/json"
    assert ("x-csrftoken" in post.request_headers) is (example in CSRF_EXAMPLES)

    relayed = {
        "id": sent.request_id,
        "body": sent.data,
        "sender": {"clientId": sent.client_id, "connectionId": None, "user": None},
        "timestamp": int(time.time() * 1000),
        "event": "message",
    }
    handled = page.evaluate(
        "([room, message]) => window.__relayboxStandIn.deliver(room, 'message', message)",
        [LOBBY, relayed],
    )
    assert handled == 1
    shown = page.locator(f'#messages li[data-id="{sent.request_id}"]')
    shown.wait_for(timeout=SETTLE_MS)
    assert text in shown.inner_text()
    assert f"user {user_id}" in shown.inner_text()
    assert page.locator("#messages b").count() == 0  # shown as text, never as markup

    page.fill("#chat-text", "   ")  # blank: the input's `required` lets spaces through
    page.click("#chat button[type=submit]")
    wait_for_the_answer(page, previous=sent.request_id)
    assert status.get_attribute("data-status") == "400"
    assert "The message is empty." in status.inner_text()


def test_received_webhooks_appear_on_the_page(
    session: BrowserSession, example: str, example_url: str
) -> None:
    page = session.login(example_url)
    settle(page)
    delivery = sign_webhook(
        "presence:join", {"roomId": LOBBY}, TEST_WEBHOOK_SIGNING_KEY, session={"clientId": "7"}
    )
    event_id = delivery.payload["id"]
    answer = httpx.post(
        f"{example_url}/relaybox/webhooks", content=delivery.body, headers=delivery.headers
    )
    assert answer.status_code == 200, answer.text
    page.click("#refresh-webhooks")
    shown = page.locator(f'#webhooks li[data-id="{event_id}"]')
    shown.wait_for(timeout=SETTLE_MS)
    assert "presence:join" in shown.inner_text(), f"{example}: {shown.inner_text()}"
    assert page.locator(f'#webhooks li[data-id="{event_id}"]').count() == 1
