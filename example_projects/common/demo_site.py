"""What the Starlette and FastAPI examples share: settings, the demo account and the pages.

Neither framework has a user model or templates of its own, so both examples keep one copy
of these here (each puts this folder on ``sys.path``). Settings come from the environment:

- ``RELAYBOX_API_KEY``: your Relaybox API key (a development key is used when unset);
- ``RELAYBOX_TOKEN_EXPIRES_IN``: token lifetime in seconds (default 900);
- ``RELAYBOX_CORE_URL``: where to publish the chat (Relaybox's own service by default);
- ``RELAYBOX_EMULATOR_PORT``: set by serve.py when it starts the Relaybox emulator, whose
  port the page's client then connects to on localhost (offline mode);
- ``RELAYBOX_WEBHOOK_SIGNING_KEY`` and ``REDIS_URL``: see ``webhook_demo.py``;
- ``SESSION_SECRET_KEY``: the key signing session cookies (a development key when unset);
- ``CORS_ALLOWED_ORIGINS``: comma-separated origins allowed to call the endpoint with
  cookies, e.g. ``http://localhost:3000`` (none by default; exact origins only, see
  ``origins.py``).

Neither framework has CSRF protection of its own, so the login and logout forms carry a token
kept in the session (:func:`form_token`): a form on another site cannot log a visitor into the
attacker's account, whose ``clientId`` their tokens would then carry, nor log them out. The
chat accepts JSON only, for the same reason (see ``chat.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import staff_room
import webhook_demo
from origins import OriginError, allowed_origins
from starlette.requests import Request

from relaybox_integrations import AsyncRedisWebhookStore
from relaybox_integrations.core import DEFAULT_CORE_URL

# DEVELOPMENT key: mints well-formed tokens that Relaybox's service rejects. Set
# RELAYBOX_API_KEY to your real key ("<appPid>.<keyId>:<secret>") to connect for real.
DEVELOPMENT_API_KEY = "demo-app.demo-key:DEVELOPMENT-ONLY-secret-not-accepted-by-relaybox-0000"
API_KEY = os.environ.get("RELAYBOX_API_KEY", DEVELOPMENT_API_KEY)
try:
    EXPIRES_IN = int(os.environ.get("RELAYBOX_TOKEN_EXPIRES_IN", "900"))
except ValueError:
    raise SystemExit("RELAYBOX_TOKEN_EXPIRES_IN must be a whole number of seconds") from None
CORE_URL = os.environ.get("RELAYBOX_CORE_URL") or DEFAULT_CORE_URL
EMULATOR_PORT = os.environ.get("RELAYBOX_EMULATOR_PORT", "")
# Shared by every worker when REDIS_URL is set: deduplication and the received list alike.
REDIS = webhook_demo.async_redis_client()
#: None: the endpoint's in-memory store, which holds for one worker only.
WEBHOOK_STORE = AsyncRedisWebhookStore(REDIS) if REDIS is not None else None
RECEIVED = webhook_demo.AsyncReceivedWebhooks(REDIS)
# DEVELOPMENT session key: anyone who knows it can forge a login. Set SESSION_SECRET_KEY.
SESSION_KEY_SETTING = "SESSION_SECRET_KEY"
DEVELOPMENT_SESSION_SECRET_KEY = "DEVELOPMENT-ONLY-session-key-change-me-0000000000"
SESSION_SECRET_KEY = os.environ.get(SESSION_KEY_SETTING, DEVELOPMENT_SESSION_SECRET_KEY)
try:
    CORS_ALLOWED_ORIGINS = allowed_origins(os.environ.get("CORS_ALLOWED_ORIGINS", ""))
except OriginError as exc:
    raise SystemExit(str(exc)) from None

_TEMPLATES = Path(__file__).resolve().parent
_HOME_PAGE = (_TEMPLATES / "home.html").read_text(encoding="utf-8")
_LOGIN_PAGE = (_TEMPLATES / "login.html").read_text(encoding="utf-8")
_ITERATIONS = 200_000
_FORM_TOKEN = "form_token"
#: What the login page says when the form's token is missing or wrong.
FORM_EXPIRED = "This form has expired or was sent from another site. Please log in again."


def _render(page: str, **values: str) -> str:
    for name, value in values.items():
        page = page.replace(f"__{name}__", html.escape(value))
    return page


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def home_page(framework: str, account: Account, urls: Mapping[str, str], form_token: str) -> str:
    """The page that connects the Relaybox client (no CSRF token for its requests: these
    frameworks have none), with the logout form carrying ``form_token``.

    ``urls`` maps ``logout``, ``auth``, ``room_access`` (the staff room's), ``messages``,
    ``webhooks`` and ``received`` to their paths. The page says when a development key is in
    use: their secrets are public.
    """
    page = _render(
        _HOME_PAGE,
        FRAMEWORK=framework,
        CSRF_TOKEN="",
        USERNAME=account.username,
        USER_ID=account.id,
        LOGOUT_URL=urls["logout"],
        AUTH_URL=urls["auth"],
        ROOM_ACCESS_URL=urls["room_access"],
        STAFF_ROOM_ID=staff_room.ROOM_ID,
        MESSAGES_URL=urls["messages"],
        WEBHOOK_URL=urls["webhooks"],
        RECEIVED_URL=urls["received"],
        DEVELOPMENT_API_KEY=_yes_no(API_KEY == DEVELOPMENT_API_KEY),
        DEVELOPMENT_SESSION_KEY=_yes_no(SESSION_SECRET_KEY == DEVELOPMENT_SESSION_SECRET_KEY),
        DEVELOPMENT_WEBHOOK_KEY=_yes_no(
            webhook_demo.SIGNING_KEY == webhook_demo.DEVELOPMENT_SIGNING_KEY
        ),
        SESSION_KEY_SETTING=SESSION_KEY_SETTING,
        EMULATOR_PORT=EMULATOR_PORT,
    )
    return page.replace("__CSRF_INPUT__", _form_token_input(form_token))


async def bounded_body(request: Request, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of the request's body: enough to tell it is too long."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            break
    return bytes(body[: limit + 1])


def login_page(framework: str, login_url: str, form_token: str, error: str = "") -> str:
    """The login form, carrying ``form_token`` (see :func:`form_token`)."""
    page = _render(_LOGIN_PAGE, FRAMEWORK=framework, ERROR=error, LOGIN_URL=login_url)
    return page.replace("__CSRF_INPUT__", _form_token_input(form_token))


def _form_token_input(token: str) -> str:
    return f'<input type="hidden" name="csrf_token" value="{html.escape(token)}">'


def form_token(session: MutableMapping[str, Any]) -> str:
    """The token this visitor's login and logout forms must send back, kept in their signed
    session.

    A page on another site can post a form, but cannot read ours for the token; and the
    session cookie, ``SameSite=Lax``, does not even travel with a cross-site POST.
    """
    token = session.get(_FORM_TOKEN)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_FORM_TOKEN] = token
    return token


def form_token_matches(session: MutableMapping[str, Any], submitted: object) -> bool:
    expected = session.get(_FORM_TOKEN)
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)


@dataclass(frozen=True)
class Account:
    """An in-memory account; its ``id`` is what Relaybox sees as the clientId."""

    id: str
    username: str
    salt: bytes
    password_hash: bytes
    #: Staff may join the staff room (``staff_room.py``).
    is_staff: bool = False
    #: An account found from the session is a logged-in user.
    is_authenticated: ClassVar[bool] = True


def _account(account_id: str, username: str, password: str, is_staff: bool = False) -> Account:
    salt = secrets.token_bytes(16)
    return Account(account_id, username, salt, _hash(password, salt), is_staff)


ACCOUNTS_BY_ID = {
    account.id: account
    for account in [
        _account("1", "demo", "demo-password"),
        _account("2", staff_room.STAFF_USERNAME, staff_room.STAFF_PASSWORD, is_staff=True),
    ]
}
_ACCOUNTS_BY_NAME = {account.username: account for account in ACCOUNTS_BY_ID.values()}
# Checked against unknown usernames too, so that a login takes as long either way.
_NO_ACCOUNT = Account("", "", b"\0" * 16, b"")


def authenticate(username: str, password: str) -> Account | None:
    account = _ACCOUNTS_BY_NAME.get(username, _NO_ACCOUNT)
    matches = hmac.compare_digest(_hash(password, account.salt), account.password_hash)
    return account if matches and account is not _NO_ACCOUNT else None
