"""Signals for audit logging."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["token_issued", "webhook_received"]

#: Sent after a token is minted (sender: :class:`~relaybox_integrations.AuthEndpoint`), with
#: ``request`` (None from the ``relaybox_token`` command), ``user``, ``client_id`` (a str, or
#: None for an anonymous token), ``expires_in`` (seconds) and ``permissions`` (what the
#: permissions hook returned; None for the default). The token itself is never sent:
#: receivers log, and logs must not hold credentials.
token_issued = Signal()

#: Sent for every verified Relaybox webhook delivery, once per delivery id (sender:
#: :class:`~relaybox_integrations.WebhookEndpoint`), with ``event``, the
#: :class:`~relaybox_integrations.WebhookEvent`. A receiver that raises makes the view answer
#: 500, and Relaybox retries. :func:`~relaybox_integrations.django.on_webhook`
#: connects a receiver for some events only.
webhook_received = Signal()
