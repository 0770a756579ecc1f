"""What the Starlette and FastAPI examples share: settings, the demo account and the pages.

Neither framework has a user model or templates of its own, so both examples keep one copy
of these here (each puts this folder on ``sys.path``). Settings come from the environment:

- ``RELAYBOX_API_KEY``: your Relaybox API key (a development key is used when unset);
- ``RELAYBOX_TOKEN_EXPIRES_IN``: token lifetime in seconds (default 900);
- ``SESSION_SECRET_KEY``: the key signing session cookies (a development key when unset);
- ``CORS_ALLOWED_ORIGINS``: comma-separated origins allowed to call the endpoint with
  cookies, e.g. ``http://localhost:3000`` (none by default).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

# DEVELOPMENT key: mints well-formed tokens that Relaybox's service rejects. Set
# RELAYBOX_API_KEY to your real key ("<appPid>.<keyId>:<secret>") to connect for real.
API_KEY = os.environ.get(
    "RELAYBOX_API_KEY", "demo-app.demo-key:DEVELOPMENT-ONLY-secret-not-accepted-by-relaybox-0000"
)
try:
    EXPIRES_IN = int(os.environ.get("RELAYBOX_TOKEN_EXPIRES_IN", "900"))
except ValueError:
    raise SystemExit("RELAYBOX_TOKEN_EXPIRES_IN must be a whole number of seconds") from None
# DEVELOPMENT session key: anyone who knows it can forge a login. Set SESSION_SECRET_KEY.
SESSION_SECRET_KEY = os.environ.get(
    "SESSION_SECRET_KEY", "DEVELOPMENT-ONLY-session-key-change-me-0000000000"
)
CORS_ALLOWED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",")
    if origin.strip()
]

_TEMPLATES = Path(__file__).resolve().parent
_HOME_PAGE = (_TEMPLATES / "home.html").read_text(encoding="utf-8")
_LOGIN_PAGE = (_TEMPLATES / "login.html").read_text(encoding="utf-8")
_ITERATIONS = 200_000


def _render(page: str, **values: str) -> str:
    for name, value in values.items():
        page = page.replace(f"__{name}__", html.escape(value))
    return page


def home_page(framework: str, username: str, logout_url: str, auth_url: str) -> str:
    """The page that connects the Relaybox client (no CSRF token: these frameworks have none)."""
    return _render(
        _HOME_PAGE,
        FRAMEWORK=framework,
        CSRF_TOKEN="",
        USERNAME=username,
        LOGOUT_URL=logout_url,
        AUTH_URL=auth_url,
    )


def login_page(framework: str, login_url: str, error: str = "") -> str:
    page = _render(_LOGIN_PAGE, FRAMEWORK=framework, ERROR=error, LOGIN_URL=login_url)
    return page.replace("__CSRF_INPUT__", "")


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)


@dataclass(frozen=True)
class Account:
    """An in-memory account; its ``id`` is what Relaybox sees as the clientId."""

    id: str
    username: str
    salt: bytes
    password_hash: bytes
    #: An account found from the session is a logged-in user.
    is_authenticated: ClassVar[bool] = True


def _demo_account() -> Account:
    salt = secrets.token_bytes(16)
    return Account("1", "demo", salt, _hash("demo-password", salt))


ACCOUNTS_BY_ID = {account.id: account for account in [_demo_account()]}
_ACCOUNTS_BY_NAME = {account.username: account for account in ACCOUNTS_BY_ID.values()}
# Checked against unknown usernames too, so that a login takes as long either way.
_NO_ACCOUNT = Account("", "", b"\0" * 16, b"")


def authenticate(username: str, password: str) -> Account | None:
    account = _ACCOUNTS_BY_NAME.get(username, _NO_ACCOUNT)
    matches = hmac.compare_digest(_hash(password, account.salt), account.password_hash)
    return account if matches and account is not _NO_ACCOUNT else None
