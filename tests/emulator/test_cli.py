"""``relaybox emulator`` as a user runs it: a subprocess, its banner, its log, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import RealtimeClient

from .conftest import API_KEY, run

COMMAND = [sys.executable, "-m", "relaybox_integrations", "emulator"]


def _environment(**extra: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("RELAYBOX_")
    }
    return {**environment, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture
def emulator_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [*COMMAND, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        yield process, "".join(banner)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_banner_log_lines_and_ctrl_c(emulator_process: tuple[subprocess.Popen[str], str]) -> None:
    process, banner = emulator_process
    match = re.search(r"on (http://localhost:(\d+))", banner)
    assert match, banner
    url, port = match.group(1), match.group(2)
    assert f"offline: {{enabled: true, port: {port}}}" in banner
    assert f"core_url='{url}/core'" in banner
    assert "development key" in banner

    async def scenario() -> None:
        token = RelayBox(API_KEY).generate_token_response(client_id="cli-user")
        async with RealtimeClient(url, token=token) as client:
            room = await client.join("cli-room")
            await room.publish("hello", {"n": 1})

    run(scenario())
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert re.search(r"connected demo-app:\S+ clientId=cli-user", stdout)
    assert re.search(r"join demo-app:\S+ -> cli-room", stdout)
    assert "publish cli-room hello" in stdout
    assert stdout.rstrip().endswith("stopped")
    assert API_KEY.split(":")[1] not in stdout + stderr


def _start(*arguments: str, **environment: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(**environment),
    )


def _one_line_error(process: subprocess.Popen[str]) -> str:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, (stdout, stderr)
    assert stdout == ""
    [line] = stderr.splitlines()
    assert line.startswith("relaybox: error: ")
    return line


def test_start_up_errors_are_one_line() -> None:
    """A port in use, a malformed key, a bad webhook URL; started together, as each
    process's start-up is most of the time this takes."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = _start("--port", str(port))
        malformed = _start("--port", "0", RELAYBOX_API_KEY="app.key:secret-part:extra")
        bad_url = _start("--port", "0", RELAYBOX_WEBHOOK_URL="ftp://example.com/hook")
        assert f"port {port} is already in use" in _one_line_error(in_use)
    line = _one_line_error(malformed)
    assert "':' characters" in line
    assert "secret-part" not in line
    line = _one_line_error(bad_url)
    assert "'ftp://example.com/hook' is not an http:// or https:// URL" in line
