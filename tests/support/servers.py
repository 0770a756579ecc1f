"""Start the example applications under their real servers, and log in through their forms.

``run_example("flask")`` runs ``example_projects/serve.py flask`` on a free loopback port,
waits until it answers, and stops the whole process group afterwards. It runs with a test
API key, a test webhook signing key and test session keys, as a deployment would;
``env={"RELAYBOX_API_KEY": None}`` leaves a variable unset, so the example falls back to its
development key. serve.py's Relaybox emulator stays off unless a test gives it a port
(``emulator_port=``; it starts only with ``RELAYBOX_API_KEY`` unset), so that runs in parallel
never contend for its default port.
"""

from __future__ import annotations

import contextlib
import errno
import html.parser
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "example_projects" / "serve.py"
#: A well-formed key for tests; the secret is long enough not to warn.
TEST_API_KEY = "testapp.testkey:test-secret-for-the-test-suite-only-0123456789"
TEST_SECRET = TEST_API_KEY.split(":")[1]
#: The examples' webhook signing key in tests (``RELAYBOX_WEBHOOK_SIGNING_KEY``).
TEST_WEBHOOK_SIGNING_KEY = "test-webhook-signing-key-for-the-test-suite-only-0123456789"
#: The variables holding each example's session signing key (see serve.py), set for tests.
TEST_SESSION_KEYS = {
    "DJANGO_SECRET_KEY": "test-django-secret-key-for-the-test-suite-only-0123456789",
    "FLASK_SECRET_KEY": "test-flask-secret-key-for-the-test-suite-only-0123456789",
    "SESSION_SECRET_KEY": "test-session-secret-key-for-the-test-suite-only-0123456789",
}
DEMO_USER = ("demo", "demo-password")


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on both loopback addresses, whichever one ``host`` is.

    A browser resolves ``localhost`` to ::1 first: a port free on 127.0.0.1 alone could be
    another test process's server on ::1 (tox runs two environments at once), which would
    then answer the page's requests, without this test's CORS settings (``ERR_FAILED``).
    Every test server's port comes from here, so none takes a number another holds on either
    address.
    """
    del host  # both addresses are checked, so the one asked for is among them
    while True:
        with socket.socket() as ipv4:
            ipv4.bind(("127.0.0.1", 0))
            port = int(ipv4.getsockname()[1])
            try:
                with socket.socket(socket.AF_INET6) as ipv6:
                    ipv6.bind(("::1", port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:  # taken on ::1: draw again
                    continue
                # No IPv6 loopback on this machine: nothing there can collide.
            return port


@contextlib.contextmanager
def serving(
    name: str,
    command: list[str],
    probe_url: str,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    stderr: int | IO[bytes] | None = None,
) -> Iterator[None]:
    """Run ``command`` until ``probe_url`` answers; stop its whole process group afterwards."""
    process = subprocess.Popen(command, env=env, stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}")
            try:
                httpx.get(probe_url, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer in {timeout} s") from None
                time.sleep(0.1)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def run_example(
    example: str,
    *,
    host: str = "127.0.0.1",
    env: Mapping[str, str | None] | None = None,
    workers: int = 1,
    access_log: bool = True,
    emulator_port: int | None = None,
    timeout: float = 60.0,
    stderr: int | IO[bytes] | None = None,
) -> Iterator[str]:
    """Yield the base URL of ``example`` served by serve.py; its output goes to the test log,
    its standard error to ``stderr`` when given."""
    port = free_port(host)
    command = [
        sys.executable, str(SERVE), example,
        "--host", host, "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    if not access_log:
        command.append("--no-access-log")
    if emulator_port is None:
        command.append("--no-emulator")
    else:
        command += ["--emulator-port", str(emulator_port)]
    base_url = f"http://{host}:{port}"
    settings = {
        "RELAYBOX_API_KEY": TEST_API_KEY,
        "RELAYBOX_WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY,
        **TEST_SESSION_KEYS,
        **(env or {}),
    }
    environment = {**os.environ, **settings}
    for name, value in settings.items():
        if value is None:
            del environment[name]
    with serving(
        f"the {example} example",
        command,
        base_url + "/login",
        env=environment,
        timeout=timeout,
        stderr=stderr,
    ):
        yield base_url


class _HiddenInputs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def submit_login_form(
    client: httpx.Client, username: str = DEMO_USER[0], password: str = DEMO_USER[1]
) -> httpx.Response:
    """Fill in and send the example's real login form, hidden fields (CSRF tokens) included;
    return the answer, whatever it is (a wrong password is refused with 200 or 400)."""
    form_page = client.get("/login")
    form_page.raise_for_status()
    parser = _HiddenInputs()
    parser.feed(form_page.text)
    return client.post(
        "/login",
        data={**parser.fields, "username": username, "password": password},
        headers={"Referer": str(form_page.url)},
    )


def login(
    client: httpx.Client, username: str = DEMO_USER[0], password: str = DEMO_USER[1]
) -> httpx.Response:
    """Log in through the example's real form (see :func:`submit_login_form`)."""
    response = submit_login_form(client, username, password)
    assert response.status_code in (200, 302, 303), response.text
    return response
