"""``flask relaybox token --user ID`` without Flask-Login: ID is the client id."""

from __future__ import annotations

import json

from relaybox_integrations.flask import RelayBox
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify

from .conftest import AppFactory


def test_the_id_is_the_client_id(make_app: AppFactory, relaybox: RelayBox) -> None:
    app = make_app(RELAYBOX_TOKEN_EXPIRES_IN=120)
    asked: list[str | None] = []
    relaybox.load_user(lambda: "never-asked-from-the-command-line")
    relaybox.get_permissions(
        lambda request, user, client_id: asked.append(client_id) or ["subscribe"]
    )
    result = app.test_cli_runner().invoke(args=["relaybox", "token", "--user", "user-42"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["expiresIn"] == 120
    claims = node_verify(body["token"], TEST_SECRET)
    assert claims["clientId"] == "user-42"
    assert claims["permissions"] == ["subscribe"]
    assert asked == ["user-42"]


def test_user_is_required(make_app: AppFactory) -> None:
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["relaybox", "token"])
    assert result.exit_code == 2
    assert "--user" in result.output
    assert "token" in runner.invoke(args=["relaybox", "--help"]).output


def test_each_app_gets_its_own_command(make_app: AppFactory) -> None:
    other_secret = "the-other-application-secret-0123456789abcdef"
    first = make_app()
    second = make_app(RELAYBOX_API_KEY=f"other.key:{other_secret}")
    for app, secret in ((first, TEST_SECRET), (second, other_secret)):
        result = app.test_cli_runner().invoke(args=["relaybox", "token", "--user", "1"])
        assert result.exit_code == 0, result.output
        assert node_verify(json.loads(result.output)["token"], secret)["clientId"] == "1"
