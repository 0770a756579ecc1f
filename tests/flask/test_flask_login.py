"""Flask-Login's current_user as the default identity, and the CLI that loads users."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from relaybox_integrations.flask import AccessDenied, RelayBox
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify

from .conftest import AppFactory

flask_login = pytest.importorskip("flask_login")


class User(flask_login.UserMixin):  # type: ignore[misc,name-defined]
    def __init__(self, user_id: str, active: bool = True) -> None:
        self.id = user_id
        self.active = active

    @property
    def is_active(self) -> bool:
        return self.active


USERS = {"7": User("7"), "8": User("8", active=False)}


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    app = make_app()
    login_manager = flask_login.LoginManager(app)
    login_manager.user_loader(USERS.get)

    @app.post("/test-login/<user_id>")
    def test_login(user_id: str) -> str:
        flask_login.login_user(USERS[user_id], force=True)
        return "ok"

    return app


def test_current_user_is_the_default_identity(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/user/auth").status_code == 401
    client.post("/test-login/7")
    response = client.get("/user/auth?clientId=mallory", headers={"X-Client-Id": "mallory"})
    assert response.status_code == 200
    assert response.json is not None
    assert node_verify(response.json["token"], TEST_SECRET)["clientId"] == "7"


def test_in_debug_mode_the_401_says_why_nobody_is_logged_in(app: Flask, relaybox: RelayBox) -> None:
    client = app.test_client()
    assert "Debug mode" not in client.get("/user/auth").json["message"]  # type: ignore[index]
    app.debug = True
    message = client.get("/user/auth").json["message"]  # type: ignore[index]
    assert "Flask-Login's current_user is not authenticated" in message
    relaybox.load_user(lambda: None)
    message = client.get("/user/auth").json["message"]  # type: ignore[index]
    assert "the load_user loader returned None" in message


def test_a_registered_loader_wins_over_current_user(app: Flask, relaybox: RelayBox) -> None:
    @relaybox.load_user
    def client_id() -> str | None:
        user = flask_login.current_user
        return f"member-{user.get_id()}" if user.is_authenticated else None

    client = app.test_client()
    client.post("/test-login/7")
    response = client.get("/user/auth")
    assert response.json is not None
    assert node_verify(response.json["token"], TEST_SECRET)["clientId"] == "member-7"


def test_cli_loads_the_user_through_flask_login(app: Flask, relaybox: RelayBox) -> None:
    relaybox.get_permissions(lambda request, user, client_id: {f"user:{client_id}": ["*"]})
    result = app.test_cli_runner().invoke(args=["relaybox", "token", "--user", "7"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    claims = node_verify(body["token"], TEST_SECRET)
    assert claims["clientId"] == "7"
    assert claims["permissions"] == {"user:7": ["*"]}
    assert body["expiresAt"] == claims["exp"] * 1000


def test_cli_goes_through_the_load_user_too(app: Flask, relaybox: RelayBox) -> None:
    relaybox.load_user(lambda: "member-" + flask_login.current_user.get_id())
    result = app.test_cli_runner().invoke(args=["relaybox", "token", "--user", "7"])
    assert result.exit_code == 0, result.output
    assert node_verify(json.loads(result.output)["token"], TEST_SECRET)["clientId"] == "member-7"


@pytest.mark.parametrize(
    ("user_id", "message"),
    [("404", "no user with id '404'"), ("8", "user '8' is inactive")],
)
def test_cli_refuses_unknown_and_inactive_users(app: Flask, user_id: str, message: str) -> None:
    result = app.test_cli_runner().invoke(args=["relaybox", "token", "--user", user_id])
    assert result.exit_code == 1
    assert message in result.output
    assert '"token"' not in result.output


def test_cli_reports_a_refusal(app: Flask, relaybox: RelayBox) -> None:
    def refuse(request: object, user: object, client_id: str | None) -> None:
        raise AccessDenied("Not this one.")

    relaybox.get_permissions(refuse)
    result = app.test_cli_runner().invoke(args=["relaybox", "token", "--user", "7"])
    assert result.exit_code == 1
    assert "(403)" in result.output
    assert "Not this one." in result.output
