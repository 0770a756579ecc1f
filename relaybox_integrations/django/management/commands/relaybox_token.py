"""``manage.py relaybox_token USERNAME [--expires-in N]``: a token response, for scripts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ....endpoint import AccessDenied
from ....errors import TokenRequestError
from ...conf import get_config
from ...signals import token_issued
from ...tokens import identify


class Command(BaseCommand):
    help = (
        "Print the auth endpoint's JSON token response for USERNAME, with the same client "
        "id and permissions hooks (they get request=None)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the user's USERNAME_FIELD value")
        parser.add_argument(
            "--expires-in",
            type=int,
            default=None,
            metavar="N",
            help="token lifetime in seconds (default: RELAYBOX['TOKEN_EXPIRES_IN'])",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = get_config()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(
                **{str(user_model.USERNAME_FIELD): options["username"]}
            )
        except user_model.DoesNotExist:
            raise CommandError(f"no user with username {options['username']!r}") from None
        try:
            client_id, permissions = identify(config, None, user)
            response = config.relaybox.generate_token_response(
                client_id=client_id, expires_in=options["expires_in"], permissions=permissions
            )
        except AccessDenied as exc:
            raise CommandError(f"refused: {exc.message}") from None
        except TokenRequestError as exc:
            raise CommandError(str(exc)) from None
        token_issued.send(
            type(self),
            request=None,
            user=user,
            client_id=str(client_id),
            expires_in=response.expires_in,
        )
        self.stdout.write(response.to_json().decode())
