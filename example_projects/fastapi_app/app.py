"""FastAPI example: session login, the Relaybox auth endpoint at /user/auth, the room access
endpoint at /user/rooms/{room_id}/access, a chat that publishes through Relaybox, and
Relaybox's webhooks received at /relaybox/webhooks.

Run it with ``python example_projects/serve.py fastapi``. Log in as demo / demo-password, or
as staff / staff-password to join the staff room too; the endpoints are documented at /docs.

Settings come from the environment; ``../common/demo_site.py`` lists them.

FastAPI has no CSRF protection. What protects the POST endpoints here: the login and
logout forms carry a token kept in the session (``demo_site.form_token``); the session
cookie is ``SameSite=Lax`` (other sites' pages cannot send it with a POST); and the browser
client and the chat always send ``Content-Type: application/json`` (the chat refuses anything
else), which forces a CORS preflight that only ``CORS_ALLOWED_ORIGINS`` pass. The webhook
endpoint needs none of this: the signature authenticates Relaybox's call.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from relaybox_integrations import PublishError, PublishRequestError, WebhookEvent
from relaybox_integrations.fastapi import (
    ErrorBody,
    RelayBoxIssuer,
    RelayBoxMiddleware,
    RelayBoxWebhooks,
    relaybox_router,
    relaybox_webhook_router,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import chat  # the chat's rules, shared by the examples
import demo_site  # the settings, account and pages shared with the Starlette example
import frame_guard  # no framing by other sites, for every example
import staff_room  # who may join the staff room, shared by the examples
import webhook_demo  # the webhook settings, shared by the examples


async def current_user(request: Request) -> demo_site.Account | None:
    """The logged-in account from the signed session cookie, or None (async: no threadpool)."""
    return demo_site.ACCOUNTS_BY_ID.get(request.session.get("user_id", ""))


CurrentUser = Annotated[demo_site.Account | None, Depends(current_user)]


def can_join_room(request: Request, user: demo_site.Account, client_id: str, room_id: str) -> bool:
    """The room access endpoint's hook: only staff get a token for the staff room."""
    return staff_room.can_join(room_id, user.is_staff)


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

app = FastAPI(title="Relaybox demo (FastAPI)")
# Closes the chat's publishing connections when the server shuts down.
app.add_middleware(RelayBoxMiddleware, issuer=issuer)
app.add_middleware(SessionMiddleware, secret_key=demo_site.SESSION_SECRET_KEY, same_site="lax")
app.add_middleware(
    CORSMiddleware,
    allow_origins=demo_site.CORS_ALLOWED_ORIGINS,
    allow_credentials=True,
    allow_methods=["GET", "POST"],
    allow_headers=["Content-Type", "X-Client-Id", "X-CSRFToken"],
)
app.add_middleware(frame_guard.ASGI)  # added last: the outermost, around every answer
app.include_router(relaybox_router(issuer, dependency=current_user), prefix="/user")
app.include_router(relaybox_webhook_router(webhooks))  # POST /relaybox/webhooks


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, user: CurrentUser) -> Response:
    if user is None:
        return RedirectResponse(request.url_for("login").path, status_code=303)
    urls = {
        "logout": request.url_for("logout").path,
        "auth": request.url_for("relaybox_auth").path,
        "room_access": request.url_for("relaybox_room_access", room_id=staff_room.ROOM_ID).path,
        "messages": request.url_for("post_message").path,
        "webhooks": request.url_for("relaybox_webhooks").path,
        "received": request.url_for("received_webhooks").path,
    }
    form_token = demo_site.form_token(request.session)
    return HTMLResponse(demo_site.home_page("FastAPI", user, urls, form_token))


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    form_token = demo_site.form_token(request.session)
    page = demo_site.login_page("FastAPI", request.url_for("login").path, form_token, error)
    return HTMLResponse(page, status_code=status_code)


@app.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login(request: Request) -> HTMLResponse:
    return login_page(request)


@app.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not demo_site.form_token_matches(request.session, csrf_token):
        return login_page(request, demo_site.FORM_EXPIRED, status_code=403)
    user = demo_site.authenticate(username, password)
    if user is None:
        return login_page(request, "Wrong username or password.", status_code=400)
    request.session.clear()
    request.session["user_id"] = user.id
    return RedirectResponse(request.url_for("home").path, status_code=303)


@app.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Log out by POST only, from the page's form, which carries the session's form token."""
    if not demo_site.form_token_matches(request.session, csrf_token):
        return login_page(request, demo_site.FORM_EXPIRED, status_code=403)
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


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: The body is read raw (``chat.message_text`` checks it, as in every example); this only
#: documents it.
MESSAGE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": chat.MAX_TEXT_LENGTH}
                },
            }
        }
    },
}


@app.post(
    "/messages",
    summary="Publish a chat message to demo:lobby",
    responses={
        200: {"description": "Published: Relaybox's request id and the message's timestamp."},
        400: _error("Not a message: not JSON, or text missing, blank or too long."),
        401: _error("Not logged in."),
        413: _error("The body is over the size limit."),
        415: _error("Not sent as application/json."),
        429: _error("Too many messages from this user: Retry-After says when to send again."),
        502: _error("Relaybox refused the message or could not be reached; the message says why."),
    },
    openapi_extra={"requestBody": MESSAGE_BODY},
)
async def post_message(request: Request, user: CurrentUser) -> Response:
    """Publish the message to the lobby as event ``message``, from the logged-in user."""
    if user is None:
        return JSONResponse(chat.NOT_LOGGED_IN, status_code=401)
    body = await demo_site.bounded_body(request, chat.MAX_BODY_BYTES)
    try:
        text = chat.message_text(request.headers.get("content-type"), body)
        chat.admit(user.id)
        result = await issuer.relaybox.apublish(
            chat.ROOM_ID, chat.EVENT, chat.data(text), client_id=user.id
        )
    except chat.BadMessage as exc:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
    except (PublishRequestError, PublishError) as exc:
        status, answer = chat.refused(exc)
        return JSONResponse(answer, status_code=status)
    return JSONResponse(chat.published(result))


@app.get("/relaybox/webhooks/received", responses={401: _error("Not logged in.")})
async def received_webhooks(user: CurrentUser) -> Response:
    """The webhook deliveries received, each event id once, for the logged-in user."""
    if user is None:
        return JSONResponse(chat.NOT_LOGGED_IN, status_code=401)
    return JSONResponse({"events": await demo_site.RECEIVED.entries()})
