"""A front end on another origin calling the example's auth endpoint with the user's cookies.

Why ``http://localhost:A`` (the page) calling ``http://localhost:B`` (the example), and not
two loopback addresses such as 127.0.0.2 and 127.0.0.1: each IP address is a *site* of its
own, so a call between them is cross-site, and Chromium does not send the session cookie on
a cross-site fetch, ``credentials: 'include'`` or not: SameSite=Lax (every framework's
default, and Chromium's for cookies that name none) withholds it, and even a
``SameSite=None; Secure`` cookie (which Chromium stores over plain HTTP on loopback) stays
home, as a third-party cookie. Ports do not make sites, so two ports of ``localhost`` are
the same site and different origins: the session cookie travels, and CORS applies in full
(the page's ``Content-Type: application/json`` makes the browser send a preflight). This is
the usual deployment of a cross-origin auth endpoint (``app.example.com`` calling
``api.example.com``); a truly cross-site one needs HTTPS, SameSite=None cookies and a browser
that allows third-party cookies, which these tests cannot show.

The example is started with ``CORS_ALLOWED_ORIGINS`` naming the allowed front end only; the
refused front end serves the same page from another port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.browser.harness import BrowserSession, CrossOriginPages, with_host
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify


def open_front_end(session: BrowserSession, front_end: str, api: str) -> dict[str, Any]:
    session.login(api)
    page = session.new_page()
    return session.open(page, f"{front_end}/?authEndpoint={quote(api + '/user/auth', safe='')}")


def test_allowed_origin_gets_a_token_with_the_session_cookie(
    session: BrowserSession, example: str, example_url: str, cross_origin_pages: CrossOriginPages
) -> None:
    api = with_host(example_url, "localhost")
    auth_url = f"{api}/user/auth"
    origin = cross_origin_pages.allowed
    shown = open_front_end(session, origin, api)
    user_id = session.user_id(api)

    wire = session.network(session.pages[-1])
    assert shown["state"] == "connected", (
        f"{example}: {shown!r}; console: {session.console!r}; wire:\n{wire.describe()}"
    )
    first = shown["requests"][0]
    assert first["url"] == auth_url
    assert first["credentials"] == "include"
    assert first["status"] == 200
    assert node_verify(first["body"]["token"], TEST_SECRET)["clientId"] == user_id

    preflights = wire.to(auth_url, "OPTIONS")
    assert preflights, f"{example}: Chromium sent no preflight"
    for preflight in preflights:
        assert preflight.cors_error is None, f"{example}: preflight refused: {preflight!r}"
        assert preflight.status in (200, 204)
        assert preflight.response_headers.get("access-control-allow-origin") == origin
        assert preflight.response_headers.get("access-control-allow-credentials") == "true"
    cookie_names = {cookie["name"] for cookie in session.context.cookies(api)}
    answers = wire.to(auth_url, "GET")
    assert answers, f"{example}: Chromium sent no GET after the preflight"
    for answer in answers:
        assert answer.request_headers.get("origin") == origin
        sent = answer.request_headers.get("cookie", "")
        assert cookie_names, f"{example}: logging in set no cookie for {api}"
        assert all(f"{name}=" in sent for name in cookie_names), f"{example}: cookies {sent!r}"
        assert answer.status == 200, f"{example}: {answer!r}; wire:\n{wire.describe()}"
        assert answer.response_headers.get("access-control-allow-origin") == origin
        assert answer.response_headers.get("access-control-allow-credentials") == "true"


def test_origin_not_allowed_gets_no_token(
    session: BrowserSession, example: str, example_url: str, cross_origin_pages: CrossOriginPages
) -> None:
    api = with_host(example_url, "localhost")
    auth_url = f"{api}/user/auth"
    shown = open_front_end(session, cross_origin_pages.refused, api)

    assert shown["state"] == "failed", f"{example}: {shown!r}"
    first = shown["requests"][0]
    assert first["status"] is None
    assert first["body"] is None
    assert first["error"].startswith("TypeError"), first
    assert "token" not in shown["claimsText"].lower()

    wire = session.network(session.pages[-1])
    preflights = wire.to(auth_url, "OPTIONS")
    assert preflights, f"{example}: Chromium sent no preflight"
    for preflight in preflights:
        allowed = preflight.response_headers.get("access-control-allow-origin")
        assert allowed != cross_origin_pages.refused
    answers = wire.to(auth_url, "GET")
    assert answers, f"{example}: the page made no request at all"
    for answer in answers:
        assert answer.status is None, f"{example}: a refused origin got an answer: {answer!r}"
        assert answer.cors_error, answer
