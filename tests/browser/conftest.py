"""Fixtures: one Chromium per run, one server per example, a fresh profile per test."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.harness import (
    CHROMIUM_ARGS,
    EXAMPLES,
    SCREENSHOTS,
    BrowserSession,
    CrossOriginPages,
    chromium_path,
    front_end_handler,
)
from tests.support.events_standin import EventsStandin
from tests.support.servers import free_port, run_example


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def cross_origin_pages() -> Iterator[CrossOriginPages]:
    handler = front_end_handler()
    servers = [
        http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler) for _ in range(2)
    ]
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    allowed, refused = (f"http://localhost:{server.server_address[1]}" for server in servers)
    try:
        yield CrossOriginPages(allowed=allowed, refused=refused)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session", params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def events_standin() -> Iterator[EventsStandin]:
    """Relaybox's ``/events``, where the examples publish their chat (RELAYBOX_CORE_URL)."""
    with EventsStandin() as standin:
        yield standin


@pytest.fixture(scope="session")
def example_url(
    example: str, cross_origin_pages: CrossOriginPages, events_standin: EventsStandin
) -> Iterator[str]:
    """The example under its real server, with one cross-origin front end allowed by CORS,
    publishing to the events stand-in."""
    env = {
        "CORS_ALLOWED_ORIGINS": cross_origin_pages.allowed,
        "RELAYBOX_CORE_URL": events_standin.url,
    }
    with run_example(example, env=env) as url:
        yield url


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """A folder per example for this run's screenshots, emptied of the last run's."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture
def session(
    browser: Browser, screenshots: Path, request: pytest.FixtureRequest
) -> Iterator[BrowserSession]:
    """A fresh browser context; its pages are screenshotted (for a person to look) at the end."""
    context = browser.new_context()
    browser_session = BrowserSession(context)
    callspec = getattr(request.node, "callspec", None)
    params = dict(callspec.params) if callspec is not None else {}
    folder = screenshots / str(params.pop("example", "no-example"))
    stem = "-".join([request.node.originalname, *map(str, params.values())])
    try:
        yield browser_session
    finally:
        folder.mkdir(exist_ok=True)
        for number, page in enumerate(browser_session.pages):
            if page.is_closed():
                continue
            suffix = f"-{number}" if number else ""
            with contextlib.suppress(PlaywrightError):
                page.screenshot(path=folder / f"{stem}{suffix}.png", full_page=True)
        context.close()
    assert not browser_session.leaks(), f"pages reached past loopback: {browser_session.leaks()}"
