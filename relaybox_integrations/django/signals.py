"""Signals for audit logging."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["token_issued"]

#: Sent after a token is minted, with ``request`` (None from the ``relaybox_token`` command),
#: ``user``, ``client_id`` (a str, or None for an anonymous token) and ``expires_in``
#: (seconds). The token itself is never sent: receivers log, and logs must not hold
#: credentials.
token_issued = Signal()
