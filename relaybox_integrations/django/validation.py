"""What is wrong with ``RELAYBOX``, option by option, as Django check messages.

Each option is checked by the core's own validator (the code that runs at request time), so
what the checks accept the views accept. :mod:`.integration` runs these before it builds;
:mod:`.checks` reports them to ``manage.py check``. The ids are listed there.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string

from ..config import OPTIONS, option_named
from ..config import problems as config_problems
from ..errors import ConfigurationError
from ..keys import ApiKey
from .conf import DEFAULTS, raw_settings, setting

__all__ = ["core_error", "error", "load_hook", "problems"]


def error(check_id: str, key: str | None, message: str, hint: str) -> Error:
    """A check error whose message names ``RELAYBOX[key]``."""
    where = "RELAYBOX" if key is None else f"RELAYBOX[{key!r}]"
    return Error(f"{where}: {message}", hint=hint, id=check_id)


def core_error(exc: ConfigurationError) -> Error:
    """The core's configuration error, named as the ``RELAYBOX`` key users wrote."""
    option = option_named(exc.setting)
    return error(option.check_id, option.key, exc.message, option.hint)


def load_hook(key: str) -> Callable[..., Any] | None:
    """``RELAYBOX[key]`` (None, a callable or a dotted path) as a callable.

    Raises :class:`ImportError` or :class:`TypeError` with the check's message.
    """
    value = setting(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = import_string(value)
    if not callable(value):
        raise TypeError(f"is not callable; got {type(value).__name__}")
    return value


def problems() -> list[CheckMessage]:
    """Every problem with ``RELAYBOX`` taken option by option (not yet built together)."""
    raw = raw_settings()
    if not isinstance(raw, Mapping):
        hint = 'Write RELAYBOX = {"API_KEY": os.environ["RELAYBOX_API_KEY"]}.'
        return [error("relaybox.E009", None, f"must be a dict; got {type(raw).__name__}", hint)]
    return [*_api_key_problems(raw), *_option_problems(raw)]


def _api_key_problems(raw: Mapping[str, object]) -> Iterator[Error]:
    api_key = raw.get("API_KEY")
    if api_key in (None, ""):
        hint = (
            'Set RELAYBOX = {"API_KEY": os.environ["RELAYBOX_API_KEY"]}, the key from your '
            "Relaybox dashboard ('<appPid>.<keyId>:<secret>')."
        )
        yield error("relaybox.E001", "API_KEY", "is not set; tokens cannot be signed", hint)
        return
    try:
        ApiKey(api_key)
    except ConfigurationError as exc:
        yield core_error(exc)


def _option_problems(raw: Mapping[str, object]) -> Iterator[CheckMessage]:
    for key in raw:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(DEFAULTS)}."
            yield error("relaybox.E006", str(key), "is not a known setting", hint)
    given = {
        option.name: raw[option.key]
        for option in OPTIONS
        if option.key in raw and option.key != "API_KEY"  # the key has checks of its own
    }
    for exc in config_problems(given):
        yield core_error(exc)
    cache = raw.get("WEBHOOK_CACHE", DEFAULTS["WEBHOOK_CACHE"])
    if cache not in settings.CACHES:
        hint = "Name a cache in CACHES (a shared one, such as Redis, with several processes)."
        yield error("relaybox.E012", "WEBHOOK_CACHE", f"{cache!r} is not in CACHES", hint)
    elif raw.get("WEBHOOK_SIGNING_KEY") is not None:
        yield from _cache_problems(str(cache))
    for key in (
        "CLIENT_ID_HOOK",
        "PERMISSIONS_HOOK",
        "CAN_JOIN_ROOM_HOOK",
        "USER_FROM_AUTH_TOKEN_HOOK",
    ):
        try:
            load_hook(key)
        except ImportError as exc:
            hint = "Give the dotted path of a function, e.g. 'myapp.relaybox.client_id'."
            yield error("relaybox.E007", key, f"cannot import {raw[key]!r}: {exc}", hint)
        except TypeError as exc:
            yield error("relaybox.E008", key, str(exc), "Give a function, or its dotted path.")


#: Below this many entries, a LocMemCache forgets delivery ids soon enough to matter.
_FEW_ENTRIES: Final = 10_000


def _cache_problems(alias: str) -> Iterator[CheckMessage]:
    """E015 for a cache that deduplicates nothing, W002 for one that forgets soon."""
    cache = settings.CACHES[alias]
    backend = str(cache.get("BACKEND", ""))
    shared = "Use a shared cache such as django.core.cache.backends.redis.RedisCache."
    if backend.endswith(".DummyCache"):
        message = (
            f"{alias!r} is a DummyCache, which stores nothing: every retry of a delivery "
            "would run the receivers again"
        )
        yield error("relaybox.E015", "WEBHOOK_CACHE", message, shared)
    elif backend.endswith(".LocMemCache"):
        entries = cache.get("OPTIONS", {}).get("MAX_ENTRIES", 300)
        if isinstance(entries, int) and entries < _FEW_ENTRIES:
            yield CheckWarning(
                f"RELAYBOX['WEBHOOK_CACHE']: {alias!r} is a LocMemCache that keeps "
                f"{entries} entries: past that it forgets delivery ids, and a retry runs the "
                "receivers again (and it holds for one process only)",
                hint=f"{shared} Or raise OPTIONS['MAX_ENTRIES'] and serve with one process.",
                id="relaybox.W002",
            )
