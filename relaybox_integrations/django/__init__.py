"""Relaybox for Django: a reusable app with an auth view.

.. code-block:: python

    INSTALLED_APPS = [..., "relaybox_integrations.django"]
    RELAYBOX = {"API_KEY": os.environ["RELAYBOX_API_KEY"]}
    urlpatterns = [path("user/", include("relaybox_integrations.django.urls"))]

Hooks raise :class:`~relaybox_integrations.AccessDenied` to refuse a user (403);
:data:`~relaybox_integrations.django.signals.token_issued` is sent for every token minted;
:func:`get_relaybox` is the process's configured client; route ``webhooks.WebhookView`` and
receive :data:`~relaybox_integrations.django.signals.webhook_received` (or use
:func:`on_webhook`) for Relaybox's webhooks.
"""

from __future__ import annotations

from ..errors import AccessDenied
from .integration import get_relaybox
from .publishing import publish_on_commit
from .signals import token_issued, webhook_received
from .webhooks import on_webhook

__all__ = [
    "AccessDenied",
    "get_relaybox",
    "on_webhook",
    "publish_on_commit",
    "token_issued",
    "webhook_received",
]
