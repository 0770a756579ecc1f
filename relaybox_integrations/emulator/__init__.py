"""A local Relaybox: the realtime service, ``POST /events`` and webhooks, in one process.

Needs the ``[emulator]`` extra (aiohttp). See the "Local development and testing" guide.
"""

from ._emulator import DEVELOPMENT_API_KEY, DEVELOPMENT_WEBHOOK_SIGNING_KEY, Emulator
from ._protocol import DeliveredMessage
from ._webhooks import WebhookDelivery

__all__ = [
    "DEVELOPMENT_API_KEY",
    "DEVELOPMENT_WEBHOOK_SIGNING_KEY",
    "DeliveredMessage",
    "Emulator",
    "WebhookDelivery",
]
