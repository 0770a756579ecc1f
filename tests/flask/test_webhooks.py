"""What only the Flask extension's webhooks do: config keys, factories, Flask-WTF's CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from relaybox_integrations import ConfigurationError, sign_webhook
from relaybox_integrations.flask import RelayBox
from tests.support.extras import assert_says_how_to_install, configure_without
from tests.support.servers import TEST_API_KEY

from .conftest import AppFactory

SIGNING_KEY = "whsec-flask-tests-signing-key-0123456789"
WEBHOOKS = {"RELAYBOX_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def deliver(app: Flask, event: str = "room:join", path: str = "/relaybox/webhooks") -> Any:
    delivery = sign_webhook(event, {}, SIGNING_KEY)
    return app.test_client().post(path, data=delivery.body, headers=delivery.headers)


def test_no_signing_key_no_webhook_route(make_app: AppFactory) -> None:
    assert deliver(make_app()).status_code == 404


def test_handlers_registered_before_and_after_init_app_reach_every_app(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    seen: list[tuple[str, str]] = []

    @relaybox.webhook_handler("room:join")
    def early(event: Any) -> None:
        seen.append(("early", event.event))

    first = make_app(**WEBHOOKS)
    second = make_app(**WEBHOOKS, RELAYBOX_WEBHOOK_URL="/hooks/relaybox")

    @relaybox.webhook_handler("*")
    def late(event: Any) -> None:
        seen.append(("late", event.event))

    assert deliver(first).status_code == 200
    assert deliver(second, "room:leave", "/hooks/relaybox").status_code == 200
    assert seen == [("early", "room:join"), ("late", "room:join"), ("late", "room:leave")]


def test_a_handler_without_event_names_is_an_error(relaybox: RelayBox) -> None:
    with pytest.raises(ConfigurationError, match='at least one event name, or "\\*"'):
        relaybox.webhook_handler()


@pytest.mark.parametrize("csrf_first", [True, False])
def test_exempt_from_flask_wtf_csrf_protect_whichever_comes_first(csrf_first: bool) -> None:
    from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", RELAYBOX_API_KEY=TEST_API_KEY, **WEBHOOKS)
    csrf, relaybox = CSRFProtect(), RelayBox()
    for extension in (csrf, relaybox) if csrf_first else (relaybox, csrf):
        extension.init_app(app)

    @app.post("/form")
    def form() -> str:
        return "ok"

    assert app.test_client().post("/form").status_code == 400  # CSRF still guards the rest
    response = deliver(app)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"RELAYBOX_WEBHOOK_SIGNING_KEY": " whsec"}, "RELAYBOX_WEBHOOK_SIGNING_KEY"),
        ({**WEBHOOKS, "RELAYBOX_WEBHOOK_TOLERANCE": "5 minutes"}, "RELAYBOX_WEBHOOK_TOLERANCE"),
        ({**WEBHOOKS, "RELAYBOX_WEBHOOK_URL": "hooks"}, "RELAYBOX_WEBHOOK_URL"),
    ],
)
def test_webhook_config_errors_name_the_key(
    make_app: AppFactory, config: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(**config)
    assert caught.value.setting == key
    assert str(caught.value).startswith(f"{key}: ")


def test_a_body_over_flasks_own_limit_is_a_json_413(make_app: AppFactory) -> None:
    """Werkzeug refuses it before the view (MAX_CONTENT_LENGTH): still JSON, never cached."""
    app = make_app(**WEBHOOKS, MAX_CONTENT_LENGTH=10)
    response = deliver(app)
    assert response.status_code == 413
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["error"] == "request_entity_too_large"


def test_handlers_without_a_signing_key_refuse_to_start(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    """Registered before ``init_app`` or after it, handlers that could never run are refused
    at start-up, naming the key, rather than every delivery answered 404."""

    @relaybox.webhook_handler("room:join")
    def joined(event: Any) -> None:
        raise AssertionError("never delivered")

    with pytest.raises(ConfigurationError, match="joined") as raised:
        make_app()
    assert raised.value.setting == "RELAYBOX_WEBHOOK_SIGNING_KEY"
    assert "RELAYBOX_WEBHOOK_SIGNING_KEY" in str(raised.value)


def test_a_handler_registered_after_an_app_without_a_signing_key_is_refused(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    app = make_app()  # kept, as a running application is
    with pytest.raises(ConfigurationError, match="RELAYBOX_WEBHOOK_SIGNING_KEY") as raised:

        @relaybox.webhook_handler("*")
        def every_event(event: Any) -> None:
            raise AssertionError("never delivered")

    assert "every_event" in str(raised.value)
    assert repr(app.name) in str(raised.value)


def test_without_the_webhooks_extra_init_app_refuses_to_start_naming_it() -> None:
    said = configure_without(
        ("orjson",),
        """
        from flask import Flask
        from relaybox_integrations.flask import RelayBox
        app = Flask("app")
        app.config.update(RELAYBOX_API_KEY=API_KEY, RELAYBOX_WEBHOOK_SIGNING_KEY=SIGNING_KEY)
        RelayBox(app)
        """,
    )
    assert_says_how_to_install(said, "webhooks")
