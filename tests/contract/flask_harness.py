"""The Flask extension under the contract: Flask-Login's current_user is the user where
Flask-Login is installed, a ``load_user`` loader returning the user elsewhere."""

from __future__ import annotations

import importlib.util
from typing import Any

from flask import Flask, request

from relaybox_integrations.flask import RelayBox, token_issued
from tests.support.servers import TEST_API_KEY

from . import users


class FlaskHarness:
    name = "flask"

    def build(self, options: users.Options) -> users.Send:
        return self._sender(options, "/user/auth")

    def build_room_access(self, options: users.Options) -> users.RoomSend:
        def send(room_id: str, method: str, **kwargs: Any) -> users.Answer:
            return sender(method, path=users.room_path("/user", room_id), **kwargs)

        sender = self._sender(options, "/user/auth")
        return send

    def _sender(self, options: users.Options, default_path: str) -> users.Send:
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
            login_manager.request_loader(
                lambda req: users.user_of(req.headers.get(users.USER_HEADER))
            )
        else:
            relaybox.load_user(lambda: users.user_of(request.headers.get(users.USER_HEADER)))
        identity, permissions = options.identity, options.permissions
        if identity is not None:
            relaybox.client_id(users.maybe_async(identity, options.async_hooks))
        if permissions is not None:
            relaybox.get_permissions(
                users.maybe_async(
                    lambda request, user, client_id: permissions(client_id), options.async_hooks
                )
            )
        if options.can_join_room is not None:
            relaybox.can_join_room(users.maybe_async(options.can_join_room, options.async_hooks))

        def receiver(sender: Flask, **fields: Any) -> None:
            options.audit.append(fields)

        token_issued.connect_via(app, weak=False)(receiver)
        client = app.test_client()

        def send(
            method: str, *, user: str | None = None, path: str = default_path, **kwargs: Any
        ) -> users.Answer:
            headers = dict(kwargs.pop("headers", None) or {})
            if user is not None:
                headers[users.USER_HEADER] = user
            query = kwargs.pop("params", None)
            response = client.open(
                path, method=method, headers=headers, query_string=query, **kwargs
            )
            return users.Answer.of(response, response.get_data())

        return send

    def build_webhooks(self, handlers: users.Handlers) -> users.Deliver:
        app = Flask(__name__)
        app.config.update(
            TESTING=True,
            RELAYBOX_API_KEY=TEST_API_KEY,
            RELAYBOX_WEBHOOK_SIGNING_KEY=users.WEBHOOK_SIGNING_KEY,
        )
        relaybox = RelayBox(app)
        for event, handler in handlers.items():
            relaybox.webhook_handler(event)(handler)
        client = app.test_client()

        def deliver(method: str, body: bytes, headers: dict[str, str]) -> users.Answer:
            response = client.open("/relaybox/webhooks", method=method, data=body, headers=headers)
            return users.Answer.of(response, response.get_data())

        return deliver


def harnesses() -> list[FlaskHarness]:
    return [FlaskHarness()]
