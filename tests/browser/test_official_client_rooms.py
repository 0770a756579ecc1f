"""The official browser client, ``@relaybox/client`` 3.0.1, joining rooms with rules in the
emulator, in Chromium: an authorized room with a room access token from the application,
a protected room with its password, a private room as a member.

As in ``test_official_client.py``: Relaybox's own build, read from ``RELAYBOX_CLIENT_BUNDLE``
(the module skips when it is unset), in its offline mode, its token from a small Starlette
application that uses this package. The application's ``/rooms/<roomId>/access`` gives the
logged-in user a token from ``RelayBox.generate_room_access_token`` for any room, so that the
tests can ask for the right room's token or another's; deciding who may have one is the
application's job, not the emulator's.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import Emulator
from relaybox_integrations.starlette import relaybox_routes
from tests.browser.official_client import client_bundle
from tests.support.servers import TEST_API_KEY, free_port

BUNDLE = client_bundle()
#: Long enough for a loaded machine; a wait that runs out is a failure, never a pass.
WAIT_MS = 20_000
RELAYBOX = RelayBox(TEST_API_KEY)

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>rooms with rules</title></head>
<body>
<script type="module">
  import RelayBox from '/client.js';
  window.RelayBox = RelayBox;
  window.clientLoaded = true;
</script>
</body>
</html>
"""

#: Join ``roomId`` with ``options`` (``tokenFor``: fetch the application's access token for
#: that room first); what the client resolved or rejected with.
JOIN = """async ({roomId, tokenFor, password}) => {
  const options = {};
  if (tokenFor) {
    const response = await fetch(`/rooms/${encodeURIComponent(tokenFor)}/access`);
    options.accessToken = (await response.json()).token;
  }
  if (password) { options.password = password; }
  try {
    const room = await window.relayBox.join(roomId, options);
    window.rooms[roomId] = room;
    return {joined: true, visibility: room.visibility, memberType: room.memberType};
  } catch (error) {
    return {joined: false, name: error.name, message: error.message};
  }
}"""


def user(request: Request) -> str | None:
    name = request.session.get("user")
    return name if isinstance(name, str) else None


async def log_in_as(request: Request) -> Response:
    request.session["user"] = request.path_params["name"]
    return HTMLResponse(PAGE)


async def client_module(request: Request) -> Response:
    return Response(BUNDLE.read_bytes(), media_type="text/javascript")


async def room_access(request: Request) -> Response:
    """The logged-in user's access token for the room in the path."""
    name = user(request)
    if name is None:
        return JSONResponse({"message": "log in first"}, status_code=401)
    token = RELAYBOX.generate_room_access_token(request.path_params["room_id"], name)
    return JSONResponse(token.as_dict(), headers={"Cache-Control": "no-store"})


def application() -> Starlette:
    return Starlette(
        routes=[
            Route("/as/{name}", log_in_as),
            Route("/client.js", client_module),
            Route("/rooms/{room_id}/access", room_access),
            Mount("/user", routes=relaybox_routes(api_key=TEST_API_KEY, load_user=user)),
        ],
        middleware=[Middleware(SessionMiddleware, secret_key="rooms-suite-only")],
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=TEST_API_KEY) as running:
        yield running


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the application's server stopped"
        assert time.monotonic() < deadline, "the application's server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def visit(browser: Browser, app_url: str, emulator: Emulator) -> Iterator[Callable[[str], Page]]:
    """``visit(name)``: a page logged in as ``name``, its client connected to the emulator."""
    contexts = []

    def open_as(name: str) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{app_url}/as/{name}")
        page.wait_for_function("() => window.clientLoaded === true", timeout=WAIT_MS)
        client_id = page.evaluate(
            """async (port) => {
              window.relayBox = new window.RelayBox({
                authEndpoint: '/user/auth', offline: {enabled: true, port},
              });
              window.rooms = {};
              window.received = [];
              await window.relayBox.connect();
              return window.relayBox.clientId;
            }""",
            emulator.port,
        )
        assert client_id == name
        return page

    yield open_as
    for context in contexts:
        context.close()


def new_room(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex[:12]}"


def join(page: Page, room_id: str, **options: Any) -> dict[str, Any]:
    arguments = {"roomId": room_id, "tokenFor": None, "password": None, **options}
    return dict(page.evaluate(JOIN, arguments))


def test_an_authorized_room_admits_the_official_client_with_a_token_for_it(
    visit: Callable[[str], Page], emulator: Emulator
) -> None:
    room = new_room("team")
    emulator.create_room(room, visibility="authorized")
    alice = visit("alice")
    joined = join(alice, room, tokenFor=room)
    assert joined == {"joined": True, "visibility": "authorized", "memberType": "member"}
    # Joined for real: a server publish to the room reaches the page.
    alice.evaluate(
        """async (roomId) => window.rooms[roomId].subscribe('news', (message) =>
             window.received.push(message.body))""",
        room,
    )
    with RelayBox(TEST_API_KEY, core_url=emulator.core_url) as server:
        server.publish(room, "news", {"n": 1})
    alice.wait_for_function("() => window.received.length === 1", timeout=WAIT_MS)
    assert alice.evaluate("() => window.received") == [{"n": 1}]


def test_an_authorized_room_refuses_the_official_client_without_a_token(
    visit: Callable[[str], Page], emulator: Emulator
) -> None:
    room = new_room("team")
    emulator.create_room(room, visibility="authorized")
    refused = join(visit("bob"), room)
    assert refused == {
        "joined": False,
        "name": "JsonWebTokenError",
        "message": "jwt must be provided",
    }


def test_an_authorized_room_refuses_a_token_for_another_room(
    visit: Callable[[str], Page], emulator: Emulator
) -> None:
    room, other = new_room("team"), new_room("team")
    emulator.create_room(room, visibility="authorized")
    bob = visit("bob")
    refused = join(bob, room, tokenFor=other)
    assert refused == {"joined": False, "name": "ForbiddenError", "message": "Room access denied"}
    assert join(bob, room, tokenFor=room)["joined"] is True  # the same page, the right token


def test_a_protected_room_asks_the_official_client_for_its_password(
    visit: Callable[[str], Page], emulator: Emulator
) -> None:
    room = new_room("vault")
    emulator.create_room(room, visibility="protected", password="open sesame")
    page = visit("carol")
    page.evaluate(
        """() => {
          window.asked = [];
          window.relayBox.on('PROTECTED_PASSWORD_REQUIRED', (id) => window.asked.push(id));
        }"""
    )
    assert join(page, room)["name"] == "PasswordRequiredError"
    assert page.evaluate("() => window.asked") == [room]  # the client's own event for it
    assert join(page, room, password="guess")["message"] == "Password access denied"
    assert join(page, room, password="open sesame")["visibility"] == "protected"


def test_a_private_room_admits_its_members_only(
    visit: Callable[[str], Page], emulator: Emulator
) -> None:
    room = new_room("staff")
    emulator.create_room(room, visibility="private", members={"dana": "admin"})
    assert join(visit("dana"), room) == {
        "joined": True,
        "visibility": "private",
        "memberType": "admin",
    }
    assert join(visit("erin"), room)["message"] == "Room access denied"
