"""The Flask extension under the contract: Flask-Login's current_user is the user where
Flask-Login is installed, a client-id loader returning the user elsewhere."""

from __future__ import annotations

import importlib.util
from typing import Any

from flask import Flask, request

from relaybox_integrations.flask import RelayBox, token_issued
from tests.support.servers import TEST_API_KEY

from .users import (
    USER_HEADER,
    WEBHOOK_SIGNING_KEY,
    Answer,
    Deliver,
    Handlers,
    Options,
    Send,
    maybe_async,
    user_of,
)


class FlaskHarness:
    name = "flask"
    identity_may_refuse = True
    none_is_anonymous = True  # the client-id loader is the identity source

    def build(self, options: Options) -> Send:
        app = Flask(__name__)
        app.config.update(
            TESTING=True,
            SECRET_KEY="test-session-key",
            RELAYBOX_API_KEY=TEST_API_KEY,
            RELAYBOX_ALLOW_ANONYMOUS=options.allow_anonymous,
        )
        relaybox = RelayBox(app)
        if importlib.util.find_spec("flask_login") is not None:
            from flask_login import LoginManager  # type: ignore[import-untyped]

            login_manager = LoginManager(app)
            login_manager.request_loader(lambda req: user_of(req.headers.get(USER_HEADER)))
        else:
            relaybox.client_id_loader(lambda: user_of(request.headers.get(USER_HEADER)))
        identity, permissions = options.identity, options.permissions
        if identity is not None:

            def loader() -> Any:
                user = user_of(request.headers.get(USER_HEADER))
                return None if user is None else identity(user)

            relaybox.client_id_loader(maybe_async(loader, options.async_hooks))
        if permissions is not None:
            relaybox.permissions_loader(maybe_async(permissions, options.async_hooks))

        def receiver(sender: Flask, **fields: Any) -> None:
            options.audit.append(fields)

        token_issued.connect_via(app, weak=False)(receiver)
        client = app.test_client()

        def send(method: str, *, user: str | None = None, **kwargs: Any) -> Answer:
            headers = dict(kwargs.pop("headers", None) or {})
            if user is not None:
                headers[USER_HEADER] = user
            query = kwargs.pop("params", None)
            response = client.open(
                "/user/auth", method=method, headers=headers, query_string=query, **kwargs
            )
            return Answer(
                response.status_code,
                {name.lower(): value for name, value in response.headers.items()},
                response.get_data(),
            )

        return send

    def build_webhooks(self, handlers: Handlers) -> Deliver:
        app = Flask(__name__)
        app.config.update(
            TESTING=True,
            RELAYBOX_API_KEY=TEST_API_KEY,
            RELAYBOX_WEBHOOK_SIGNING_KEY=WEBHOOK_SIGNING_KEY,
        )
        relaybox = RelayBox(app)
        for event, handler in handlers.items():
            relaybox.webhook_handler(*(() if event == "*" else (event,)))(handler)
        client = app.test_client()

        def deliver(method: str, body: bytes, headers: dict[str, str]) -> Answer:
            response = client.open("/relaybox/webhooks", method=method, data=body, headers=headers)
            return Answer(
                response.status_code,
                {name.lower(): value for name, value in response.headers.items()},
                response.get_data(),
            )

        return deliver


def harnesses() -> list[FlaskHarness]:
    return [FlaskHarness()]
