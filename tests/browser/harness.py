"""The browser suite's harness: Chromium, the stood-in client, wire logs and page helpers.

The examples' pages import ``@relaybox/client`` from a public CDN, at the URL their import
map names (:data:`CLIENT_URL`, read from the page itself so that the two cannot differ).
These tests have no internet, so every page gets ``relaybox_client_standin.js`` (see its
header comment) in answer to that module request; no other name than ``localhost``
resolves, and a test fails if its pages requested anything beyond loopback.

Chromium is Debian's package, driven by Playwright through ``executable_path``: no browser is
downloaded. ``CHROMIUM_PATH`` overrides where it is; when it is missing the tests fail and
say so, rather than skip.
"""

from __future__ import annotations

import base64
import html
import http.server
import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page

from tests.support.servers import ROOT

#: Every example that ``example_projects/serve.py`` serves.
EXAMPLES = ("django", "django-asgi", "flask", "starlette", "fastapi")
STAND_IN = Path(__file__).with_name("relaybox_client_standin.js")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
HOME_TEMPLATE = ROOT / "example_projects" / "common" / "home.html"
#: The module specifier the page imports, as Relaybox's documentation writes it.
CLIENT_MODULE = "@relaybox/client"


def client_url(page: str) -> str:
    """Where ``page``'s import map sends ``@relaybox/client``: the URL the tests answer."""
    maps = re.findall(r'<script type="importmap">(.*?)</script>', page, flags=re.DOTALL)
    assert len(maps) == 1, f"the page has {len(maps)} import maps, not one"
    url: str = json.loads(maps[0])["imports"][CLIENT_MODULE]
    return url


#: The module the example pages import, exactly as they spell it.
CLIENT_URL = client_url(HOME_TEMPLATE.read_text(encoding="utf-8"))
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking switches a closed network makes Chromium stall on
#: connections it opens on its own (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Names other than localhost do not resolve: nothing leaves the machine. The client
    # module's CDN request never gets that far (it is answered before any lookup).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
#: How long a page may take to get its first answer from the auth endpoint.
SETTLE_MS = 15_000


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium was not found at {path!r}. Install Debian's package "
            "(apt-get install chromium) or point CHROMIUM_PATH at a Chromium binary; "
            "the browser tests do not download browsers.",
            pytrace=False,
        )
    return path


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def with_host(base_url: str, host: str) -> str:
    """``base_url`` reached through another loopback host name (same server, other origin)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{host}:{parts.port}"


class _FrontEndHandler(http.server.BaseHTTPRequestHandler):
    """A front end hosted apart from the API: its pages are made here, by the test, not by
    an example. Its documents are filled in from the query string, so one server serves
    every example:

    - ``/?authEndpoint=<url>``: the examples' home page, calling that endpoint, as a front
      end on another origin would copy it (no session here, hence no CSRF token);
    - ``/login-form?action=<url>``: a form that logs the visitor in at ``<url>`` as the demo
      user as soon as it loads, as an attacker's page would (login CSRF);
    - ``/frame?src=<url>``: ``<url>`` in a frame, as a page laying its own buttons over it
      would show it (clickjacking).
    """

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path == "/login-form":
            document = _LOGIN_FORM.format(action=html.escape(query.get("action", "")))
        elif parts.path == "/frame":
            document = _FRAME.format(src=html.escape(query.get("src", "")))
        else:
            document = front_end_page(query.get("authEndpoint", "/user/auth"))
        body = document.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output for failures that matter."""


_LOGIN_FORM = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Win a prize</title></head>
<body>
  <form method="post" action="{action}">
    <input name="username" value="demo">
    <input name="password" value="demo-password">
  </form>
  <script>document.forms[0].submit();</script>
</body>
</html>
"""


_FRAME = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Play a game</title></head>
<body><iframe src="{src}" width="800" height="600"></iframe></body>
</html>
"""


def front_end_page(auth_endpoint: str) -> str:
    """The examples' home page as a separate front end would serve it."""
    page = HOME_TEMPLATE.read_text(encoding="utf-8")
    values = {
        "__FRAMEWORK__": "front end on another origin",
        "__CSRF_TOKEN__": "",
        "__USERNAME__": "(the API's session user)",
        "__USER_ID__": "(theirs)",
        "__CSRF_INPUT__": "",
        "__LOGOUT_URL__": "/",
        "__AUTH_URL__": auth_endpoint,
        # The chat and the webhook list are the example's own pages' business: here they
        # point at the front end, which serves neither.
        "__MESSAGES_URL__": "/messages",
        "__WEBHOOK_URL__": "/relaybox/webhooks",
        "__RECEIVED_URL__": "/relaybox/webhooks/received",
        "__DEVELOPMENT_API_KEY__": "no",
        "__DEVELOPMENT_SESSION_KEY__": "no",
        "__DEVELOPMENT_WEBHOOK_KEY__": "no",
        "__SESSION_KEY_SETTING__": "",
        "__EMULATOR_PORT__": "",
    }
    for placeholder, value in values.items():
        page = page.replace(placeholder, html.escape(value))
    return page


@dataclass(frozen=True)
class CrossOriginPages:
    """The test front end served from two origins other than the example's own.

    ``allowed`` is put in the example's ``CORS_ALLOWED_ORIGINS``; ``refused`` is not.
    """

    allowed: str
    refused: str


def front_end_handler() -> type[http.server.BaseHTTPRequestHandler]:
    return _FrontEndHandler


@dataclass
class NetworkEntry:
    """One request as Chromium's network stack saw it (DevTools protocol events)."""

    method: str
    url: str
    type: str
    request_headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    cors_error: str | None = None


class NetworkLog:
    """What actually went over the wire, CORS preflights and cookies included.

    Playwright's own request events leave out preflights; the DevTools protocol does not.
    """

    def __init__(self, session: CDPSession) -> None:
        self.entries: dict[str, NetworkEntry] = {}
        session.on("Network.requestWillBeSent", self._sent)
        session.on("Network.requestWillBeSentExtraInfo", self._sent_extra)
        session.on("Network.responseReceived", self._received)
        session.on("Network.responseReceivedExtraInfo", self._received_extra)
        session.on("Network.loadingFailed", self._failed)
        session.send("Network.enable")

    def _entry(self, params: dict[str, Any]) -> NetworkEntry:
        return self.entries.setdefault(params["requestId"], NetworkEntry("", "", ""))

    def _sent(self, params: dict[str, Any]) -> None:
        entry = self._entry(params)
        entry.method = params["request"]["method"]
        entry.url = params["request"]["url"]
        entry.type = params.get("type", "")
        entry.request_headers = {**_lower(params["request"]["headers"]), **entry.request_headers}

    def _sent_extra(self, params: dict[str, Any]) -> None:
        self._entry(params).request_headers.update(_lower(params["headers"]))

    def _received(self, params: dict[str, Any]) -> None:
        entry = self._entry(params)
        entry.type = params.get("type", entry.type)
        entry.status = params["response"]["status"]
        entry.response_headers = {**_lower(params["response"]["headers"]), **entry.response_headers}

    def _received_extra(self, params: dict[str, Any]) -> None:
        entry = self._entry(params)
        entry.status = entry.status or params.get("statusCode")
        entry.response_headers.update(_lower(params["headers"]))

    def _failed(self, params: dict[str, Any]) -> None:
        entry = self._entry(params)
        entry.error = params.get("errorText")
        cors = params.get("corsErrorStatus")
        entry.cors_error = cors["corsError"] if cors else None

    def describe(self) -> str:
        """Every request, one a line, with how it ended: what a failure message needs to
        tell a refused preflight from a CORS error on the answer or a network error."""
        return "\n".join(
            f"  {entry.method} {entry.url} ({entry.type}): status {entry.status}, "
            f"error {entry.error}, CORS error {entry.cors_error}"
            for entry in self.entries.values()
        )

    def to(self, url: str, method: str) -> list[NetworkEntry]:
        """The requests for ``url`` (query string ignored) made with ``method``."""
        return [
            entry
            for entry in self.entries.values()
            if entry.method == method and entry.url.split("?")[0] == url
        ]


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _serve_stand_in(devtools: CDPSession, event: dict[str, Any]) -> None:
    """Answer the paused request for the client module with the stand-in."""
    body = base64.b64encode(STAND_IN.read_bytes()).decode()
    headers = {
        "Content-Type": "text/javascript; charset=utf-8",
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": "no-store",
    }
    devtools.send(
        "Fetch.fulfillRequest",
        {
            "requestId": event["requestId"],
            "responseCode": 200,
            "responseHeaders": [{"name": name, "value": value} for name, value in headers.items()],
            "body": body,
        },
    )


def _cut_off(devtools: CDPSession, event: dict[str, Any]) -> None:
    """Fail the paused request for the client module as a machine without internet does."""
    devtools.send(
        "Fetch.failRequest",
        {"requestId": event["requestId"], "errorReason": "InternetDisconnected"},
    )


class BrowserSession:
    """One fresh browser profile (cookies, storage) with the client stood in.

    The stand-in is served through the DevTools protocol's Fetch domain, for the client's URL
    only. Playwright's own routing is not used on purpose: while any route is active,
    Playwright answers every CORS preflight itself (204, allowing whatever was asked), so the
    examples' CORS set-up would never be tested.
    """

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.pages: list[Page] = []
        self.networks: dict[int, NetworkLog] = {}
        self.console: list[str] = []

    def new_page(self, client_options: str | None = None, *, offline: bool = False) -> Page:
        """A page whose client module is the stand-in.

        ``client_options``: the source of a JavaScript function from the page's client
        options to the ones its client should use instead (see the stand-in's header).
        ``offline``: the client module cannot be fetched at all, as without internet.
        """
        page = self.context.new_page()
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        if client_options is not None:
            page.add_init_script(f"window.__relayboxStandInOptions = {client_options};")
        devtools = self.context.new_cdp_session(page)
        self.networks[id(page)] = NetworkLog(devtools)
        if offline:
            devtools.on("Fetch.requestPaused", lambda event: _cut_off(devtools, event))
        else:
            devtools.on("Fetch.requestPaused", lambda event: _serve_stand_in(devtools, event))
        devtools.send(
            "Fetch.enable", {"patterns": [{"urlPattern": CLIENT_URL, "requestStage": "Request"}]}
        )
        self.pages.append(page)
        return page

    def leaks(self) -> list[str]:
        """Requests the pages made beyond loopback, other than for the client module."""
        return [
            entry.url
            for network in self.networks.values()
            for entry in network.entries.values()
            if urlsplit(entry.url).scheme in ("http", "https", "ws", "wss")
            and entry.url != CLIENT_URL
            and not is_loopback(entry.url)
        ]

    def network(self, page: Page) -> NetworkLog:
        """The wire-level log of ``page`` (one of this session's pages)."""
        return self.networks[id(page)]

    def login(self, base_url: str, client_options: str | None = None) -> Page:
        """Log the demo user in through the example's form; return the page it lands on,
        its client built with ``client_options`` (see :meth:`new_page`)."""
        page = self.new_page(client_options)
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", "demo")
        page.fill("input[name=password]", "demo-password")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert urlsplit(page.url).path == "/", (
            f"logging in through {base_url}/login landed on {page.url}: "
            f"{page.inner_text('body')[:500]}"
        )
        return page

    def user_id(self, base_url: str) -> str:
        """The session user's id, as the example's /user/me reports it."""
        response = self.context.request.get(f"{base_url}/user/me")
        assert response.status == 200, f"/user/me answered {response.status}: {response.text()}"
        return str(response.json()["id"])

    def open(self, page: Page, url: str) -> dict[str, Any]:
        """Load ``url`` and wait for the client's first auth request to finish."""
        page.goto(url)
        return settle(page)


def settle(page: Page) -> dict[str, Any]:
    """Wait until the page's client and its claims box are done; return what the page shows."""
    page.wait_for_function(
        """() => {
          const log = window.__relayboxStandIn;
          return log && log.requests.length > 0 && log.requests[0].finishedAt !== null
            && document.getElementById('state').dataset.state !== 'connecting'
            && document.getElementById('claims').textContent !== 'waiting for a token…';
        }""",
        timeout=SETTLE_MS,
    )
    return dict(
        page.evaluate(
            """() => ({
              state: document.getElementById('state').dataset.state,
              claimsStatus: document.getElementById('claims').dataset.status || null,
              claimsText: document.getElementById('claims').textContent,
              csrfToken: document.querySelector('meta[name="csrf-token"]').content,
              requests: window.__relayboxStandIn.requests,
            })"""
        )
    )
