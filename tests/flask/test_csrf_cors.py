"""Beside Flask-WTF's CSRFProtect and Flask-Cors: what each one needs."""

from __future__ import annotations

import pytest
from flask import Flask

from relaybox_integrations.flask import RelayBox, get_state
from tests.support.responses import assert_cors_allowed, preflight
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify

from .conftest import AppFactory

csrf_module = pytest.importorskip("flask_wtf.csrf")
flask_cors = pytest.importorskip("flask_cors")

ORIGIN = "https://app.example"


@pytest.fixture
def csrf_app(make_app: AppFactory, relaybox: RelayBox) -> tuple[Flask, object]:
    app = make_app()
    csrf = csrf_module.CSRFProtect(app)
    relaybox.load_user(lambda: "alice")

    @app.get("/csrf-token")
    def csrf_token() -> str:
        return str(csrf_module.generate_csrf())

    return app, csrf


def test_csrf_failures_on_the_endpoint_are_json(csrf_app: tuple[Flask, object]) -> None:
    app, _ = csrf_app

    @app.errorhandler(csrf_module.CSRFError)
    def html_page(error: Exception) -> tuple[str, int]:  # an app's own page, for its forms
        return "<h1>Bad form</h1>", 400

    @app.post("/form")
    def form() -> str:
        return "ok"

    client = app.test_client()
    refused = client.post("/user/auth")
    assert refused.status_code == 400
    assert refused.headers["Cache-Control"] == "no-store"
    assert refused.get_json() == {
        "error": "csrf_failed",
        "message": "The CSRF token is missing.",
    }
    assert client.post("/form").get_data(as_text=True) == "<h1>Bad form</h1>"


def test_csrf_protect_wants_the_token_header_on_post(csrf_app: tuple[Flask, object]) -> None:
    app, _ = csrf_app
    client = app.test_client()
    assert client.get("/user/auth").status_code == 200  # GET is never CSRF-checked
    assert client.options("/user/auth").status_code == 204
    assert client.post("/user/auth").status_code == 400
    token = client.get("/csrf-token").get_data(as_text=True)
    response = client.post("/user/auth", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json is not None
    assert node_verify(response.json["token"], TEST_SECRET)["clientId"] == "alice"


def test_csrf_exempting_the_blueprint(csrf_app: tuple[Flask, object]) -> None:
    app, csrf = csrf_app
    csrf.exempt(get_state(app).blueprint)  # type: ignore[attr-defined]
    assert app.test_client().post("/user/auth").status_code == 200


@pytest.fixture
def cors_app(make_app: AppFactory, relaybox: RelayBox) -> Flask:
    app = make_app()
    flask_cors.CORS(
        app,
        resources={"^/user/auth$": {"origins": [ORIGIN]}},
        supports_credentials=True,
        methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-Client-Id"],
    )
    relaybox.load_user(lambda: "alice")
    return app


def test_cors_preflight_and_credentialed_get(cors_app: Flask) -> None:
    client = cors_app.test_client()
    answer = preflight(client, ORIGIN)
    assert answer.status_code == 204
    assert_cors_allowed(answer, ORIGIN, headers=("x-client-id",))
    response = client.get(
        "/user/auth", headers={"Origin": ORIGIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert_cors_allowed(response, ORIGIN)
    assert response.headers["Cache-Control"] == "no-store"


def test_cors_refuses_other_origins(cors_app: Flask) -> None:
    client = cors_app.test_client()
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    assert (
        "Access-Control-Allow-Origin" not in client.options("/user/auth", headers=headers).headers
    )
    assert "Access-Control-Allow-Origin" not in client.get("/user/auth", headers=headers).headers
