"""The Flask example outside serve.py: Flask's own command line and development server."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.support.responses import token_claims
from tests.support.servers import ROOT, TEST_API_KEY, TEST_SECRET, free_port, login
from tests.support.verifier import node_verify

EXAMPLE = ROOT / "example_projects" / "flask_app" / "app.py"


def flask(*args: str, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(EXAMPLE), *args],
        cwd=ROOT,
        env={**os.environ, "RELAYBOX_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_app_itself_refuses_a_malformed_key() -> None:
    """What ``flask --app ...`` (or any WSGI server) gets when the key is wrong."""
    result = flask(
        "relaybox", "token", "--user", "1", key="app.key:secret:with-two-colons-0123456789012345"
    )
    assert result.returncode != 0
    assert "ConfigurationError: RELAYBOX_API_KEY: the Relaybox API key has 2 ':'" in result.stderr
    assert "with-two-colons" not in result.stderr


def test_the_relaybox_token_command_on_the_example() -> None:
    result = flask("relaybox", "token", "--user", "1", key=TEST_API_KEY)
    assert result.returncode == 0, result.stderr
    body = httpx.Response(200, content=result.stdout).json()
    assert node_verify(body["token"], TEST_SECRET)["clientId"] == "1"
    unknown = flask("relaybox", "token", "--user", "99", key=TEST_API_KEY)
    assert unknown.returncode == 1
    assert "no user with id '99'" in unknown.stderr


def test_flask_run_serves_the_example() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", str(EXAMPLE), "run", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "RELAYBOX_API_KEY": TEST_API_KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            login(client)
            assert token_claims(client.get("/user/auth"))["clientId"] == "1"
    finally:
        process.terminate()
        process.wait(timeout=15)
