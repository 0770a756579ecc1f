"""``settings.RELAYBOX``, read when used (so ``override_settings`` works), with defaults.

This module only reads; :mod:`.checks` says what is wrong with a value, and
:mod:`.integration` builds from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from django.conf import settings

from ..options import (
    DEFAULT_CORE_URL,
    DEFAULT_EXPIRES_IN,
    DEFAULT_PUBLISH_RETRIES,
    DEFAULT_PUBLISH_TIMEOUT,
)
from ..webhooks import DEFAULT_WEBHOOK_TOLERANCE

__all__ = ["DEFAULTS", "raw_settings", "setting"]

#: Every key ``RELAYBOX`` accepts, with its default. ``API_KEY`` has none: it is required.
DEFAULTS: Final[Mapping[str, object]] = {
    "API_KEY": None,
    "TOKEN_EXPIRES_IN": DEFAULT_EXPIRES_IN,
    "PERMISSIONS": None,
    "CLIENT_ID_HOOK": None,
    "PERMISSIONS_HOOK": None,
    "ALLOW_ANONYMOUS": False,
    "CORE_URL": DEFAULT_CORE_URL,
    "PUBLISH_TIMEOUT": DEFAULT_PUBLISH_TIMEOUT,
    "PUBLISH_RETRIES": DEFAULT_PUBLISH_RETRIES,
    "WEBHOOK_SIGNING_KEY": None,
    "WEBHOOK_TOLERANCE": DEFAULT_WEBHOOK_TOLERANCE,
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
