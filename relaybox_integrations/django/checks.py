"""``manage.py check`` for ``RELAYBOX``: every problem at once, each with an id and a hint.

The checks ask the core to validate (the same code that runs at request time), so a
setting the checks accept is one the view accepts. Ids:

- ``relaybox.E001`` ``API_KEY`` missing; ``E002`` malformed
- ``relaybox.E003`` ``TOKEN_EXPIRES_IN`` invalid
- ``relaybox.E004`` ``PERMISSIONS`` invalid
- ``relaybox.E005`` ``ALLOW_ANONYMOUS`` not a bool
- ``relaybox.E006`` unknown key in ``RELAYBOX`` (a typo)
- ``relaybox.E007`` a hook that does not import; ``E008`` a hook that is not callable
- ``relaybox.E009`` ``RELAYBOX`` is not a dict
- ``relaybox.W001`` the API secret is shorter than HS256 keys should be
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning

from ..core import ApiKey, RelayBox
from ..endpoint import AuthEndpoint
from ..errors import ConfigurationError, ShortSecretWarning
from .conf import (
    SettingError,
    load_hook,
    missing_api_key,
    relaybox_settings,
    setting_error,
    unknown_keys,
)

__all__ = ["check_settings"]

# Stands in for a malformed API_KEY so the other options are still checked by the core.
_PLACEHOLDER_KEY = "check.check:placeholder-secret-used-only-by-system-checks"


def _error(problem: SettingError) -> Error:
    return Error(str(problem), hint=problem.hint, id=problem.check_id)


def _core_check(build: Callable[[], object], *, warn: bool = False) -> list[CheckMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ShortSecretWarning)
        try:
            build()
        except ConfigurationError as exc:
            return [_error(setting_error(exc))]
    return [
        CheckWarning(
            f"RELAYBOX['API_KEY']: {warning.message}",
            hint="Use the full key from your Relaybox dashboard.",
            id="relaybox.W001",
        )
        for warning in caught
        if warn and issubclass(warning.category, ShortSecretWarning)
    ]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report every problem with ``RELAYBOX``."""
    try:
        raw = relaybox_settings.raw
    except SettingError as exc:
        return [_error(exc)]
    messages: list[CheckMessage] = [_error(problem) for problem in unknown_keys(raw)]

    api_key = relaybox_settings.API_KEY
    key = _PLACEHOLDER_KEY
    if api_key in (None, ""):
        messages.append(_error(missing_api_key()))
    else:
        try:
            ApiKey(api_key)
        except ConfigurationError as exc:
            messages.append(_error(setting_error(exc)))
        else:
            key = str(api_key)
            messages += _core_check(lambda: RelayBox(key), warn=True)

    expires_in: Any = relaybox_settings.TOKEN_EXPIRES_IN
    permissions: Any = relaybox_settings.PERMISSIONS
    allow_anonymous: Any = relaybox_settings.ALLOW_ANONYMOUS
    messages += _core_check(lambda: RelayBox(key, expires_in=expires_in))
    messages += _core_check(lambda: RelayBox(key, permissions=permissions))
    messages += _core_check(lambda: AuthEndpoint(RelayBox(key), allow_anonymous=allow_anonymous))
    for hook in ("CLIENT_ID_HOOK", "PERMISSIONS_HOOK"):
        try:
            load_hook(hook, relaybox_settings.get(hook))
        except SettingError as exc:
            messages.append(_error(exc))
    return messages
