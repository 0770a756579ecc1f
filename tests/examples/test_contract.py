"""One contract for the five example applications, checked over real HTTP under their real
servers (gunicorn or uvicorn, through serve.py).

Each example runs twice: once with one worker, pointed at the events stand-in
(``RELAYBOX_CORE_URL``) with one CORS origin allowed (started once per session, and shared
with the login form's and the staff room's tests: see conftest.py's ``example_server``); and
once per module with two workers sharing a real redis-server (``REDIS_URL``), for what takes
several processes, with Relaybox out of reach. Logins go through the real form, tokens are
checked by Node's jsonwebtoken, publishes by the stand-in (which checks them as Relaybox's
``/events`` does), webhooks are signed as Relaybox signs them.

Where the frameworks legitimately differ (the CSRF mechanism, how a wrong password or a
refused preflight is answered), :data:`FACTS` says how, per example; every case is the same
for all five.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
import redis

from relaybox_integrations import WEBHOOK_SIGNATURE_HEADER, sign_webhook
from tests.examples.conftest import (
    ALLOWED,
    EXAMPLES,
    LISTED,
    Served,
    logged_example,
    run_serve,
    run_serve_in_turn,
)
from tests.support.events_standin import EventsStandin, Fault
from tests.support.redis_server import redis_server
from tests.support.responses import assert_cors_allowed, assert_json_error, preflight
from tests.support.servers import (
    DEMO_USER,
    ROOT,
    TEST_API_KEY,
    TEST_SECRET,
    TEST_SESSION_KEYS,
    TEST_WEBHOOK_SIGNING_KEY,
    free_port,
    login,
    submit_login_form,
)
from tests.support.verifier import node_verify, node_verify_many

sys.path.insert(0, str(ROOT / "example_projects" / "common"))
import chat
import webhook_demo

REFUSED = "http://evil.example"
#: Origins that a loose reading of LISTED's first, or of a pattern, would let in.
LOOKALIKES = [
    "https://app.example.com.attacker.net",
    "https://xapp.example.com",
    "http://app.example.com",
    "null",
]
SPOOFED = "admin"
PUBLIC_KEY = TEST_API_KEY.split(":")[0]
WEBHOOK_PATH = "/relaybox/webhooks"
RECEIVED_PATH = "/relaybox/webhooks/received"
#: Every secret the examples are given: none may show in an answer or in the servers' output.
SECRETS = [TEST_SECRET, TEST_WEBHOOK_SIGNING_KEY, *TEST_SESSION_KEYS.values()]
PLACEHOLDER = re.compile(r"__[A-Z_]+__")
HOME_TEMPLATE = (ROOT / "example_projects" / "common" / "home.html").read_text(encoding="utf-8")
#: Each example's name in its pages' titles.
TITLES = {
    "django": "Django",
    "django-asgi": "Django (ASGI)",
    "flask": "Flask",
    "starlette": "Starlette",
    "fastapi": "FastAPI",
}
IMPORT_MAP = re.search(r'<script type="importmap">.*?</script>', HOME_TEMPLATE, re.DOTALL)


@dataclass(frozen=True)
class Facts:
    """How one example's framework legitimately answers what the others answer otherwise."""

    #: The status a POST without the page's CSRF header gets (403 from Django, 400 from
    #: Flask-WTF); None where the framework has no CSRF protection (Starlette, FastAPI).
    csrf_refusal: int | None
    #: Flask-WTF checks PUT, PATCH and DELETE too, before the endpoint answers 405.
    csrf_on_other_methods: bool
    #: The login form's answer to a wrong password, and what the form then says.
    wrong_password: tuple[int, str]
    #: The status of a CORS preflight from the allowed origin, and from another one.
    preflight_allowed: int
    preflight_refused: int
    #: Flask-Cors is set up for the auth endpoint only; the others' CORS covers every path.
    cors_on_auth_only: bool
    #: Django also checks a POST's Origin against CSRF_TRUSTED_ORIGINS.
    refuses_untrusted_origin_post: bool


_DJANGO = Facts(
    csrf_refusal=403,
    csrf_on_other_methods=False,
    wrong_password=(200, "Please enter a correct username and password"),
    preflight_allowed=200,
    preflight_refused=200,
    cors_on_auth_only=False,
    refuses_untrusted_origin_post=True,
)
_ASGI = Facts(
    csrf_refusal=None,
    csrf_on_other_methods=False,
    wrong_password=(400, "Wrong username or password."),
    preflight_allowed=200,
    preflight_refused=400,
    cors_on_auth_only=False,
    refuses_untrusted_origin_post=False,
)
FACTS = {
    "django": _DJANGO,
    "django-asgi": _DJANGO,
    "flask": Facts(
        csrf_refusal=400,
        csrf_on_other_methods=True,
        wrong_password=(200, "Wrong username or password."),
        preflight_allowed=204,  # the endpoint's own answer to OPTIONS, with CORS added
        preflight_refused=204,
        cors_on_auth_only=True,
        refuses_untrusted_origin_post=False,
    ),
    "starlette": _ASGI,
    "fastapi": _ASGI,
}
assert set(FACTS) == set(EXAMPLES)


@dataclass
class Deployment:
    """One running example."""

    name: str
    base_url: str
    facts: Facts
    #: Where the server's standard error went (its log lines, tracebacks included).
    log: Path

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@dataclass
class Shared(Deployment):
    """The example with two workers sharing a Redis, and that Redis."""

    redis: redis.Redis
    #: The demo user's session cookie, for raw connections.
    cookie: str


# --- servers -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def example(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def served(example: str, example_server: Callable[[str], Served]) -> Deployment:
    """The example with one worker, as the session serves it (see conftest.py)."""
    server = example_server(example)
    return Deployment(example, server.base_url, FACTS[example], server.log)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def shared(
    example: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """The example under ``--workers 2`` with ``REDIS_URL``, no CORS setting at all, and
    Relaybox out of reach (nothing listens at its ``RELAYBOX_CORE_URL``)."""
    folder = tmp_path_factory.mktemp(f"{example}-shared")
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # another example's deliveries and list
    env = {
        "REDIS_URL": redis_url,
        "RELAYBOX_CORE_URL": f"http://127.0.0.1:{free_port()}",
        "DJANGO_DB_PATH": str(folder / "db.sqlite3"),
    }
    with (
        logged_example(example, folder / "stderr.log", env=env, workers=2) as url,
        httpx.Client(base_url=url) as browser,
    ):
        login(browser)
        cookie = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies.jar)
        yield Shared(example, url, FACTS[example], folder / "stderr.log", client, cookie)
    client.close()


@pytest.fixture(scope="module")
def user(served: Deployment) -> Iterator[httpx.Client]:
    """The demo user, logged in through the real form."""
    with httpx.Client(base_url=served.base_url) as client:
        login(client)
        yield client


@pytest.fixture(scope="module")
def csrf(user: httpx.Client) -> dict[str, str]:
    """The header the home page tells the browser client to send on POST, if any."""
    match = re.search(r'<meta name="csrf-token" content="([^"]*)">', user.get("/").text)
    assert match is not None, "the home page has no csrf-token meta tag"
    return {"X-CSRFToken": match.group(1)} if match.group(1) else {}


@pytest.fixture
def anonymous(served: Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base_url) as client:
        yield client


def form_token(client: httpx.Client) -> dict[str, str]:
    """The login form's hidden token as an X-CSRFToken header: what an anonymous visitor's
    page could send (CSRFProtect and Django accept it; the other examples ignore it)."""
    page = client.get("/login").text
    match = re.search(r'type="hidden" name="[^"]+" value="([^"]*)"', page)
    assert match is not None, page
    return {"X-CSRFToken": match.group(1)}


def json_answer(response: httpx.Response, status: int, error: str | None = None) -> Any:
    """The JSON body of an answer of the examples' own JSON views (the chat, the list)."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if error is not None:
        assert body["error"] == error
        assert body["message"]
    return body


def published_with(standin: EventsStandin, text: str) -> list[Any]:
    """What the stand-in accepted with ``text`` in its data."""
    return [item for item in standin.published if item.data == {"text": text}]


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# --- pages and the auth endpoint -----------------------------------------------------------


def test_anonymous_visitors_get_json_401s_and_a_login_redirect(anonymous: httpx.Client) -> None:
    for path in ("/user/auth", "/user/me", RECEIVED_PATH):
        json_answer(anonymous.get(path), 401, "not_authenticated")
    assert anonymous.get("/user/auth").headers["cache-control"] == "no-store"
    home = anonymous.get("/")
    assert home.status_code in (302, 303), home.text[:300]
    assert urlsplit(home.headers["location"]).path == "/login"


def test_the_login_page_is_the_shared_form(anonymous: httpx.Client) -> None:
    page = anonymous.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'action="/login"' in page.text
    assert 'type="hidden"' in page.text  # the form's own token against login CSRF
    assert not PLACEHOLDER.search(page.text)


def test_a_wrong_password_or_user_does_not_log_in(
    served: Deployment, anonymous: httpx.Client
) -> None:
    status, message = served.facts.wrong_password
    for username, password in (("demo", "wrong"), ("nobody", DEMO_USER[1])):
        response = submit_login_form(anonymous, username, password)
        assert response.status_code == status, response.text[:500]
        assert message in response.text
        assert 'type="hidden"' in response.text  # the form again, with a token to retry
    assert anonymous.get("/user/me").status_code == 401
    assert anonymous.get("/user/auth").status_code == 401


def test_me_answers_the_session_user(user: httpx.Client) -> None:
    response = user.get("/user/me")
    assert response.status_code == 200
    assert response.json() == {"id": "1", "username": "demo"}


def test_get_and_post_mint_tokens_for_the_session_user(
    user: httpx.Client, csrf: dict[str, str]
) -> None:
    json_header = {"Content-Type": "application/json"}
    responses = [
        user.get("/user/auth", headers=json_header),
        user.post("/user/auth", headers={**json_header, **csrf}),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"token", "expiresIn", "expiresAt"}
        assert_no_secret(response.text)
    verdicts = node_verify_many([r.json()["token"] for r in responses], TEST_SECRET)
    for verdict, response in zip(verdicts, responses, strict=True):
        assert verdict["ok"], verdict
        assert verdict["claims"]["clientId"] == "1"
        assert verdict["claims"]["publicKey"] == PUBLIC_KEY
        assert verdict["claims"]["iss"] == "https://relaybox.net"
        assert response.json()["expiresAt"] == verdict["claims"]["exp"] * 1000


def test_ids_the_client_sends_are_ignored(user: httpx.Client, csrf: dict[str, str]) -> None:
    spoofed_get = user.get(f"/user/auth?clientId={SPOOFED}", headers={"X-Client-Id": SPOOFED})
    spoofed_post = user.post(
        f"/user/auth?clientId={SPOOFED}",
        headers={"X-Client-Id": SPOOFED, "Content-Type": "application/json", **csrf},
        content=json.dumps({"clientId": SPOOFED}),
    )
    for response in (spoofed_get, spoofed_post):
        assert response.status_code == 200, response.text
        assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "1"


def test_a_post_needs_the_csrf_header_the_page_gives(
    served: Deployment, user: httpx.Client, csrf: dict[str, str]
) -> None:
    """Django and Flask-WTF check it; Starlette and FastAPI have no CSRF protection (the
    browser client's JSON content type forces a preflight instead) and need none."""
    response = user.post("/user/auth", json={"clientId": SPOOFED})
    refusal = served.facts.csrf_refusal
    if refusal is None:
        assert csrf == {}
        assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "1"
    else:
        assert csrf, "the page gives no CSRF token for its POSTs"
        assert_json_error(response, refusal, "csrf_failed")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_a_json_405_and_options_a_204(
    served: Deployment, user: httpx.Client, csrf: dict[str, str], method: str
) -> None:
    if served.facts.csrf_on_other_methods:
        assert_json_error(user.request(method, "/user/auth"), 400, "csrf_failed")
    response = user.request(method, "/user/auth", headers=csrf)
    assert_json_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST, OPTIONS"
    options = user.options("/user/auth")
    assert options.status_code == 204
    assert options.headers["cache-control"] == "no-store"


def test_the_home_page_has_the_client_the_chat_and_the_webhooks(
    user: httpx.Client, csrf: dict[str, str]
) -> None:
    page = user.get("/")
    assert page.status_code == 200
    assert IMPORT_MAP is not None
    assert IMPORT_MAP.group(0) in page.text  # @relaybox/client from the CDN, as documented
    assert "const authEndpoint = '/user/auth';" in page.text
    assert '<strong id="user">demo</strong>' in page.text
    assert f"'{chat.ROOM_ID}'" in page.text  # the room the client joins is the one posted to
    assert "fetch('/messages'" in page.text
    assert "fetch('/relaybox/webhooks/received'" in page.text
    assert '<form class="chat" id="chat">' in page.text
    for notice in ("api", "session", "webhook"):  # real keys: no development-key notice
        assert f'id="development-{notice}-key" data-in-use="no"' in page.text
    assert not PLACEHOLDER.search(page.text)
    assert_no_secret(page.text)


def test_the_page_names_the_user_id_and_the_example(served: Deployment, user: httpx.Client) -> None:
    """The token's clientId is the user's id, not their name; each example has its title."""
    page = user.get("/").text
    assert '(user id <code id="user-id">1</code>)' in page
    assert "<code>clientId</code> is your user id, <code>1</code>," in page
    title = f"<title>Relaybox demo · {TITLES[served.name]}</title>"
    assert title in page
    assert f"<title>Log in · {TITLES[served.name]}</title>" in user.get("/login").text


def logout_form_fields(client: httpx.Client) -> dict[str, str]:
    """The hidden fields of the home page's logout form (its CSRF token)."""
    page = client.get("/").text
    form = re.search(
        r'<form class="logout" method="post" action="/logout">(.*?)</form>', page, re.S
    )
    assert form is not None, page[:2000]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


def test_logout_takes_a_post_with_the_page_token(served: Deployment) -> None:
    """A link or another site's form cannot log the user out: GET is a 405, and a POST
    without the token of the page's form is refused; the form's POST ends the session."""
    with httpx.Client(base_url=served.base_url) as client:
        login(client)
        fields = logout_form_fields(client)
        assert fields, "the logout form carries no token"
        by_get = client.get("/logout")
        assert by_get.status_code == 405, by_get.text[:300]
        assert by_get.headers["allow"] == "POST"
        assert by_get.headers["content-type"].startswith("application/json")
        forged = client.post("/logout", data=dict.fromkeys(fields, "forged"))
        assert forged.status_code in (400, 403), forged.text[:300]
        assert client.get("/user/auth").status_code == 200
        answer = client.post("/logout", data=fields)
        assert answer.status_code in (302, 303), answer.text[:300]
        assert urlsplit(answer.headers["location"]).path == "/login"
        assert client.get("/user/auth").status_code == 401
        assert client.get(RECEIVED_PATH).status_code == 401


def test_no_page_can_be_framed_by_another_site(
    user: httpx.Client, anonymous: httpx.Client, csrf: dict[str, str]
) -> None:
    answers = [
        anonymous.get("/login"),
        anonymous.get("/"),
        user.get("/"),
        user.get("/user/auth"),
        user.post("/messages", json={}, headers=csrf),
        preflight(user, ALLOWED),
    ]
    for answer in answers:
        assert answer.headers.get("x-frame-options") == "DENY", answer.request
        csp = answer.headers.get("content-security-policy")
        assert csp == "frame-ancestors 'none'", answer.request


def test_the_session_cookie_stays_home_on_other_sites_posts(served: Deployment) -> None:
    """Every cookie the login sets, the session's included, is ``SameSite=Lax``."""
    with httpx.Client(base_url=served.base_url) as client:
        answer = submit_login_form(client)
        cookies = answer.headers.get_list("set-cookie")
    assert cookies, "logging in set no cookie"
    for cookie in cookies:
        assert "samesite=lax" in cookie.lower().replace(" ", ""), cookie


def test_cors_lets_the_allowed_origin_in_with_cookies(
    served: Deployment, user: httpx.Client, csrf: dict[str, str]
) -> None:
    headers = ("content-type", "x-client-id", *(("x-csrftoken",) if csrf else ()))
    answer = preflight(user, ALLOWED, method="POST", headers=headers)
    assert answer.status_code == served.facts.preflight_allowed
    assert_cors_allowed(answer, ALLOWED, headers=headers)
    json_header = {"Content-Type": "application/json"}
    response = user.get("/user/auth", headers={"Origin": ALLOWED, **json_header})
    assert_cors_allowed(response, ALLOWED)
    assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "1"
    # A cross-origin POST carries the page's CSRF header (Django checks the origin too).
    post = user.post("/user/auth", headers={"Origin": ALLOWED, **json_header, **csrf})
    assert_cors_allowed(post, ALLOWED)
    assert node_verify(post.json()["token"], TEST_SECRET)["clientId"] == "1"


def test_only_the_listed_origins_are_let_in(served: Deployment) -> None:
    """CORS_ALLOWED_ORIGINS: exact origins only (see test_cors_settings.py)."""
    with httpx.Client(base_url=served.base_url) as client:
        for origin in (ALLOWED, *LISTED):
            answer = preflight(client, origin)
            assert answer.headers.get("access-control-allow-origin") == origin, (origin, answer)
        for origin in LOOKALIKES:
            answer = preflight(client, origin)
            assert "access-control-allow-origin" not in answer.headers, (origin, answer.headers)


def test_cors_refuses_other_origins(
    served: Deployment, user: httpx.Client, csrf: dict[str, str]
) -> None:
    refused = preflight(user, REFUSED)
    assert refused.status_code == served.facts.preflight_refused
    assert "access-control-allow-origin" not in refused.headers
    # The server answers, but without CORS headers the browser hides it from the page.
    response = user.get("/user/auth", headers={"Origin": REFUSED})
    assert "access-control-allow-origin" not in response.headers
    post = user.post("/user/auth", headers={"Origin": REFUSED, **csrf})
    assert "access-control-allow-origin" not in post.headers
    if served.facts.refuses_untrusted_origin_post:
        assert_json_error(post, 403, "csrf_failed")
    me = user.get("/user/me", headers={"Origin": ALLOWED})
    assert ("access-control-allow-origin" in me.headers) is not served.facts.cors_on_auth_only


# --- bad settings ----------------------------------------------------------------------------

#: A malformed key that is a secret on its own: it must never be echoed.
SECRET_ALONE = "pasted-only-the-secret-part-0123456789"


#: (setting, value, what the refusal names)
BAD_SETTINGS = {
    "api-key": ("RELAYBOX_API_KEY", SECRET_ALONE, "RELAYBOX_API_KEY"),
    "webhook-key": (
        "RELAYBOX_WEBHOOK_SIGNING_KEY",
        f"{SECRET_ALONE}\n",
        "RELAYBOX_WEBHOOK_SIGNING_KEY",
    ),
    "expiry-text": ("RELAYBOX_TOKEN_EXPIRES_IN", "soon", "RELAYBOX_TOKEN_EXPIRES_IN"),
    "expiry-10": ("RELAYBOX_TOKEN_EXPIRES_IN", "10", "expires_in must be"),
}


def assert_refused_naming(result: subprocess.CompletedProcess[str], named: str) -> None:
    assert result.returncode != 0, (named, result.stderr)
    assert named in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Serving the" not in result.stderr, result.stderr
    assert SECRET_ALONE not in result.stdout + result.stderr


def test_bad_settings_stop_serve_py_naming_them(
    example: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every bad setting under one worker, each run as ``python serve.py`` would run it, one
    after another from one interpreter (see run_serve_in_turn)."""
    runs = []
    for setting, value, _ in BAD_SETTINGS.values():
        database = tmp_path_factory.mktemp("db") / "settings.sqlite3"
        env = {setting: value, "DJANGO_DB_PATH": str(database)}
        runs.append((["--port", str(free_port()), "--workers", "1"], env))
    results = run_serve_in_turn(example, runs)
    for (_, _, named), result in zip(BAD_SETTINGS.values(), results, strict=True):
        assert_refused_naming(result, named)


def test_a_bad_setting_stops_serve_py_with_two_workers(
    example: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """serve.py itself, in a process of its own: gunicorn and uvicorn alone would restart
    the failing workers forever."""
    database = tmp_path_factory.mktemp("db") / "settings.sqlite3"
    env = {"RELAYBOX_TOKEN_EXPIRES_IN": "soon", "DJANGO_DB_PATH": str(database)}
    port = str(free_port())
    result = run_serve(example, "--port", port, "--workers", "2", env=env)
    assert_refused_naming(result, "RELAYBOX_TOKEN_EXPIRES_IN")


# --- the chat: POST /messages --------------------------------------------------------------


def test_a_message_is_published_as_the_session_user_whatever_the_request_says(
    standin: EventsStandin, user: httpx.Client, csrf: dict[str, str]
) -> None:
    text = f"hello from {uuid.uuid4()}"
    response = user.post(
        f"/messages?clientId={SPOOFED}&client_id={SPOOFED}",
        headers={"X-Client-Id": SPOOFED, **csrf},
        json={"text": text, "clientId": SPOOFED, "client_id": SPOOFED, "userId": SPOOFED},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    (sent,) = published_with(standin, text)  # checked and accepted as Relaybox would
    assert (sent.room_id, sent.event, sent.client_id) == (chat.ROOM_ID, chat.EVENT, "1")
    assert sent.public_key == PUBLIC_KEY
    assert not sent.transient  # kept in the room's history
    assert response.json() == {"requestId": sent.request_id, "timestamp": sent.timestamp}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/messages", "POST"),
        ("DELETE", "/messages", "POST"),
        ("POST", "/relaybox/webhooks/received", "GET"),
    ],
)
def test_the_json_views_refuse_other_methods_with_json(
    served: Deployment,
    user: httpx.Client,
    csrf: dict[str, str],
    method: str,
    path: str,
    allowed: str,
) -> None:
    response = user.request(method, path, headers=csrf)
    assert response.status_code == 405, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["allow"] == allowed
    fastapi_own = {"detail": "Method Not Allowed"}  # FastAPI's errors are its own shape
    expected = fastapi_own if served.name == "fastapi" else chat.method_not_allowed(allowed)
    assert response.json() == expected


def test_anonymous_visitors_cannot_post(standin: EventsStandin, anonymous: httpx.Client) -> None:
    text = f"anonymous {uuid.uuid4()}"
    response = anonymous.post("/messages", headers=form_token(anonymous), json={"text": text})
    json_answer(response, 401, "not_authenticated")
    assert published_with(standin, text) == []


def test_what_a_form_on_another_site_can_send_is_refused(
    served: Deployment, standin: EventsStandin, user: httpx.Client
) -> None:
    """A cross-site form posts without the page's CSRF header, and only as a form or
    ``text/plain``: Django and Flask-WTF refuse the missing header, and every example
    refuses anything but JSON, which needs a CORS preflight."""
    text = f"forged {uuid.uuid4()}"
    forms = [
        {"content": json.dumps({"text": text}), "headers": {"Content-Type": "text/plain"}},
        {"data": {"text": text}},
    ]
    refusal = served.facts.csrf_refusal
    for form in forms:
        response = user.post("/messages", **form)
        if refusal is None:
            json_answer(response, 415, "unsupported_media_type")
        else:
            json_answer(response, refusal, "csrf_failed")
    if refusal is not None:  # JSON too, as long as the CSRF header is missing
        json_answer(user.post("/messages", json={"text": text}), refusal, "csrf_failed")
    assert published_with(standin, text) == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"text": ""}', "invalid_message"),
        (b'{"text": " \\n\\t "}', "invalid_message"),
        (b'{"text": 7}', "invalid_message"),
        (b'{"text": null}', "invalid_message"),
        (b'{"text": ["hi"]}', "invalid_message"),
        (b'{"message": "hi"}', "invalid_message"),
        (b'["hi"]', "invalid_message"),
        (b'"hi"', "invalid_message"),
        (json.dumps({"text": "x" * (chat.MAX_TEXT_LENGTH + 1)}).encode(), "invalid_message"),
        (b'{"text": "\\ud800 lone surrogate"}', "invalid_message"),
        (b"", "invalid_json"),
        (b"{text: hi}", "invalid_json"),
        (b'{"text": "\xff"}', "invalid_json"),
    ],
)
def test_a_bad_message_is_a_json_400(
    user: httpx.Client, csrf: dict[str, str], standin: EventsStandin, body: bytes, error: str
) -> None:
    before = len(standin.published)
    headers = {"Content-Type": "application/json", **csrf}
    json_answer(user.post("/messages", content=body, headers=headers), 400, error)
    assert len(standin.published) == before


def test_an_oversized_message_is_a_json_413(user: httpx.Client, csrf: dict[str, str]) -> None:
    body = json.dumps({"text": "x" * (chat.MAX_BODY_BYTES + 1)}).encode()
    response = user.post(
        "/messages", content=body, headers={"Content-Type": "application/json", **csrf}
    )
    json_answer(response, 413, "body_too_large")


def test_the_longest_message_is_published_as_sent(
    standin: EventsStandin, user: httpx.Client, csrf: dict[str, str]
) -> None:
    marker = str(uuid.uuid4())
    text = (marker + "é\U0001f44b<b>&" * chat.MAX_TEXT_LENGTH)[: chat.MAX_TEXT_LENGTH]
    response = user.post("/messages", json={"text": text}, headers=csrf)
    assert response.status_code == 200, response.text
    assert len(published_with(standin, text)) == 1


def test_a_relaybox_refusal_is_a_json_502_with_its_reason(
    standin: EventsStandin, user: httpx.Client, csrf: dict[str, str]
) -> None:
    standin.fail_next(Fault("status", status=500))  # how Relaybox refuses a publish
    text = f"refused {uuid.uuid4()}"
    response = user.post("/messages", json={"text": text}, headers=csrf)
    body = json_answer(response, 502, "publish_failed")
    assert "500" in body["message"]
    assert chat.ROOM_ID in body["message"]
    assert_no_secret(response.text)
    assert published_with(standin, text) == []


def test_a_user_sending_too_fast_gets_a_json_429_with_retry_after(
    standin: EventsStandin, user: httpx.Client, csrf: dict[str, str]
) -> None:
    """The last of the chat's cases: it leaves the demo user without messages to send.

    Sent one after the other, as fast as the server answers: far faster than one every
    ``chat.INTERVAL`` seconds, so the burst runs out within a few more than ``chat.BURST``.
    """
    marker = str(uuid.uuid4())
    for number in range(chat.BURST + 20):
        text = f"{marker} {number}"
        response = user.post("/messages", json={"text": text}, headers=csrf)
        if response.status_code != 200:
            break
    else:
        pytest.fail(f"{chat.BURST + 20} messages in a row were all published")
    json_answer(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= chat.INTERVAL
    assert published_with(standin, text) == []


# --- webhooks --------------------------------------------------------------------------------


def delivery(event: str = "room:join", **options: Any) -> tuple[bytes, dict[str, str]]:
    signed = sign_webhook(
        event,
        {"roomId": chat.ROOM_ID},
        TEST_WEBHOOK_SIGNING_KEY,
        session={"clientId": "7"},
        **options,
    )
    return signed.body, signed.headers


def received_ids(client: httpx.Client) -> list[str]:
    response = client.get(RECEIVED_PATH)
    assert response.status_code == 200, response.text
    return [entry["id"] for entry in response.json()["events"]]


def test_a_signed_delivery_is_handled_and_listed(served: Deployment, user: httpx.Client) -> None:
    event_id = str(uuid.uuid4())
    body, headers = delivery("room:publish", event_id=event_id)
    answer = httpx.post(served.base_url + WEBHOOK_PATH, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": event_id, "status": "processed"}
    assert answer.headers["cache-control"] == "no-store"
    listed = user.get(RECEIVED_PATH)
    assert listed.headers["content-type"].startswith("application/json")
    (entry,) = [entry for entry in listed.json()["events"] if entry["id"] == event_id]
    assert (entry["event"], entry["clientId"]) == ("room:publish", "7")
    assert_no_secret(answer.text, listed.text)


def test_the_same_id_delivered_three_times_runs_the_handler_once(
    served: Deployment, user: httpx.Client
) -> None:
    event_id = str(uuid.uuid4())
    answers = []
    for _ in range(3):  # each attempt signed afresh, as Relaybox does
        body, headers = delivery(event_id=event_id)
        answers.append(httpx.post(served.base_url + WEBHOOK_PATH, content=body, headers=headers))
    assert [answer.json()["status"] for answer in answers] == [
        "processed",
        "duplicate",
        "duplicate",
    ]
    assert received_ids(user).count(event_id) == 1


def test_a_retry_after_many_other_deliveries_still_runs_nothing(
    served: Deployment, user: httpx.Client
) -> None:
    """The in-memory stores remember an id for their whole ``done_ttl``, however many other
    deliveries come in between (Django's LocMemCache would keep only 300 keys unless told)."""
    event_id = str(uuid.uuid4())
    with httpx.Client(base_url=served.base_url) as relaybox:
        body, headers = delivery(event_id=event_id)
        assert relaybox.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 200
        for _ in range(310):  # LocMemCache culls a third of its keys past 300
            body, headers = delivery()
            assert relaybox.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 200
        body, headers = delivery(event_id=event_id)
        retry = relaybox.post(WEBHOOK_PATH, content=body, headers=headers)
    assert retry.json() == {"id": event_id, "status": "duplicate"}


def forged(kind: str, event_id: str) -> tuple[bytes, dict[str, str]]:
    body, headers = delivery(event_id=event_id)
    if kind == "unsigned":
        del headers[WEBHOOK_SIGNATURE_HEADER]
    elif kind == "another key":
        other = sign_webhook("room:join", {}, "another-signing-key-0123456789", event_id=event_id)
        body, headers = other.body, other.headers
    elif kind == "altered body":
        body = body.replace(b"room:join", b"room:leave")
    elif kind == "malformed signature":
        headers[WEBHOOK_SIGNATURE_HEADER] = "sha256=" + headers[WEBHOOK_SIGNATURE_HEADER]
    return body, headers


@pytest.mark.parametrize("kind", ["unsigned", "another key", "altered body", "malformed signature"])
def test_a_forged_or_unsigned_delivery_gets_a_final_403(
    served: Deployment, user: httpx.Client, kind: str
) -> None:
    event_id = str(uuid.uuid4())
    body, headers = forged(kind, event_id)
    answer = httpx.post(served.base_url + WEBHOOK_PATH, content=body, headers=headers)
    assert_json_error(answer, 403, "invalid_signature")
    assert event_id not in received_ids(user)


def test_a_stale_delivery_gets_a_final_403(served: Deployment, user: httpx.Client) -> None:
    event_id = str(uuid.uuid4())
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    body, headers = delivery(event_id=event_id, timestamp=old)
    answer = httpx.post(served.base_url + WEBHOOK_PATH, content=body, headers=headers)
    assert_json_error(answer, 403, "stale_timestamp")
    assert event_id not in received_ids(user)


def test_a_chunked_delivery_is_handled(served: Deployment, user: httpx.Client) -> None:
    """Sent without Content-Length (Transfer-Encoding: chunked), to every example's server:
    Django under gunicorn read it as empty and answered a final 400."""
    event_id = str(uuid.uuid4())
    body, headers = delivery("room:publish", event_id=event_id)
    pieces = [body[start : start + 100] for start in range(0, len(body), 100)]
    answer = httpx.post(served.base_url + WEBHOOK_PATH, content=iter(pieces), headers=headers)
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": event_id, "status": "processed"}
    assert event_id in received_ids(user)


def test_an_oversized_delivery_gets_413(served: Deployment) -> None:
    body = b'{"data": "' + b"x" * (256 * 1024) + b'"}'
    headers = {"Content-Type": "application/json", WEBHOOK_SIGNATURE_HEADER: "0" * 64}
    answer = httpx.post(served.base_url + WEBHOOK_PATH, content=body, headers=headers)
    assert_json_error(answer, 413, "body_too_large")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_the_webhook_endpoint_get_a_json_405(
    served: Deployment, method: str
) -> None:
    answer = httpx.request(method, served.base_url + WEBHOOK_PATH)
    assert_json_error(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "POST"


# --- two workers sharing a Redis -------------------------------------------------------------


def worker_of(port: int, connection: http.client.HTTPConnection) -> int | None:
    """The pid of the server process holding the other end of ``connection``."""
    assert connection.sock is not None
    local = connection.sock.getsockname()[1]
    for found in psutil.net_connections(kind="tcp"):
        if found.laddr and found.raddr and (found.laddr.port, found.raddr.port) == (port, local):
            return found.pid
    return None


def used_connection(shared: Shared) -> http.client.HTTPConnection:
    """A new keep-alive connection, with one request answered on it."""
    connection = http.client.HTTPConnection("127.0.0.1", shared.port, timeout=30)
    connection.request("GET", "/login")
    connection.getresponse().read()
    return connection


@contextlib.contextmanager
def one_connection_per_worker(shared: Shared) -> Iterator[list[http.client.HTTPConnection]]:
    """Two keep-alive connections, each accepted by another of the two workers.

    Whichever worker calls accept first gets a new connection, and one that has just
    answered often wins again; so the first connection's worker is stopped (SIGSTOP) while
    the second connection is made, which only the other worker can then accept.
    """
    connections = [used_connection(shared)]
    try:
        first = worker_of(shared.port, connections[0])
        assert first is not None, "no server process holds the connection"
        os.kill(first, signal.SIGSTOP)
        try:
            connections.append(used_connection(shared))
        finally:
            os.kill(first, signal.SIGCONT)
        second = worker_of(shared.port, connections[1])
        assert second not in (None, first), (first, second)
        yield connections
    finally:
        for connection in connections:
            connection.close()


def post(connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> Any:
    connection.request("POST", WEBHOOK_PATH, body, headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def blocked_claims(client: redis.Redis) -> int:
    """How many Redis clients wait to run a SET (a claim) while writes are paused."""
    return sum(1 for c in client.client_list() if c["cmd"] == "set" and "b" in c["flags"])


def listed_by(connection: http.client.HTTPConnection, cookie: str) -> list[str]:
    connection.request("GET", RECEIVED_PATH, headers={"Cookie": cookie})
    response = connection.getresponse()
    assert response.status == 200
    return [entry["id"] for entry in json.loads(response.read())["events"]]


def test_two_workers_mint_for_the_same_session(shared: Shared) -> None:
    """Any worker answers any request: the endpoint keeps no state of its own."""
    tokens = []
    with one_connection_per_worker(shared) as connections:
        for connection in connections:
            connection.request("GET", "/user/auth", headers={"Cookie": shared.cookie})
            response = connection.getresponse()
            assert response.status == 200
            tokens.append(json.loads(response.read())["token"])
    for verdict in node_verify_many(tokens, TEST_SECRET):
        assert verdict["ok"], verdict
        assert verdict["claims"]["clientId"] == "1"


def test_without_cors_allowed_origins_no_origin_is_let_in(shared: Shared) -> None:
    with httpx.Client(base_url=shared.base_url) as client:
        answer = preflight(client, ALLOWED)
        assert "access-control-allow-origin" not in answer.headers
        response = client.get("/user/auth", headers={"Origin": ALLOWED, "Cookie": shared.cookie})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers


def test_the_same_id_delivered_to_two_workers_at_once_runs_the_handler_once(
    shared: Shared,
) -> None:
    """Overlap made certain: Redis holds every write back while both deliveries arrive, so
    both workers are waiting on their claim of the id at the same time; then it lets them
    go. Whichever claims first runs the handler; the other finds the claim and answers
    503 (still running: Relaybox retries) or, if the first already finished, 200 duplicate.
    """
    event_id = str(uuid.uuid4())
    body, headers = delivery(event_id=event_id)
    answers: list[Any] = [None, None]
    with one_connection_per_worker(shared) as connections:

        def deliver(index: int) -> None:
            answers[index] = post(connections[index], body, headers)

        threads = [threading.Thread(target=deliver, args=(index,)) for index in range(2)]
        shared.redis.client_pause(30_000, all=False)  # writes wait; reads (CLIENT LIST) go on
        try:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while blocked_claims(shared.redis) < 2:
                assert time.monotonic() < deadline, "both deliveries never reached their claim"
                time.sleep(0.02)
        finally:
            shared.redis.client_unpause()
            for thread in threads:
                if thread.ident is not None:
                    thread.join(30)
        outcomes = sorted(
            (status, answer.get("status") or answer["error"]) for status, answer in answers
        )
        assert outcomes in (
            [(200, "duplicate"), (200, "processed")],
            [(200, "processed"), (503, "delivery_in_progress")],
        ), outcomes
        if (503, "delivery_in_progress") in outcomes:  # Relaybox's retry of that attempt
            refused = [status for status, _ in answers].index(503)
            retried = post(connections[refused], *delivery(event_id=event_id))
            assert retried == (200, {"id": event_id, "status": "duplicate"})
        for connection in connections:  # each worker lists what either handled, once
            assert listed_by(connection, shared.cookie).count(event_id) == 1


def test_a_failing_handler_answers_500_and_the_retry_runs_it(shared: Shared) -> None:
    """The demo handler appends to a Redis list; a key of another type there makes that
    fail, as an outage of what a handler writes to would, with no hook in the example."""
    event_id = str(uuid.uuid4())
    body, headers = delivery(event_id=event_id)
    shared.redis.set(webhook_demo.REDIS_KEY, "not a list")
    try:
        first = httpx.post(shared.base_url + WEBHOOK_PATH, content=body, headers=headers)
    finally:
        shared.redis.delete(webhook_demo.REDIS_KEY)
    assert_json_error(first, 500, "handler_failed")
    statuses = []
    for _ in range(2):  # Relaybox's retries
        body, headers = delivery(event_id=event_id)
        answer = httpx.post(shared.base_url + WEBHOOK_PATH, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        statuses.append(answer.json()["status"])
    assert statuses == ["processed", "duplicate"]
    with httpx.Client(base_url=shared.base_url, headers={"Cookie": shared.cookie}) as client:
        assert received_ids(client) == [event_id]


def test_without_relaybox_the_chat_says_what_it_needs(shared: Shared) -> None:
    """Offline, or with no emulator running: one plain sentence, not the socket's error."""
    with httpx.Client(base_url=shared.base_url, headers={"Cookie": shared.cookie}) as client:
        token = re.search(r'<meta name="csrf-token" content="([^"]*)">', client.get("/").text)
        assert token is not None
        headers = {"X-CSRFToken": token.group(1)} if token.group(1) else {}
        response = client.post("/messages", json={"text": "anyone there?"}, headers=headers)
    body = json_answer(response, 502, "relaybox_unreachable")
    assert body["message"] == chat.UNREACHABLE
    assert "relaybox emulator" in body["message"]
    assert "RELAYBOX_API_KEY" in body["message"]


# --- last: what the servers wrote ----------------------------------------------------------


def test_no_secret_in_what_the_servers_wrote(served: Deployment, shared: Shared) -> None:
    """Their standard error after every case above: log lines, warnings, and the failing
    handler's traceback; the one-worker server, which saw no handler fail, wrote none."""
    assert "Traceback" not in served.log.read_text(errors="replace")
    for deployment in (served, shared):
        assert_no_secret(deployment.log.read_text(errors="replace"))
