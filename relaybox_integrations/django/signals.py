"""Signals for audit logging."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["token_issued"]

#: Sent after a token is minted (sender: :class:`~relaybox_integrations.AuthEndpoint`), with
#: ``request`` (None from the ``relaybox_token`` command), ``user``, ``client_id`` (a str, or
#: None for an anonymous token), ``expires_in`` (seconds) and ``permissions`` (what the
#: permissions hook returned; None for the default). The token itself is never sent:
#: receivers log, and logs must not hold credentials.
token_issued = Signal()
