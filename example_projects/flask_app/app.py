"""The Flask example: Flask-Login, Flask-WTF's CSRFProtect, Flask-Cors and RelayBox.

    python example_projects/serve.py flask [--port N]     # under gunicorn
    flask --app example_projects/flask_app/app.py run     # Flask's development server
    flask --app example_projects/flask_app/app.py relaybox token --user 1

Environment: ``RELAYBOX_API_KEY`` (a development key otherwise), ``RELAYBOX_TOKEN_EXPIRES_IN``
(seconds, default 900), ``CORS_ALLOWED_ORIGINS`` (comma-separated origins allowed to call the
auth endpoint with cookies; none by default; exact origins only, see ``../common/origins.py``),
and any ``FLASK_*`` config key, e.g. ``FLASK_SECRET_KEY`` (a development key otherwise).
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

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
from werkzeug.security import check_password_hash, generate_password_hash

from relaybox_integrations.flask import RelayBox, get_state

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
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

    def __init__(self, user_id: str, username: str, password: str) -> None:
        self.id = user_id
        self.username = username
        self.password_hash = generate_password_hash(password)


USERS = {user.id: user for user in [User("1", "demo", "demo-password")]}
USERS_BY_NAME = {user.username: user for user in USERS.values()}

login_manager = LoginManager()
login_manager.login_view = "login"
csrf = CSRFProtect()
# Flask-Login's current_user is the identity: no loader needed.
relaybox = RelayBox()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return USERS.get(user_id)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=DEVELOPMENT_SECRET_KEY,
        RELAYBOX_API_KEY=os.environ.get("RELAYBOX_API_KEY", DEVELOPMENT_API_KEY),
        RELAYBOX_TOKEN_EXPIRES_IN=int(os.environ.get("RELAYBOX_TOKEN_EXPIRES_IN", "900")),
    )
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_SESSION_COOKIE_SECURE...
    login_manager.init_app(app)
    csrf.init_app(app)  # the home page sends X-CSRFToken, so POST /user/auth passes
    relaybox.init_app(app)

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
        CORS(
            app,
            resources={f"^{re.escape(auth_url)}$": {"origins": exact}},
            supports_credentials=True,
            methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-CSRFToken", "X-Client-Id"],
        )

    app.add_url_rule("/", view_func=login_required(home))
    app.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
    app.add_url_rule("/logout", view_func=logout)
    app.add_url_rule("/user/me", view_func=me)
    app.register_error_handler(CSRFError, csrf_failed)
    return app


def home() -> str:
    replacements = {
        "__FRAMEWORK__": "Flask",
        "__CSRF_TOKEN__": generate_csrf(),
        "__USERNAME__": current_user.username,
        "__LOGOUT_URL__": url_for("logout"),
        "__AUTH_URL__": url_for("relaybox.auth"),
        "__DEVELOPMENT_API_KEY__": _yes_no(
            current_app.config["RELAYBOX_API_KEY"] == DEVELOPMENT_API_KEY
        ),
        "__DEVELOPMENT_SESSION_KEY__": _yes_no(
            current_app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
        ),
        "__SESSION_KEY_SETTING__": SESSION_KEY_SETTING,
    }
    return _fill(HOME_PAGE, replacements)


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


def csrf_failed(error: CSRFError) -> tuple[str, int]:
    # The auth endpoint answers its own CSRF failures with JSON; this is the login form's.
    return _login_page(str(error.description)), 400


def _login_page(error: str) -> str:
    csrf_input = f'<input type="hidden" name="csrf_token" value="{html.escape(generate_csrf())}">'
    replacements = {"__FRAMEWORK__": "Flask", "__ERROR__": error, "__LOGIN_URL__": url_for("login")}
    return _fill(LOGIN_PAGE, replacements).replace("__CSRF_INPUT__", csrf_input)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _fill(page: str, replacements: dict[str, str]) -> str:
    for placeholder, value in replacements.items():
        page = page.replace(placeholder, html.escape(value))
    return page


app = create_app()
