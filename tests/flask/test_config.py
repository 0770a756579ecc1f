"""Configuration is checked in init_app, and every application keeps its own state."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from typing import Any

import pytest
from flask import Flask, abort, g, redirect, request

from relaybox_integrations import ConfigurationError, ShortSecretWarning
from relaybox_integrations.flask import RelayBox, get_state, token_issued
from tests.support.servers import ROOT, TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify

from .conftest import AppFactory

OTHER_SECRET = "a-second-secret-for-the-second-application-9876543210"
OTHER_KEY = f"otherapp.otherkey:{OTHER_SECRET}"


@pytest.mark.parametrize(
    ("config", "key", "fragment"),
    [
        ({"RELAYBOX_API_KEY": None}, "RELAYBOX_API_KEY", "not set"),
        ({"RELAYBOX_API_KEY": ""}, "RELAYBOX_API_KEY", "not set"),
        ({"RELAYBOX_AUTH_URL": "user/auth"}, "RELAYBOX_AUTH_URL", "starting with '/'"),
        ({"RELAYBOX_AUTH_URL": None}, "RELAYBOX_AUTH_URL", "starting with '/'"),
        ({"RELAYBOX_AUTH_URL": "/auth/<user>"}, "RELAYBOX_AUTH_URL", "<variables>"),
    ],
)
def test_init_app_names_the_config_key(
    make_app: AppFactory, config: dict[str, Any], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(**config)
    assert caught.value.setting == key
    assert str(caught.value).startswith(key)
    assert fragment in str(caught.value)


def test_a_failed_init_app_leaves_the_app_untouched(make_app: AppFactory) -> None:
    app = Flask(__name__)
    app.config["RELAYBOX_TOKEN_EXPIRES_IN"] = 5
    app.config["RELAYBOX_API_KEY"] = TEST_API_KEY
    with pytest.raises(ConfigurationError):
        RelayBox(app)
    assert "relaybox" not in app.extensions
    assert "relaybox" not in app.blueprints


def test_defaults(make_app: AppFactory) -> None:
    app = make_app()
    state = get_state(app)
    assert state.auth_url == "/user/auth"
    assert state.relaybox.expires_in == 900
    assert state.relaybox.permissions is None
    assert state.endpoint.allow_anonymous is False
    assert [rule.rule for rule in app.url_map.iter_rules("relaybox.auth")] == ["/user/auth"]


def test_configured_values_reach_the_token(make_app: AppFactory, relaybox: RelayBox) -> None:
    app = make_app(
        RELAYBOX_TOKEN_EXPIRES_IN=300,
        RELAYBOX_PERMISSIONS={"chat:*": ["subscribe", "publish"]},
        RELAYBOX_AUTH_URL="/realtime/token",
    )
    relaybox.load_user(lambda: "user-7")
    client = app.test_client()
    assert client.get("/user/auth").status_code == 404
    response = client.get("/realtime/token")
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["expiresIn"] == 300
    claims = node_verify(response.json["token"], TEST_SECRET)
    assert claims["exp"] - claims["iat"] == 300
    assert claims["permissions"] == {"chat:*": ["subscribe", "publish"]}
    assert claims["clientId"] == "user-7"


def test_token_issued_goes_to_its_receivers_until_they_disconnect(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    app = make_app()
    relaybox.load_user(lambda: "user-7")
    client = app.test_client()
    issued: list[str | None] = []

    def audit(sender: Flask, **details: Any) -> None:
        issued.append(details["client_id"])

    token_issued.connect(audit)
    try:
        assert client.get("/user/auth").status_code == 200
    finally:
        token_issued.disconnect(audit)
    assert issued == ["user-7"]
    # Other tests' applications may still have receivers: this one is gone, the token stays.
    response = client.get("/user/auth")
    assert response.status_code == 200
    assert response.json is not None
    assert node_verify(response.json["token"], TEST_SECRET)["clientId"] == "user-7"
    assert issued == ["user-7"]
    assert issued == ["user-7"]


@pytest.mark.parametrize("status", [503, 307])
def test_an_http_error_on_the_endpoint_that_is_not_a_4xx_is_left_to_flask(
    make_app: AppFactory, relaybox: RelayBox, status: int
) -> None:
    """A maintenance switch or a redirect before the view: Flask's own answer, not JSON."""
    app = make_app()
    relaybox.load_user(lambda: "user-7")

    @app.before_request
    def gate() -> None:
        given = request.headers.get("X-Gate")
        if given == "redirect":
            abort(redirect("/elsewhere", 307))
        if given:
            abort(int(given))

    client = app.test_client()
    gated = client.get("/user/auth", headers={"X-Gate": "503" if status == 503 else "redirect"})
    assert gated.status_code == status
    assert gated.mimetype == "text/html"
    if status == 307:
        assert gated.headers["Location"] == "/elsewhere"
    limited = client.get("/user/auth", headers={"X-Gate": "429"})  # a 4xx becomes JSON
    assert limited.status_code == 429
    assert limited.json is not None
    assert limited.json["error"] == "too_many_requests"


def test_several_apps_from_one_factory(make_app: AppFactory, relaybox: RelayBox) -> None:
    """One extension object, two apps with their own keys and URLs, in one process."""
    first = make_app()
    second = make_app(RELAYBOX_API_KEY=OTHER_KEY, RELAYBOX_AUTH_URL="/other/auth")

    @relaybox.load_user
    def client_id() -> str:
        return str(g.get("user_id", "anonymous-user"))

    assert get_state(first) is not get_state(second)
    assert get_state(first).blueprint is not get_state(second).blueprint
    first_token = first.test_client().get("/user/auth").json
    second_token = second.test_client().get("/other/auth").json
    assert first_token is not None
    assert second_token is not None
    first_claims = node_verify(first_token["token"], TEST_SECRET)
    second_claims = node_verify(second_token["token"], OTHER_SECRET)
    assert first_claims["publicKey"] == "testapp.testkey"
    assert second_claims["publicKey"] == "otherapp.otherkey"
    assert second.test_client().get("/user/auth").status_code == 404
    # The extension keeps no application: only its loaders.
    assert not any(isinstance(value, Flask) for value in vars(relaybox).values())


def test_generate_token_response_uses_the_current_app(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    first = make_app()
    second = make_app(RELAYBOX_API_KEY=OTHER_KEY)
    with first.app_context():
        token = relaybox.generate_token_response(client_id=5).token
        assert node_verify(token, TEST_SECRET)["clientId"] == "5"
    with second.app_context():
        token = relaybox.generate_token_response(client_id="x", expires_in=60).token
        assert (
            node_verify(token, OTHER_SECRET)["exp"] - node_verify(token, OTHER_SECRET)["iat"] == 60
        )


def test_not_initialised_errors_are_clear(relaybox: RelayBox) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        relaybox.generate_token_response()
    app = Flask("not_set_up")
    with pytest.raises(RuntimeError, match=r"not initialised on the application 'not_set_up'"):
        get_state(app)
    with app.app_context(), pytest.raises(RuntimeError, match=r"relaybox\.init_app"):
        relaybox.generate_token_response()


def test_init_app_twice_is_refused(make_app: AppFactory, relaybox: RelayBox) -> None:
    app = make_app()
    with pytest.raises(RuntimeError, match="already initialised"):
        relaybox.init_app(app)
    with pytest.raises(RuntimeError, match="already initialised"):
        RelayBox(app)


def test_a_permissions_hook_returning_none_keeps_the_configured_default(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    app = make_app(RELAYBOX_PERMISSIONS={"lobby": ["subscribe"]}, RELAYBOX_ALLOW_ANONYMOUS=True)
    relaybox.load_user(lambda: request.headers.get("X-User"))
    relaybox.get_permissions(
        lambda request, user, client_id: None if client_id else {"public": ["join"]}
    )
    client = app.test_client()
    response = client.get("/user/auth", headers={"X-User": "alice"})
    assert node_verify(response.json["token"], TEST_SECRET)["permissions"] == {  # type: ignore[index]
        "lobby": ["subscribe"]
    }
    response = client.get("/user/auth")
    assert node_verify(response.json["token"], TEST_SECRET)["permissions"] == {  # type: ignore[index]
        "public": ["join"]
    }


def test_no_identity_source_is_a_clear_error(make_app: AppFactory) -> None:
    """No client-id loader and no Flask-Login LoginManager on the app: say what to do."""
    app = make_app()
    with pytest.raises(RuntimeError, match=r"@relaybox\.load_user.*Flask-Login"):
        app.test_client().get("/user/auth")


def test_importing_the_extension_does_not_need_flask_login() -> None:
    """A Flask process without Flask-Login imports the extension and uses a loader."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["flask_login"] = None  # any "import flask_login" now fails
        from flask import Flask
        from relaybox_integrations.flask import RelayBox
        from relaybox_integrations.flask.extension import HAS_FLASK_LOGIN
        assert not HAS_FLASK_LOGIN
        app = Flask("no_login")
        app.testing = True
        app.config["RELAYBOX_API_KEY"] = {TEST_API_KEY!r}
        relaybox = RelayBox(app)
        client = app.test_client()
        try:
            client.get("/user/auth")
        except RuntimeError as exc:
            assert "load_user" in str(exc), exc
        else:
            raise AssertionError("no identity source must be an error")
        relaybox.load_user(lambda: "42")
        print(client.get("/user/auth").json["token"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert node_verify(result.stdout.strip(), TEST_SECRET)["clientId"] == "42"


def test_a_short_secret_warning_points_at_the_users_line() -> None:
    """Not at the extension's own line that built the core: the user's ``RelayBox(app)``."""
    app = Flask(__name__)
    app.config["RELAYBOX_API_KEY"] = "myapp.key1:secret"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RelayBox(app)
    (warning,) = [w for w in caught if issubclass(w.category, ShortSecretWarning)]
    assert warning.filename == __file__
