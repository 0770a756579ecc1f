"""FastAPI example: session login, and the Relaybox auth endpoint at /user/auth.

Run it with ``python example_projects/serve.py fastapi``. Log in as demo / demo-password;
the endpoint is documented at /docs.

Settings (environment variables):
- ``RELAYBOX_API_KEY``: your Relaybox API key (a development key is used when unset);
- ``RELAYBOX_TOKEN_EXPIRES_IN``: token lifetime in seconds (default 900);
- ``SESSION_SECRET_KEY``: the key signing session cookies (a development key when unset);
- ``CORS_ALLOWED_ORIGINS``: comma-separated origins allowed to call the endpoint with
  cookies, e.g. ``http://localhost:3000`` (none by default).

FastAPI has no CSRF protection. What protects the POST endpoints here: the session cookie
is ``SameSite=Lax`` (other sites' pages cannot send it with a POST), and the browser client
always sends ``Content-Type: application/json``, which forces a CORS preflight that only
``CORS_ALLOWED_ORIGINS`` pass.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from relaybox_integrations.fastapi import relaybox_router

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

TEMPLATES = Path(__file__).resolve().parent.parent / "common"
HOME_PAGE = (TEMPLATES / "home.html").read_text(encoding="utf-8")
LOGIN_PAGE = (TEMPLATES / "login.html").read_text(encoding="utf-8")

_ITERATIONS = 200_000


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)


@dataclass(frozen=True)
class DemoUser:
    """An in-memory user; its ``id`` is what Relaybox sees as the clientId."""

    id: str
    username: str
    salt: bytes
    password_hash: bytes


def _demo_user() -> DemoUser:
    salt = secrets.token_bytes(16)
    return DemoUser("1", "demo", salt, hash_password("demo-password", salt))


USERS_BY_ID = {user.id: user for user in [_demo_user()]}
USERS_BY_NAME = {user.username: user for user in USERS_BY_ID.values()}
# Checked against unknown usernames too, so that a login takes as long either way.
_NO_USER = DemoUser("", "", b"\0" * 16, b"")


def authenticate(username: str, password: str) -> DemoUser | None:
    user = USERS_BY_NAME.get(username, _NO_USER)
    matches = hmac.compare_digest(hash_password(password, user.salt), user.password_hash)
    return user if matches and user is not _NO_USER else None


async def current_user(request: Request) -> DemoUser | None:
    """The logged-in user from the signed session cookie, or None (async: no threadpool)."""
    return USERS_BY_ID.get(request.session.get("user_id", ""))


CurrentUser = Annotated[DemoUser | None, Depends(current_user)]


def render(page: str, **values: str) -> str:
    for name, value in values.items():
        page = page.replace(f"__{name}__", html.escape(value))
    return page


app = FastAPI(title="Relaybox demo (FastAPI)")
app.add_middleware(SessionMiddleware, secret_key=SESSION_SECRET_KEY, same_site="lax")
app.add_middleware(
    CORSMiddleware,
    allow_origins=CORS_ALLOWED_ORIGINS,
    allow_credentials=True,
    allow_methods=["GET", "POST"],
    allow_headers=["Content-Type", "X-Client-Id", "X-CSRFToken"],
)
app.include_router(
    relaybox_router(dependency=current_user, api_key=API_KEY, expires_in=EXPIRES_IN), prefix="/user"
)


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, user: CurrentUser) -> Response:
    if user is None:
        return RedirectResponse(request.url_for("login").path, status_code=303)
    return HTMLResponse(
        render(
            HOME_PAGE,
            FRAMEWORK="FastAPI",
            CSRF_TOKEN="",
            USERNAME=user.username,
            LOGOUT_URL=request.url_for("logout").path,
            AUTH_URL=request.url_for("relaybox_auth").path,
        )
    )


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    page = render(
        LOGIN_PAGE, FRAMEWORK="FastAPI", ERROR=error, LOGIN_URL=request.url_for("login").path
    )
    return HTMLResponse(page.replace("__CSRF_INPUT__", ""), status_code=status_code)


@app.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login(request: Request) -> HTMLResponse:
    return login_page(request)


@app.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    user = authenticate(username, password)
    if user is None:
        return login_page(request, "Wrong username or password.", status_code=400)
    request.session.clear()
    request.session["user_id"] = user.id
    return RedirectResponse(request.url_for("home").path, status_code=303)


@app.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse(request.url_for("login").path, status_code=303)


@app.get("/user/me", responses={401: {"description": "Not logged in."}})
async def me(user: CurrentUser) -> Response:
    """A plain authenticated JSON endpoint (the benchmark baseline for /user/auth)."""
    if user is None:
        return JSONResponse(
            {"error": "not_authenticated", "message": "Log in first."}, status_code=401
        )
    return JSONResponse({"id": user.id, "username": user.username})
