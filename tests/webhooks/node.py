"""Relaybox's webhook signing in Node, as the independent reference for our verifier.

``tests/node/webhook-tool.js`` signs exactly as Relaybox's webhook service does
(json-canonicalize 1.0.6, ``JSON.stringify``, Node's crypto) and verifies as the official
library's ``verifyWebhookSignature`` does. One long-lived Node process answers a test session.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import threading
from typing import Any

from tests.support.verifier import NODE_DIR, ensure_installed

_process: subprocess.Popen[str] | None = None
_lock = threading.Lock()


def _stop(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.close()
    process.wait(timeout=10)
    process.stdout.close()


def _ask(request: dict[str, Any]) -> Any:
    global _process
    with _lock:
        if _process is None or _process.poll() is not None:
            ensure_installed()
            _process = subprocess.Popen(
                ["node", str(NODE_DIR / "webhook-tool.js")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
            atexit.register(_stop, _process)
        assert _process.stdin is not None
        assert _process.stdout is not None
        # ensure_ascii (the default) carries unpaired surrogates as \\udxxx escapes.
        _process.stdin.write(json.dumps(request) + "\n")
        _process.stdin.flush()
        line = _process.stdout.readline()
    if not line:
        raise RuntimeError("the Node webhook tool exited; see its error output above")
    return json.loads(line)


def node_sign_many(payloads: list[Any], key: str) -> list[dict[str, str]]:
    """Relaybox's ``body``, json-canonicalize's ``canonical`` and ``signature`` of each payload."""
    return list(_ask({"command": "sign", "key": key, "payloads": payloads}))


def node_sign(payload: Any, key: str) -> dict[str, str]:
    (signed,) = node_sign_many([payload], key)
    return signed


def node_accepts(deliveries: list[tuple[bytes, str]], key: str) -> list[bool]:
    """The official library's verifyWebhookSignature on each parsed body."""
    request = [{"body": body.decode(), "signature": signature} for body, signature in deliveries]
    return list(_ask({"command": "verify", "key": key, "deliveries": request}))
