"""The demo's staff room with the official client, in Chromium, against the emulator: each
example's own room access endpoint decides, and the emulator admits to the ``authorized``
room ``demo:staff`` only with a token for it.

Run as a newcomer runs it (no ``RELAYBOX_API_KEY``): serve.py starts the emulator beside the
example and creates ``demo:staff`` there as an authorized room. The ``staff`` user's page
gets a token from the example's endpoint and joins; the ``demo`` user's page is refused by
the example, with its reason, and then by the emulator when it tries without a token, or
with the staff user's token for another authorized room.

The page imports the client from its CDN; these tests answer that URL with the official
bundle (``RELAYBOX_CLIENT_BUNDLE``; they skip without it), as ``test_emulator_loop.py`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import DEVELOPMENT_API_KEY
from tests.browser.harness import CLIENT_URL, is_loopback
from tests.browser.official_client import client_bundle
from tests.examples.conftest import EXAMPLES
from tests.support.servers import DEMO_USER, ROOT, free_port, run_example

BUNDLE = client_bundle()
WAIT_MS = 30_000
STAFF = ("staff", "staff-password")
ROOM_ID = "demo:staff"
#: Another authorized room, which the staff room's token must not open.
ANNEX = "demo:staff-annex"
assert (ROOT / "example_projects" / "common" / "staff_room.py").is_file()

#: Join ``roomId`` as the page's client would, with the access token of ``tokenFor`` (asked
#: from the example's endpoint for that room) or none; what the client resolved or rejected.
JOIN = """async ({roomId, tokenUrl}) => {
  const options = {};
  if (tokenUrl) {
    const response = await fetch(tokenUrl, { credentials: 'include', cache: 'no-store' });
    options.accessToken = (await response.json()).token;
  }
  try {
    const room = await window.relayBox.join(roomId, options);
    return {joined: true, visibility: room.visibility};
  } catch (error) {
    return {joined: false, name: error.name, message: error.message};
  }
}"""


class Demo:
    def __init__(self, url: str, emulator_port: int) -> None:
        self.url = url
        self.emulator_port = emulator_port


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The example as serve.py runs it with no API key: beside the emulator, which has the
    staff room and, made here, another authorized room."""
    database = tmp_path_factory.mktemp("db") / "staff.sqlite3"
    env = {"RELAYBOX_API_KEY": None, "DJANGO_DB_PATH": str(database)}
    port = free_port()
    with run_example(str(request.param), env=env, emulator_port=port) as url:
        token = RelayBox(DEVELOPMENT_API_KEY).generate_token_response(client_id="tests").token
        created = httpx.post(
            f"http://127.0.0.1:{port}/state/rooms",
            json={"roomId": ANNEX, "visibility": "authorized"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        yield Demo(url, port)


def serve_bundle(route: Route) -> None:
    route.fulfill(
        path=BUNDLE,
        content_type="text/javascript; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
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


def log_in(context: BrowserContext, base_url: str, user: tuple[str, str]) -> Page:
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", user[0])
    page.fill("input[name=password]", user[1])
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def staff_room_outcome(page: Page) -> tuple[str, str]:
    """What the page shows for the staff room once it has an answer: outcome and text."""
    page.wait_for_function(
        "() => ['joined', 'refused', 'failed'].includes("
        "document.getElementById('staff-room').dataset.outcome)",
        timeout=WAIT_MS,
    )
    shown = page.locator("#staff-room")
    return str(shown.get_attribute("data-outcome")), shown.inner_text()


def join(page: Page, room_id: str, token_url: str | None = None) -> dict[str, Any]:
    return dict(page.evaluate(JOIN, {"roomId": room_id, "tokenUrl": token_url}))


def test_staff_join_the_authorized_room_with_the_examples_token(
    browser_context: BrowserContext, demo: Demo
) -> None:
    page = log_in(browser_context, demo.url, STAFF)
    outcome, text = staff_room_outcome(page)
    assert outcome == "joined", text
    assert page.locator("#staff-room").get_attribute("data-visibility") == "authorized"
    assert "the local Relaybox emulator" in page.inner_text("#service")
    token_url = page.inner_text("#room-access-url")
    # The staff room's token opens the staff room only.
    refused = join(page, ANNEX, token_url)
    assert refused == {"joined": False, "name": "ForbiddenError", "message": "Room access denied"}
    assert join(page, ROOM_ID, token_url) == {"joined": True, "visibility": "authorized"}


def test_others_are_refused_by_the_example_and_then_by_the_emulator(
    browser_context: BrowserContext, demo: Demo
) -> None:
    page = log_in(browser_context, demo.url, DEMO_USER)
    outcome, text = staff_room_outcome(page)
    assert outcome == "refused", text
    assert text == "refused by this server (403): Only staff may join demo:staff."
    assert join(page, ROOM_ID) == {
        "joined": False,
        "name": "JsonWebTokenError",
        "message": "jwt must be provided",
    }
    # The demo user is connected all the same: the lobby is public.
    assert join(page, "demo:lobby") == {"joined": True, "visibility": "public"}
