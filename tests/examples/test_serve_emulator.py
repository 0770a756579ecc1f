"""serve.py and the Relaybox emulator it starts beside the example when no real key is set.

Without ``RELAYBOX_API_KEY`` (the development key) the emulator starts on
``--emulator-port``; the example publishes its chat to it, the page is told to connect to
it, and it stops with the example, under gunicorn (run beside serve.py) as under uvicorn
(in serve.py's own process). With a real key, or ``--no-emulator``, nothing of it runs.
The browser side of the loop is ``tests/browser/test_emulator_loop.py``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.examples.conftest import run_serve
from tests.support.servers import SERVE, free_port, login, run_example

#: Where serve.py starts the emulator: the host the official client's offline mode uses.
EMULATOR_HOST = "localhost"
NO_KEY: dict[str, str | None] = {"RELAYBOX_API_KEY": None}


def meta(page: str, name: str) -> str:
    """The content of the page's ``<meta name=...>``."""
    match = re.search(rf'<meta name="{name}" content="([^"]*)">', page)
    assert match, f"the page has no {name} meta"
    return match.group(1)


def emulator_meta(page: str) -> str:
    """The page's ``relaybox-emulator-port``: the port its client connects to, or ''."""
    return meta(page, "relaybox-emulator-port")


def listening(port: int) -> bool:
    try:
        socket.create_connection((EMULATOR_HOST, port), timeout=2).close()
    except OSError:
        return False
    return True


def environment_without_api_key() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "RELAYBOX_API_KEY"}


def without_api_key(*args: str) -> subprocess.CompletedProcess[str]:
    """serve.py with ``args`` and no RELAYBOX_API_KEY, expected to stop by itself."""
    env = environment_without_api_key()
    return subprocess.run(
        [sys.executable, str(SERVE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_describes_the_emulator_options() -> None:
    result = run_serve("--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "--emulator-port EMULATOR_PORT" in text
    assert "(default: 9000)" in text.split("--emulator-port EMULATOR_PORT", 1)[1]
    assert "RELAYBOX_API_KEY is unset" in text.split("--no-emulator", 2)[2]


@pytest.fixture
def taken_emulator_port() -> Iterator[int]:
    """A port something else listens on, at the address serve.py checks for the emulator."""
    family, kind, proto, _, address = socket.getaddrinfo(
        EMULATOR_HOST, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as listener:
        listener.bind(address)
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_taken_emulator_port_stops_serve_py_before_it_starts(taken_emulator_port: int) -> None:
    result = without_api_key(
        "flask", "--port", str(free_port()), "--emulator-port", str(taken_emulator_port)
    )
    assert result.returncode == 1, result.stderr
    assert f"Port {taken_emulator_port} on {EMULATOR_HOST} is already in use" in result.stderr
    assert "Choose another port with --emulator-port" in result.stderr
    assert "Serving the" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_emulator_needs_a_port_of_its_own() -> None:
    port = str(free_port())
    result = without_api_key("starlette", "--port", port, "--emulator-port", port)
    assert result.returncode == 2
    assert "--emulator-port must differ from --port" in result.stderr


@pytest.mark.parametrize("example", ["flask", "fastapi"])
def test_without_a_key_the_chat_goes_through_the_emulator_which_stops_with_the_example(
    example: str,
) -> None:
    """flask runs under gunicorn beside serve.py, fastapi under uvicorn inside it."""
    port = free_port()
    with run_example(example, env=NO_KEY, emulator_port=port) as url:
        assert listening(port)
        with httpx.Client(base_url=url, timeout=30) as client:
            login(client)
            page = client.get("/").text
            assert emulator_meta(page) == str(port)
            csrf = meta(page, "csrf-token")  # the Flask example checks it on every POST
            answer = client.post(
                "/messages",
                json={"text": "to the emulator"},
                headers={"X-CSRFToken": csrf} if csrf else {},
            )
        assert answer.status_code == 200, answer.text
        assert answer.json()["requestId"]
    assert not listening(port), "the emulator outlived the example"


def test_with_a_real_key_nothing_starts() -> None:
    port = free_port()
    with run_example("starlette", emulator_port=port) as url, httpx.Client(base_url=url) as client:
        login(client)
        assert emulator_meta(client.get("/").text) == ""
        assert not listening(port)


def test_no_emulator_serves_the_development_key_without_it() -> None:
    with run_example("starlette", env=NO_KEY) as url, httpx.Client(base_url=url) as client:
        # run_example passes --no-emulator unless given an emulator port.
        login(client)
        assert emulator_meta(client.get("/").text) == ""


@pytest.mark.parametrize("example", ["flask", "starlette"])
def test_a_sigterm_to_serve_py_alone_stops_the_emulator_too(example: str) -> None:
    """A process manager stops serve.py by its pid, not its process group: the emulator must
    not outlive it (gunicorn is serve.py's child then; uvicorn runs inside it)."""
    port, emulator_port = free_port(), free_port()
    command = [
        sys.executable, str(SERVE), example, "--port", str(port),
        "--emulator-port", str(emulator_port), "--no-access-log",
    ]  # fmt: skip
    serve = subprocess.Popen(command, env=environment_without_api_key(), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not listening(emulator_port) or not listening(port):
            assert serve.poll() is None, f"serve.py exited with {serve.returncode}"
            assert time.monotonic() < deadline, "serve.py did not start in 60 s"
            time.sleep(0.1)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        assert not listening(emulator_port), "the emulator outlived serve.py"
        assert not listening(port)
    finally:
        if serve.poll() is None or listening(emulator_port):
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
