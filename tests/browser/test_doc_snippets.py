"""The browser-side snippets of the README and the documentation, run as written in Chromium
against the real examples.

Each snippet is served as written (the cross-origin one with its API origin pointed at the
example) as a JavaScript module at an otherwise unused path (``/doc-snippets/``) of a real
origin, together with a bare page that imports it; the page
is what a user's own page would be: on that origin, with a ``csrf-token`` meta tag, and nothing
else. The page imports the snippet with ``import()`` rather than inlining it so that the test
learns when the snippet's top-level ``await relayBox.connect()`` settles, and how.

Both are answered through the DevTools protocol's Fetch domain, like the client module in
``harness.py``, and for the same reason: a Playwright route would make Playwright answer the
cross-origin snippet's CORS preflight itself. The request never reaches the origin's server,
so the page stays on that origin while the example's own pages stay out of the way.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.harness import (
    CLIENT_URL,
    SETTLE_MS,
    BrowserSession,
    CrossOriginPages,
    with_host,
)
from tests.support.servers import TEST_SECRET
from tests.support.snippets import README, assert_runs, code_blocks
from tests.support.verifier import node_verify

SNIPPETS = {
    ("README.rst", "In the browser", "javascript"): 1,
    ("docs/concepts.rst", "In the browser", "javascript"): 2,
    ("docs/quickstart.rst", "In your page", "javascript"): 1,
    ("docs/guides/django.rst", "POST and CSRF", "javascript"): 1,
}
#: The snippets that connect from a page on the endpoint's own origin with the defaults.
SAME_ORIGIN = [
    (README, "In the browser", 0),
    ("docs/concepts.rst", "In the browser", 0),
    ("docs/quickstart.rst", "In your page", 0),
]

#: No example and no test front end serves anything under this path.
SNIPPET_PATH = "/doc-snippets"
#: The API origin the cross-origin snippet names; nothing resolves it here.
SNIPPET_API_ORIGIN = "https://api.example.com"
DJANGO_EXAMPLES = ("django", "django-asgi")
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="csrf-token" content="{csrf_token}">
  <title>Documentation snippet</title>
</head>
<body>
  <script type="module">
    window.__docSnippet = 'pending';
    import('./snippet.js').then(
      () => {{ window.__docSnippet = 'resolved'; }},
      (error) => {{ window.__docSnippet = `rejected: ${{error.name}}: ${{error.message}}`; }},
    );
  </script>
</body>
</html>
"""


def test_the_pages_have_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def page_snippet(page: str, section: str, index: int) -> str:
    """One javascript block of a page.

    Each imports the client as the example page does, from the same URL: the one the tests
    answer with the stand-in, which has the current client's exports (a default export only).
    """
    block = code_blocks(page, section, language="javascript")[index]
    assert block.startswith(f"import RelayBox from '{CLIENT_URL}';\n"), block
    return block


class SnippetServer:
    """Answers ``/doc-snippets/`` requests of one page with the page and the snippet."""

    def __init__(self, session: BrowserSession, page: Page, origin: str) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.devtools = session.context.new_cdp_session(page)
        self.devtools.on("Fetch.requestPaused", self._answer)
        pattern = f"{origin}{SNIPPET_PATH}/*"
        self.devtools.send(
            "Fetch.enable", {"patterns": [{"urlPattern": pattern, "requestStage": "Request"}]}
        )

    def _answer(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"].split("?")[0]
        content_type, body = self.files.get(url, ("text/plain", b"not a documentation snippet"))
        self.devtools.send(
            "Fetch.fulfillRequest",
            {
                "requestId": event["requestId"],
                "responseCode": 200 if url in self.files else 404,
                "responseHeaders": [
                    {"name": "Content-Type", "value": f"{content_type}; charset=utf-8"},
                    {"name": "Cache-Control", "value": "no-store"},
                ],
                "body": base64.b64encode(body).decode(),
            },
        )


def run_snippet(
    session: BrowserSession, origin: str, snippet: str, csrf_token: str = ""
) -> tuple[Page, dict[str, Any]]:
    """Run ``snippet`` in a page on ``origin``; return the page, the outcome and its requests."""
    page = session.new_page()
    server = SnippetServer(session, page, origin)
    document = PAGE.format(csrf_token=html.escape(csrf_token))
    server.files[f"{origin}{SNIPPET_PATH}/page.html"] = ("text/html", document.encode())
    server.files[f"{origin}{SNIPPET_PATH}/snippet.js"] = ("text/javascript", snippet.encode())
    page.goto(f"{origin}{SNIPPET_PATH}/page.html")
    page.wait_for_function("() => window.__docSnippet !== 'pending'", timeout=SETTLE_MS)
    ran = page.evaluate(
        """() => ({
          outcome: window.__docSnippet,
          requests: window.__relayboxStandIn ? window.__relayboxStandIn.requests : [],
        })"""
    )
    return page, dict(ran)


def explain(example: str, ran: dict[str, Any], session: BrowserSession) -> str:
    return f"{example}: the snippet ran as {ran!r}; console: {session.console!r}"


@pytest.mark.parametrize(("page", "section", "index"), SAME_ORIGIN)
def test_same_origin_snippet(
    session: BrowserSession, example: str, example_url: str, page: str, section: str, index: int
) -> None:
    snippet = page_snippet(page, section, index)
    auth_url = f"{example_url}/user/auth"
    session.login(example_url)
    user_id = session.user_id(example_url)
    page, ran = run_snippet(session, example_url, snippet)

    assert ran["outcome"] == "resolved", explain(example, ran, session)
    [first] = ran["requests"]
    assert first["refresh"] is False
    assert first["method"] == "GET"
    assert first["url"] == auth_url
    assert first["headers"] == {"Content-Type": "application/json"}
    assert first["status"] == 200, explain(example, ran, session)
    assert node_verify(first["body"]["token"], TEST_SECRET)["clientId"] == user_id

    wire = session.network(page)
    assert not wire.to(auth_url, "OPTIONS"), "a same-origin request needs no preflight"
    [answer] = wire.to(auth_url, "GET")
    assert answer.request_headers.get("cookie"), "the session cookie was not sent"
    assert answer.request_headers["content-type"] == "application/json"
    assert answer.status == 200


def test_cross_origin_snippet(
    session: BrowserSession, example: str, example_url: str, cross_origin_pages: CrossOriginPages
) -> None:
    """``api.example.com`` becomes the example on another origin: no DNS or TLS here.

    The example and the front end are two ports of ``localhost``: two origins of one site,
    see test_cross_origin.py for why that is what lets the cookie travel over plain HTTP.
    """
    snippet = page_snippet("docs/concepts.rst", "In the browser", 1)
    assert snippet.count(SNIPPET_API_ORIGIN) == 1, snippet
    api = with_host(example_url, "localhost")
    auth_url = f"{api}/user/auth"
    origin = cross_origin_pages.allowed
    session.login(api)
    user_id = session.user_id(api)
    # Chromium cannot tell that a page DevTools answered came from loopback, so it takes it
    # for a public page, which needs the user's leave to call a loopback address (Local
    # Network Access). The leave puts it where a page served from loopback is.
    session.context.grant_permissions(["local-network-access"], origin=origin)
    page, ran = run_snippet(session, origin, snippet.replace(SNIPPET_API_ORIGIN, api))

    assert ran["outcome"] == "resolved", explain(example, ran, session)
    [first] = ran["requests"]
    assert first["url"] == auth_url
    assert first["credentials"] == "include"
    assert first["status"] == 200, explain(example, ran, session)
    assert node_verify(first["body"]["token"], TEST_SECRET)["clientId"] == user_id

    wire = session.network(page)
    [preflight] = wire.to(auth_url, "OPTIONS")
    assert preflight.cors_error is None, f"{example}: preflight refused: {preflight!r}"
    assert preflight.status in (200, 204)
    assert preflight.response_headers.get("access-control-allow-origin") == origin
    assert preflight.response_headers.get("access-control-allow-credentials") == "true"
    [answer] = wire.to(auth_url, "GET")
    cookie_names = {cookie["name"] for cookie in session.context.cookies(api)}
    assert cookie_names, f"{example}: logging in set no cookie for {api}"
    sent = answer.request_headers.get("cookie", "")
    assert all(f"{name}=" in sent for name in cookie_names), f"{example}: cookies {sent!r}"
    assert answer.request_headers.get("origin") == origin
    assert answer.status == 200
    assert answer.response_headers.get("access-control-allow-origin") == origin


@pytest.mark.parametrize("example", DJANGO_EXAMPLES, indirect=True)
def test_django_post_snippet(session: BrowserSession, example: str, example_url: str) -> None:
    """The page's token lets the POST through; a wrong one does not, so the header matters."""
    snippet = page_snippet("docs/guides/django.rst", "POST and CSRF", 0)
    home = session.login(example_url)
    csrf_token = home.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    assert csrf_token, f"{example}: the home page has no CSRF token"
    user_id = session.user_id(example_url)

    _, ran = run_snippet(session, example_url, snippet, csrf_token)
    assert ran["outcome"] == "resolved", explain(example, ran, session)
    [first] = ran["requests"]
    assert first["method"] == "POST"
    assert first["url"] == f"{example_url}/user/auth"
    assert first["headers"] == {"Content-Type": "application/json", "X-CSRFToken": csrf_token}
    assert first["status"] == 200, explain(example, ran, session)
    assert node_verify(first["body"]["token"], TEST_SECRET)["clientId"] == user_id

    _, refused = run_snippet(session, example_url, snippet, "x" * len(csrf_token))
    assert refused["outcome"].startswith("rejected: HTTPRequestError: 403"), refused
    [attempt] = refused["requests"]
    assert attempt["status"] == 403
    assert isinstance(attempt["body"], dict), f"{example}: the 403 is not JSON: {attempt!r}"
    assert "token" not in attempt["body"]
