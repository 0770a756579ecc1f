"""What goes over the wire: the body, the headers and the HMAC, checked by Node's crypto."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaybox_integrations import PublishError, RelayBox
from relaybox_integrations.publishing import MAX_SAFE_INTEGER, PublishResult
from tests.publish.conftest import KEYS, NO_PUBLISH_KEY, SteppingClock
from tests.support.events_standin import EventsStandin
from tests.support.publish_check import node_check_publishes
from tests.support.servers import TEST_API_KEY, TEST_SECRET

NOW = 1_795_000_000.495


def test_body_and_headers_follow_the_official_library() -> None:
    with (
        EventsStandin(KEYS, clock=lambda: NOW + 1) as standin,
        RelayBox(TEST_API_KEY, core_url=standin.url, clock=lambda: NOW) as relaybox,
    ):
        result = relaybox.publish("chat:1", "message", {"text": "héllo", "n": [1, 2.5]})
    (request,) = standin.requests
    assert request.method == "POST"
    assert request.path == "/events"
    assert (
        request.body
        == (
            '{"event":"message","roomId":"chat:1","data":{"text":"héllo","n":[1,2.5]},'
            '"timestamp":1795000000495,"options":{}}'
        ).encode()
    )
    assert request.headers["x-ds-public-key"] == "testapp.testkey"
    expected = hmac.new(TEST_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-ds-req-signature"] == expected
    assert request.headers["content-type"] == "application/json"
    assert TEST_SECRET not in json.dumps(request.headers)
    (published,) = standin.published
    assert result == PublishResult(request_id=published.request_id, timestamp=1795000000495)


def test_options_carry_the_client_id_and_transient(standin: EventsStandin) -> None:
    with RelayBox(TEST_API_KEY, core_url=standin.url) as relaybox:
        relaybox.publish("chat:1", "e", 1, client_id=42)
        relaybox.publish("chat:1", "e", 1, client_id="user-7", transient=True)
        relaybox.publish("chat:1", "e", 1, transient=False)
    options = [json.loads(request.body)["options"] for request in standin.requests]
    assert options == [{"clientId": "42"}, {"clientId": "user-7", "transient": True}, {}]
    assert [(p.client_id, p.transient) for p in standin.published] == [
        ("42", None),
        ("user-7", True),
        (None, None),
    ]


AWKWARD = [
    {"text": "emoji \U0001f600, CJK 漢字, RTL שלום, combining e\u0301"},
    {"separators": "\u2028\u2029", "controls": "\x00\x01\x1f\x7f", "quotes": "\"'\\/"},
    {"floats": [0.1, 1e21, 1e-7, -0.0, 3.0, 12345678.9, 5e-324, 1.7976931348623157e308]},
    {"ints": [0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]},
    {"z": 1, "a": 2, "": 3, "é": 4, "\U0001f600": 5},
    {"nested": [[[{"deep": [[]]}]], {}], "empty": {}, "list": []},
    None,
    "a string",
    [True, False, None],
]


def test_node_verifies_every_signature_and_reads_the_same_data(standin: EventsStandin) -> None:
    with RelayBox(TEST_API_KEY, core_url=standin.url, clock=SteppingClock()) as relaybox:
        for index, data in enumerate(AWKWARD):
            relaybox.publish(f"room:{index}", "awkward", data, client_id="ü")
    assert len(standin.published) == len(AWKWARD)
    messages = node_check_publishes([(p.body, p.signature) for p in standin.published], TEST_SECRET)
    assert [message["data"] for message in messages] == AWKWARD
    assert [message["options"] for message in messages] == [{"clientId": "ü"}] * len(AWKWARD)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.text()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def as_javascript(value: Any) -> Any:
    """Every number as the double JavaScript holds: Node writes 3e16 back as an integer."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [as_javascript(item) for item in value]
    return {key: as_javascript(item) for key, item in value.items()}


def test_generated_messages_are_accepted_by_node(standin: EventsStandin) -> None:
    """Hypothesis generates the messages; the stand-in and then Node check all of them."""
    sent: list[tuple[str, str, Any]] = []
    relaybox = RelayBox(TEST_API_KEY, core_url=standin.url)

    @settings(max_examples=150, deadline=None)
    @given(room=st.text(min_size=1), event=st.text(min_size=1), data=json_values)
    def publish(room: str, event: str, data: Any) -> None:
        relaybox.publish(room, event, data)
        sent.append((room, event, data))

    publish()
    relaybox.close()
    assert len(standin.published) == len(sent)
    messages = node_check_publishes([(p.body, p.signature) for p in standin.published], TEST_SECRET)
    received = [(m["roomId"], m["event"], as_javascript(m["data"])) for m in messages]
    assert received == [(room, event, as_javascript(data)) for room, event, data in sent]


def test_each_key_signs_with_its_own_secret(standin: EventsStandin) -> None:
    for api_key in list(KEYS)[:2]:
        with RelayBox(api_key, core_url=standin.url) as relaybox:
            relaybox.publish("chat:1", "e", api_key.split(":")[0])
    with (
        RelayBox(NO_PUBLISH_KEY, core_url=standin.url) as relaybox,
        pytest.raises(PublishError, match="HTTP 500"),
    ):
        relaybox.publish("chat:1", "e", "refused")
    assert [r.refusal for r in standin.requests] == [None, None, "permission"]
    public_keys = [p.public_key for p in standin.published]
    assert public_keys == ["testapp.testkey", "testapp.chatonly"]
    for api_key, published in zip(list(KEYS)[:2], standin.published, strict=True):
        node_check_publishes([(published.body, published.signature)], api_key.split(":")[1])
