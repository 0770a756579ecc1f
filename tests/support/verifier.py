"""Node's jsonwebtoken as the independent verifier of our tokens.

Relaybox's service verifies tokens with jsonwebtoken 9; every test that checks a token we
minted asks it, not only our own decoder. The npm packages are installed on first use
(``npm ci`` in ``tests/node``), under a lock so parallel test runs do not race.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent.parent / "node"


def ensure_installed() -> None:
    """Install tests/node's npm packages once; fail loudly when Node.js is missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("Node.js and npm are needed for the independent token verifier")
    markers = [
        NODE_DIR / "node_modules" / package / "package.json"
        for package in ("jsonwebtoken", "json-canonicalize")
    ]
    if all(marker.is_file() for marker in markers):
        return
    with open(NODE_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all(marker.is_file() for marker in markers):
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True
            )


class NodeTool:
    """One long-lived Node process running ``tests/node/<script>``, started on first use:
    a JSON request per line in, a JSON answer per line out."""

    def __init__(self, script: str) -> None:
        self.script = script
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def ask(self, request: dict[str, Any]) -> Any:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                ensure_installed()
                self._process = subprocess.Popen(
                    ["node", str(NODE_DIR / self.script)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    encoding="utf-8",
                )
                atexit.register(_stop, self._process)
            assert self._process.stdin is not None
            assert self._process.stdout is not None
            # ensure_ascii (the default) carries unpaired surrogates as \\udxxx escapes.
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.script} exited; see its error output above")
        return json.loads(line)


def _stop(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.close()
    process.wait(timeout=10)
    process.stdout.close()


_jwt_tool = NodeTool("jwt-tool.js")


def node_verify_many(
    tokens: list[str], secret: str, now: int | None = None
) -> list[dict[str, Any]]:
    """jsonwebtoken's verdict on each token: ``{"ok": True, "claims": ...}`` or an error."""
    request: dict[str, Any] = {"secret": secret, "tokens": tokens}
    if now is not None:
        request["now"] = now
    return list(_jwt_tool.ask({"command": "verify", **request}))


def node_verify(token: str, secret: str, now: int | None = None) -> dict[str, Any]:
    """The claims jsonwebtoken accepts, or AssertionError with its reason."""
    (verdict,) = node_verify_many([token], secret, now)
    assert verdict["ok"], f"jsonwebtoken rejected the token: {verdict['error']}"
    return dict(verdict["claims"])


def node_verify_room_access(token: str, secret: str, room_id: str) -> dict[str, Any]:
    """The claims relaybox/core's check of a join's access token accepts (jsonwebtoken, then
    the room id), or AssertionError with its reason."""
    verdict = _jwt_tool.ask(
        {"command": "room", "secret": secret, "token": token, "roomId": room_id}
    )
    assert verdict["ok"], f"the room access check refused the token: {verdict['error']}"
    return dict(verdict["claims"])


def node_sign(payload: dict[str, Any], secret: str, **options: Any) -> str:
    """A token signed by jsonwebtoken (``options`` as jwt.sign takes them)."""
    request = {"command": "sign", "payload": payload, "secret": secret, "options": options}
    return str(_jwt_tool.ask(request)["token"])


def node_user_token(
    secret: str, uid: str, public_key: str, client_id: str | None, **options: Any
) -> str:
    """A signed-in user's token as Relaybox's auth service mints it with jsonwebtoken
    (``options``: ``tokenType``, ``expiresIn``, ``issuer``)."""
    request = {
        "command": "user",
        "secret": secret,
        "uid": uid,
        "publicKey": public_key,
        **({} if client_id is None else {"clientId": client_id}),
        **options,
    }
    return str(_jwt_tool.ask(request)["token"])
