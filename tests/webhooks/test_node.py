"""Deliveries signed by Node exactly as Relaybox's webhook service signs them, verified here;
and deliveries from ``sign_webhook`` verified by the official library's logic in Node."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaybox_integrations import WebhookVerificationError, sign_webhook, verify_webhook
from relaybox_integrations._canonical import canonical_json, parse_json
from tests.webhooks.conftest import SIGNING_KEY, relaybox_payload
from tests.webhooks.node import node_accepts, node_sign, node_sign_many
from tests.webhooks.strategies import javascript_data

NOW = datetime.datetime(2025, 12, 2, 2, 40, 0, 123000, tzinfo=datetime.timezone.utc)

AWKWARD_DATA: dict[str, Any] = {
    "non-ASCII": {"text": "Grüße, 東京, Ελλάδα", "name": "Zoë"},
    "emoji": {"text": "👋🏽 family: 👨‍👩‍👧", "reaction": "🎉"},
    "line separators": {"text": "a\u2028b\u2029c"},
    "control characters": {"text": "".join(map(chr, range(32))) + "\x7f"},
    "quotes and backslashes": {"text": 'say "hi" \\ C:\\path\\ \\"', "q": "'"},
    "floats": {"values": [0.1, 1e21, 1e-7, -0.0, 3.0, 12345678.9]},
    "float edges": {"values": [1e16, 1e-6, 1.5e-7, 5e-324, 1.7976931348623157e308, -1e21]},
    "integers": {"values": [0, -1, 2**31, 2**53 - 1, -(2**53 - 1), 1764643200123]},
    "integers beyond 2**53": {"values": [2**53, 2**53 + 1, 2**60, -(2**64), 10**20]},
    "key order": {"b": 1, "a": 2, "A": 3, "_": 4, "10": 5, "9": 6, "é": 7, "\ue000": 8, "😀": 9},
    "nesting": {"a": [{"b": [{"c": [{"d": [[[[{"e": []}]]]]}]}]}]},
    "empty containers": {"object": {}, "list": [], "string": "", "null": None},
    "booleans": {"yes": True, "no": False},
    "unpaired surrogates": {"cut": "typed a long message 😀\ud83d", "low": "\udc00"},
    "unpaired surrogates and floats": {"cut": "\ud83d", "x": 0.5},
    "unpaired surrogates and U+FFFF": {"cut": "\ud83d", "max": "\uffff"},
    "unpaired surrogates in keys": {"\ud800": 1, "a\udc00": "\ud83d", "b": 2},
    "integral floats in text": {"text": '1.0, -0.0] 3.0} "5.0,"', "n": [1.0, -0.0]},
    "toJSON member": {"toJSON": 1, "b": 2, "a": {"z": 1, "y": [1.0, 1e16]}, "10": 3, "2": 4},
    "toJSON member inside": {"outer": {"toJSON": "x", "b": 2, "01": 3, "1": 4}, "a": []},
    "toJSON member null": {"toJSON": None, "b": 2, "a": 1},
    "toJSON with awkward keys": {"toJSON": [], "\ue000": 1, "😀": 2, "\ud800": 3},
    "a string body": "just text",
    "a list body": [1, "two", {"three": 3}],
    "__proto__ key": {"__proto__": {"polluted": True}, "constructor": 1},
}


@pytest.mark.parametrize("name", list(AWKWARD_DATA))
def test_node_signed_awkward_payloads_verify(name: str) -> None:
    payload = relaybox_payload(data=AWKWARD_DATA[name], timestamp=NOW)
    signed = node_sign(payload, SIGNING_KEY)
    body = signed["body"].encode()
    assert canonical_json(parse_json(body)) == signed["canonical"].encode()
    event = verify_webhook(body, signed["signature"], SIGNING_KEY, now=NOW.timestamp())
    assert event.id == payload["id"]
    assert event.event == "room:publish"
    assert event.timestamp == NOW
    assert event.session["clientId"] == "user-1234"
    assert as_javascript(event.data) == as_javascript(json.loads(signed["body"])["data"])


def as_javascript(value: Any) -> Any:
    """``value`` with every number a double, as JavaScript holds it."""
    return json.loads(json.dumps(value), parse_int=float)


def test_the_reference_documents_example() -> None:
    """``{"z":98,"a":123}`` signs the text ``"{\\"a\\":123,\\"z\\":98}"``."""
    signed = node_sign({"z": 98, "a": 123}, SIGNING_KEY)
    assert signed["canonical"] == '{"a":123,"z":98}'
    assert canonical_json({"z": 98, "a": 123}) == signed["canonical"].encode()


@settings(max_examples=25, deadline=None)
@given(st.lists(javascript_data, min_size=20, max_size=20))
def test_hypothesis_payloads_signed_by_node_verify(batch: list[Any]) -> None:
    """Each example sends 20 payloads to Node in one request; every one verifies here."""
    payloads = [
        relaybox_payload(f"id-{index}", data=data, timestamp=NOW)
        for index, data in enumerate(batch)
    ]
    signatures = node_sign_many(payloads, SIGNING_KEY)
    for payload, signed in zip(payloads, signatures, strict=True):
        body = signed["body"].encode()
        assert canonical_json(parse_json(body)) == signed["canonical"].encode()
        event = verify_webhook(body, signed["signature"], SIGNING_KEY, now=NOW.timestamp())
        assert event.id == payload["id"]


#: Doubles whose JavaScript spelling is at an edge of Number::toString's notations.
EDGE_FLOATS = [
    *(sign * value for sign in (1, -1) for value in (1e21, 1e-7, 1e-6, 1e16, 1e20, 1e-5)),
    0.0,
    -0.0,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    0.1 + 0.2,
    9007199254740991.0,
    9007199254740992.0,
    9007199254740993.0,
    123456789012345680000.0,
    999999999999999900000.0,
    1e21 - 65536,
    9.999999999999999e-7,
    1.0000000000000002,
    *(2.0**power for power in range(-1074, 1024, 7)),
    *(10.0**power for power in range(-323, 309)),
]


def test_numbers_at_the_notation_edges_are_written_as_node_writes_them() -> None:
    (signed,) = node_sign_many([EDGE_FLOATS], SIGNING_KEY)
    assert canonical_json(EDGE_FLOATS) == signed["canonical"].encode()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=100, max_size=100))
def test_any_double_is_written_as_node_writes_it(numbers: list[float]) -> None:
    """Each example sends 100 doubles to Node (JSON carries a double's repr exactly)."""
    (signed,) = node_sign_many([numbers], SIGNING_KEY)
    assert canonical_json(numbers) == signed["canonical"].encode()


def test_a_number_beyond_a_double_verifies_as_javascript_reads_it() -> None:
    """JSON.parse reads 1e400 as Infinity, which json-canonicalize writes null: so Relaybox's
    signature of the payload with null holds for a body with 1e400, here as in Node."""
    payload = relaybox_payload(data={"big": None}, timestamp=NOW)
    signed = node_sign(payload, SIGNING_KEY)
    body = signed["body"].replace('"big":null', '"big":1e400').encode()
    assert node_accepts([(body, signed["signature"])], SIGNING_KEY) == [True]
    event = verify_webhook(body, signed["signature"], SIGNING_KEY, now=NOW.timestamp())
    assert event.data == {"big": float("inf")}


@pytest.mark.parametrize("name", list(AWKWARD_DATA))
def test_sign_webhook_deliveries_pass_the_official_verifier(name: str) -> None:
    delivery = sign_webhook("room:publish", AWKWARD_DATA[name], SIGNING_KEY)
    signature = delivery.headers["X-RelayBox-Webhook-Signature"]
    assert node_accepts([(delivery.body, signature)], SIGNING_KEY) == [True]
    assert node_accepts([(delivery.body, signature)], SIGNING_KEY + "x") == [False]
    # And the signature is Relaybox's own for that payload.
    assert node_sign(json.loads(delivery.body), SIGNING_KEY)["signature"] == signature


def test_a_body_reserialised_in_another_key_order_still_verifies() -> None:
    """Relaybox signs the parsed payload, not the bytes: so does the official verifier."""
    signed = node_sign(relaybox_payload(timestamp=NOW), SIGNING_KEY)
    parsed = json.loads(signed["body"])
    reordered = json.dumps(dict(reversed(parsed.items())), indent=2).encode()
    assert node_accepts([(reordered, signed["signature"])], SIGNING_KEY) == [True]
    assert verify_webhook(reordered, signed["signature"], SIGNING_KEY, now=NOW.timestamp())


def test_forgeries_node_refuses_are_refused_here() -> None:
    """Each tampering of a Node-signed delivery: Node's verifier and ours both refuse it."""
    payload = relaybox_payload(timestamp=NOW)
    signed = node_sign(payload, SIGNING_KEY)
    signature = signed["signature"]
    other = node_sign(relaybox_payload("another-id", timestamp=NOW), SIGNING_KEY)
    tampered: dict[str, tuple[dict[str, Any], str]] = {
        "data changed": (
            {**payload, "data": {**payload["data"], "roomId": "chat:admin"}},
            signature,
        ),
        "id changed": ({**payload, "id": "another-id"}, signature),
        "event changed": ({**payload, "event": "room:join"}, signature),
        "session changed": (
            {**payload, "session": {**payload["session"], "clientId": "admin"}},
            signature,
        ),
        "timestamp refreshed": ({**payload, "timestamp": "2025-12-02T02:41:00.000Z"}, signature),
        "field added": ({**payload, "extra": True}, signature),
        "field removed": ({k: v for k, v in payload.items() if k != "data"}, signature),
        "1 written 1.0": (
            {**payload, "data": {**payload["data"], "timestamp": 1764643200123.5}},
            signature,
        ),
        "another delivery's signature": (payload, other["signature"]),
        "signed with another key": (payload, node_sign(payload, "another-key")["signature"]),
    }
    for name, (forged, forged_signature) in tampered.items():
        body = json.dumps(forged).encode()
        assert node_accepts([(body, forged_signature)], SIGNING_KEY) == [False], name
        with pytest.raises(WebhookVerificationError) as refused:
            verify_webhook(body, forged_signature, SIGNING_KEY, now=NOW.timestamp())
        assert refused.value.reason == "signature_mismatch", name
