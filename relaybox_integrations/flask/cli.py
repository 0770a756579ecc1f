"""``flask relaybox token --user ID``: a token response printed as the auth endpoint would
answer it, for trying a client or a curl command without a browser."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeAlias

import click
from flask import current_app
from flask.cli import with_appcontext

from ..endpoint import AuthEndpoint

try:
    from flask_login import login_user  # type: ignore[import-untyped]
except ImportError:  # Flask-Login is optional: without it, ID is the client id itself
    login_user = None

__all__ = ["TokenContext", "token_command"]

#: ``() -> (endpoint, auth_url, load_user)`` of the current application.
TokenContext: TypeAlias = Callable[[], tuple[AuthEndpoint, str, Callable[[], Any]]]


def token_command(context: TokenContext) -> click.Command:
    """The ``token`` command, issuing through what ``context`` gives for the current app."""

    @click.command("token")
    @click.option(
        "--user",
        "user_id",
        required=True,
        metavar="ID",
        help="The user's id: what Flask-Login's user_loader takes, or the client id itself.",
    )
    @with_appcontext
    def token(user_id: str) -> None:
        """Print a token response for the user with id ID.

        With Flask-Login and a user_loader, ID is loaded and logged in for one simulated
        request, and the token is issued exactly as the auth endpoint would issue it.
        Inactive users are refused: Flask-Login does not log them in, so the endpoint never
        serves them. Without Flask-Login, ID is the token's clientId as given.
        """
        endpoint, auth_url, load_current_user = context()
        login_manager = (
            getattr(current_app, "login_manager", None) if login_user is not None else None
        )
        with current_app.test_request_context(auth_url):
            if login_manager is not None and login_manager.user_callback is not None:
                user = login_manager.user_callback(user_id)
                if user is None:
                    raise click.ClickException(
                        f"no user with id {user_id!r}: the Flask-Login user_loader returned None"
                    )
                if not login_user(user):
                    raise click.ClickException(
                        f"user {user_id!r} is inactive, and Flask-Login does not log them in"
                    )
                load_user = load_current_user
            else:
                load_user = lambda: user_id  # noqa: E731
            answer = endpoint.respond("GET", None, load_user)
        if answer.status != 200:
            message = json.loads(answer.body)["message"]
            raise click.ClickException(
                f"no token for user {user_id!r} ({answer.status}): {message}"
            )
        click.echo(answer.body.decode())

    return token
