"""Every example served once per test session, with a demo user logged in through its form.

The fuzz modules share these servers (pytest groups tests by the session-scoped parameter,
so each example starts once), and collect the tokens they receive so that jsonwebtoken
checks them in one batch per example instead of one round trip per request.
"""

from __future__ import annotations

import html.parser
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.support.servers import TEST_SECRET, login, run_example
from tests.support.verifier import node_verify_many

EXAMPLES = ["django", "django-asgi", "flask", "starlette", "fastapi"]
#: The cookie holding each framework's session, for sending garbage in its place.
SESSION_COOKIES = {
    "django": "sessionid",
    "django-asgi": "sessionid",
    "flask": "session",
    "starlette": "session",
    "fastapi": "session",
}


class _CsrfMeta(html.parser.HTMLParser):
    """The home page's ``<meta name="csrf-token">``, which the browser client sends on POST."""

    def __init__(self) -> None:
        super().__init__()
        self.token = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "csrf-token":
            self.token = values.get("content") or ""


@dataclass
class Served:
    """One running example and the demo user's logged-in session on it."""

    name: str
    base_url: str
    #: The logged-in client's cookies (session, and Django's csrftoken).
    cookies: dict[str, str]
    #: What the home page tells the browser client to send on POST (empty: no CSRF).
    csrf_headers: dict[str, str]
    #: The session user's id, from ``/user/me``: every token's clientId must be this.
    user_id: str
    session_cookie: str
    #: Tokens received with the real session, checked by jsonwebtoken in one batch.
    tokens: list[str] = field(default_factory=list)

    def check_tokens(self) -> None:
        """Verify every collected token with jsonwebtoken; its clientId must be the user's."""
        tokens, self.tokens = self.tokens, []
        if not tokens:
            return
        for token, verdict in zip(tokens, node_verify_many(tokens, TEST_SECRET), strict=True):
            assert verdict["ok"], f"jsonwebtoken rejected {token}: {verdict['error']}"
            assert verdict["claims"]["clientId"] == self.user_id, verdict["claims"]


@pytest.fixture(scope="session", params=EXAMPLES)
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    name: str = request.param
    with run_example(name) as base_url, httpx.Client(base_url=base_url) as client:
        login(client)
        me = client.get("/user/me")
        assert me.status_code == 200, me.text
        parser = _CsrfMeta()
        parser.feed(client.get("/").text)
        served = Served(
            name=name,
            base_url=base_url,
            cookies=dict(client.cookies.items()),
            csrf_headers={"X-CSRFToken": parser.token} if parser.token else {},
            user_id=str(json.loads(me.text)["id"]),
            session_cookie=SESSION_COOKIES[name],
        )
        assert served.session_cookie in served.cookies, served.cookies
        yield served
        served.check_tokens()
