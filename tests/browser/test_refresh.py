"""The page's client fetches a new token before the old one expires.

The client schedules its refresh ``expiresIn - 20`` seconds after each token, so the example
is started with the shortest valid expiry plus two seconds: the refresh comes two seconds in.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.harness import BrowserSession, settle
from tests.support.servers import TEST_SECRET, run_example
from tests.support.verifier import node_verify

EXPIRES_IN = 22
REFRESH_AFTER_MS = (EXPIRES_IN - 20) * 1000


@pytest.fixture(scope="module")
def short_expiry_url(example: str) -> Iterator[str]:
    with run_example(example, env={"RELAYBOX_TOKEN_EXPIRES_IN": str(EXPIRES_IN)}) as url:
        yield url


def test_token_is_refreshed_before_it_expires(
    session: BrowserSession, example: str, short_expiry_url: str
) -> None:
    page = session.login(short_expiry_url)
    shown = settle(page)
    user_id = session.user_id(short_expiry_url)
    first = shown["requests"][0]
    assert first["status"] == 200, f"{example}: {shown!r}"
    assert first["body"]["expiresIn"] == EXPIRES_IN, (
        f"{example} ignores RELAYBOX_TOKEN_EXPIRES_IN={EXPIRES_IN}: {first['body']!r}"
    )

    page.wait_for_function(
        "() => { const log = window.__relayboxStandIn.requests;"
        " return log.length > 1 && log[1].finishedAt !== null; }",
        timeout=REFRESH_AFTER_MS + 10_000,
    )
    second = page.evaluate("() => window.__relayboxStandIn.requests[1]")
    assert second["refresh"] is True
    assert second["status"] == 200, f"{example}: the refresh got {second!r}"
    assert (second["method"], second["url"], second["headers"]) == (
        first["method"],
        first["url"],
        first["headers"],
    )
    # The client waits expiresIn - 20 s after the first answer; setTimeout may run late only.
    waited = second["startedAt"] - first["finishedAt"]
    assert REFRESH_AFTER_MS - 5 <= waited < REFRESH_AFTER_MS + 2000, waited

    old = node_verify(first["body"]["token"], TEST_SECRET)
    new = node_verify(second["body"]["token"], TEST_SECRET)
    assert second["body"]["token"] != first["body"]["token"]
    assert new["clientId"] == old["clientId"] == user_id
    assert new["iat"] >= old["iat"] + REFRESH_AFTER_MS // 1000
    assert new["exp"] - new["iat"] == EXPIRES_IN
    assert second["finishedAt"] < old["exp"] * 1000, "the new token came after the old expired"
    assert page.get_attribute("#state", "data-state") == "connected"
