"""The canonical form: the orjson fast path writes exactly what rfc8785 writes, wherever it is
taken, and the reference path handles what JavaScript reads beyond RFC 8785."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings

from relaybox_integrations import _canonical
from relaybox_integrations._canonical import (
    MAX_NESTING,
    InvalidPayload,
    canonical_json,
    parse_json,
    signed_text,
)
from tests.webhooks.conftest import relaybox_payload
from tests.webhooks.strategies import fast_path_domain, rfc8785_domain


def takes_fast_path(value: Any) -> bool:
    return _canonical._fast_path_applies(value, 1)


@settings(max_examples=400, deadline=None)
@given(rfc8785_domain)
def test_canonical_json_is_rfc8785_on_its_whole_domain(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=400, deadline=None)
@given(fast_path_domain)
def test_the_fast_path_applies_and_writes_rfc8785s_bytes(value: Any) -> None:
    assert takes_fast_path(value)
    assert orjson.dumps(value, option=_canonical._FAST_OPTIONS) == rfc8785.dumps(value)


def test_a_typical_relaybox_payload_takes_the_fast_path() -> None:
    payload = relaybox_payload()
    assert takes_fast_path(payload)
    assert canonical_json(payload) == rfc8785.dumps(payload)


@pytest.mark.parametrize(
    "value",
    [
        {"price": 9.99},
        [1, [2, [3.0]]],
        {"\ue000": 1, "😀": 2},  # UTF-16 puts the emoji first, code points the other way
    ],
)
def test_floats_and_keys_past_u_d7ff_take_the_reference_path(value: Any) -> None:
    assert not takes_fast_path(value)
    assert canonical_json(value) == rfc8785.dumps(value)


def test_utf16_key_order() -> None:
    assert canonical_json({"\ue000": 1, "😀": 2, "a": 3}) == '{"a":3,"😀":2,"\ue000":1}'.encode()


def test_numbers_as_javascript_writes_them() -> None:
    numbers = [0.1, 1e21, 1e-7, -0.0, 3.0, 12345678.9, 1e16, 2**53 - 1, 2**53, 2**60, -(2**64)]
    assert canonical_json(numbers) == (
        b"[0.1,1e+21,1e-7,0,3,12345678.9,10000000000000000,9007199254740991,"
        b"9007199254740992,1152921504606847000,-18446744073709552000]"
    )


def test_unpaired_surrogates_are_escaped_as_json_stringify_does() -> None:
    value = {"text": "cut \ud83d", "low": "\ude00x", "pair": "\U0001f600", "n": 1.5}
    assert canonical_json(value) == (
        '{"low":"\\ude00x","n":1.5,"pair":"\U0001f600","text":"cut \\ud83d"}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"\ud800": 1}, "object key holds an unpaired surrogate"),
        ({"a": "\ud800", "b": "\uffff"}, r"also holds U\+FFFF"),
        ({"a": 10**400}, "too large for JavaScript"),
        ({"a": float("inf")}, "not representable"),
    ],
)
def test_payloads_relaybox_cannot_have_signed_are_refused(value: Any, problem: str) -> None:
    with pytest.raises(InvalidPayload, match=problem):
        canonical_json(value)


def nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("leaf", ["text", 1.5], ids=["fast path", "reference path"])
def test_nesting_is_bounded_on_both_paths(leaf: Any) -> None:
    assert canonical_json(nested(MAX_NESTING, leaf))
    with pytest.raises(InvalidPayload, match=f"nest more than {MAX_NESTING} deep"):
        canonical_json(nested(MAX_NESTING + 1, leaf))


def test_the_signed_text_is_the_canonical_form_as_a_json_string() -> None:
    assert signed_text({"z": 98, "a": 123}) == b'"{\\"a\\":123,\\"z\\":98}"'
    assert signed_text({"q": 'say "hi"\\'}) == b'"{\\"q\\":\\"say \\\\\\"hi\\\\\\"\\\\\\\\\\"}"'


def test_parse_json_reads_what_json_parse_reads() -> None:
    assert parse_json(b'{"a":"\\ud83d"}') == {"a": "\ud83d"}
    for body, problem in [
        (b"\xff{}", "not UTF-8"),
        (b'{"a":NaN}', "not JSON"),
        (b"{", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nest too deeply"),
    ]:
        with pytest.raises(InvalidPayload, match=problem):
            parse_json(body)
