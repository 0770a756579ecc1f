"""The Flask example: Flask-Login, Flask-WTF's CSRFProtect, Flask-Cors and RelayBox.

    python example_projects/serve.py flask [--port N]     # under gunicorn
    flask --app example_projects/flask_app/app.py run     # Flask's development server
    flask --app example_projects/flask_app/app.py relaybox token --user 1

Environment: ``RELAYBOX_API_KEY`` (a development key otherwise), ``RELAYBOX_TOKEN_EXPIRES_IN``
(seconds, default 900), ``RELAYBOX_CORE_URL`` (where to publish; Relaybox's service by
default), ``RELAYBOX_WEBHOOK_SIGNING_KEY`` and ``REDIS_URL`` (see
``../common/webhook_demo.py``), ``CORS_ALLOWED_ORIGINS`` (comma-separated origins allowed to
call the auth and room access endpoints with cookies; none by default; exact origins only, see
``../common/origins.py``), and any ``FLASK_*`` config key, e.g. ``FLASK_SECRET_KEY`` (a
development key otherwise). ``RELAYBOX_EMULATOR_PORT``, which serve.py sets when it starts
the Relaybox emulator, makes the page's client connect to it on localhost (offline mode).
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify, redirect, request, url_for
from flask_cors import CORS
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.security import check_password_hash, generate_password_hash

from relaybox_integrations import (
    PublishError,
    PublishRequestError,
    RedisWebhookStore,
    WebhookEvent,
)
from relaybox_integrations.core import DEFAULT_CORE_URL
from relaybox_integrations.flask import RelayBox, get_state

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
import chat  # the chat's rules, shared by the examples
import frame_guard  # no framing by other sites, for every example
import staff_room  # who may join the staff room, shared by the examples
import webhook_demo  # the webhook settings and the list of deliveries received
from origins import OriginError, allowed_origins  # shared by the examples

# A DEVELOPMENT key: well-formed, so tokens can be minted and inspected, but Relaybox's
# service will not accept it. Set RELAYBOX_API_KEY to your own key to connect for real.
DEVELOPMENT_API_KEY = "demo-app.demo-key:DEVELOPMENT-ONLY-secret-not-accepted-by-relaybox-0000"
# Development only (signs the session cookie): set FLASK_SECRET_KEY anywhere else.
DEVELOPMENT_SECRET_KEY = "DEVELOPMENT-ONLY-flask-secret-key-0000"
SESSION_KEY_SETTING = "FLASK_SECRET_KEY"
TEMPLATES = Path(__file__).resolve().parent.parent / "common"
HOME_PAGE = (TEMPLATES / "home.html").read_text(encoding="utf-8")
LOGIN_PAGE = (TEMPLATES / "login.html").read_text(encoding="utf-8")


class User(UserMixin):
    """A user of the in-memory store; Flask-Login keeps ``id`` in the session."""

    def __init__(self, user_id: str, username: str, password: str, is_staff: bool = False) -> None:
        self.id = user_id
        self.username = username
        self.password_hash = generate_password_hash(password)
        #: Staff may join the staff room (``../common/staff_room.py``).
        self.is_staff = is_staff


USERS = {
    user.id: user
    for user in [
        User("1", "demo", "demo-password"),
        User("2", staff_room.STAFF_USERNAME, staff_room.STAFF_PASSWORD, is_staff=True),
    ]
}
USERS_BY_NAME = {user.username: user for user in USERS.values()}
#: Shared by every worker when REDIS_URL is set: deduplication and the list alike.
REDIS = webhook_demo.redis_client()
RECEIVED = webhook_demo.ReceivedWebhooks(REDIS)

login_manager = LoginManager()
login_manager.login_view = "login"
csrf = CSRFProtect()
# Flask-Login's current_user is the identity: no loader needed.
relaybox = RelayBox()


@relaybox.webhook_handler("*")  # every event; once per event id
def record_delivery(event: WebhookEvent) -> None:
    """Add the delivery to the page's list; a failure here (Redis down) makes Relaybox retry."""
    RECEIVED.record(event)


@relaybox.can_join_room
def can_join_room(request: Any, user: User, client_id: str, room_id: str) -> bool:
    """The room access endpoint's hook: only staff get a token for the staff room."""
    return staff_room.can_join(room_id, user.is_staff)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return USERS.get(user_id)


def create_app() -> Flask:
    app = Flask(__name__)
    try:
        expires_in = int(os.environ.get("RELAYBOX_TOKEN_EXPIRES_IN", "900"))
    except ValueError:
        raise SystemExit("RELAYBOX_TOKEN_EXPIRES_IN must be a whole number of seconds") from None
    app.config.update(
        SECRET_KEY=DEVELOPMENT_SECRET_KEY,
        RELAYBOX_API_KEY=os.environ.get("RELAYBOX_API_KEY", DEVELOPMENT_API_KEY),
        RELAYBOX_TOKEN_EXPIRES_IN=expires_in,
        RELAYBOX_CORE_URL=os.environ.get("RELAYBOX_CORE_URL") or DEFAULT_CORE_URL,
        RELAYBOX_WEBHOOK_SIGNING_KEY=webhook_demo.SIGNING_KEY,
        RELAYBOX_EMULATOR_PORT=os.environ.get("RELAYBOX_EMULATOR_PORT", ""),
        # None: the extension's in-memory store, which holds for one worker only.
        RELAYBOX_WEBHOOK_STORE=RedisWebhookStore(REDIS) if REDIS is not None else None,
        # Flask sets no SameSite of its own: Lax keeps the cookie home on other sites' POSTs.
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_SESSION_COOKIE_SECURE...
    login_manager.init_app(app)
    csrf.init_app(app)  # the home page sends X-CSRFToken, so POST /user/auth passes
    relaybox.init_app(app)
    app.wsgi_app = frame_guard.wsgi(app.wsgi_app)  # type: ignore[method-assign]

    auth_url = get_state(app).auth_url
    try:
        origins = allowed_origins(os.environ.get("CORS_ALLOWED_ORIGINS", ""))
    except OriginError as exc:
        raise SystemExit(str(exc)) from None
    if origins:
        # The browser client always sends Content-Type: application/json, so cross-origin
        # calls are preflighted; credentials carry the session cookie. Flask-Cors reads an
        # origin with a regex character (the brackets of an IPv6 address) as a pattern, so
        # each is given as an exact, escaped one.
        exact = [re.compile(re.escape(origin) + r"\Z", re.IGNORECASE) for origin in origins]
        # The room access endpoint's paths too: /user/rooms/<room_id>/access by default.
        room_access = re.escape(url_for_room_access(app)).replace("ROOM", ".+")
        CORS(
            app,
            resources={
                f"^{re.escape(auth_url)}$": {"origins": exact},
                f"^{room_access}$": {"origins": exact},
            },
            supports_credentials=True,
            methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-CSRFToken", "X-Client-Id"],
        )

    app.add_url_rule("/", view_func=login_required(home))
    app.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
    app.add_url_rule("/logout", view_func=logout, methods=["POST"])  # CSRFProtect checks it
    app.add_url_rule("/user/me", view_func=me)
    app.add_url_rule("/messages", view_func=post_message, methods=["POST"])
    app.add_url_rule("/relaybox/webhooks/received", view_func=received_webhooks)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(MethodNotAllowed, method_not_allowed)
    return app


def url_for_room_access(app: Flask) -> str:
    """The room access endpoint's path for the room ``ROOM``."""
    with app.test_request_context():
        return url_for("relaybox.room_access", room_id="ROOM")


def home() -> str:
    replacements = {
        "__FRAMEWORK__": "Flask",
        "__CSRF_TOKEN__": generate_csrf(),
        "__USERNAME__": current_user.username,
        "__USER_ID__": current_user.get_id(),
        "__LOGOUT_URL__": url_for("logout"),
        "__AUTH_URL__": url_for("relaybox.auth"),
        "__ROOM_ACCESS_URL__": url_for("relaybox.room_access", room_id=staff_room.ROOM_ID),
        "__STAFF_ROOM_ID__": staff_room.ROOM_ID,
        "__MESSAGES_URL__": url_for("post_message"),
        "__WEBHOOK_URL__": url_for("relaybox.webhooks"),
        "__RECEIVED_URL__": url_for("received_webhooks"),
        "__DEVELOPMENT_API_KEY__": _yes_no(
            current_app.config["RELAYBOX_API_KEY"] == DEVELOPMENT_API_KEY
        ),
        "__DEVELOPMENT_SESSION_KEY__": _yes_no(
            current_app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
        ),
        "__DEVELOPMENT_WEBHOOK_KEY__": _yes_no(
            current_app.config["RELAYBOX_WEBHOOK_SIGNING_KEY"]
            == webhook_demo.DEVELOPMENT_SIGNING_KEY
        ),
        "__SESSION_KEY_SETTING__": SESSION_KEY_SETTING,
        "__EMULATOR_PORT__": current_app.config["RELAYBOX_EMULATOR_PORT"],
    }
    return _fill(HOME_PAGE, replacements).replace("__CSRF_INPUT__", _csrf_input())


def login() -> Response | tuple[str, int]:
    error = ""
    if request.method == "POST":
        user = USERS_BY_NAME.get(request.form.get("username", ""))
        if user is not None and check_password_hash(
            user.password_hash, request.form.get("password", "")
        ):
            login_user(user)
            return redirect(url_for("home"))
        error = "Wrong username or password."
    return _login_page(error), 200


def logout() -> Response:
    logout_user()
    return redirect(url_for("login"))


def me() -> Response | tuple[Response, int]:
    """A plain authenticated JSON endpoint: the same session and user lookup as the auth one."""
    if not current_user.is_authenticated:
        return jsonify(error="not_authenticated", message="Log in first."), 401
    return jsonify(id=current_user.get_id(), username=current_user.username)


def post_message() -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    """Publish the page's message to the lobby, from the logged-in user.

    CSRFProtect has already checked the page's ``X-CSRFToken`` header.
    """
    if not current_user.is_authenticated:
        return jsonify(chat.NOT_LOGGED_IN), 401
    try:
        text = chat.message_text(request.content_type, request.stream.read(chat.MAX_BODY_BYTES + 1))
        chat.admit(current_user.get_id())
        result = relaybox.publish(
            chat.ROOM_ID, chat.EVENT, chat.data(text), client_id=current_user.get_id()
        )
    except chat.BadMessage as exc:
        return jsonify(exc.body), exc.status, exc.headers
    except (PublishRequestError, PublishError) as exc:
        status, body = chat.refused(exc)
        return jsonify(body), status
    return jsonify(chat.published(result)), 200


def received_webhooks() -> tuple[Response, int]:
    """The webhook deliveries received, each event id once, for the logged-in user."""
    if not current_user.is_authenticated:
        return jsonify(chat.NOT_LOGGED_IN), 401
    return jsonify(events=RECEIVED.entries()), 200


def method_not_allowed(error: MethodNotAllowed) -> MethodNotAllowed | tuple[Response, int]:
    """JSON for the JSON views (the chat, the list) and logout, Flask's page for the others."""
    if request.path not in ("/messages", "/relaybox/webhooks/received", "/logout"):
        return error
    allowed = ", ".join(sorted(set(error.valid_methods or ()) - {"HEAD", "OPTIONS"}))
    response = jsonify(chat.method_not_allowed(allowed))
    response.headers["Allow"] = allowed
    return response, 405


def csrf_failed(error: CSRFError) -> tuple[str | Response, int]:
    # The auth endpoint answers its own CSRF failures with JSON; the chat's are JSON too,
    # and the login form's are the form again.
    if request.endpoint == "post_message":
        return jsonify(error="csrf_failed", message=str(error.description)), 400
    return _login_page(str(error.description)), 400


def _login_page(error: str) -> str:
    replacements = {"__FRAMEWORK__": "Flask", "__ERROR__": error, "__LOGIN_URL__": url_for("login")}
    return _fill(LOGIN_PAGE, replacements).replace("__CSRF_INPUT__", _csrf_input())


def _csrf_input() -> str:
    """The hidden field CSRFProtect checks on the login and logout forms."""
    return f'<input type="hidden" name="csrf_token" value="{html.escape(generate_csrf())}">'


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _fill(page: str, replacements: dict[str, str]) -> str:
    for placeholder, value in replacements.items():
        page = page.replace(placeholder, html.escape(value))
    return page


app = create_app()
