"""``settings.RELAYBOX``, read when used (so ``override_settings`` works), with defaults.

This module only reads; :mod:`.checks` says what is wrong with a value, and
:mod:`.integration` builds from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from django.conf import settings

from ..config import OPTIONS, option_named

__all__ = ["DEFAULTS", "OptionValues", "raw_settings", "setting"]

#: Every key ``RELAYBOX`` accepts, with its default: the package's options (``API_KEY`` has
#: none: it is required), then Django's own: the hooks and the cache that deduplicates.
DEFAULTS: Final[Mapping[str, object]] = {
    **{option.key: option.default for option in OPTIONS},
    "CLIENT_ID_HOOK": None,
    "PERMISSIONS_HOOK": None,
    "CAN_JOIN_ROOM_HOOK": None,
    "USER_FROM_AUTH_TOKEN_HOOK": None,
    "WEBHOOK_CACHE": "default",
}


def raw_settings() -> object:
    """``settings.RELAYBOX`` as written: a dict, {} when unset, or whatever else it is."""
    value = getattr(settings, "RELAYBOX", None)
    return {} if value is None else value


def setting(key: str) -> object:
    """The value of ``RELAYBOX[key]``, or its default (``RELAYBOX`` must be a dict)."""
    raw = raw_settings()
    assert isinstance(raw, Mapping)
    return raw.get(key, DEFAULTS[key])


class OptionValues(Mapping[str, object]):
    """``RELAYBOX``'s package options by keyword (``expires_in``...), read when looked up.

    Its ``repr()`` shows no value: Django's debug page prints every local of a failing
    frame, and these include the API key.
    """

    def __getitem__(self, name: str) -> object:
        return setting(option_named(name).key)

    def __iter__(self) -> Iterator[str]:
        return (option.name for option in OPTIONS)

    def __len__(self) -> int:
        return len(OPTIONS)

    def __repr__(self) -> str:
        return "<RELAYBOX options>"
