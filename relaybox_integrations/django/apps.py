"""The Django app: add ``"relaybox_integrations.django"`` to ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class RelayBoxAppConfig(AppConfig):
    """Registers the ``RELAYBOX`` system checks; the app has no models."""

    name = "relaybox_integrations.django"
    # The default label would be "django", which reads like Django's own.
    label = "relaybox"
    verbose_name = "Relaybox"

    def ready(self) -> None:
        from .auth_token_checks import check_auth_tokens
        from .checks import check_settings

        checks.register(check_settings, "relaybox", checks.Tags.security)
        checks.register(check_auth_tokens, "relaybox", checks.Tags.security)
