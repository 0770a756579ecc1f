"""verify_webhook: what it accepts, every way it refuses, and the signing key kept out of sight."""

from __future__ import annotations

import datetime
import json
import pickle
import subprocess
import sys
import traceback
from typing import Any

import pytest

from relaybox_integrations import (
    ConfigurationError,
    WebhookEndpoint,
    WebhookSigningError,
    WebhookVerificationError,
    sign_webhook,
    verify_webhook,
)
from relaybox_integrations._canonical import MAX_NESTING
from tests.webhooks.conftest import SIGNING_KEY, iso, relaybox_payload
from tests.webhooks.node import node_sign

NOW = datetime.datetime(2025, 12, 2, 2, 40, 0, 123000, tzinfo=datetime.timezone.utc)


def signed(payload: Any, key: str = SIGNING_KEY) -> tuple[bytes, str]:
    """Relaybox's body and signature for ``payload``, made by Node."""
    delivery = node_sign(payload, key)
    return delivery["body"].encode(), delivery["signature"]


def refusal(body: Any, signature: Any, **options: Any) -> WebhookVerificationError:
    options.setdefault("now", NOW.timestamp())
    with pytest.raises(WebhookVerificationError) as refused:
        verify_webhook(body, signature, SIGNING_KEY, **options)
    return refused.value


def test_a_genuine_delivery_gives_a_typed_event() -> None:
    payload = relaybox_payload(timestamp=NOW)
    event = verify_webhook(*signed(payload), SIGNING_KEY, now=NOW.timestamp())
    assert event.id == payload["id"]
    assert event.event == "room:publish"
    assert event.data == payload["data"]
    assert event.session == payload["session"]
    assert event.timestamp == NOW
    assert event.timestamp.tzinfo == datetime.timezone.utc


def test_body_and_signature_types() -> None:
    body, signature = signed(relaybox_payload(timestamp=NOW))
    for given_body in (body, body.decode(), bytearray(body), memoryview(body)):
        for given_signature in (signature, signature.encode()):
            assert verify_webhook(given_body, given_signature, SIGNING_KEY, now=NOW.timestamp())


@pytest.mark.parametrize("signature", [None, "", b""])
def test_a_missing_signature(signature: Any) -> None:
    body, _ = signed(relaybox_payload(timestamp=NOW))
    assert refusal(body, signature).reason == "missing_signature"


@pytest.mark.parametrize(
    "transform",
    [
        str.upper,  # Relaybox writes lowercase hex, and the official library compares as written
        lambda s: s[:-1],
        lambda s: s + "0",
        lambda s: f"sha256={s}",
        lambda s: f" {s}",
        lambda s: f"{s}\n",
        lambda s: s[:-1] + "g",
        lambda s: s[:-1] + "\u0660",  # an Arabic-Indic digit: \\d would take it
        lambda s: "é" * 64,
    ],
)
def test_a_malformed_signature(transform: Any) -> None:
    body, signature = signed(relaybox_payload(timestamp=NOW))
    assert refusal(body, transform(signature)).reason == "malformed_signature"


def test_a_signature_that_is_not_a_string() -> None:
    body, _ = signed(relaybox_payload(timestamp=NOW))
    assert refusal(body, 12345).reason == "malformed_signature"


def test_a_wrong_signature() -> None:
    payload = relaybox_payload(timestamp=NOW)
    body, _ = signed(payload)
    assert refusal(body, "0" * 64).reason == "signature_mismatch"
    _, foreign = signed(payload, "another-signing-key")
    assert refusal(body, foreign).reason == "signature_mismatch"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        ('{"a": "\ud800"}', "not valid Unicode"),
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b'{"id": NaN}', "not JSON"),
        (b'{"id": Infinity}', "not JSON"),
        (b'\xef\xbb\xbf{"id": "x"}', "not JSON"),
        (b"[1, 2]", "not an object"),
        (b'"text"', "not an object"),
        (b"null", "not an object"),
        (
            b'{"a":' * (MAX_NESTING + 1) + b"1" + b"}" * (MAX_NESTING + 1),
            f"nest more than {MAX_NESTING} deep",
        ),
        (b"[" * 50_000 + b"]" * 50_000, "nest too deeply"),
        ({"id": "parsed already"}, "got dict"),
        (None, "got NoneType"),
    ],
)
def test_bodies_that_are_not_a_relaybox_payload(body: Any, problem: str) -> None:
    refused = refusal(body, "0" * 64)
    assert refused.reason == "invalid_body"
    assert problem in refused.message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": ""}, "id"),
        ({"id": 42}, "id"),
        ({"id": None}, "id"),
        ({"event": ["room:join"]}, "event"),
        ({"event": ""}, "event"),
        ({"session": "abc"}, "session"),
        ({"timestamp": 1764643200123}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2025-12-02T02:40:00.123"}, "timestamp"),  # no time zone
    ],
)
def test_signed_payloads_with_unusable_fields(change: dict[str, Any], problem: str) -> None:
    """Checked after the signature: a forgery is told it is a forgery, nothing more."""
    payload = {**relaybox_payload(timestamp=NOW), **change}
    refused = refusal(*signed(payload))
    assert refused.reason == "invalid_body"
    assert problem in refused.message
    assert refusal(json.dumps(payload), "0" * 64).reason == "signature_mismatch"


def test_missing_data_and_session_are_none_and_empty() -> None:
    payload = {"id": "x", "event": "room:join", "timestamp": iso(NOW)}
    event = verify_webhook(*signed(payload), SIGNING_KEY, now=NOW.timestamp())
    assert (event.data, event.session) == (None, {})


@pytest.mark.parametrize("offset", [-300, -299.5, 0, 299.5, 300])
def test_timestamps_within_the_tolerance(offset: float) -> None:
    body, signature = signed(relaybox_payload(timestamp=NOW))
    assert verify_webhook(body, signature, SIGNING_KEY, now=NOW.timestamp() + offset)


@pytest.mark.parametrize(("offset", "words"), [(300.5, "s old"), (-300.5, "ahead of")])
def test_timestamps_beyond_the_tolerance(offset: float, words: str) -> None:
    body, signature = signed(relaybox_payload(timestamp=NOW))
    refused = refusal(body, signature, now=NOW.timestamp() + offset)
    assert refused.reason == "stale_timestamp"
    assert words in refused.message


def test_the_tolerance_is_configurable_and_can_be_turned_off() -> None:
    body, signature = signed(relaybox_payload(timestamp=NOW))
    hour_later = NOW.timestamp() + 3600
    assert refusal(body, signature, now=hour_later, tolerance=3599).reason == "stale_timestamp"
    for tolerance in (3601, datetime.timedelta(hours=2), None):
        assert verify_webhook(body, signature, SIGNING_KEY, now=hour_later, tolerance=tolerance)


def test_the_real_clock_is_the_default() -> None:
    fresh = sign_webhook("room:join", {"roomId": "lobby"}, SIGNING_KEY)
    assert verify_webhook(fresh.body, fresh.headers["X-RelayBox-Webhook-Signature"], SIGNING_KEY)
    old = sign_webhook(
        "room:join", None, SIGNING_KEY, timestamp=NOW - datetime.timedelta(minutes=10)
    )
    signature = old.headers["X-RelayBox-Webhook-Signature"]
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(old.body, signature, SIGNING_KEY)


@pytest.mark.parametrize("tolerance", [0, -1, float("nan"), float("inf"), "300", True])
def test_bad_tolerances(tolerance: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        verify_webhook(b"{}", "0" * 64, SIGNING_KEY, tolerance=tolerance)
    assert raised.value.setting == "tolerance"
    with pytest.raises(ConfigurationError):
        WebhookEndpoint(SIGNING_KEY, tolerance=tolerance)


@pytest.mark.parametrize("now", [True, "1764643200", NOW])
def test_now_must_be_seconds_since_the_epoch(now: Any) -> None:
    body, signature = signed(relaybox_payload(timestamp=NOW))
    with pytest.raises(ConfigurationError) as raised:
        verify_webhook(body, signature, SIGNING_KEY, now=now)
    assert raised.value.setting == "now"
    assert f"got {now!r}" in str(raised.value)
    # As seconds, whole or not, it is the verifier's clock.
    assert verify_webhook(body, signature, SIGNING_KEY, now=int(NOW.timestamp()))
    assert verify_webhook(body, signature, SIGNING_KEY, now=NOW.timestamp())
    assert refusal(body, signature, now=int(NOW.timestamp()) + 3600).reason == "stale_timestamp"


def test_sign_webhook_builds_relaybox_deliveries() -> None:
    delivery = sign_webhook(
        "presence:join",
        {"clientId": "42"},
        SIGNING_KEY,
        event_id="evt-1",
        session={"clientId": "42"},
        timestamp=NOW,
        webhook_id="whk-9",
    )
    assert list(json.loads(delivery.body)) == ["id", "event", "data", "session", "timestamp"]
    assert delivery.payload["timestamp"] == "2025-12-02T02:40:00.123Z"
    assert delivery.headers == {
        "Content-Type": "application/json",
        "X-RelayBox-Webhook-Signature": node_sign(delivery.payload, SIGNING_KEY)["signature"],
        "X-RelayBox-Webhook-Id": "whk-9",
    }


@pytest.mark.parametrize(
    "arguments",
    [
        {"event": ""},
        {"data": {1, 2}},
        {"data": float("nan")},
        {"event_id": 7},
        {"timestamp": datetime.datetime(2025, 1, 1)},  # naive
        {"session": "me"},
        {"webhook_id": None},
    ],
)
def test_sign_webhook_refuses_what_relaybox_could_not_send(arguments: dict[str, Any]) -> None:
    call = {"event": "room:join", "data": None, **arguments}
    with pytest.raises(WebhookSigningError):
        sign_webhook(call.pop("event"), call.pop("data"), SIGNING_KEY, **call)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "must be a str"),
        (SIGNING_KEY.encode(), "must be a str"),
        ("", "empty"),
        (f'"{SIGNING_KEY}"', "quotes"),
        (f"{SIGNING_KEY}\n", "whitespace"),
        (f"{SIGNING_KEY}\ud800", "not valid Unicode"),
    ],
)
def test_bad_signing_keys_are_named_never_shown(key: Any, problem: str) -> None:
    builds = [
        lambda: verify_webhook(b"{}", "0" * 64, key),
        lambda: sign_webhook("room:join", None, key),
        lambda: WebhookEndpoint(key),
    ]
    for build in builds:
        with pytest.raises(ConfigurationError) as raised:
            build()
        assert raised.value.setting == "signing_key"
        assert problem in raised.value.message
        assert_key_hidden(raised.value)


def assert_key_hidden(exc: BaseException) -> None:
    """Neither the message, the traceback's text nor any frame's locals show the key."""
    texts = [str(exc), repr(exc), *traceback.format_exception(exc)]
    frame_traceback = exc.__traceback__
    while frame_traceback is not None:
        frame = frame_traceback.tb_frame
        if frame.f_code.co_filename.endswith(
            ("webhooks.py", "webhook_signatures.py", "_canonical.py")
        ):
            texts.extend(repr(value) for value in frame.f_locals.values())
        frame_traceback = frame_traceback.tb_next
    for text in texts:
        assert SIGNING_KEY not in text, text


def test_verification_errors_never_show_the_key_or_the_expected_signature() -> None:
    payload = relaybox_payload(timestamp=NOW)
    body, signature = signed(payload)
    attempts = [(body, "0" * 64), (body, None), (b"{", signature), (body, signature.upper())]
    for attempt_body, attempt_signature in attempts:
        with pytest.raises(WebhookVerificationError) as refused:
            verify_webhook(attempt_body, attempt_signature, SIGNING_KEY, now=NOW.timestamp())
        assert_key_hidden(refused.value)
        assert signature not in str(refused.value)
    # Not even when the key is sent as the signature or the body.
    for attempt_body, attempt_signature in [(body, SIGNING_KEY), (SIGNING_KEY, signature)]:
        with pytest.raises(WebhookVerificationError) as refused:
            verify_webhook(attempt_body, attempt_signature, SIGNING_KEY, now=NOW.timestamp())
        assert SIGNING_KEY not in str(refused.value)


def test_the_endpoint_hides_its_key() -> None:
    endpoint = WebhookEndpoint(SIGNING_KEY)
    assert SIGNING_KEY not in repr(endpoint)
    assert all(SIGNING_KEY not in repr(value) for value in vars(endpoint).values())
    with pytest.raises(TypeError):
        pickle.dumps(endpoint)


def test_without_the_webhooks_extra_the_package_imports_and_says_what_to_install() -> None:
    script = """
import sys
sys.modules["orjson"] = None  # as if the [webhooks] extra were not installed
import relaybox_integrations
relaybox_integrations.RelayBox("a.b:" + "s" * 40)
try:
    relaybox_integrations.verify_webhook(b"{}", "0" * 64, "key")
except ImportError as exc:
    print(exc)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "pip install '../relaybox-integrations[webhooks]'" in result.stdout
