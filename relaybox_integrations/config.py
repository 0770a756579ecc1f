"""Every option the adapters take from their framework's settings, in one table.

Each adapter names an option its own way (Django ``RELAYBOX["TOKEN_EXPIRES_IN"]``, Flask
``RELAYBOX_TOKEN_EXPIRES_IN``, Starlette and FastAPI the keyword ``expires_in=``) and builds
the core from :func:`options_for`, so a new option is one row of :data:`OPTIONS` and reaches
every framework. Each row's check is the one the core runs, so what Django's system checks
accept the core accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from .errors import ConfigurationError
from .keys import ApiKey
from .options import (
    DEFAULT_AUTH_SERVICE_URL,
    DEFAULT_CORE_URL,
    DEFAULT_EXPIRES_IN,
    DEFAULT_PUBLISH_RETRIES,
    DEFAULT_PUBLISH_TIMEOUT,
    DEFAULT_STATE_URL,
    MAX_EXPIRES_IN,
    REFRESH_MARGIN,
    check_auth_service_url,
    check_core_url,
    check_expires_in,
    check_retries,
    check_state_url,
    check_timeout,
)
from .permissions import validate_permissions
from .webhook_signatures import DEFAULT_WEBHOOK_TOLERANCE, check_signing_key, check_tolerance
from .webhooks import DEFAULT_WEBHOOK_BODY_LIMIT, check_max_body_size

__all__ = ["OPTIONS", "Option", "option_named", "options_for", "problems"]

#: What an option configures: the core (:class:`~relaybox_integrations.RelayBox`), the auth
#: endpoint, or the webhook endpoint.
Part = Literal["core", "endpoint", "webhooks"]


@dataclass(frozen=True)
class Option:
    """One option: its keyword, its settings key, its default and how it is checked."""

    #: The keyword the core and the Starlette and FastAPI adapters take.
    name: str
    #: The settings key: ``RELAYBOX[key]`` in Django, ``RELAYBOX_<key>`` in Flask.
    key: str
    part: Part
    default: object
    #: Raises :class:`~relaybox_integrations.ConfigurationError` for a bad value.
    check: Callable[[Any], object]
    #: Django's system check id for a bad value.
    check_id: str
    #: What to write instead, for check messages.
    hint: str


def _expires_in(value: object) -> int:
    return check_expires_in(value, lambda message: ConfigurationError("expires_in", message))


def _permissions(value: object) -> None:
    if value is not None:
        try:
            validate_permissions(value)
        except ValueError as exc:
            raise ConfigurationError("permissions", str(exc)) from None


def _allow_anonymous(value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(
            "allow_anonymous", f"allow_anonymous must be True or False; got {value!r}"
        )


def _signing_key(value: object) -> None:
    if value is not None:  # no key: no webhook endpoint
        check_signing_key(value)


OPTIONS: Final[tuple[Option, ...]] = (
    Option(
        "api_key",
        "API_KEY",
        "core",
        None,
        ApiKey,
        "relaybox.E002",
        "Copy the whole key from your Relaybox dashboard: '<appPid>.<keyId>:<secret>'.",
    ),
    Option(
        "expires_in",
        "TOKEN_EXPIRES_IN",
        "core",
        DEFAULT_EXPIRES_IN,
        _expires_in,
        "relaybox.E003",
        f"Use a whole number of seconds above {REFRESH_MARGIN} and at most {MAX_EXPIRES_IN}; "
        f"the default is {DEFAULT_EXPIRES_IN}.",
    ),
    Option(
        "permissions",
        "PERMISSIONS",
        "core",
        None,
        _permissions,
        "relaybox.E004",
        'Use a dict of room to permission names, e.g. {"chat:*": ["subscribe", "publish"]}, '
        'a list such as ["*"], or None for the API key\'s own permissions.',
    ),
    Option(
        "allow_anonymous",
        "ALLOW_ANONYMOUS",
        "endpoint",
        False,
        _allow_anonymous,
        "relaybox.E005",
        "Use True to give anonymous visitors tokens without a clientId, or False (the "
        "default) to answer them 401.",
    ),
    Option(
        "core_url",
        "CORE_URL",
        "core",
        DEFAULT_CORE_URL,
        check_core_url,
        "relaybox.E013",
        f"Leave it unset for Relaybox's own service, or give a URL such as '{DEFAULT_CORE_URL}'.",
    ),
    Option(
        "state_url",
        "STATE_URL",
        "core",
        DEFAULT_STATE_URL,
        check_state_url,
        "relaybox.E013",
        "Leave it unset for Relaybox's own state service, or give a URL such as "
        f"'{DEFAULT_STATE_URL}' (the emulator's is its URL followed by /state).",
    ),
    # Not "auth_url": Flask's RELAYBOX_AUTH_URL is the auth endpoint's own path.
    Option(
        "auth_service_url",
        "AUTH_SERVICE_URL",
        "core",
        DEFAULT_AUTH_SERVICE_URL,
        check_auth_service_url,
        "relaybox.E013",
        f"Leave it unset for Relaybox's own auth service, or give a URL such as "
        f"'{DEFAULT_AUTH_SERVICE_URL}'.",
    ),
    Option(
        "timeout",
        "PUBLISH_TIMEOUT",
        "core",
        DEFAULT_PUBLISH_TIMEOUT,
        check_timeout,
        "relaybox.E014",
        "Use the seconds one attempt of a publish or service call may take (default "
        f"{DEFAULT_PUBLISH_TIMEOUT:g}; a view waits that long times the attempts at worst).",
    ),
    Option(
        "retries",
        "PUBLISH_RETRIES",
        "core",
        DEFAULT_PUBLISH_RETRIES,
        check_retries,
        "relaybox.E014",
        "Use how often a publish that never reached Relaybox is tried again, 0 to 10 "
        f"(default {DEFAULT_PUBLISH_RETRIES}).",
    ),
    Option(
        "signing_key",
        "WEBHOOK_SIGNING_KEY",
        "webhooks",
        None,
        _signing_key,
        "relaybox.E010",
        "Copy the signing key of the webhook in your Relaybox dashboard, e.g. "
        'os.environ["RELAYBOX_WEBHOOK_SIGNING_KEY"].',
    ),
    Option(
        "tolerance",
        "WEBHOOK_TOLERANCE",
        "webhooks",
        DEFAULT_WEBHOOK_TOLERANCE,
        check_tolerance,
        "relaybox.E011",
        f"Use a number of seconds (default {DEFAULT_WEBHOOK_TOLERANCE:g}), or None to turn "
        "the timestamp check off.",
    ),
    Option(
        "max_body_size",
        "WEBHOOK_MAX_BODY_SIZE",
        "webhooks",
        DEFAULT_WEBHOOK_BODY_LIMIT,
        check_max_body_size,
        "relaybox.E016",
        f"Use the largest delivery body to accept, in bytes (default "
        f"{DEFAULT_WEBHOOK_BODY_LIMIT}).",
    ),
)

_BY_NAME: Final = {option.name: option for option in OPTIONS}


def option_named(name: str) -> Option:
    """The row for the keyword ``name`` (a :class:`ConfigurationError`'s ``setting``)."""
    return _BY_NAME[name]


def options_for(part: Part, values: Mapping[str, object]) -> dict[str, Any]:
    """Keyword arguments for ``part``'s constructor: ``values`` by option name, else defaults."""
    return {
        option.name: values.get(option.name, option.default)
        for option in OPTIONS
        if option.part == part
    }


def problems(values: Mapping[str, object]) -> Iterator[ConfigurationError]:
    """Every option in ``values`` that its check refuses, one error each."""
    for name, value in values.items():
        try:
            _BY_NAME[name].check(value)
        except ConfigurationError as exc:
            yield exc
