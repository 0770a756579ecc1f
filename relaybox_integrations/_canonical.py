"""A webhook body as Relaybox's service reads it, and the text it signs for it.

Relaybox's webhook service signs ``JSON.stringify(canonicalize(payload))``, ``canonicalize``
being the npm package json-canonicalize: the payload in RFC 8785 canonical form (JSON
Canonicalization Scheme: keys sorted by UTF-16 code units, numbers written as JavaScript
writes them, no whitespace), then that text JSON-encoded once more. The body it sends is
``JSON.stringify(payload)``, so the payload is what ``JSON.parse`` reads from the body.

The canonical form comes from the ``rfc8785`` package (Trail of Bits; pure Python, typed,
the implementation sigstore relies on; ``jcs``, the other candidate, was last released in
2022). It takes about four times as long as the rest of a verification, so most payloads take
a faster path instead: ``orjson`` with sorted keys writes exactly the same bytes whenever the
payload holds no floats, no integer beyond 2**53 - 1, no unpaired surrogate, and only keys
below U+D800 (where code-point order and UTF-16 order agree). The test suite checks both paths
against each other and against Node.

Where json-canonicalize is more lenient than RFC 8785, the payload is handed to ``rfc8785``
as JavaScript reads it: integers beyond 2**53 - 1 become the doubles ``JSON.parse`` makes of
them, and an unpaired surrogate in a string is written ``\\udxxx``, as ``JSON.stringify``
writes it. ``orjson`` parses; the standard library takes over for the escaped unpaired
surrogates it refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

import orjson
import rfc8785

__all__ = ["MAX_NESTING", "InvalidPayload", "canonical_json", "parse_json", "signed_text"]

#: Arrays and objects nested deeper than this are refused: no Relaybox event comes close, and
#: the reference serialiser recurses once per level.
MAX_NESTING: Final = 100
_SAFE_INTEGER = 2**53 - 1
_FAST_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_FIRST_SURROGATE = "\ud800"
_SURROGATE = re.compile("[\ud800-\udfff]")
# Stands in for an unpaired surrogate (followed by its four hex digits) while rfc8785, which
# refuses surrogates, writes the rest; a payload that already holds it is refused.
_MARK = "\uffff"
_MARKED = re.compile(re.escape(_MARK.encode()) + rb"([0-9a-f]{4})")


class InvalidPayload(ValueError):
    """The body is not JSON, or has no canonical form that Relaybox could have signed."""


def parse_json(body: bytes) -> Any:
    """``JSON.parse`` of the UTF-8 ``body``, as Python values."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses escaped unpaired surrogates ("\ud83d"), which JSON.parse reads and
    # JSON.stringify writes; the standard library reads them too.
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidPayload(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidPayload("the body's arrays and objects nest too deeply") from None
    except ValueError as exc:
        raise InvalidPayload(f"the body is not JSON ({exc})") from None


def compact_json(value: Any) -> bytes:
    """``value`` as compact JSON, for the endpoint's answers: orjson takes a tenth of the
    time ``json.dumps`` does, on a path measured against a plain endpoint."""
    return orjson.dumps(value)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def signed_text(payload: dict[str, Any]) -> bytes:
    """The UTF-8 bytes Relaybox's HMAC covers: the canonical form as a JSON string literal."""
    canonical = canonical_json(payload)
    # The canonical text holds no raw control character and no unpaired surrogate (both are
    # escaped in it), so JSON.stringify escapes only these two.
    return b'"' + canonical.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def canonical_json(value: Any) -> bytes:
    """``canonicalize(value)`` as json-canonicalize writes it, UTF-8 encoded."""
    if _fast_path_applies(value, 1):
        try:
            return orjson.dumps(value, option=_FAST_OPTIONS)
        except orjson.JSONEncodeError:  # an integer beyond 2**53 - 1, or an unpaired surrogate
            pass
    marked = holds_mark = False

    def as_javascript_reads_it(item: Any, depth: int) -> Any:
        nonlocal marked, holds_mark
        kind = type(item)
        if kind is str:
            holds_mark = holds_mark or _MARK in item
            if _SURROGATE.search(item) is None:
                return item
            marked = True
            return _SURROGATE.sub(lambda match: f"{_MARK}{ord(match[0]):04x}", item)
        if kind is int and not -_SAFE_INTEGER <= item <= _SAFE_INTEGER:
            try:
                return float(item)
            except OverflowError:
                raise InvalidPayload("a number is too large for JavaScript") from None
        if kind is not dict and kind is not list:
            return item
        if depth > MAX_NESTING:
            raise InvalidPayload(f"arrays and objects nest more than {MAX_NESTING} deep")
        if kind is list:
            return [as_javascript_reads_it(element, depth + 1) for element in item]
        for key in item:
            if _SURROGATE.search(key):
                raise InvalidPayload("an object key holds an unpaired surrogate")
            holds_mark = holds_mark or _MARK in key
        return {key: as_javascript_reads_it(element, depth + 1) for key, element in item.items()}

    prepared = as_javascript_reads_it(value, 1)
    if marked and holds_mark:
        raise InvalidPayload("a payload with unpaired surrogates also holds U+FFFF")
    try:
        canonical = rfc8785.dumps(prepared)
    except rfc8785.CanonicalizationError as exc:  # NaN or infinity from a lenient parser
        raise InvalidPayload(str(exc)) from None
    if marked:
        canonical = _MARKED.sub(rb"\\u\1", canonical)
    return canonical


def _fast_path_applies(container: Any, depth: int) -> bool:
    """Whether ``orjson`` with sorted keys writes ``container`` exactly as RFC 8785 does.

    Integers beyond 2**53 - 1 and unpaired surrogates are left to ``orjson`` to refuse. Raises
    :class:`InvalidPayload` when the nesting is too deep.
    """
    if type(container) is dict:
        keys = "".join(container)
        if not (keys.isascii() or max(keys) < _FIRST_SURROGATE):
            return False
        values: Iterable[Any] = container.values()
    elif type(container) is list:
        values = container
    else:
        return type(container) is not float
    if depth > MAX_NESTING:
        raise InvalidPayload(f"arrays and objects nest more than {MAX_NESTING} deep")
    for value in values:
        kind = type(value)
        if kind is str:
            continue
        if kind is dict or kind is list:
            if not _fast_path_applies(value, depth + 1):
                return False
        elif kind is float:
            return False
    return True
