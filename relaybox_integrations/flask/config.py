"""Flask's ``RELAYBOX_*`` keys in ``app.config``, read into the core's options.

Every option of :data:`~relaybox_integrations.config.OPTIONS` is ``RELAYBOX_`` and its key;
the core's errors are renamed to the key the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask import Flask

from ..config import OPTIONS, option_named, options_for
from ..core import RelayBox
from ..endpoint import AuthEndpoint
from ..errors import ConfigurationError
from ..webhook_stores import InMemoryWebhookStore
from ..webhooks import WebhookEndpoint

__all__ = [
    "DEFAULT_AUTH_URL",
    "DEFAULT_WEBHOOK_URL",
    "PREFIX",
    "from_config",
    "no_signing_key",
    "url_path",
    "webhooks_from_config",
]

DEFAULT_AUTH_URL: Final = "/user/auth"
DEFAULT_WEBHOOK_URL: Final = "/relaybox/webhooks"
#: Every option's ``app.config`` key is this prefix and the option's key.
PREFIX: Final = "RELAYBOX_"


def from_config(config: Mapping[str, Any]) -> tuple[RelayBox, dict[str, Any], str]:
    """The core, the auth endpoint's options and its URL, each option checked."""
    api_key = config.get("RELAYBOX_API_KEY")
    if api_key is None or api_key == "":
        raise ConfigurationError(
            "api_key",
            "not set in app.config; set it to your Relaybox API key, '<appPid>.<keyId>:<secret>'",
        ).renamed("RELAYBOX_API_KEY")
    auth_url = url_path(config, "RELAYBOX_AUTH_URL", DEFAULT_AUTH_URL)
    given = _given(config)
    endpoint_options = options_for("endpoint", given)
    try:
        relaybox = RelayBox(**options_for("core", given))
        AuthEndpoint(relaybox, **endpoint_options)  # checks the endpoint's options
    except ConfigurationError as exc:
        raise _renamed(exc) from None
    return relaybox, endpoint_options, auth_url


def webhooks_from_config(config: Mapping[str, Any]) -> WebhookEndpoint:
    """The webhook endpoint ``RELAYBOX_WEBHOOK_SIGNING_KEY`` and its options describe."""
    try:
        return WebhookEndpoint(
            store=config.get("RELAYBOX_WEBHOOK_STORE") or InMemoryWebhookStore(),
            **options_for("webhooks", _given(config)),
        )
    except ConfigurationError as exc:
        raise _renamed(exc) from None


def no_signing_key(app: Flask, handlers: list[Any]) -> ConfigurationError:
    """Webhook handlers on an application that serves no webhook endpoint.

    Django's system check (``relaybox.E010``) and Starlette's ``RelayBoxWebhooks``, which
    needs ``signing_key``, refuse the same mistake at start-up.
    """
    names = ", ".join(getattr(handler, "__qualname__", repr(handler)) for handler in handlers)
    return ConfigurationError(
        "RELAYBOX_WEBHOOK_SIGNING_KEY",
        f"RELAYBOX_WEBHOOK_SIGNING_KEY: not set in the config of the application {app.name!r}, "
        f"but webhook handlers are registered ({names}): set it to the signing key of the "
        "webhook in your Relaybox dashboard; without it no webhook endpoint is served",
    )


def url_path(config: Mapping[str, Any], key: str, default: str) -> str:
    """``config[key]``, checked to be a URL path Flask can route without variables."""
    url = config.get(key, default)
    if not isinstance(url, str) or not url.startswith("/") or "<" in url:
        raise ConfigurationError(
            key, f"{key}: must be a URL path starting with '/', without <variables>; got {url!r}"
        )
    return url


def _given(config: Mapping[str, Any]) -> dict[str, Any]:
    """The package's options ``config`` sets, by keyword."""
    return {
        option.name: config[PREFIX + option.key]
        for option in OPTIONS
        if PREFIX + option.key in config
    }


def _renamed(exc: ConfigurationError) -> ConfigurationError:
    """The core's error, naming the ``app.config`` key users wrote."""
    key = "WEBHOOK_STORE" if exc.setting == "store" else option_named(exc.setting).key
    return exc.renamed(PREFIX + key)
