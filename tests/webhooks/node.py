"""Relaybox's webhook signing in Node, as the independent reference for our verifier.

``tests/node/webhook-tool.js`` signs exactly as Relaybox's webhook service does
(json-canonicalize 1.0.6, ``JSON.stringify``, Node's crypto) and verifies as the official
library's ``verifyWebhookSignature`` does. One long-lived Node process answers a test session.
"""

from __future__ import annotations

from typing import Any

from tests.support.verifier import NodeTool

_webhook_tool = NodeTool("webhook-tool.js")


def node_sign_many(payloads: list[Any], key: str) -> list[dict[str, str]]:
    """Relaybox's ``body``, json-canonicalize's ``canonical`` and ``signature`` of each payload."""
    return list(_webhook_tool.ask({"command": "sign", "key": key, "payloads": payloads}))


def node_sign(payload: Any, key: str) -> dict[str, str]:
    (signed,) = node_sign_many([payload], key)
    return signed


def node_accepts(deliveries: list[tuple[bytes, str]], key: str) -> list[bool]:
    """The official library's verifyWebhookSignature on each parsed body."""
    request = [{"body": body.decode(), "signature": signature} for body, signature in deliveries]
    return list(_webhook_tool.ask({"command": "verify", "key": key, "deliveries": request}))
