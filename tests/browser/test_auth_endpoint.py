"""Every example's page, in Chromium, getting its Relaybox token from the example's endpoint.

The user logs in through the example's real form; the page's client (stood in, see
``relaybox_client_standin.js``) then asks ``/user/auth`` exactly as ``@relaybox/client`` does.
Tokens are checked with Node's jsonwebtoken, the library Relaybox's service verifies with.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.harness import BrowserSession, CrossOriginPages, settle
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify

#: The examples whose framework protects POST against CSRF, so the page sends X-CSRFToken.
CSRF_EXAMPLES = ("django", "django-asgi", "flask")
PUBLIC_KEY = TEST_API_KEY.split(":")[0]
#: An id the browser claims; no user of the examples has it.
SPOOFED_ID = "999999"
#: The page's client options, changed for one test (see the stand-in's header comment).
POST_OPTIONS = """(options) => ({
  ...options, authRequestOptions: { ...options.authRequestOptions, method: 'POST' },
})"""
CLIENT_SENT_IDS = {
    # The client's own option: sent as X-Client-Id.
    "clientId": f"(options) => ({{ ...options, clientId: '{SPOOFED_ID}' }})",
    # What a page could add by hand: the header, and ?clientId= through authParams.
    "spoof": f"""(options) => ({{
      ...options,
      authHeaders: {{ ...options.authHeaders, 'X-Client-Id': '{SPOOFED_ID}' }},
      authParams: {{ clientId: '{SPOOFED_ID}' }},
    }})""",
}


def explain(example: str, shown: dict[str, Any], session: BrowserSession) -> str:
    return f"{example}: the page shows {shown!r}; console: {session.console!r}"


def expected_headers(example: str, shown: dict[str, Any]) -> dict[str, str]:
    """What the client must send: JSON content type, plus the CSRF header where needed."""
    headers = {"Content-Type": "application/json"}
    if example in CSRF_EXAMPLES:
        assert shown["csrfToken"], f"{example}: the page has no CSRF token in its meta tag"
        headers["X-CSRFToken"] = shown["csrfToken"]
    else:
        assert shown["csrfToken"] == "", f"{example}: unexpected CSRF token {shown['csrfToken']!r}"
    return headers


def checked_claims(example: str, answer: dict[str, Any], user_id: str) -> dict[str, Any]:
    """The token's claims, verified by jsonwebtoken, for the session's user."""
    assert answer["status"] == 200, f"{example}: the auth endpoint answered {answer!r}"
    body = answer["body"]
    claims = node_verify(body["token"], TEST_SECRET)
    assert claims["clientId"] == user_id
    assert claims["publicKey"] == PUBLIC_KEY
    assert claims["tokenType"] == "id_token"
    assert body["expiresIn"] == claims["exp"] - claims["iat"]
    assert body["expiresAt"] == claims["exp"] * 1000
    return claims


def test_login_then_get_token(session: BrowserSession, example: str, example_url: str) -> None:
    page = session.login(example_url)
    shown = settle(page)
    user_id = session.user_id(example_url)

    assert shown["state"] == "connected", explain(example, shown, session)
    first = shown["requests"][0]
    assert first["refresh"] is False
    assert first["method"] == "GET"
    assert first["url"] == f"{example_url}/user/auth"
    assert first["headers"] == expected_headers(example, shown)
    checked_claims(example, first, user_id)
    assert shown["claimsStatus"] == "200"
    assert json.loads(shown["claimsText"])["clientId"] == user_id

    auth_url = f"{example_url}/user/auth"
    wire = session.network(page)
    assert not wire.to(auth_url, "OPTIONS"), "a same-origin request needs no preflight"
    answers = wire.to(auth_url, "GET")
    assert answers, "Chromium saw no GET to the auth endpoint"
    for answer in answers:
        assert answer.request_headers.get("cookie"), "the session cookie was not sent"
        assert answer.request_headers["content-type"] == "application/json"
        assert answer.status == 200
        assert answer.response_headers["content-type"].startswith("application/json")
        assert "no-store" in answer.response_headers["cache-control"]


def test_post_with_the_frameworks_csrf_header(
    session: BrowserSession, example: str, example_url: str
) -> None:
    page = session.login(example_url, client_options=POST_OPTIONS)
    shown = settle(page)

    assert shown["state"] == "connected", explain(example, shown, session)
    first = shown["requests"][0]
    assert first["method"] == "POST"
    assert first["headers"] == expected_headers(example, shown)
    checked_claims(example, first, session.user_id(example_url))
    posts = session.network(page).to(f"{example_url}/user/auth", "POST")
    assert [answer.status for answer in posts] == [200], posts


@pytest.mark.parametrize("example", CSRF_EXAMPLES, indirect=True)
def test_post_without_the_csrf_header_is_refused(
    session: BrowserSession, example: str, example_url: str
) -> None:
    """The header the page sends is what lets its POST through, so the test above means it."""
    page = session.login(example_url)
    settle(page)
    answer = page.evaluate(
        """async () => {
          const response = await fetch('/user/auth', {
            method: 'POST', credentials: 'include',
            headers: { 'Content-Type': 'application/json' },
          });
          return {
            status: response.status,
            type: response.headers.get('Content-Type') || '',
            body: await response.text(),
          };
        }"""
    )
    # Django refuses with 403, Flask-WTF with 400; either way a JSON error, not a token.
    assert answer["status"] in (400, 403), f"{example}: a POST without X-CSRFToken got {answer!r}"
    assert answer["type"].startswith("application/json"), answer
    assert "token" not in json.loads(answer["body"])


def test_logged_out_user_gets_401_and_no_token(
    session: BrowserSession, example: str, example_url: str
) -> None:
    page = session.login(example_url)
    shown = settle(page)
    assert shown["state"] == "connected", explain(example, shown, session)

    # Log out in another tab through the page's own form, then let the client reconnect.
    logout = session.new_page()
    logout.goto(page.url)
    with logout.expect_navigation(url=f"{example_url}/login"):
        logout.click("form.logout button[type=submit]")
    me = session.context.request.get(f"{example_url}/user/me")
    assert me.status == 401, f"{example}: /user/me after logging out answered {me.status}"

    outcome = page.evaluate(
        "() => window.relayBox.connect(true).then(() => 'connected', (e) => e.message)"
    )
    assert outcome.startswith("401"), f"{example}: connect() after logging out: {outcome}"
    last = page.evaluate("() => window.__relayboxStandIn.requests.at(-1)")
    assert last["status"] == 401
    assert isinstance(last["body"], dict), f"{example}: the 401 is not JSON: {last['body']!r}"
    assert "token" not in last["body"]

    page.reload()
    assert urlsplit(page.url).path == "/login", f"{example}: the home page let {page.url} through"


@pytest.mark.parametrize("option", sorted(CLIENT_SENT_IDS))
def test_client_sent_ids_do_not_change_the_token(
    session: BrowserSession, example: str, example_url: str, option: str
) -> None:
    page = session.login(example_url, client_options=CLIENT_SENT_IDS[option])
    shown = settle(page)
    user_id = session.user_id(example_url)
    assert user_id != SPOOFED_ID

    assert shown["state"] == "connected", explain(example, shown, session)
    first = shown["requests"][0]
    assert first["headers"]["X-Client-Id"] == SPOOFED_ID
    if option == "spoof":
        assert parse_qs(urlsplit(first["url"]).query) == {"clientId": [SPOOFED_ID]}
    checked_claims(example, first, user_id)
    sent = session.network(page).to(f"{example_url}/user/auth", "GET")
    assert any(answer.request_headers.get("x-client-id") == SPOOFED_ID for answer in sent)


def test_the_page_takes_no_client_options_from_its_address(
    session: BrowserSession, example: str, example_url: str, cross_origin_pages: CrossOriginPages
) -> None:
    """A link to the page with options in its query string changes nothing it sends: an
    endpoint taken from the address would get the user's cookies and CSRF token."""
    stealer = f"{cross_origin_pages.refused}/steal"
    page = session.login(example_url)
    query = urlencode(
        {"authEndpoint": stealer, "method": "POST", "clientId": SPOOFED_ID, "spoof": SPOOFED_ID}
    )
    shown = session.open(page, f"{example_url}/?{query}")

    assert shown["state"] == "connected", explain(example, shown, session)
    [first] = shown["requests"]
    assert (first["method"], first["url"]) == ("GET", f"{example_url}/user/auth")
    assert first["headers"] == expected_headers(example, shown)
    checked_claims(example, first, session.user_id(example_url))
    assert json.loads(shown["claimsText"])["clientId"] == session.user_id(example_url)
    wire = session.network(page)
    assert not [entry.url for entry in wire.entries.values() if entry.url.startswith(stealer)]
    assert not wire.to(f"{example_url}/user/auth", "POST")
