"""A real Redis for the deduplication tests: Debian's ``redis-server``, never a system service.

Started on a free loopback port with a temporary directory and no persistence. CI installs
it (``.ci/run``); where it is missing the tests fail and say so, rather than skip.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import free_port


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Run ``redis-server`` until the block ends; yields its ``redis://`` URL."""
    import redis

    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(
            "redis-server is not installed: deduplication is tested against a real server "
            "(sudo apt-get install redis-server; .ci/run installs it)"
        )
    port = free_port()
    command = [
        server,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                log = (directory / "redis.log").read_text(errors="replace")
                pytest.fail(f"redis-server exited with {process.returncode}:\n{log}")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not answer within 20 s")
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
