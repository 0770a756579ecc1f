"""HTTPS, the default core URL's scheme: certificates verified, both paths."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.publish.conftest import KEYS
from tests.support.events_standin import EventsStandin
from tests.support.servers import ROOT, TEST_API_KEY, TEST_SECRET


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for 127.0.0.1 (its own CA), made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return folder


@pytest.fixture
def tls_standin(certificate: Path) -> Iterator[EventsStandin]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    with EventsStandin(KEYS, tls=context) as standin:
        yield standin


SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from relaybox_integrations import PublishError, RelayBox

    relaybox = RelayBox(sys.argv[1], core_url=sys.argv[2], retries=0)


    async def apublish():
        async with relaybox:
            return await relaybox.apublish("chat:1", "async", 2)


    for publish in (lambda: relaybox.publish("chat:1", "sync", 1), lambda: asyncio.run(apublish())):
        try:
            print(publish().request_id)
        except PublishError as error:
            print(error)
""")


def publish_in_a_process(url: str, ca_file: Path | None) -> list[str]:
    """Each client reads the trusted CAs once (aiohttp at import), so a fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, TEST_API_KEY, url],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert TEST_SECRET not in result.stdout + result.stderr
    return result.stdout.splitlines()


def test_publish_and_apublish_over_https(tls_standin: EventsStandin, certificate: Path) -> None:
    lines = publish_in_a_process(tls_standin.url, certificate / "cert.pem")
    assert lines == [p.request_id for p in tls_standin.published]
    assert [p.event for p in tls_standin.published] == ["sync", "async"]


def test_an_untrusted_certificate_is_refused_before_sending(tls_standin: EventsStandin) -> None:
    lines = publish_in_a_process(tls_standin.url, None)
    assert len(lines) == 2
    for line in lines:
        assert "certificate verify failed" in line
        assert "the request never went out" in line
    assert tls_standin.requests == []
