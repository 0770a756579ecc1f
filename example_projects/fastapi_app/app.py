"""FastAPI example: session login, and the Relaybox auth endpoint at /user/auth.

Run it with ``python example_projects/serve.py fastapi``. Log in as demo / demo-password;
the endpoint is documented at /docs.

Settings come from the environment; ``../common/demo_site.py`` lists them.

FastAPI has no CSRF protection. What protects the POST endpoints here: the login form
carries a token kept in the session (``demo_site.login_form_token``); the session cookie is
``SameSite=Lax`` (other sites' pages cannot send it with a POST); and the browser client
always sends ``Content-Type: application/json``, which forces a CORS preflight that only
``CORS_ALLOWED_ORIGINS`` pass.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from relaybox_integrations.fastapi import relaybox_router

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import demo_site  # the settings, account and pages shared with the Starlette example


async def current_user(request: Request) -> demo_site.Account | None:
    """The logged-in account from the signed session cookie, or None (async: no threadpool)."""
    return demo_site.ACCOUNTS_BY_ID.get(request.session.get("user_id", ""))


CurrentUser = Annotated[demo_site.Account | None, Depends(current_user)]

app = FastAPI(title="Relaybox demo (FastAPI)")
app.add_middleware(SessionMiddleware, secret_key=demo_site.SESSION_SECRET_KEY, same_site="lax")
app.add_middleware(
    CORSMiddleware,
    allow_origins=demo_site.CORS_ALLOWED_ORIGINS,
    allow_credentials=True,
    allow_methods=["GET", "POST"],
    allow_headers=["Content-Type", "X-Client-Id", "X-CSRFToken"],
)
app.include_router(
    relaybox_router(
        dependency=current_user, api_key=demo_site.API_KEY, expires_in=demo_site.EXPIRES_IN
    ),
    prefix="/user",
)


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, user: CurrentUser) -> Response:
    if user is None:
        return RedirectResponse(request.url_for("login").path, status_code=303)
    return HTMLResponse(
        demo_site.home_page(
            "FastAPI",
            username=user.username,
            logout_url=request.url_for("logout").path,
            auth_url=request.url_for("relaybox_auth").path,
        )
    )


def login_page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
    form_token = demo_site.login_form_token(request.session)
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
    if not demo_site.login_form_token_matches(request.session, csrf_token):
        return login_page(request, demo_site.FORM_EXPIRED, status_code=403)
    user = demo_site.authenticate(username, password)
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
