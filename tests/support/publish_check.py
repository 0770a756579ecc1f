"""Node's crypto as the independent checker of the publish requests we sent."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from typing import Any

from .verifier import NODE_DIR


def node_check_publishes(requests: list[tuple[bytes, str]], secret: str) -> list[Any]:
    """Node's verdict on each (body, signature) sent to ``/events``: the signature checked
    as Relaybox's service checks it, the body parsed with ``JSON.parse`` and held to the
    official library's shape. Returns the parsed bodies; AssertionError names a failure."""
    if shutil.which("node") is None:
        raise RuntimeError("Node.js is needed for the independent signature check")
    request = {
        "secret": secret,
        "requests": [
            {"body": base64.b64encode(body).decode(), "signature": signature}
            for body, signature in requests
        ],
    }
    result = subprocess.run(
        ["node", str(NODE_DIR / "publish-check.js")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    verdicts = json.loads(result.stdout)
    failures = [(index, v["error"]) for index, v in enumerate(verdicts) if not v["ok"]]
    assert not failures, f"Node refused {len(failures)} request(s), e.g. {failures[:3]}"
    return [verdict["message"] for verdict in verdicts]
