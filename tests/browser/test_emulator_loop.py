"""The demo's whole realtime loop on one machine: serve.py, the emulator beside the example,
and the official client in two tabs of Chromium.

Run as a newcomer runs it (no ``RELAYBOX_API_KEY``), serve.py starts the emulator; each tab's
client connects to it in offline mode with a token from the example's ``/user/auth``; a
message sent from one tab is published by the example to the emulator and shown in both;
the "who is here" list follows the tabs' presence, a closed tab included; and the webhooks
the emulator sent to the example, signed as Relaybox signs them, are listed on the page.

The page imports the client from its CDN; these tests answer that URL with the official
bundle (``RELAYBOX_CLIENT_BUNDLE``; they skip without it) through Playwright's routing, which
is fine here: the page makes no cross-origin HTTP request whose preflight routing would
answer in the emulator's place.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.browser.harness import CLIENT_URL, is_loopback
from tests.browser.official_client import client_bundle
from tests.support.servers import DEMO_USER, free_port, run_example

BUNDLE = client_bundle()
#: Long enough for a loaded machine, and for the emulator's 5 s grace before a closed tab's
#: presence ends; a wait that runs out is a failure, never a pass.
WAIT_MS = 30_000
#: gunicorn run beside the emulator and uvicorn in serve.py's own process, Django's page and
#: the one Starlette and FastAPI share (Flask's renders the same setting: see
#: tests/examples/test_serve_emulator.py). Each run waits out the emulator's presence grace.
LOOP_EXAMPLES = ("django", "starlette")


@pytest.fixture(scope="module", params=LOOP_EXAMPLES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example as ``serve.py`` runs it with no API key: beside the emulator."""
    database = tmp_path_factory.mktemp("db") / "loop.sqlite3"
    env = {"RELAYBOX_API_KEY": None, "DJANGO_DB_PATH": str(database)}
    with run_example(str(request.param), env=env, emulator_port=free_port()) as url:
        yield url


def serve_bundle(route: Route) -> None:
    route.fulfill(
        path=BUNDLE,
        content_type="text/javascript; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )


@pytest.fixture
def tabs(browser: Browser) -> Iterator[BrowserContext]:
    """One browser profile (its tabs share the login), the client's CDN URL answered with
    the official bundle; it fails the test if a tab reached past loopback."""
    context = browser.new_context()
    context.route(CLIENT_URL, serve_bundle)
    reached: list[str] = []
    context.on(
        "request",
        lambda request: (
            None
            if request.url == CLIENT_URL or is_loopback(request.url)
            else reached.append(request.url)
        ),
    )
    yield context
    context.close()
    assert not reached, f"pages reached past loopback: {reached}"


def log_in(context: BrowserContext, base_url: str) -> Page:
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", DEMO_USER[0])
    page.fill("input[name=password]", DEMO_USER[1])
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def wait_connected(page: Page) -> None:
    page.wait_for_function(
        "() => document.getElementById('state').dataset.state !== 'connecting'", timeout=WAIT_MS
    )
    state = page.locator("#state")
    assert state.get_attribute("data-state") == "connected", state.inner_text()


def wait_connections(page: Page, count: int) -> None:
    """Until the page's "who is here" list counts ``count`` connections."""
    page.wait_for_function(
        "(count) => document.getElementById('present-count').dataset.connections === count",
        arg=str(count),
        timeout=WAIT_MS,
    )


def webhooks_listed(page: Page) -> list[str]:
    """The events in the page's webhook list, after asking the example for it again."""
    page.click("#refresh-webhooks")
    page.wait_for_function(
        "() => document.getElementById('webhooks-status').textContent !== ''"
        " || document.getElementById('webhooks').children.length > 0",
        timeout=WAIT_MS,
    )
    return [item.split(" ")[1] for item in page.locator("#webhooks li .meta").all_inner_texts()]


def test_two_tabs_chat_see_each_other_and_the_webhooks_arrive(
    tabs: BrowserContext, demo: str
) -> None:
    first = log_in(tabs, demo)
    wait_connected(first)
    assert "the local Relaybox emulator" in first.inner_text("#service")
    user_id = str(tabs.request.get(f"{demo}/user/me").json()["id"])
    wait_connections(first, 1)
    assert first.locator(f'#present li[data-id="{user_id}"]').inner_text().endswith(DEMO_USER[0])

    second = tabs.new_page()
    second.goto(f"{demo}/")
    wait_connected(second)
    wait_connections(second, 2)
    wait_connections(first, 2)
    assert second.locator("#present li").count() == 1  # one user, in two tabs

    second.fill("#chat-text", "hello from the second tab")
    second.click("#chat button[type=submit]")
    second.wait_for_function(
        "() => !['sending', undefined].includes("
        "document.getElementById('chat-status').dataset.status)",
        timeout=WAIT_MS,
    )
    status = second.locator("#chat-status")
    assert status.get_attribute("data-status") == "200", status.inner_text()
    for tab in (first, second):
        shown = tab.locator("#messages li")
        shown.first.wait_for(timeout=WAIT_MS)
        assert shown.count() == 1
        assert "hello from the second tab" in shown.inner_text()
        assert f"user {user_id}" in shown.inner_text()

    expected = {"room:join", "presence:join"}
    events: list[str] = []
    for _ in range(WAIT_MS // 250):
        events = webhooks_listed(first)
        if expected <= set(events):
            break
        first.wait_for_timeout(250)
    assert expected <= set(events), f"the example listed {events}"

    second.close()  # its connection drops; its presence ends after the emulator's grace
    wait_connections(first, 1)
    assert first.locator("#present li").count() == 1
