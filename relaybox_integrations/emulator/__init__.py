"""A local Relaybox: the realtime service, ``POST /events`` and webhooks, in one process.

Needs the ``[emulator]`` extra (aiohttp). See the "Local development and testing" guide.
"""

from .._extras import require_extra

require_extra("emulator")  # before the modules that import aiohttp: a message, not a trace

from ._emulator import DEVELOPMENT_API_KEY, DEVELOPMENT_WEBHOOK_SIGNING_KEY, Emulator  # noqa: E402
from ._messages import DeliveredMessage  # noqa: E402
from ._room_control import EmulatedRoom  # noqa: E402
from ._webhooks import WebhookDelivery  # noqa: E402
from .client import AckError, RealtimeClient, RealtimeRoom  # noqa: E402

__all__ = [
    "DEVELOPMENT_API_KEY",
    "DEVELOPMENT_WEBHOOK_SIGNING_KEY",
    "AckError",
    "DeliveredMessage",
    "EmulatedRoom",
    "Emulator",
    "RealtimeClient",
    "RealtimeRoom",
    "WebhookDelivery",
]
