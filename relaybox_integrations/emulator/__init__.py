"""A local Relaybox: the realtime service, ``POST /events`` and webhooks, in one process.

Needs the ``[emulator]`` extra (aiohttp). See the "Local development and testing" guide.
"""

try:
    import aiohttp  # noqa: F401
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "the Relaybox emulator needs the [emulator] extra: "
        "pip install 'relaybox-integrations[emulator]'"
    ) from exc

from ._emulator import DEVELOPMENT_API_KEY, DEVELOPMENT_WEBHOOK_SIGNING_KEY, Emulator
from ._protocol import DeliveredMessage
from ._webhooks import WebhookDelivery
from .client import AckError, RealtimeClient, RealtimeRoom

__all__ = [
    "DEVELOPMENT_API_KEY",
    "DEVELOPMENT_WEBHOOK_SIGNING_KEY",
    "AckError",
    "DeliveredMessage",
    "Emulator",
    "RealtimeClient",
    "RealtimeRoom",
    "WebhookDelivery",
]
