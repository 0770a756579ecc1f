"""The README's Flask snippets, run as written and checked through Flask's test client.

Each snippet is taken from README.rst (never copied here) and executed in a fresh namespace;
the application it builds answers real requests, and every token is checked by Node's
jsonwebtoken with the snippet's own key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from relaybox_integrations.flask import get_state, token_issued
from tests.support.readme import code_blocks, run_snippet
from tests.support.responses import assert_cors_allowed, assert_json_error, preflight, token_claims

SECTION = "Flask"
ORIGIN = "https://app.example.com"


def claims_of(app: Flask, response: Any) -> dict[str, Any]:
    """The token's claims, verified by jsonwebtoken with the secret in the app's config."""
    return token_claims(response, app.config["RELAYBOX_API_KEY"].split(":", 1)[1])


def test_the_section_has_the_three_snippets_these_tests_run() -> None:
    # Keeps the indexes below honest when the README gains or loses a block.
    assert len(code_blocks(SECTION)) == 3


def test_the_smallest_app_works_as_written() -> None:
    """A new app from the snippet alone: log in through its view, then get a token."""
    app: Flask = run_snippet(SECTION, 0)["app"]
    client = app.test_client()
    assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
    assert client.post("/login", data={"username": "alice"}).status_code == 302
    for method in ("get", "post"):
        response = client.open(
            "/user/auth?clientId=admin", method=method.upper(), headers={"X-Client-Id": "admin"}
        )
        assert claims_of(app, response)["clientId"] == "alice"
    assert client.options("/user/auth").status_code == 204
    assert_json_error(client.put("/user/auth"), 405, "method_not_allowed")


@pytest.fixture
def factory() -> Iterator[dict[str, Any]]:
    namespace = run_snippet(SECTION, 1)
    try:
        yield namespace
    finally:
        token_issued.disconnect(namespace["audit"])


def test_factory_with_async_loader_and_permissions(factory: dict[str, Any]) -> None:
    app: Flask = factory["create_app"]()
    claims = claims_of(app, app.test_client().get("/user/auth", headers={"X-Client-Id": "x"}))
    assert claims["clientId"] == "user-1"  # from the async loader
    assert claims["permissions"] == {"lobby": ["*"], "chat:*": ["join", "publish", "presence"]}
    assert claims["exp"] - claims["iat"] == 600
    # One RelayBox() serves any number of applications, each with its own state.
    other: Flask = factory["create_app"]()
    assert get_state(other) is not get_state(app)
    assert claims_of(other, other.test_client().get("/user/auth"))["clientId"] == "user-1"


def test_factory_permissions_loader_refuses_and_defaults(factory: dict[str, Any]) -> None:
    app: Flask = factory["create_app"]()
    relaybox = factory["relaybox"]
    relaybox.client_id_loader(lambda: "banned")
    body = assert_json_error(app.test_client().get("/user/auth"), 403, "forbidden")
    assert body["message"] == "Realtime is disabled for this account."
    relaybox.client_id_loader(lambda: "user-2")  # neither: RELAYBOX_PERMISSIONS applies
    claims = claims_of(app, app.test_client().get("/user/auth"))
    assert claims["clientId"] == "user-2"
    assert claims["permissions"] == {"lobby": ["join", "subscribe"]}


def test_factory_audit_receiver_logs(
    factory: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app: Flask = factory["create_app"]()
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        response = app.test_client().get("/user/auth")
    claims_of(app, response)
    token = response.json["token"]
    messages = [r.getMessage() for r in caplog.records if r.name == app.logger.name]
    assert messages == ["Relaybox token for user-1 (600 s)"]
    assert token not in caplog.text
    assert app.config["RELAYBOX_API_KEY"].split(":", 1)[1] not in caplog.text


@pytest.fixture
def csrf_cors() -> dict[str, Any]:
    pytest.importorskip("flask_wtf")
    pytest.importorskip("flask_cors")
    namespace = run_snippet(SECTION, 2)
    # The snippet is about CSRF and CORS; who the user is comes from the first snippet's loader.
    namespace["relaybox"].client_id_loader(lambda: "alice")
    return namespace


def test_csrf_exempts_only_the_endpoint(csrf_cors: dict[str, Any]) -> None:
    app: Flask = csrf_cors["app"]

    @app.post("/elsewhere")
    def elsewhere() -> str:
        return "changed"

    client = app.test_client()
    assert client.post("/elsewhere").status_code == 400  # CSRFProtect is on
    assert claims_of(app, client.post("/user/auth"))["clientId"] == "alice"


def test_cors_for_the_allowed_origin_only(csrf_cors: dict[str, Any]) -> None:
    app: Flask = csrf_cors["app"]
    client = app.test_client()
    headers = ("content-type", "x-csrftoken", "x-client-id")
    answer = preflight(client, ORIGIN, method="POST", headers=headers)
    assert answer.status_code == 204
    assert_cors_allowed(answer, ORIGIN, headers=headers)

    response = client.post("/user/auth", headers={"Origin": ORIGIN, "X-Client-Id": "admin"})
    assert claims_of(app, response)["clientId"] == "alice"
    assert_cors_allowed(response, ORIGIN)

    stranger = {"Origin": "https://evil.example.com"}
    refused = preflight(client, stranger["Origin"], method="POST", headers=headers)
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Credentials" not in refused.headers
    assert "Access-Control-Allow-Origin" not in client.get("/user/auth", headers=stranger).headers
