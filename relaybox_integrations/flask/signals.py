"""Blinker signals, in a namespace of their own as Flask's signals are."""

from __future__ import annotations

from blinker import Namespace

__all__ = ["token_issued"]

_signals = Namespace()

#: Sent after the extension issued a token (by the auth endpoint or ``flask relaybox
#: token``), with the application as sender and the keyword arguments ``request`` (None from
#: the command), ``user`` (what identified the user: Flask-Login's user or the loader's
#: answer), ``client_id`` (str, or None for an anonymous token), ``expires_in`` (seconds) and
#: ``permissions`` (what the permissions loader returned; None means the configured
#: default). The token itself is never sent: receivers are for audit logs and metrics.
token_issued = _signals.signal("relaybox-token-issued")
