"""Starlette example: session login, the Relaybox auth endpoint at /user/auth, the room
access endpoint at /user/rooms/{room_id}/access, a chat that publishes through Relaybox, and
Relaybox's webhooks received at /relaybox/webhooks.

Run it with ``python example_projects/serve.py starlette``. Log in as demo / demo-password,
or as staff / staff-password to join the staff room too.

Settings come from the environment; ``../common/demo_site.py`` lists them.

Starlette has no CSRF protection. What protects the POST endpoints here: the login and
logout forms carry a token kept in the session (``demo_site.form_token``); the session
cookie is ``SameSite=Lax`` (other sites' pages cannot send it with a POST); and the browser
client and the chat always send ``Content-Type: application/json`` (the chat refuses anything
else), which forces a CORS preflight that only ``CORS_ALLOWED_ORIGINS`` pass. The webhook
endpoint needs none of this: the signature authenticates Relaybox's call.
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

from relaybox_integrations import PublishError, PublishRequestError, WebhookEvent
from relaybox_integrations.starlette import (
    RelayBoxIssuer,
    RelayBoxMiddleware,
    RelayBoxWebhooks,
    relaybox_routes,
    relaybox_webhook_routes,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import chat  # the chat's rules, shared by the examples
import demo_site  # the settings, account and pages shared with the FastAPI example
import frame_guard  # no framing by other sites, for every example
import staff_room  # who may join the staff room, shared by the examples
import webhook_demo  # the webhook settings, shared by the examples


def can_join_room(request: Request, user: DemoUser, client_id: str, room_id: str) -> bool:
    """The room access endpoint's hook: only staff get a token for the staff room."""
    return staff_room.can_join(room_id, user.account.is_staff)


# One issuer for the auth and room access endpoints and for publishing the chat.
issuer = RelayBoxIssuer(
    api_key=demo_site.API_KEY,
    expires_in=demo_site.EXPIRES_IN,
    core_url=demo_site.CORE_URL,
    can_join_room=can_join_room,
)


async def record_delivery(event: WebhookEvent) -> None:
    """Add the delivery to the page's list; a failure here (Redis down) makes Relaybox retry."""
    await demo_site.RECEIVED.record(event)


webhooks = RelayBoxWebhooks(
    signing_key=webhook_demo.SIGNING_KEY,
    store=demo_site.WEBHOOK_STORE,
    handlers={"*": record_delivery},  # every event, once per event id
)


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
    urls = {
        "logout": request.url_for("logout").path,
        "auth": request.url_for("relaybox_auth").path,
        "room_access": request.url_for("relaybox_room_access", room_id=staff_room.ROOM_ID).path,
        "messages": request.url_for("messages").path,
        "webhooks": request.url_for("relaybox_webhooks").path,
        "received": request.url_for("received_webhooks").path,
    }
    form_token = demo_site.form_token(request.session)
    page = demo_site.home_page("Starlette", request.user.account, urls, form_token)
    return HTMLResponse(page)


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    form_token = demo_site.form_token(request.session)
    page = demo_site.login_page("Starlette", request.url_for("login").path, form_token, error)
    return HTMLResponse(page, status_code=status_code)


async def login(request: Request) -> Response:
    if request.method == "GET":
        return login_page(request)
    form = await request.form()
    if not demo_site.form_token_matches(request.session, form.get("csrf_token")):
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
    """Log out by POST only, from the page's form, which carries the session's form token."""
    if refused := only("POST", request):
        return refused
    form = await request.form()
    if not demo_site.form_token_matches(request.session, form.get("csrf_token")):
        return login_page(request, demo_site.FORM_EXPIRED, status_code=403)
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


#: The JSON views take every method and refuse the wrong ones themselves, with JSON.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def only(method: str, request: Request) -> Response | None:
    """The JSON 405 for any other method than ``method`` (Starlette's own is plain text)."""
    if request.method == method:
        return None
    return JSONResponse(chat.method_not_allowed(method), 405, headers={"Allow": method})


async def post_message(request: Request) -> Response:
    """Publish the page's message to the lobby, from the logged-in user."""
    if refused := only("POST", request):
        return refused
    if not request.user.is_authenticated:
        return JSONResponse(chat.NOT_LOGGED_IN, status_code=401)
    body = await demo_site.bounded_body(request, chat.MAX_BODY_BYTES)
    try:
        text = chat.message_text(request.headers.get("content-type"), body)
        chat.admit(request.user.identity)
        result = await issuer.relaybox.apublish(
            chat.ROOM_ID, chat.EVENT, chat.data(text), client_id=request.user.identity
        )
    except chat.BadMessage as exc:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
    except (PublishRequestError, PublishError) as exc:
        status, answer = chat.refused(exc)
        return JSONResponse(answer, status_code=status)
    return JSONResponse(chat.published(result))


async def received_webhooks(request: Request) -> Response:
    """The webhook deliveries received, each event id once, for the logged-in user."""
    if refused := only("GET", request):
        return refused
    if not request.user.is_authenticated:
        return JSONResponse(chat.NOT_LOGGED_IN, status_code=401)
    return JSONResponse({"events": await demo_site.RECEIVED.entries()})


app = Starlette(
    routes=[
        Route("/", home, name="home"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=ANY_METHOD, name="logout"),
        Mount(
            "/user",
            routes=[
                Route("/me", me, name="me"),
                *relaybox_routes(issuer),
            ],
        ),
        Route("/messages", post_message, methods=ANY_METHOD, name="messages"),
        *relaybox_webhook_routes(webhooks),  # POST /relaybox/webhooks
        Route(
            "/relaybox/webhooks/received",
            received_webhooks,
            methods=ANY_METHOD,
            name="received_webhooks",
        ),
    ],
    middleware=[
        Middleware(frame_guard.ASGI),
        Middleware(
            CORSMiddleware,
            allow_origins=demo_site.CORS_ALLOWED_ORIGINS,
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Client-Id", "X-CSRFToken"],
        ),
        Middleware(SessionMiddleware, secret_key=demo_site.SESSION_SECRET_KEY, same_site="lax"),
        Middleware(AuthenticationMiddleware, backend=SessionBackend()),
        # Closes the chat's publishing connections when the server shuts down.
        Middleware(RelayBoxMiddleware, issuer),
    ],
)
