"""``manage.py relaybox_token USERNAME [--expires-in N]``: a token response, for scripts."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ....options import check_expires_in
from ...integration import get_integration


class Command(BaseCommand):
    help = (
        "Print the auth endpoint's JSON token response for USERNAME, through the same client "
        "id and permissions hooks (they get request=None). Inactive users are refused, as "
        "Django's login refuses them, unless --allow-inactive."
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
        parser.add_argument(
            "--allow-inactive",
            action="store_true",
            help="mint a token for a user whose is_active is False",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            endpoint = get_integration().endpoint
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        user_model = get_user_model()
        username = options["username"]
        try:
            user = user_model._default_manager.get(**{str(user_model.USERNAME_FIELD): username})
        except user_model.DoesNotExist:
            raise CommandError(f"no user with username {username!r}") from None
        if getattr(user, "is_active", True) is False and not options["allow_inactive"]:
            raise CommandError(
                f"user {username!r} is inactive (is_active=False), and Django's login "
                "refuses inactive users; pass --allow-inactive to mint a token anyway"
            )
        expires_in = options["expires_in"]
        if expires_in is not None:
            check_expires_in(expires_in, CommandError)
        answer = endpoint.respond("GET", None, lambda: user, expires_in=expires_in)
        if answer.status != 200:
            raise CommandError(
                f"no token for {username!r} ({answer.status}): {json.loads(answer.body)['message']}"
            )
        self.stdout.write(answer.body.decode())
