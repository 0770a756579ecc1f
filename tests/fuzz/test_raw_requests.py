"""Hypothesis-driven raw requests to ``/user/auth`` on every example: odd methods, headers,
query strings, bodies and cookies, with the demo user's real session or without it.

Whatever arrives: never a 5xx, never the API secret, and a token only for the session user
(its clientId is the session's, never what the request claims); without the real session,
never a token (anonymous tokens are off by default).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import Served
from tests.support.servers import TEST_SECRET

AUTH_PATH = "/user/auth"
SPOOFED_ID = "admin"
# Framing and routing headers: random values there test the HTTP client, not the endpoint.
_RESERVED_HEADERS = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "cookie",
    "expect",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
}

# GET and POST, the methods that mint, a quarter of the time each.
methods = st.one_of(
    st.just("GET"),
    st.just("POST"),
    st.sampled_from(["OPTIONS", "HEAD", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "get"]),
    st.from_regex(r"\A[A-Z]{1,12}\Z").filter(lambda method: method != "CONNECT"),
)
# Visible ASCII and Latin-1: what a header value may carry on the wire.
header_values = st.binary(max_size=200).map(
    lambda raw: bytes(b if 0x20 <= b < 0x7F or b >= 0x80 else 0x2E for b in raw).strip(b" ")
)
header_names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z").filter(
    lambda name: name.lower() not in _RESERVED_HEADERS
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "text/plain",
            "application/jwt",
        ]
    ),
    header_values,
)
utf8_text = st.text(st.characters(codec="utf-8"), max_size=40)
query_keys = st.one_of(
    st.sampled_from(["clientId", "clientid", "client_id", "user", "id", "sessionid", "session"]),
    utf8_text,
)
query_values = st.one_of(
    st.just(SPOOFED_ID), utf8_text, st.integers().map(str), st.just("x" * 3000)
)
query_strings = st.one_of(
    st.just(""),
    st.lists(st.tuples(query_keys, query_values), max_size=6).map(urllib.parse.urlencode),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"), max_size=80
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | utf8_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(utf8_text, inner, max_size=4),
    max_leaves=10,
)
bodies = st.one_of(
    st.just(b""),
    st.fixed_dictionaries(
        {"clientId": st.just(SPOOFED_ID) | utf8_text}, optional={"x": json_values}
    ).map(lambda body: json.dumps(body).encode()),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=2000),
    st.lists(st.tuples(query_keys, query_values), max_size=4).map(
        lambda pairs: urllib.parse.urlencode([("clientId", SPOOFED_ID), *pairs]).encode()
    ),
)
cookie_values = st.from_regex(r"\A[!#-+\--:<-\[\]-~]{0,200}\Z")


@dataclass(frozen=True)
class Attempt:
    method: str
    query: str
    headers: tuple[tuple[str, bytes], ...]
    body: bytes
    #: "real": the demo user's cookies only; "garbage": a forged session cookie; "none".
    session: str
    send_csrf: bool
    extra_cookies: tuple[tuple[str, str], ...]


@st.composite
def attempts(draw: st.DrawFn) -> Attempt:
    headers: list[tuple[str, bytes]] = []
    if draw(st.booleans()):
        headers.append(("X-Client-Id", draw(st.just(SPOOFED_ID.encode()) | header_values)))
    if draw(st.booleans()):
        content_type = draw(content_types)
        headers.append(
            (
                "Content-Type",
                content_type if isinstance(content_type, bytes) else content_type.encode(),
            )
        )
    headers += draw(st.lists(st.tuples(header_names, header_values), max_size=4))
    return Attempt(
        method=draw(methods),
        query=draw(query_strings),
        headers=tuple(headers),
        body=draw(bodies),
        session=draw(st.sampled_from(["real", "garbage", "none"])),
        send_csrf=draw(st.booleans()),
        extra_cookies=tuple(
            draw(st.lists(st.tuples(st.from_regex(r"\A[a-z]{1,10}\Z"), cookie_values), max_size=3))
        ),
    )


def plain_get(session: str) -> Attempt:
    """A GET with nothing odd about it: what the closing checks need at least once each."""
    return Attempt("GET", "", (), b"", session, send_csrf=False, extra_cookies=())


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _cookie_header(served: Served, attempt: Attempt, forged: str) -> str:
    cookies: dict[str, str] = {}
    for name, value in attempt.extra_cookies:
        if name not in served.cookies and name != served.session_cookie:
            cookies[name] = value
    if attempt.session == "real":
        cookies.update(served.cookies)
    elif attempt.session == "garbage":
        cookies[served.session_cookie] = forged
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base_url, timeout=30) as client:
        yield client


def send(client: httpx.Client, served: Served, attempt: Attempt, forged: str) -> httpx.Response:
    headers: list[tuple[str, bytes]] = list(attempt.headers)
    cookie = _cookie_header(served, attempt, forged)
    if cookie:
        headers.append(("Cookie", cookie.encode()))
    if attempt.send_csrf:
        headers += [(name, value.encode()) for name, value in served.csrf_headers.items()]
    url = AUTH_PATH + ("?" + attempt.query if attempt.query else "")
    request = client.build_request(attempt.method, url, headers=headers, content=attempt.body)
    client.cookies.clear()  # only the Cookie header above: nothing the server set before
    return client.send(request)


def test_random_requests(client: httpx.Client, served: Served) -> None:
    seen: dict[str, int] = {}

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(attempt=attempts(), forged=cookie_values)
    # Generated cases need not include these; the checks after run() rely on them.
    @example(attempt=plain_get("real"), forged="")
    @example(attempt=plain_get("none"), forged="")
    def run(attempt: Attempt, forged: str) -> None:
        response = send(client, served, attempt, forged)
        status = response.status_code
        seen[f"{attempt.session}:{status}"] = seen.get(f"{attempt.session}:{status}", 0) + 1
        assert status < 500, response.text
        assert TEST_SECRET.encode() not in response.content
        for name, value in response.headers.raw:
            assert TEST_SECRET.encode() not in name + b": " + value
        if attempt.session != "real":
            assert status != 200, response.text
            assert b"eyJ" not in response.content  # no JWT of any kind
            return
        if status == 200 and attempt.method.upper() != "HEAD":
            assert response.headers["cache-control"] == "no-store"
            token = response.json()["token"]
            assert _claims(token).get("clientId") == served.user_id, attempt
            served.tokens.append(token)
        if attempt.method == "GET" and response.headers.get("cache-control") == "no-store":
            # The real session reached the endpoint with a method that needs no CSRF token:
            # always a token. (The HTTP server itself may refuse, e.g. 414 for a request line
            # over gunicorn's 4094 bytes, before the application runs.)
            assert status == 200, (attempt, response.text)

    run()
    assert "real:200" in seen, f"statuses seen: {sorted(seen.items())}"
    assert "none:401" in seen, f"statuses seen: {sorted(seen.items())}"
    served.check_tokens()
