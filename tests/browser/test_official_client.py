"""The official browser client, ``@relaybox/client`` 3.0.1, against the emulator, in Chromium.

The client is Relaybox's own build, read from ``RELAYBOX_CLIENT_BUNDLE`` (never copied into
the repository; the suite skips, saying so, when it is unset). Its page and its
``authEndpoint`` are served by a small Starlette application that uses this package: a
visitor's session says who they are, and ``/user/auth`` mints their token with the
emulator's key. The client runs in its offline mode (``offline: {enabled: true, port}``),
as the guide tells users to run it, so every frame and HTTP request below is the one the
client really sends, and every answer the emulator's.

One browser for the whole run (the browser suite's), one emulator and one application for
this module; each test has its own rooms and browser contexts (one per user).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, WebSocket
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import Emulator
from relaybox_integrations.starlette import relaybox_routes
from tests.browser.harness import CLIENT_URL
from tests.browser.official_client import client_bundle
from tests.support.servers import TEST_API_KEY, free_port
from tests.support.snippets import assert_runs, code_blocks

SNIPPETS = {("docs/local-development.rst", "Point your application at it", "javascript"): 1}
BUNDLE = client_bundle()
#: Long enough for a loaded machine; a wait that runs out is a failure, never a pass.
WAIT_MS = 20_000
#: The shortest lifetime the package allows: the client refreshes it 1 s after it is issued.
SHORT_EXPIRES_IN = 21
#: A well-formed key of another application: the emulator knows only TEST_API_KEY.
OTHER_API_KEY = "otherapp.otherkey:another-secret-for-the-test-suite-only-0123456789"

#: The test page: the client, imported as Relaybox documents it, for the tests to drive.
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>official client</title></head>
<body>
<script type="module">
  import RelayBox from '/client.js';
  window.RelayBox = RelayBox;
  window.clientLoaded = true;
</script>
</body>
</html>
"""


def user(request: Request) -> str | None:
    """The visitor's session user, set by ``/as/<name>``: never what the browser claims."""
    name = request.session.get("user")
    return name if isinstance(name, str) else None


async def log_in_as(request: Request) -> Response:
    request.session["user"] = request.path_params["name"]
    return HTMLResponse(PAGE)


async def client_module(request: Request) -> Response:
    return Response(BUNDLE.read_bytes(), media_type="text/javascript")


#: The guide's page for its snippet: nothing but the snippet, imported so that the test
#: learns how its top-level awaits settle.
GUIDE_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>guide snippet</title></head>
<body>
<script type="module">
  window.guideSnippet = 'pending';
  import('/guide/snippet.js').then(
    () => { window.guideSnippet = 'resolved'; },
    (error) => { window.guideSnippet = `rejected: ${error.name}: ${error.message}`; },
  );
</script>
</body>
</html>
"""


def guide_snippet(port: int) -> str:
    """The guide's browser snippet as written, but for the client's URL (served here) and
    the emulator's port (a free one, where the guide says 9000)."""
    [snippet] = code_blocks(
        "docs/local-development.rst", "Point your application at it", "javascript"
    )
    for written, here in ((CLIENT_URL, "/client.js"), ("port: 9000", f"port: {port}")):
        assert snippet.count(written) == 1, f"the guide's snippet no longer has {written!r}"
        snippet = snippet.replace(written, here)
    return snippet


async def guide_page(request: Request) -> Response:
    return HTMLResponse(GUIDE_PAGE)


async def guide_module(request: Request) -> Response:
    source = guide_snippet(request.app.state.emulator_port)
    return Response(source, media_type="text/javascript")


def application(emulator_port: int) -> Starlette:
    app = Starlette(
        routes=[
            Route("/as/{name}", log_in_as),
            Route("/client.js", client_module),
            Route("/guide", guide_page),
            Route("/guide/snippet.js", guide_module),
            Mount("/user", routes=relaybox_routes(api_key=TEST_API_KEY, load_user=user)),
            # Tokens signed with a key the emulator does not have.
            Mount(
                "/other",
                routes=relaybox_routes(api_key=OTHER_API_KEY, load_user=user, name="other_auth"),
            ),
            # Tokens the client refreshes a second after each one, for the reconnect test.
            Mount(
                "/short",
                routes=relaybox_routes(
                    api_key=TEST_API_KEY,
                    load_user=user,
                    expires_in=SHORT_EXPIRES_IN,
                    name="short_auth",
                ),
            ),
        ],
        middleware=[Middleware(SessionMiddleware, secret_key="official-client-suite-only")],
    )
    app.state.emulator_port = emulator_port
    return app


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=TEST_API_KEY) as running:
        yield running


@pytest.fixture(scope="module")
def app_url(emulator: Emulator) -> Iterator[str]:
    """The application under uvicorn, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application(emulator.port), host="127.0.0.1", port=port, log_level="warning")
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


@dataclass
class Socket:
    """One WebSocket the page opened: its URL, and its frames as JSON, both ways."""

    url: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def query(self) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(urlsplit(self.url).query).items()}

    def types_sent(self) -> list[str]:
        return [frame["type"] for frame in self.sent]

    def ack(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """The acknowledgement received for the sent ``frame``, if any yet."""
        for answer in self.received:
            body = answer.get("body") or {}
            if answer["type"] == "ds:server:message:acknowledged" and (
                body.get("ackId") == frame["ackId"]
            ):
                return dict(body)
        return None


@dataclass
class Visitor:
    """A user's page, with the client loaded, and the sockets it opened."""

    name: str
    page: Page
    sockets: list[Socket]
    console: list[str]

    def run(self, source: str, arg: Any = None) -> Any:
        """Evaluate ``source`` (an async function of ``arg``) on the page; its result."""
        return self.page.evaluate(source, arg)

    def wait_for(self, condition: str, arg: Any = None) -> None:
        self.page.wait_for_function(condition, arg=arg, timeout=WAIT_MS)

    def wait_until(self, check: Callable[[], bool], what: str) -> None:
        """Wait (serving the page's events meanwhile) until ``check()`` holds."""
        deadline = time.monotonic() + WAIT_MS / 1000
        while not check():
            assert time.monotonic() < deadline, f"{self.name}: {what}; console: {self.console}"
            self.page.wait_for_timeout(50)


@pytest.fixture
def visit(browser: Browser, app_url: str, emulator: Emulator) -> Iterator[Callable[..., Visitor]]:
    """``visit(name)``: a new browser context logged in as ``name``, its client connected
    to the emulator through ``/user/auth`` (``auth="/short/auth"`` for short tokens)."""
    contexts = []

    def open_as(name: str, auth: str = "/user/auth") -> Visitor:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        console: list[str] = []
        sockets: list[Socket] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))

        def opened(websocket: WebSocket) -> None:
            socket = Socket(websocket.url)
            sockets.append(socket)
            websocket.on("framesent", lambda payload: socket.sent.append(json.loads(payload)))
            websocket.on(
                "framereceived", lambda payload: socket.received.append(json.loads(payload))
            )

        page.on("websocket", opened)
        page.goto(f"{app_url}/as/{name}")
        page.wait_for_function("() => window.clientLoaded === true", timeout=WAIT_MS)
        visitor = Visitor(name, page, sockets, console)
        connected = visitor.run(
            """async ({authEndpoint, port}) => {
              window.relayBox = new window.RelayBox({authEndpoint, offline: {enabled: true, port}});
              window.received = [];
              window.presenceEvents = [];
              window.connectionEvents = [];
              for (const event of ['connect', 'disconnect', 'reconnecting', 'reconnected']) {
                window.relayBox.connection.on(event, () => window.connectionEvents.push(event));
              }
              await window.relayBox.connect();
              const {clientId, connectionId} = window.relayBox;
              return {clientId, connectionId};
            }""",
            {"authEndpoint": auth, "port": emulator.port},
        )
        assert connected["clientId"] == name, (connected, console)
        assert connected["connectionId"], (connected, console)
        return visitor

    yield open_as
    for context in contexts:
        context.close()


def new_room() -> str:
    return f"interop:{uuid.uuid4().hex[:12]}"


JOIN = """async (roomId) => {
  window.rooms = window.rooms || {};
  const room = await window.relayBox.join(roomId);
  window.rooms[roomId] = room;
  return {roomId: room.roomId, nspRoomId: room.nspRoomId, visibility: room.visibility,
          memberType: room.memberType};
}"""
SUBSCRIBE = """async ([roomId, event]) => {
  const record = (message) => window.received.push({subscription: event || '*', message});
  const room = window.rooms[roomId];
  if (event) { await room.subscribe(event, record); } else { await room.subscribe(record); }
}"""
PUBLISH = """async ([roomId, event, data]) => window.rooms[roomId].publish(event, data)"""


def received(visitor: Visitor) -> list[dict[str, Any]]:
    return list(visitor.run("() => window.received"))


def test_a_message_published_in_one_page_reaches_the_other(
    visit: Callable[..., Visitor], emulator: Emulator
) -> None:
    alice, bob = visit("alice"), visit("bob")
    room = new_room()
    joined = alice.run(JOIN, room)
    assert joined == {
        "roomId": room,
        "nspRoomId": f"{TEST_API_KEY.split('.')[0]}:{room}",
        "visibility": "public",
        "memberType": "member",
    }
    bob.run(JOIN, room)
    bob.run(SUBSCRIBE, [room, "greeting"])
    bob.run(SUBSCRIBE, [room, None])  # every event: `$:subscribe:all`

    sent = alice.run(PUBLISH, [room, "greeting", {"text": "hello, bob"}])
    bob.wait_for("() => window.received.length >= 2")
    deliveries = received(bob)
    assert sorted(delivery["subscription"] for delivery in deliveries) == ["*", "greeting"]
    alice_connection = alice.run("() => window.relayBox.connectionId")
    for delivery in deliveries:
        message = delivery["message"]
        assert message == sent, "what was delivered differs from the publisher's acknowledgement"
        assert message["body"] == {"text": "hello, bob"}
        assert message["event"] == "greeting"
        assert message["sender"]["clientId"] == "alice"
        assert message["sender"]["connectionId"] == alice_connection
    assert [m.id for m in emulator.messages(room_id=room, event="greeting")] == [sent["id"]]
    assert received(alice) == []  # alice bound nothing: her own message is not sent back


def test_the_packages_own_publishing_reaches_the_page(
    visit: Callable[..., Visitor], emulator: Emulator
) -> None:
    """POST /core/events, signed by this package, fanned out to the official client."""
    bob = visit("bob")
    room = new_room()
    bob.run(JOIN, room)
    bob.run(SUBSCRIBE, [room, "news"])
    with RelayBox(TEST_API_KEY, core_url=emulator.core_url) as relaybox:
        result = relaybox.publish(room, "news", {"headline": "from the server"}, client_id="srv")
    bob.wait_for("() => window.received.length >= 1")
    (delivery,) = received(bob)
    message = delivery["message"]
    assert message["id"] == result.request_id
    assert message["body"] == {"headline": "from the server"}
    assert message["sender"]["clientId"] == "srv"
    assert message["sender"]["connectionId"] is None


PRESENCE_SUBSCRIBE = """async (roomId) => {
  await window.rooms[roomId].presence.subscribe(
    (event) => window.presenceEvents.push(event === undefined ? 'subscribed' : event));
}"""


def test_presence_join_get_count_update_and_leave(visit: Callable[..., Visitor]) -> None:
    alice, bob = visit("alice"), visit("bob")
    room = new_room()
    alice.run(JOIN, room)
    alice.run(PRESENCE_SUBSCRIBE, room)
    # The client calls the handler once, with nothing, when the subscriptions are made.
    assert alice.run("() => window.presenceEvents") == ["subscribed"]

    bob.run(JOIN, room)
    bob.run("async (roomId) => window.rooms[roomId].presence.join({name: 'Bob'})", room)
    alice.wait_for("() => window.presenceEvents.length >= 2")
    joined = alice.run("() => window.presenceEvents[1]")
    assert joined["event"] == "join"
    assert joined["clientId"] == "bob"
    assert joined["data"] == {"name": "Bob"}

    members = alice.run("async (roomId) => window.rooms[roomId].presence.get()", room)
    assert [(m["clientId"], m["data"], m["event"]) for m in members] == [
        ("bob", {"name": "Bob"}, "join")
    ]
    assert alice.run("async (roomId) => window.rooms[roomId].presence.getCount()", room) == 1

    bob.run("async (roomId) => window.rooms[roomId].presence.update({name: 'Robert'})", room)
    alice.wait_for("() => window.presenceEvents.length >= 3")
    updated = alice.run("() => window.presenceEvents[2]")
    assert (updated["event"], updated["clientId"], updated["data"]) == (
        "update",
        "bob",
        {"name": "Robert"},
    )
    members = alice.run("async (roomId) => window.rooms[roomId].presence.get()", room)
    assert [(m["clientId"], m["data"]) for m in members] == [("bob", {"name": "Robert"})]

    bob.run("async (roomId) => window.rooms[roomId].presence.leave()", room)
    alice.wait_for("() => window.presenceEvents.length >= 4")
    left = alice.run("() => window.presenceEvents[3]")
    assert (left["event"], left["clientId"]) == ("leave", "bob")
    assert alice.run("async (roomId) => window.rooms[roomId].presence.get()", room) == []
    assert alice.run("async (roomId) => window.rooms[roomId].presence.getCount()", room) == 0


def test_history_pages_through_what_was_published(visit: Callable[..., Visitor]) -> None:
    """history.get and next(): a cross-origin GET with a Bearer token, its preflight
    answered by the emulator (no routing in this suite answers it for it)."""
    alice = visit("alice")
    room = new_room()
    alice.run(JOIN, room)
    for number in range(5):
        alice.run(PUBLISH, [room, "line", {"n": number}])
    pages = alice.run(
        """async (roomId) => {
          const history = window.rooms[roomId].history;
          const pages = [];
          let page = await history.get({limit: 2});
          pages.push(page.items.map((item) => item.body.n));
          while (page.next) {
            page = await page.next();
            pages.push(page.items.map((item) => item.body.n));
          }
          return pages;
        }""",
        room,
    )
    assert pages == [[4, 3], [2, 1], [0]], "newest first, two to a page, then no next page"


def test_leaving_a_room_is_acknowledged_metrics_unsubscribe_included(
    visit: Callable[..., Visitor],
) -> None:
    """room.leave() sends room:leave, then a metrics unsubscribe even though nothing
    subscribed to metrics; it resolves only once both are acknowledged."""
    alice = visit("alice")
    room = new_room()
    alice.run(JOIN, room)
    outcome = alice.run(
        """async ([roomId, waitMs]) => {
          const timeout = new Promise((resolve) => setTimeout(() => resolve('no answer'), waitMs));
          return Promise.race([window.rooms[roomId].leave().then(() => 'left'), timeout]);
        }""",
        [room, WAIT_MS],
    )
    socket = alice.sockets[-1]
    assert outcome == "left", f"sent {socket.types_sent()}; console: {alice.console}"
    leave, unsubscribe = (
        frame
        for frame in socket.sent
        if frame["type"] in ("ds:client:room:leave", "ds:client:room:metrics:unsubscribe")
    )
    assert leave["type"] == "ds:client:room:leave"
    assert unsubscribe["type"] == "ds:client:room:metrics:unsubscribe"
    assert {k: unsubscribe["body"][k] for k in ("roomId", "event")} == {
        "roomId": room,
        "event": "all",
    }
    nsp_room_id = f"{TEST_API_KEY.split('.')[0]}:{room}"
    assert socket.ack(leave) == {"ackId": leave["ackId"], "data": nsp_room_id}
    assert socket.ack(unsubscribe) == {
        "ackId": unsubscribe["ackId"],
        "data": f"{nsp_room_id}:$:metrics:all",
    }


def test_a_dropped_connection_comes_back_with_its_id_a_new_token_and_its_rooms(
    visit: Callable[..., Visitor], emulator: Emulator
) -> None:
    alice = visit("alice", auth="/short/auth")
    bob = visit("bob")
    room = new_room()
    alice.run(JOIN, room)
    alice.run(SUBSCRIBE, [room, "ping"])
    bob.run(JOIN, room)
    first = alice.sockets[0]
    connection_id = alice.run("() => window.relayBox.connectionId")
    # The client refreshes the 21 s token a second after it got it; it keeps the new one for
    # its next connection.
    alice.wait_for(
        "(first) => window.relayBox.tokenResponse && window.relayBox.tokenResponse.token !== first",
        first.query["token"],
    )

    emulator.disconnect("alice")
    alice.wait_until(lambda: len(alice.sockets) >= 2, "the client did not reconnect")
    second = alice.sockets[1]
    alice.wait_until(
        lambda: any(f["type"] == "ds:server:connection:acknowledged" for f in second.received),
        "the reconnection was not acknowledged",
    )
    assert second.query["connectionId"] == connection_id
    assert second.query["token"] != first.query["token"]
    (acknowledged,) = [
        f for f in second.received if f["type"] == "ds:server:connection:acknowledged"
    ]
    assert acknowledged["body"]["connectionId"] == connection_id
    assert acknowledged["body"]["clientId"] == "alice"
    assert "reconnected" in alice.run("() => window.connectionEvents")
    assert second.types_sent() == [], "the client sent nothing to restore its rooms itself"

    bob.run(PUBLISH, [room, "ping", {"after": "reconnect"}])
    alice.wait_for("() => window.received.length >= 1")
    (delivery,) = received(alice)
    assert delivery["message"]["body"] == {"after": "reconnect"}


def test_the_page_has_the_snippet_this_module_runs() -> None:
    assert_runs(SNIPPETS)


def test_the_guides_offline_snippet_connects_and_receives(
    browser: Browser, app_url: str, emulator: Emulator
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{app_url}/as/carol")  # logged in, as the guide's page would be
        page.goto(f"{app_url}/guide")
        page.wait_for_function("() => window.guideSnippet !== 'pending'", timeout=WAIT_MS)
        assert page.evaluate("() => window.guideSnippet") == "resolved"
        # The client logs its own steps with console.log too, each starting "[INFO]".
        with (
            page.expect_console_message(
                lambda m: m.type == "log" and not m.text.startswith("[INFO]"), timeout=WAIT_MS
            ) as logged,
            RelayBox(TEST_API_KEY, core_url=emulator.core_url) as relaybox,
        ):
            relaybox.publish("chat:lobby", "message", {"text": "hello, guide"})
        assert logged.value.args[0].json_value() == {"text": "hello, guide"}
    finally:
        context.close()


CONNECT_OUTCOME = """async ({authEndpoint, port}) => {
  const relayBox = new window.RelayBox({authEndpoint, offline: {enabled: true, port}});
  try {
    await relayBox.connect();
    return 'connected';
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}"""


def test_a_token_the_emulator_refuses_fails_connect(
    browser: Browser, app_url: str, emulator: Emulator
) -> None:
    """A token of another key is refused at the upgrade (HTTP 500, as relaybox/core answers
    every refused upgrade), and connect() rejects at once.

    How 3.0.1 rejects is its own: its socket error and close handlers assume an opened
    socket, so it reports "Socket disconnected before acknowledgment" (not "Socket
    connection error"), with two TypeErrors of its own on the page, and does not retry.
    """
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        console: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{app_url}/as/mallory")
        page.wait_for_function("() => window.clientLoaded === true", timeout=WAIT_MS)
        outcome = page.evaluate(
            CONNECT_OUTCOME, {"authEndpoint": "/other/auth", "port": emulator.port}
        )
        assert outcome == "Error: Socket disconnected before acknowledgment", outcome
        # Chromium's own line: the emulator answered the upgrade with a 500, as the core does.
        assert any("Unexpected response code: 500" in line for line in console), console
        assert all("Cannot set properties of undefined" in error for error in errors), errors
    finally:
        context.close()


def test_the_room_list_says_the_emulator_lacks_it(visit: Callable[..., Visitor]) -> None:
    """``relayBox.rooms.list()`` without options requests ``/core/rooms0``, not
    ``/core/rooms``: 3.0.1 appends ``queryParams.size && `?...` `` to the path, and a size
    of 0 writes "0". The emulator must still name the missing feature (the room list needs
    Relaybox's auth service), not answer that no such route exists."""
    alice = visit("alice")
    outcome = alice.run(
        """async () => {
          try {
            await window.relayBox.rooms.list();
            return 'listed';
          } catch (error) {
            return `${error.name}: ${error.message}`;
          }
        }"""
    )
    assert outcome.startswith("NotImplementedError: "), outcome
    assert "does not implement the room list" in outcome, outcome


def test_deleting_a_history_message_says_the_emulator_lacks_it(
    visit: Callable[..., Visitor],
) -> None:
    """3.0.1's ``room.history.delete(id)`` sends ``DELETE <state>/messages/<id>`` (to the
    state service, which the reference does not list); the emulator must name that feature,
    message deletion, rather than only the state service's rooms."""
    alice = visit("alice")
    room = new_room()
    alice.run(JOIN, room)
    sent = alice.run(PUBLISH, [room, "line", {"n": 1}])
    outcome = alice.run(
        """async ([roomId, id]) => {
          try {
            await window.rooms[roomId].history.delete(id);
            return 'deleted';
          } catch (error) {
            return `${error.name}: ${error.message}`;
          }
        }""",
        [room, sent["id"]],
    )
    assert outcome.startswith("NotImplementedError: "), outcome
    assert "delet" in outcome.lower(), outcome
