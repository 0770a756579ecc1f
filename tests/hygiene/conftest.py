"""Shared helpers for the secret-hygiene tests."""

from __future__ import annotations

from collections.abc import Iterable

from tests.support.servers import TEST_API_KEY, TEST_SECRET

#: Malformed API keys as people get them wrong, each with the real secret inside.
MALFORMED_KEYS = {
    "secret alone": TEST_SECRET,
    "halves swapped": f"{TEST_SECRET}:testapp.testkey",
    "two colons": f"testapp.testkey:{TEST_SECRET}:extra",
    "trailing newline": f"{TEST_API_KEY}\n",
    "space after colon": f"testapp.testkey: {TEST_SECRET}",
    "no public key": f":{TEST_SECRET}",
    "appPid only": f"testapp:{TEST_SECRET}",
    "secret read as an SSH key": f"testapp.testkey:ssh-rsa{TEST_SECRET}",
    "secret read as a PEM key": f"testapp.testkey:-----BEGIN{TEST_SECRET}",
    "undecodable byte": f"{TEST_API_KEY}\udcff",
    "swapped, one-dot secret": f"{TEST_SECRET}.x:testapp.testkey",
}


def assert_no_secret(*texts: str | bytes | Iterable[str]) -> None:
    """None of ``texts`` contains the test API secret (nor the whole key)."""
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        elif not isinstance(text, str):
            text = "\n".join(text)
        assert TEST_SECRET not in text, f"the API secret leaked:\n{text[:3000]}"


def assert_token_issue_logged_safely(log: str, token: str) -> None:
    """The adapter's DEBUG line for a token issue was captured, without the secret or token."""
    assert "Relaybox token issued" in log
    assert_no_secret(log)
    assert token not in log
