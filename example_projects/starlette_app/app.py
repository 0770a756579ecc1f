"""Starlette example: session login, and the Relaybox auth endpoint at /user/auth.

Run it with ``python example_projects/serve.py starlette``. Log in as demo / demo-password.

Settings come from the environment; ``../common/demo_site.py`` lists them.

Starlette has no CSRF protection. What protects the POST endpoints here: the login form
carries a token kept in the session (``demo_site.login_form_token``); the session cookie is
``SameSite=Lax`` (other sites' pages cannot send it with a POST); and the browser client
always sends ``Content-Type: application/json``, which forces a CORS preflight that only
``CORS_ALLOWED_ORIGINS`` pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from relaybox_integrations.starlette import relaybox_routes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import demo_site  # the settings, account and pages shared with the FastAPI example


class DemoUser(BaseUser):
    """``request.user``: its ``identity`` is what Relaybox sees as the clientId."""

    def __init__(self, account: demo_site.Account) -> None:
        self.account = account

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.account.username

    @property
    def identity(self) -> str:
        return self.account.id


class SessionBackend(AuthenticationBackend):
    """``request.user`` from the account id the login stored in the signed session cookie."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        account = demo_site.ACCOUNTS_BY_ID.get(conn.session.get("user_id", ""))
        if account is None:
            return None
        return AuthCredentials(["authenticated"]), DemoUser(account)


async def home(request: Request) -> Response:
    if not request.user.is_authenticated:
        return RedirectResponse(request.url_for("login").path, status_code=303)
    return HTMLResponse(
        demo_site.home_page(
            "Starlette",
            username=request.user.display_name,
            logout_url=request.url_for("logout").path,
            auth_url=request.url_for("relaybox_auth").path,
        )
    )


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    form_token = demo_site.login_form_token(request.session)
    page = demo_site.login_page("Starlette", request.url_for("login").path, form_token, error)
    return HTMLResponse(page, status_code=status_code)


async def login(request: Request) -> Response:
    if request.method == "GET":
        return login_page(request)
    form = await request.form()
    if not demo_site.login_form_token_matches(request.session, form.get("csrf_token")):
        return login_page(request, demo_site.FORM_EXPIRED, status_code=403)
    username, password = form.get("username"), form.get("password")
    account = None
    if isinstance(username, str) and isinstance(password, str):
        account = demo_site.authenticate(username, password)
    if account is None:
        return login_page(request, "Wrong username or password.", status_code=400)
    request.session.clear()
    request.session["user_id"] = account.id
    return RedirectResponse(request.url_for("home").path, status_code=303)


async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse(request.url_for("login").path, status_code=303)


async def me(request: Request) -> Response:
    """A plain authenticated JSON endpoint (the benchmark baseline for /user/auth)."""
    user = request.user
    if not user.is_authenticated:
        return JSONResponse(
            {"error": "not_authenticated", "message": "Log in first."}, status_code=401
        )
    return JSONResponse({"id": user.identity, "username": user.display_name})


app = Starlette(
    routes=[
        Route("/", home, name="home"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["GET", "POST"], name="logout"),
        Mount(
            "/user",
            routes=[
                Route("/me", me, name="me"),
                *relaybox_routes(api_key=demo_site.API_KEY, expires_in=demo_site.EXPIRES_IN),
            ],
        ),
    ],
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=demo_site.CORS_ALLOWED_ORIGINS,
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Client-Id", "X-CSRFToken"],
        ),
        Middleware(SessionMiddleware, secret_key=demo_site.SESSION_SECRET_KEY, same_site="lax"),
        Middleware(AuthenticationMiddleware, backend=SessionBackend()),
    ],
)
