"""The canonical form: both paths write exactly what rfc8785 writes on its domain, and what
JavaScript (and so json-canonicalize) writes beyond it. Node checks all of it again in
``test_node.py``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import assume, given, settings

from relaybox_integrations import _canonical
from relaybox_integrations._canonical import (
    MAX_NESTING,
    InvalidPayload,
    canonical_json,
    parse_json,
    signed_text,
)
from tests.webhooks.conftest import relaybox_payload
from tests.webhooks.strategies import rfc8785_domain


def fast_path_text(value: Any) -> bytes | None:
    """What the fast path writes for ``value``, or None where it hands over to the walk."""
    try:
        text = orjson.dumps(value, option=_canonical._SORTED_SAFE_INTEGERS)
    except orjson.JSONEncodeError:
        return None
    if _canonical._needs_walking(text):
        return None
    return _canonical._integral_floats_as_integers(text)


def walked_text(value: Any) -> bytes:
    """What the slow path writes for ``value``, whether or not it would be taken."""
    prepared = _canonical._Walk(value).prepared(value, 0, False)
    return orjson.dumps(prepared, option=_canonical._SORTED)


def has_to_json_member(value: Any) -> bool:
    """Whether ``value`` holds an object with a non-null ``toJSON``: there json-canonicalize
    leaves RFC 8785 for JSON.stringify (tested below, and against Node)."""
    if isinstance(value, list):
        return any(map(has_to_json_member, value))
    if isinstance(value, dict):
        return value.get("toJSON") is not None or any(map(has_to_json_member, value.values()))
    return False


@settings(max_examples=400, deadline=None)
@given(rfc8785_domain)
def test_canonical_json_is_rfc8785_on_its_whole_domain(value: Any) -> None:
    assume(not has_to_json_member(value))
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=400, deadline=None)
@given(rfc8785_domain)
def test_each_path_writes_rfc8785s_bytes(value: Any) -> None:
    assume(not has_to_json_member(value))
    expected = rfc8785.dumps(value)
    assert walked_text(value) == expected
    fast = fast_path_text(value)
    assert fast is None or fast == expected


def test_a_typical_relaybox_payload_takes_the_fast_path_with_floats_or_without() -> None:
    for data in [
        None,
        {"location": [51.5072, -0.1276], "price": 9.99, "ratio": 1e-7},
        # Strings that hold a notation's letters, not a number: a UUID, prose.
        {"id": "0c9f7f2e-6a55-4a8b-9d4e-2f3a1b0c9d8e", "text": "version 1.0 or 1e+16 units"},
    ]:
        payload = relaybox_payload(data=data)
        assert fast_path_text(payload) == rfc8785.dumps(payload)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ([3.0, -0.0, 1e15, -2.0], b"[3,0,1000000000000000,-2]"),
        ({"a": 1.0, "b": {"c": [0.0]}}, b'{"a":1,"b":{"c":[0]}}'),
        (3.0, b"3"),
        (-0.0, b"0"),
        # Strings keep their text, quotes and backslashes included.
        (
            {"s": 'x.0, "1.0," \\', "t\\": -0.0, 'q"': ["-0,", 5.0]},
            b'{"q\\"":["-0,",5],"s":"x.0, \\"1.0,\\" \\\\","t\\\\":0}',
        ),
    ],
)
def test_integral_floats_are_integers_on_the_fast_path(value: Any, written: bytes) -> None:
    assert fast_path_text(value) == written
    assert canonical_json(value) == written


@pytest.mark.parametrize(
    "value",
    [
        [1e16],
        [1.5e-6],
        [2**53],  # beyond orjson's strict integers
        {"\ue000": 1, "😀": 2},  # UTF-16 puts the emoji first, code points the other way
        {"toJSON": 1},
        ["\ud800"],
    ],
)
def test_what_orjson_writes_otherwise_takes_the_walk(value: Any) -> None:
    assert fast_path_text(value) is None


def test_utf16_key_order() -> None:
    assert canonical_json({"\ue000": 1, "😀": 2, "a": 3}) == '{"a":3,"😀":2,"\ue000":1}'.encode()


def test_numbers_as_javascript_writes_them() -> None:
    numbers = [0.1, 1e21, 1e-7, -0.0, 3.0, 12345678.9, 1e16, 2**53 - 1, 2**53, 2**60, -(2**64)]
    assert canonical_json(numbers) == (
        b"[0.1,1e+21,1e-7,0,3,12345678.9,10000000000000000,9007199254740991,"
        b"9007199254740992,1152921504606847000,-18446744073709552000]"
    )
    assert canonical_json([1.5e-6, 1e-6, 9.99e-7, 1.2345678901234568e20, 5e-324]) == (
        b"[0.0000015,0.000001,9.99e-7,123456789012345680000,5e-324]"
    )


def test_unpaired_surrogates_are_escaped_as_json_stringify_does() -> None:
    value = {"text": "cut \ud83d", "low": "\ude00x", "pair": "\U0001f600", "n": 1.5, "\ud800": 1}
    assert canonical_json(value) == (
        '{"low":"\\ude00x","n":1.5,"pair":"\U0001f600","text":"cut \\ud83d","\\ud800":1}'.encode()
    )
    # U+FFFF beside them is plain text.
    assert canonical_json(["\ud800", "\uffff"]) == '["\\ud800","\uffff"]'.encode()


def test_numbers_beyond_a_double_are_null_as_json_stringify_writes_infinity() -> None:
    assert canonical_json({"a": 10**400, "b": float("inf"), "c": -(10**400)}) == (
        b'{"a":null,"b":null,"c":null}'
    )


def test_an_object_with_a_to_json_member_is_written_by_json_stringify() -> None:
    """json-canonicalize hands it to JSON.stringify: property order (integer-like keys
    ascending, then the others as added), everything inside it unsorted too."""
    value = {
        "toJSON": 1,
        "b": {"z": 1.0, "a": [2**60]},
        "10": "\ud800",
        "2": 1e16,
        "a": 1,
        "01": 0,
        "4294967295": 0,
        "4294967294": 0,
    }
    assert canonical_json({"outer": value, "first": True}) == (
        b'{"first":true,"outer":{"2":10000000000000000,"10":"\\ud800","4294967294":0,'
        b'"toJSON":1,"b":{"z":1,"a":[1152921504606847000]},"a":1,"01":0,"4294967295":0}}'
    )
    # A null toJSON is no toJSON (json-canonicalize tests ``!= null``).
    assert canonical_json({"toJSON": None, "b": 1, "a": 2}) == b'{"a":2,"b":1,"toJSON":null}'


def nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("leaf", ["text", 1e16], ids=["fast path", "walk"])
def test_nesting_is_bounded_alike_on_both_paths(leaf: Any) -> None:
    assert canonical_json(nested(MAX_NESTING, leaf))
    with pytest.raises(InvalidPayload, match=f"nest more than {MAX_NESTING} deep"):
        canonical_json(nested(MAX_NESTING + 1, leaf))


def test_the_signed_text_is_the_canonical_form_as_a_json_string() -> None:
    assert signed_text({"z": 98, "a": 123}) == b'"{\\"a\\":123,\\"z\\":98}"'
    assert signed_text({"q": 'say "hi"\\'}) == b'"{\\"q\\":\\"say \\\\\\"hi\\\\\\"\\\\\\\\\\"}"'


def test_parse_json_reads_what_json_parse_reads() -> None:
    assert parse_json(b'{"a":"\\ud83d"}') == {"a": "\ud83d"}
    assert parse_json(b'{"a":1e400}') == {"a": float("inf")}
    for body, problem in [
        (b"\xff{}", "not UTF-8"),
        (b'{"a":NaN}', "not JSON"),
        (b"{", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nest too deeply"),
    ]:
        with pytest.raises(InvalidPayload, match=problem):
            parse_json(body)
