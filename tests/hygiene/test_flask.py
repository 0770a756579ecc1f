"""Flask: the API secret stays out of Werkzeug's debugger page, configuration errors, DEBUG
logs and ``repr()``."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.debug import DebuggedApplication
from werkzeug.test import Client

from relaybox_integrations import ConfigurationError
from relaybox_integrations.flask import RelayBox, get_state, token_issued
from tests.hygiene.conftest import (
    MALFORMED_KEYS,
    assert_no_secret,
    assert_token_issue_logged_safely,
)
from tests.support.servers import TEST_API_KEY


class LoggedIn:
    is_authenticated = True
    id = "1"


def make_app(api_key: str = TEST_API_KEY, **hooks: Callable[..., Any]) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="hygiene-tests-session-key", RELAYBOX_API_KEY=api_key)
    relaybox = RelayBox(app)
    relaybox.load_user(hooks.pop("load_user", LoggedIn))
    for name, hook in hooks.items():
        getattr(relaybox, name)(hook)

    @app.route("/fail")
    def fail_view() -> str:
        """Mints a token, then fails with the Relaybox objects in its local variables."""
        state = get_state()
        core = state.relaybox
        endpoint = state.endpoint
        token_response = core.generate_token_response(client_id="1")
        answer = endpoint.respond("GET", None, lambda: "1")
        raise RuntimeError(f"failed after {token_response!r}, {answer.status}, {state!r}")

    return app


def fail(*args: object) -> None:
    raise RuntimeError("the loader failed")


def debugger_page(app: Flask, path: str) -> str:
    """Werkzeug's interactive debugger page for a request to ``path`` that fails."""
    app.debug = True  # exceptions propagate to the debugger, as under `flask run --debug`
    client = Client(DebuggedApplication(app, evalex=True))
    response = client.get(path, headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500, page[:2000]
    assert "__debugger__" in page  # the debugger's page, with its traceback
    return page


def test_debugger_page_of_a_failing_view() -> None:
    page = debugger_page(make_app(), "/fail")
    assert "RelayBoxState(" in page
    assert_no_secret(page)


@pytest.mark.parametrize("loader", ["load_user", "client_id", "get_permissions"])
def test_debugger_page_of_a_failing_loader(loader: str) -> None:
    app = make_app(**{loader: fail})
    page = debugger_page(app, "/user/auth")
    assert "the loader failed" in page
    assert_no_secret(page)


@pytest.mark.parametrize("key", list(MALFORMED_KEYS.values()), ids=list(MALFORMED_KEYS))
def test_configuration_errors(key: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        make_app(api_key=key)
    assert raised.value.setting == "RELAYBOX_API_KEY"
    assert_no_secret(traceback.format_exception(raised.value))


def test_debug_logs_of_a_token_issue(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app()
    app.debug = True
    response = app.test_client().get("/user/auth")
    assert response.status_code == 200
    assert_token_issue_logged_safely(caplog.text, response.get_json()["token"])


def test_repr_of_the_public_objects() -> None:
    app = make_app()
    state = get_state(app)
    for value in [
        state.extension,
        state,
        state.relaybox,
        state.endpoint,
        state.blueprint,
        app.extensions,
        token_issued,
    ]:
        assert_no_secret(repr(value), str(value))
