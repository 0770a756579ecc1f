"""``manage.py check`` for ``RELAYBOX``: every problem at once, each with an id and a hint.

Each option is checked by the core's own validator (:mod:`.validation`), and the core is then
built once from the whole setting (:func:`.integration.configure`), so what the checks
accept the views accept; requests run the same checks before building. Ids:

- ``relaybox.E001`` ``API_KEY`` missing; ``E002`` malformed
- ``relaybox.E003`` ``TOKEN_EXPIRES_IN`` invalid
- ``relaybox.E004`` ``PERMISSIONS`` invalid
- ``relaybox.E005`` ``ALLOW_ANONYMOUS`` not a bool
- ``relaybox.E006`` unknown key in ``RELAYBOX`` (a typo)
- ``relaybox.E007`` a hook (``CLIENT_ID_HOOK``, ``PERMISSIONS_HOOK``, ``CAN_JOIN_ROOM_HOOK``)
  that does not import; ``E008`` a hook that is not callable
- ``relaybox.E009`` ``RELAYBOX`` is not a dict
- ``relaybox.E010`` ``WEBHOOK_SIGNING_KEY`` malformed, or missing while a webhook view is
  routed; ``E011`` ``WEBHOOK_TOLERANCE`` invalid; ``E012`` ``WEBHOOK_CACHE`` not a
  configured cache; ``E013`` ``CORE_URL``, ``STATE_URL`` or ``AUTH_SERVICE_URL`` not an
  http(s) URL; ``E014`` ``PUBLISH_TIMEOUT`` or ``PUBLISH_RETRIES`` invalid; ``E015``
  ``WEBHOOK_CACHE`` a ``DummyCache``, which stores nothing; ``E016``
  ``WEBHOOK_MAX_BODY_SIZE`` not a positive int
- ``relaybox.E025`` ``USER_FROM_AUTH_TOKEN_HOOK`` unset while the token backend or middleware
  is installed; ``E026`` the token middleware without the token backend; ``E027`` the token
  middleware before ``AuthenticationMiddleware`` (these three are
  :func:`.auth_token_checks.check_auth_tokens`'s)
- ``relaybox.W002`` ``WEBHOOK_CACHE`` a ``LocMemCache``: per process, and it forgets ids
  past its ``MAX_ENTRIES``
- ``relaybox.W001`` the API secret is shorter than HS256 keys should be

They are registered under the tags ``relaybox`` and ``security`` (a bad key is a security
problem: ``manage.py check --tag security`` runs them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.core.checks import CheckMessage, Error

from ..config import option_named
from .conf import raw_settings
from .integration import configure
from .validation import error
from .webhooks import WebhookView

__all__ = ["check_settings"]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The system check: every problem with ``RELAYBOX``, and with the views it routes."""
    raw = raw_settings()
    routing = list(_webhook_problems(raw)) if isinstance(raw, Mapping) else []
    return configure()[0] + routing


def _webhook_problems(raw: Mapping[str, object]) -> Iterator[Error]:
    """E010 for a routed webhook view without a key.

    Not fatal at request time: the auth view works, and the webhook view says what is
    missing when it is called.
    """
    if raw.get("WEBHOOK_SIGNING_KEY") is None and _routes(WebhookView):
        message = "is not set, but a Relaybox webhook view is routed"
        yield error(
            "relaybox.E010", "WEBHOOK_SIGNING_KEY", message, option_named("signing_key").hint
        )
    # A malformed key or tolerance is reported when the whole setting is built.


def _routes(view_class: type) -> bool:
    """Whether the project's URLconf routes ``view_class`` (or a subclass) anywhere."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns: list[Any]) -> Iterator[Any]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield getattr(pattern.callback, "view_class", None)

    try:
        return any(
            isinstance(found, type) and issubclass(found, view_class)
            for found in walk(get_resolver().url_patterns)
        )
    except ImportError:  # a URLconf that does not import is Django's own check to report
        return False
