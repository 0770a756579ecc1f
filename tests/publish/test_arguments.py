"""Every bad argument or setting is refused by name, before a byte is sent."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relaybox_integrations import ConfigurationError, PublishRequestError, RelayBox
from relaybox_integrations.publishing import MAX_BODY_BYTES, MAX_DEPTH, MAX_SAFE_INTEGER
from tests.support.events_standin import EventsStandin
from tests.support.servers import TEST_API_KEY


def nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


GOOD = {"room_id": "chat:1", "event": "message", "data": {"text": "hi"}}
BAD_ARGUMENTS: list[tuple[str, Any, str]] = [
    ("room_id", None, "room_id must be a str; got NoneType"),
    ("room_id", "", "room_id must not be empty"),
    ("room_id", ["a", "b"], "room_id must be a str; got list"),
    ("room_id", b"chat", "room_id must be a str; got bytes"),
    ("room_id", "chat\udc80", "room_id contains a lone surrogate"),
    ("event", None, "event must be a str"),
    ("event", "", "event must not be empty"),
    ("event", 7, "event must be a str; got int"),
    ("data", math.nan, "data is nan; JSON"),
    ("data", {"a": [1, math.inf]}, "data['a'][1] is inf"),
    ("data", {"a": -math.inf}, "data['a'] is -inf"),
    ("data", {1: "x"}, "data has the key 1 (int); JSON object keys must be strings"),
    ("data", {"a": {None: 1}}, "data['a'] has the key None (NoneType)"),
    ("data", {("a",): 1}, "has the key ('a',) (tuple)"),
    ("data", {"s": {1, 2}}, "data['s'] is a set, which JSON cannot represent"),
    ("data", b"bytes", "data is a bytes"),
    ("data", {"at": datetime.datetime(2026, 1, 1)}, "data['at'] is a datetime"),
    ("data", decimal.Decimal("1.5"), "data is a Decimal"),
    ("data", object(), "data is a object"),
    ("data", [2**53], f"data[0] is {2**53}, outside JavaScript's safe integer range"),
    ("data", -(2**63), "outside JavaScript's safe integer range"),
    ("data", 10**5000, "data is an integer of 16610 bits, outside JavaScript's safe"),
    ("data", {10**5000: 1}, "data has the key an integer of 16610 bits (int)"),
    ("data", {"k" * 200: [math.nan]}, "data['kkkkkkkkkk"),
    ("data", {"t": "\ud800"}, "data contains a lone surrogate"),
    ("data", nested(MAX_DEPTH + 1), f"is nested more than {MAX_DEPTH} levels deep"),
    ("data", "x" * MAX_BODY_BYTES, f"over the {MAX_BODY_BYTES} that Relaybox accepts"),
    ("client_id", "", "client_id must not be empty"),
    ("client_id", True, "client_id must be a str or an int"),
    ("client_id", 1.5, "client_id must be a str or an int"),
    ("client_id", ["u"], "client_id must be a str or an int"),
    ("client_id", "user\udcff", "client_id contains a lone surrogate"),
    ("transient", "yes", "transient must be True or False; got 'yes'"),
    ("transient", 1, "transient must be True or False; got 1"),
    ("transient", None, "transient must be True or False; got None"),
]


def call(relaybox: RelayBox, **arguments: Any) -> Any:
    merged = {**GOOD, **arguments}
    return relaybox.publish(
        merged.pop("room_id"), merged.pop("event"), merged.pop("data"), **merged
    )


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    BAD_ARGUMENTS,
    ids=[f"{argument}-{index}" for index, (argument, _, _) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_are_refused_with_nothing_sent(
    relaybox: RelayBox, standin: EventsStandin, argument: str, value: Any, message: str
) -> None:
    with pytest.raises(PublishRequestError) as raised:
        call(relaybox, **{argument: value})
    assert raised.value.argument == argument
    assert message in str(raised.value)

    async def async_call() -> None:
        merged = {**GOOD, argument: value}
        await relaybox.apublish(
            merged.pop("room_id"), merged.pop("event"), merged.pop("data"), **merged
        )

    with pytest.raises(PublishRequestError) as raised_async:
        asyncio.run(async_call())
    assert str(raised_async.value) == str(raised.value)
    assert standin.connections == 0
    assert standin.requests == []


@pytest.mark.parametrize(
    "data",
    [None, 0, "", False, [], {}, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 1e308, -0.0,
     nested(MAX_DEPTH), ("a", 1), "\u2028 \U0001f600 \x00 \"'\\"],
)  # fmt: skip
def test_edge_values_are_published(relaybox: RelayBox, standin: EventsStandin, data: Any) -> None:
    """Unlike the official library, falsy data is fine: Relaybox publishes any JSON value."""
    relaybox.publish("chat:1", "message", data)
    (published,) = standin.published
    expected = list(data) if isinstance(data, tuple) else data
    assert published.data == expected


def test_the_size_cap_is_exact(relaybox: RelayBox, standin: EventsStandin) -> None:
    publisher = relaybox._publisher()
    overhead = (
        len(publisher.message("r", "e", "", None, False).head)
        + 13
        + len(publisher.message("r", "e", "", None, False).tail)
    )
    largest = "x" * (MAX_BODY_BYTES - overhead)
    relaybox.publish("r", "e", largest)
    assert len(standin.requests[0].body) == MAX_BODY_BYTES
    with pytest.raises(PublishRequestError, match="would be 65537 bytes"):
        relaybox.publish("r", "e", largest + "x")
    assert len(standin.requests) == 1


def representable(value: Any) -> bool:
    """The test's own statement of what JavaScript's JSON carries unchanged."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= MAX_SAFE_INTEGER
    if isinstance(value, list):
        return all(representable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and representable(v) for k, v in value.items())
    return True


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.text(max_size=5) | st.integers() | st.floats(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_generated_data_is_sent_unchanged_or_refused_as_data(value: Any) -> None:
    publisher = RelayBox(TEST_API_KEY, core_url="http://127.0.0.1:9")._publisher()
    refusal = None
    try:
        message = publisher.message("r", "e", value, None, False)
    except PublishRequestError as exc:
        refusal = exc
    if representable(value):
        assert refusal is None
        body, _ = publisher.signed(message)
        assert json.loads(body)["data"] == value
    else:
        assert refusal is not None
        assert refusal.argument == "data"


BAD_SETTINGS: list[tuple[str, Any, str]] = [
    ("core_url", None, "core_url must be a str"),
    ("core_url", "gnet.prod.relaybox-services.net", "must be an http:// or https:// URL"),
    ("core_url", "ftp://example.com", "must be an http:// or https:// URL"),
    ("core_url", "http://", "must be an http:// or https:// URL with a host"),
    ("core_url", "http://127.0.0.1:99999", "core_url is not a URL"),
    ("core_url", TEST_API_KEY, "must be an http:// or https:// URL"),
    ("core_url", "http://127.0.0.1/?x=1", "must not carry a query"),
    ("core_url", "https://user:pass@example.com", "credentials"),
    ("timeout", 0, "finite and above 0 seconds; got 0"),
    ("timeout", -1.0, "finite and above 0 seconds; got -1.0"),
    ("timeout", math.nan, "finite and above 0 seconds; got nan"),
    ("timeout", math.inf, "finite and above 0 seconds; got inf"),
    ("timeout", True, "must be a number of seconds; got bool"),
    ("timeout", "10", "must be a number of seconds; got str"),
    ("timeout", TEST_API_KEY, "must be a number of seconds; got str"),
    ("retries", -1, "from 0 to 10"),
    ("retries", 11, "from 0 to 10"),
    ("retries", 1.0, "from 0 to 10"),
    ("retries", True, "from 0 to 10; got True"),
    ("retries", TEST_API_KEY, "from 0 to 10; got str"),
]


@pytest.mark.parametrize(("setting", "value", "message"), BAD_SETTINGS)
def test_bad_settings_are_configuration_errors(setting: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        RelayBox(TEST_API_KEY, **{setting: value})
    assert raised.value.setting == setting
    assert message in str(raised.value)
    assert TEST_API_KEY.split(":")[1] not in str(raised.value)  # a key in the wrong variable


def test_from_env_reads_the_core_url(
    monkeypatch: pytest.MonkeyPatch, standin: EventsStandin
) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("RELAYBOX_CORE_URL", standin.url + "/")
    with RelayBox.from_env() as relaybox:
        relaybox.publish("chat:1", "message", "via env")
    assert [p.data for p in standin.published] == ["via env"]
    explicit = RelayBox.from_env(core_url="http://127.0.0.1:9")
    assert explicit._core_url == "http://127.0.0.1:9"
    monkeypatch.setenv("RELAYBOX_CORE_URL", "not a url")
    with pytest.raises(ConfigurationError) as raised:
        RelayBox.from_env()
    assert raised.value.setting == "core_url"


def test_minting_never_loads_the_publishing_code() -> None:
    """(PyJWT already brings http.client and ssl; the publishing machinery stays out.)"""
    import subprocess
    import sys

    code = (
        "import sys; from relaybox_integrations import RelayBox\n"
        f"RelayBox({TEST_API_KEY!r}).generate_token_response(client_id='1')\n"
        "loaded = [m for m in ('relaybox_integrations.publishing', 'aiohttp') "
        "if m in sys.modules]\n"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_apublish_without_aiohttp_says_what_to_install() -> None:
    import subprocess
    import sys

    code = (
        "import asyncio, sys\n"
        "sys.modules['aiohttp'] = None  # as if it were not installed\n"
        "from relaybox_integrations import MissingExtraError, RelayBox\n"
        f"relaybox = RelayBox({TEST_API_KEY!r}, core_url='http://127.0.0.1:9')\n"
        "try:\n"
        "    asyncio.run(relaybox.apublish('chat:1', 'e', 1))\n"
        "except MissingExtraError as error:\n"
        "    print(error.extra, error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.startswith("publish apublish (publishing without blocking")
    assert "pip install '../relaybox-integrations[publish]'" in result.stdout
