"""The auth endpoint with client-id and permissions loaders (no Flask-Login involved)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask, g, request

from relaybox_integrations.flask import AccessDenied, RelayBox, token_issued
from tests.support.responses import token_claims
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify_many

from .conftest import AppFactory


@pytest.fixture
def app(make_app: AppFactory, relaybox: RelayBox) -> Flask:
    """An app whose "session" is the X-Test-Session header, a stand-in for a real one."""
    app = make_app()

    @app.before_request
    def fake_session() -> None:
        g.user_id = request.headers.get("X-Test-Session")

    return app


SESSION = {"X-Test-Session": "alice"}


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_client_id_comes_from_the_loader(app: Flask, relaybox: RelayBox, kind: str) -> None:
    if kind == "sync":

        @relaybox.client_id_loader
        def client_id() -> str | None:
            return g.user_id  # type: ignore[no-any-return]

    else:

        @relaybox.client_id_loader
        async def client_id() -> str | None:
            return g.user_id  # type: ignore[no-any-return]

    client = app.test_client()
    assert token_claims(client.get("/user/auth", headers=SESSION))["clientId"] == "alice"
    assert token_claims(client.post("/user/auth", headers=SESSION))["clientId"] == "alice"
    anonymous = client.get("/user/auth")
    assert anonymous.status_code == 401
    assert anonymous.json == {
        "error": "not_authenticated",
        "message": "Log in to get a Relaybox token.",
    }
    assert anonymous.headers["Cache-Control"] == "no-store"


def test_an_integer_client_id_becomes_a_string(app: Flask, relaybox: RelayBox) -> None:
    relaybox.client_id_loader(lambda: 1234)
    assert token_claims(app.test_client().get("/user/auth"))["clientId"] == "1234"


def test_what_the_browser_sends_never_changes_the_client_id(app: Flask, relaybox: RelayBox) -> None:
    relaybox.client_id_loader(lambda: g.user_id)
    client = app.test_client()
    spoofs: list[Any] = [
        client.get("/user/auth?clientId=mallory", headers={**SESSION, "X-Client-Id": "mallory"}),
        client.post("/user/auth?clientId=mallory", headers=SESSION, json={"clientId": "mallory"}),
        client.post("/user/auth", headers=SESSION, data={"clientId": "mallory"}),
        client.post(
            "/user/auth",
            headers={**SESSION, "Content-Type": "application/json"},
            data=b"{not json",
        ),
    ]
    for response in spoofs:
        assert response.status_code == 200
    tokens = [response.json["token"] for response in spoofs]
    for verdict in node_verify_many(tokens, TEST_SECRET):
        assert verdict["ok"], verdict
        assert verdict["claims"]["clientId"] == "alice"
    anonymous = client.get("/user/auth?clientId=mallory", headers={"X-Client-Id": "mallory"})
    assert anonymous.status_code == 401


def test_anonymous_tokens_when_allowed(make_app: AppFactory, relaybox: RelayBox) -> None:
    app = make_app(RELAYBOX_ALLOW_ANONYMOUS=True)
    relaybox.client_id_loader(lambda: None)
    claims = token_claims(app.test_client().get("/user/auth?clientId=mallory"))
    assert "clientId" not in claims


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_loader_can_refuse_a_user(app: Flask, relaybox: RelayBox, kind: str) -> None:
    def refuse() -> str:
        raise AccessDenied("Banned from chat.")

    async def refuse_async() -> str:
        raise AccessDenied("Banned from chat.")

    relaybox.client_id_loader(refuse if kind == "sync" else refuse_async)
    response = app.test_client().get("/user/auth", headers=SESSION)
    assert response.status_code == 403
    assert response.json == {"error": "forbidden", "message": "Banned from chat."}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_per_user_permissions(app: Flask, relaybox: RelayBox, kind: str) -> None:
    seen: list[str | None] = []
    relaybox.client_id_loader(lambda: g.user_id)

    def permissions(client_id: str | None) -> Any:
        seen.append(client_id)
        if client_id == "admin":
            return ["*"]
        if client_id == "banned":
            raise AccessDenied("No realtime for you.")
        return None

    async def permissions_async(client_id: str | None) -> Any:
        return permissions(client_id)

    relaybox.permissions_loader(permissions if kind == "sync" else permissions_async)
    client = app.test_client()
    admin = token_claims(client.get("/user/auth", headers={"X-Test-Session": "admin"}))
    assert admin["permissions"] == ["*"]
    plain = token_claims(client.get("/user/auth", headers=SESSION))
    assert "permissions" not in plain
    banned = client.get("/user/auth", headers={"X-Test-Session": "banned"})
    assert banned.status_code == 403
    assert banned.json is not None
    assert banned.json["message"] == "No realtime for you."
    # Anonymous users get their 401 without the loader being asked.
    assert client.get("/user/auth").status_code == 401
    assert seen == ["admin", "alice", "banned"]


def test_permissions_loader_overrides_the_configured_default(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    app = make_app(RELAYBOX_PERMISSIONS={"lobby": ["subscribe"]}, RELAYBOX_ALLOW_ANONYMOUS=True)
    relaybox.client_id_loader(lambda: request.headers.get("X-Test-Session"))
    relaybox.permissions_loader(lambda client_id: None if client_id else {"public": ["join"]})
    client = app.test_client()
    assert token_claims(client.get("/user/auth", headers=SESSION))["permissions"] == {
        "lobby": ["subscribe"]
    }
    assert token_claims(client.get("/user/auth"))["permissions"] == {"public": ["join"]}


def test_a_loader_returning_garbage_is_a_json_500_that_is_logged(
    app: Flask, relaybox: RelayBox, caplog: pytest.LogCaptureFixture
) -> None:
    relaybox.client_id_loader(lambda: "alice")
    relaybox.permissions_loader(lambda client_id: {"room": ["fly"]})
    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = app.test_client().get("/user/auth")
    assert response.status_code == 500
    assert response.json is not None
    assert response.json["error"] == "token_error"
    assert "'fly'" in caplog.text
    relaybox.client_id_loader(lambda: {"id": 1})
    assert app.test_client().get("/user/auth").status_code == 500
    for text in (caplog.text, response.get_data(as_text=True)):
        assert TEST_SECRET not in text


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD", "TRACE"])
def test_other_methods_get_a_json_405(app: Flask, relaybox: RelayBox, method: str) -> None:
    called: list[bool] = []
    relaybox.client_id_loader(lambda: called.append(True) or "alice")
    response = app.test_client().open("/user/auth", method=method, headers=SESSION)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST, OPTIONS"
    assert response.headers["Cache-Control"] == "no-store"
    if method != "HEAD":
        assert response.json is not None
        assert response.json["error"] == "method_not_allowed"
    assert not called


def test_options_is_answered_without_looking_up_the_user(app: Flask, relaybox: RelayBox) -> None:
    called: list[bool] = []
    relaybox.client_id_loader(lambda: called.append(True) or "alice")
    response = app.test_client().options("/user/auth", headers=SESSION)
    assert response.status_code == 204
    assert response.data == b""
    assert response.headers["Allow"] == "GET, POST, OPTIONS"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Type" not in response.headers
    assert not called


def test_token_issued_signal(app: Flask, relaybox: RelayBox) -> None:
    received: list[tuple[Any, dict[str, Any]]] = []

    def receiver(sender: Any, **extra: Any) -> None:
        received.append((sender, extra))

    relaybox.client_id_loader(lambda: g.user_id)
    relaybox.permissions_loader(lambda client_id: ["subscribe"])
    client = app.test_client()
    with token_issued.connected_to(receiver):
        response = client.get("/user/auth", headers=SESSION)
        assert client.get("/user/auth").status_code == 401
    assert response.status_code == 200
    assert received == [
        (app, {"client_id": "alice", "expires_in": 900, "permissions": ["subscribe"]})
    ]
    token = response.json["token"]  # type: ignore[index]
    assert token not in repr(received)


def test_no_identity_source_is_a_clear_error(make_app: AppFactory) -> None:
    """No client-id loader and no Flask-Login LoginManager on the app: say what to do."""
    app = make_app()
    with pytest.raises(RuntimeError, match=r"@relaybox\.client_id_loader.*Flask-Login"):
        app.test_client().get("/user/auth")
