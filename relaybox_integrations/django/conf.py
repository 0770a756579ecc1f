"""The ``RELAYBOX`` setting: read lazily, validated by the core, built once per value.

Every read goes through :data:`relaybox_settings`, so ``override_settings(RELAYBOX=...)``
takes effect at once. What is built from the setting (the :class:`RelayBox`, the
:class:`AuthEndpoint` and the imported hooks) is cached and dropped when Django's
``setting_changed`` signal names ``RELAYBOX``, so requests never re-parse the key.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables

from ..core import DEFAULT_EXPIRES_IN, RelayBox
from ..endpoint import AuthEndpoint
from ..errors import ConfigurationError
from ..permissions import PermissionsInput

__all__ = [
    "DEFAULTS",
    "ClientIdHook",
    "PermissionsHook",
    "RelayboxConfig",
    "RelayboxSettings",
    "SettingError",
    "get_config",
    "relaybox_settings",
]

#: ``user -> client id``; raise :class:`~relaybox_integrations.AccessDenied` to refuse.
ClientIdHook = Callable[[Any], "str | int"]
#: ``(request, user) -> permissions``; None keeps the static ``PERMISSIONS``. ``request`` is
#: None when the ``relaybox_token`` management command mints the token.
PermissionsHook = Callable[["HttpRequest | None", Any], "PermissionsInput | None"]

#: Every key ``RELAYBOX`` accepts, with its default. ``API_KEY`` has none: it is required.
DEFAULTS: Final[Mapping[str, object]] = {
    "API_KEY": None,
    "TOKEN_EXPIRES_IN": DEFAULT_EXPIRES_IN,
    "PERMISSIONS": None,
    "CLIENT_ID_HOOK": None,
    "PERMISSIONS_HOOK": None,
    "ALLOW_ANONYMOUS": False,
}

#: The core's option names, as users spell them in ``RELAYBOX``.
CORE_OPTIONS: Final[Mapping[str, str]] = {
    "api_key": "API_KEY",
    "expires_in": "TOKEN_EXPIRES_IN",
    "permissions": "PERMISSIONS",
    "allow_anonymous": "ALLOW_ANONYMOUS",
}


class SettingError(Exception):
    """One problem with ``RELAYBOX``: the key at fault, what is wrong and how to fix it.

    System checks report it with ``check_id``; requests raise it as
    :class:`~django.core.exceptions.ImproperlyConfigured`.
    """

    def __init__(self, check_id: str, key: str | None, message: str, hint: str) -> None:
        self.check_id = check_id
        self.key = key
        self.message = message
        self.hint = hint
        where = "RELAYBOX" if key is None else f"RELAYBOX[{key!r}]"
        super().__init__(f"{where}: {message}")


class RelayboxSettings:
    """Reads ``settings.RELAYBOX`` on every access, filling in :data:`DEFAULTS`."""

    @property
    def raw(self) -> Mapping[str, object]:
        """The ``RELAYBOX`` dict as written (empty when unset)."""
        value = getattr(settings, "RELAYBOX", None)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise SettingError(
                "relaybox.E009",
                None,
                f"must be a dict; got {type(value).__name__}",
                'Write RELAYBOX = {"API_KEY": os.environ["RELAYBOX_API_KEY"]}.',
            )
        return value

    def get(self, key: str) -> object:
        """The value of ``key``, or its default."""
        return self.raw.get(key, DEFAULTS[key])

    @property
    def API_KEY(self) -> object:
        return self.get("API_KEY")

    @property
    def TOKEN_EXPIRES_IN(self) -> object:
        return self.get("TOKEN_EXPIRES_IN")

    @property
    def PERMISSIONS(self) -> object:
        return self.get("PERMISSIONS")

    @property
    def CLIENT_ID_HOOK(self) -> object:
        return self.get("CLIENT_ID_HOOK")

    @property
    def PERMISSIONS_HOOK(self) -> object:
        return self.get("PERMISSIONS_HOOK")

    @property
    def ALLOW_ANONYMOUS(self) -> object:
        return self.get("ALLOW_ANONYMOUS")


relaybox_settings: Final = RelayboxSettings()


def default_client_id(user: Any) -> str:
    """The user's primary key: stable, unique and not personal data."""
    return str(user.pk)


@dataclass(frozen=True)
class RelayboxConfig:
    """Everything a request needs, built once from ``RELAYBOX``."""

    relaybox: RelayBox
    endpoint: AuthEndpoint
    client_id_hook: ClientIdHook
    permissions_hook: PermissionsHook | None


def unknown_keys(raw: Mapping[str, object]) -> list[SettingError]:
    """One error per key that ``RELAYBOX`` does not know, usually a typo."""
    errors = []
    for key in raw:
        if key in DEFAULTS:
            continue
        close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)
        hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(DEFAULTS)}."
        errors.append(SettingError("relaybox.E006", str(key), "is not a known setting", hint))
    return errors


def load_hook(key: str, value: object) -> Callable[..., Any] | None:
    """``value`` (None, a callable or a dotted import string) as a callable."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise SettingError(
                "relaybox.E007",
                key,
                f"cannot import {value!r}: {exc}",
                "Give the dotted path of a function, e.g. 'myapp.relaybox.client_id'.",
            ) from None
    if not callable(value):
        raise SettingError(
            "relaybox.E008",
            key,
            f"is not callable; got {type(value).__name__}",
            "Give a function, or the dotted path of one.",
        )
    return value


def setting_error(exc: ConfigurationError) -> SettingError:
    """The core's configuration error, named as the ``RELAYBOX`` key users wrote."""
    key = CORE_OPTIONS.get(exc.setting, exc.setting.upper())
    check_id, hint = _CORE_PROBLEMS[key]
    return SettingError(check_id, key, exc.message, hint)


def missing_api_key() -> SettingError:
    """The error for an unset or empty ``API_KEY``."""
    return SettingError(
        "relaybox.E001",
        "API_KEY",
        "is not set; Relaybox tokens cannot be signed without it",
        'Set RELAYBOX = {"API_KEY": os.environ["RELAYBOX_API_KEY"]}, the key from your '
        "Relaybox dashboard ('<appPid>.<keyId>:<secret>').",
    )


_CORE_PROBLEMS: Final[Mapping[str, tuple[str, str]]] = {
    "API_KEY": (
        "relaybox.E002",
        "Copy the whole key from your Relaybox dashboard: '<appPid>.<keyId>:<secret>'.",
    ),
    "TOKEN_EXPIRES_IN": (
        "relaybox.E003",
        f"Use a whole number of seconds above 20; the default is {DEFAULT_EXPIRES_IN}.",
    ),
    "PERMISSIONS": (
        "relaybox.E004",
        'Use a dict of room to permission names, e.g. {"chat:*": ["subscribe", "publish"]}, '
        'a list such as ["*"], or None for the API key\'s own permissions.',
    ),
    "ALLOW_ANONYMOUS": (
        "relaybox.E005",
        "Use True to give anonymous visitors tokens without a clientId, or False (the "
        "default) to answer them 401.",
    ),
}


# Error e-mails (DEBUG off) cleanse these frames; with DEBUG on, Django shows every local, so
# the key is never bound to a local name here: only the lazy settings object is.
@sensitive_variables()
def build_config() -> RelayboxConfig:
    """Validate ``RELAYBOX`` and build from it; raises :class:`SettingError`."""
    problems = unknown_keys(relaybox_settings.raw)
    if problems:
        raise problems[0]
    if relaybox_settings.API_KEY in (None, ""):
        raise missing_api_key()
    try:
        # The core checks every type and value; Any hands it the setting as written.
        options: Any = relaybox_settings
        relaybox = RelayBox(
            options.API_KEY, expires_in=options.TOKEN_EXPIRES_IN, permissions=options.PERMISSIONS
        )
        endpoint = AuthEndpoint(relaybox, allow_anonymous=options.ALLOW_ANONYMOUS)
    except ConfigurationError as exc:
        raise setting_error(exc) from None
    client_id_hook = load_hook("CLIENT_ID_HOOK", relaybox_settings.CLIENT_ID_HOOK)
    return RelayboxConfig(
        relaybox=relaybox,
        endpoint=endpoint,
        client_id_hook=client_id_hook or default_client_id,
        permissions_hook=load_hook("PERMISSIONS_HOOK", relaybox_settings.PERMISSIONS_HOOK),
    )


_lock = threading.Lock()
_config: RelayboxConfig | None = None


def get_config() -> RelayboxConfig:
    """The configuration built from the current ``RELAYBOX``.

    Raises :class:`~django.core.exceptions.ImproperlyConfigured` naming the key at fault.
    """
    global _config
    config = _config
    if config is not None:
        return config
    with _lock:
        if _config is None:
            try:
                _config = build_config()
            except SettingError as exc:
                raise ImproperlyConfigured(f"{exc} ({exc.hint})") from None
        return _config


def reset_config(*, setting: str, **kwargs: object) -> None:
    """Drop the cached configuration when ``RELAYBOX`` changes (``override_settings``)."""
    global _config
    if setting == "RELAYBOX":
        with _lock:
            _config = None


setting_changed.connect(reset_config, dispatch_uid="relaybox_integrations.django.reset_config")
