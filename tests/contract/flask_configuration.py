"""Flask under the configuration contract: ``RELAYBOX_*`` keys in ``app.config``, and
Werkzeug's interactive debugger page."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.debug import DebuggedApplication
from werkzeug.test import Client

from relaybox_integrations import ConfigurationError, ShortSecretWarning
from relaybox_integrations.config import Option
from relaybox_integrations.flask import RelayBox, get_state, token_issued
from tests.support.servers import TEST_API_KEY

from .configuration import SIGNING_KEY, Built, LoggedIn, fail


def make_app(api_key: str = TEST_API_KEY, **hooks: Callable[..., Any]) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="configuration-contract-session-key", RELAYBOX_API_KEY=api_key)
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


def debugger_page(app: Flask, path: str) -> str:
    """Werkzeug's interactive debugger page for a request to ``path`` that fails."""
    app.debug = True  # exceptions propagate to the debugger, as under `flask run --debug`
    client = Client(DebuggedApplication(app, evalex=True))
    response = client.get(path, headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500, page[:2000]
    assert "__debugger__" in page  # the debugger's page, with its traceback
    return page


def refused(build: Callable[[], object], setting: str) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        build()
    assert raised.value.setting == setting
    return traceback.format_exception(raised.value)


class FlaskConfiguration:
    name = "flask"
    hooks = ("load_user", "client_id", "get_permissions")
    needs_db = False

    def build(self, option: Option, value: object) -> Built:
        app = Flask(__name__)
        app.config.update(
            {
                "RELAYBOX_API_KEY": TEST_API_KEY,
                "RELAYBOX_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
                f"RELAYBOX_{option.key}": value,
            }
        )
        RelayBox(app)
        state = get_state(app)
        return Built(state.relaybox, state.endpoint, state.webhooks)

    def assert_names(self, error: BaseException, option: Option) -> None:
        assert getattr(error, "setting", None) == f"RELAYBOX_{option.key}"

    def malformed_key(self, key: str) -> list[str]:
        return refused(lambda: make_app(api_key=key), "RELAYBOX_API_KEY")

    def bad_option(self, option: Option, value: object) -> list[str]:
        def build() -> None:
            app = Flask(__name__)
            app.config.update(RELAYBOX_API_KEY=TEST_API_KEY, **{f"RELAYBOX_{option.key}": value})
            RelayBox(app)

        return refused(build, f"RELAYBOX_{option.key}")

    def short_secret_as_error(self, key: str) -> list[str]:
        with pytest.raises(ShortSecretWarning) as raised:
            make_app(api_key=key)
        return traceback.format_exception(raised.value)

    def issue_token(self) -> str:
        app = make_app()
        app.debug = True
        response = app.test_client().get("/user/auth")
        assert response.status_code == 200
        return response.get_json()["token"]  # type: ignore[no-any-return]

    def public_objects(self) -> list[object]:
        app = make_app()
        state = get_state(app)
        return [
            state.extension,
            state,
            state.relaybox,
            state.endpoint,
            state.blueprint,
            app.extensions,
            token_issued,
        ]

    def failing_hook_pages(self, hook: str) -> list[str]:
        page = debugger_page(make_app(**{hook: fail}), "/user/auth")
        assert "the hook failed" in page
        return [page]

    def failing_view_pages(self) -> tuple[list[str], str]:
        return [debugger_page(make_app(), "/fail")], "RelayBoxState("


def configurations() -> list[FlaskConfiguration]:
    return [FlaskConfiguration()]
