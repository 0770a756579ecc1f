"""The demo page as a newcomer first sees it: development keys, and maybe no internet.

Run with no settings, an example signs tokens and session cookies, and checks webhooks, with
development keys published in its source; the page must say so, and why Relaybox will
refuse the tokens.
Without internet the client cannot be loaded from its CDN; the page must still show the
token's claims and say, in one sentence, that the client could not be loaded from its CDN,
rather than wait forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.harness import SETTLE_MS, BrowserSession, settle
from tests.support.servers import run_example

#: Every setting that would replace a development key, left unset.
DEVELOPMENT_KEYS: dict[str, str | None] = {
    "RELAYBOX_API_KEY": None,
    "RELAYBOX_WEBHOOK_SIGNING_KEY": None,
    "DJANGO_SECRET_KEY": None,
    "FLASK_SECRET_KEY": None,
    "SESSION_SECRET_KEY": None,
}
SESSION_KEY_SETTINGS = {
    "django": "DJANGO_SECRET_KEY",
    "django-asgi": "DJANGO_SECRET_KEY",
    "flask": "FLASK_SECRET_KEY",
    "starlette": "SESSION_SECRET_KEY",
    "fastapi": "SESSION_SECRET_KEY",
}


@pytest.fixture(scope="module")
def development_url(example: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("db") / "development.sqlite3"
    with run_example(example, env={**DEVELOPMENT_KEYS, "DJANGO_DB_PATH": str(database)}) as url:
        yield url


def page_state(page: Page) -> dict[str, Any]:
    """Wait until the page has its claims and a connection state; return what it shows."""
    page.wait_for_function(
        """() => document.getElementById('state').dataset.state !== 'connecting'
             && document.getElementById('claims').dataset.status !== undefined""",
        timeout=SETTLE_MS,
    )
    return dict(
        page.evaluate(
            """() => ({
              state: document.getElementById('state').dataset.state,
              stateText: document.getElementById('state').textContent,
              claimsStatus: document.getElementById('claims').dataset.status,
              claimsText: document.getElementById('claims').textContent,
            })"""
        )
    )


def test_without_internet_the_page_still_shows_the_claims(
    session: BrowserSession, example: str, development_url: str
) -> None:
    page = session.new_page(offline=True)
    page.goto(f"{development_url}/login")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "demo-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    shown = page_state(page)

    assert shown["claimsStatus"] == "200", f"{example}: {shown!r}; console: {session.console!r}"
    claims = json.loads(shown["claimsText"])
    assert claims["clientId"] == session.user_id(development_url)
    assert claims["publicKey"] == "demo-app.demo-key"
    assert shown["state"] == "failed"
    assert shown["stateText"] == (
        "This browser could not load the Relaybox client from esm.sh, so the page cannot connect."
    ), shown


def test_the_page_says_which_development_keys_are_in_use(
    session: BrowserSession, example: str, development_url: str
) -> None:
    page = session.login(development_url)
    settle(page)
    api_key = page.locator("#development-api-key")
    session_key = page.locator("#development-session-key")
    assert api_key.is_visible(), f"{example}: the development API key is not mentioned"
    assert "Relaybox's service refuses these tokens" in api_key.inner_text()
    assert "RELAYBOX_API_KEY" in api_key.inner_text()
    assert session_key.is_visible(), f"{example}: the development session key is not mentioned"
    assert SESSION_KEY_SETTINGS[example] in session_key.inner_text()
    webhook_key = page.locator("#development-webhook-key")
    assert webhook_key.is_visible(), f"{example}: the development webhook key is not mentioned"
    assert "RELAYBOX_WEBHOOK_SIGNING_KEY" in webhook_key.inner_text()
    assert "forge a delivery" in webhook_key.inner_text()


def test_with_real_keys_the_page_says_nothing_of_development_keys(
    session: BrowserSession, example: str, example_url: str
) -> None:
    page = session.login(example_url)
    settle(page)
    assert page.locator("#development-api-key").is_hidden()
    assert page.locator("#development-session-key").is_hidden()
    assert page.locator("#development-webhook-key").is_hidden()
