"""A webhook body as Relaybox's service reads it, and the text it signs for it.

Relaybox's webhook service signs ``JSON.stringify(canonicalize(payload))``, ``canonicalize``
being the npm package json-canonicalize: the payload in RFC 8785 canonical form (JSON
Canonicalization Scheme: keys sorted by UTF-16 code units, numbers written as JavaScript
writes them, no whitespace), then that text JSON-encoded once more. The body it sends is
``JSON.stringify(payload)``, so the payload is what ``JSON.parse`` reads from the body.

json-canonicalize departs from RFC 8785 where JavaScript does, and the text here follows it:
integers beyond 2**53 - 1 are the doubles ``JSON.parse`` makes of them, an unpaired surrogate
is written ``\\udxxx`` as ``JSON.stringify`` writes it (in keys too), a number too large for a
double is ``null``, and an object with a non-null ``toJSON`` member is written by plain
``JSON.stringify``: its keys, and those of everything inside it, in JavaScript's property
order (integer-like keys ascending, then the others as they came), not sorted.

The body is not yet authenticated when this runs, so its cost is bounded: ``orjson`` writes the
whole payload with sorted keys, in C, and that is the answer unless the text shows something
orjson writes differently from JavaScript (an integral float ``3.0``, the exponent forms
``1e+16`` to ``1e+20`` and ``1.5e-6``, which JavaScript writes ``3``, ``10000000000000000``
and ``0.0000015``), a ``toJSON`` key, or key characters whose UTF-16 order may differ from code
point order; or orjson refuses the payload (an integer beyond 2**53 - 1, an unpaired
surrogate). Only then is the payload walked in Python and the differing parts handed to
orjson already written. Python's ``repr`` of a float is the shortest text that reads back as
the same double, as JavaScript's is, so no float needs more than its notation changed. The test
suite checks both paths against Node's json-canonicalize.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from typing import Any, Final

import orjson

__all__ = ["MAX_NESTING", "InvalidPayload", "canonical_json", "parse_json", "signed_text"]

#: Arrays and objects nested deeper than this are refused: no Relaybox event comes close, and
#: it is as deep as orjson writes (the slow path recurses once per level, in Python).
MAX_NESTING: Final = 254
_SAFE_INTEGER = 2**53 - 1
_FIRST_SURROGATE = "\ud800"
_SURROGATE = re.compile("[\ud800-\udfff]")
_SORTED = orjson.OPT_SORT_KEYS
_SORTED_SAFE_INTEGERS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
#: A key JavaScript puts first in an object's own-property order (an array index), and so
#: in JSON.stringify's text; a match inside a string only costs time.
_INDEX_KEY: Final = re.compile(rb'"(?:0|[1-9][0-9]*)":')
_PLAIN: Final = frozenset({bool, type(None)})
#: orjson's notations JavaScript writes otherwise, each followed by what can end a number.
_EXPONENT_MARK: Final = re.compile(rb"e(?:\+(?:1[6-9]|20)|-6)(?:[,\]}]|\Z)")
_INTEGRAL_FLOAT: Final = re.compile(rb"\.0(?:[,\]}]|\Z)")
#: An integral float orjson writes ``3.0`` (``-0.0``), JavaScript ``3`` (``0``), followed by
#: the delimiters that can follow a number in compact JSON.
_INTEGRAL_FLOAT_ENDS: Final = ((b".0,", b","), (b".0]", b"]"), (b".0}", b"}"))
_NEGATIVE_ZERO: Final = ((b"-0,", b"0,"), (b"-0]", b"0]"), (b"-0}", b"0}"))


# The notations above are orjson's from 3.12 (before, it wrote 1e21 as "1e21"): refuse to
# load with another, as a missing extra, rather than refuse genuine deliveries with a 403.
if orjson.dumps([1e21, 1e16, 1.5e-6, 1e-7, 3.0]) != b"[1e+21,1e+16,1.5e-6,1e-7,3.0]":
    raise ImportError(
        f"Relaybox webhooks need orjson 3.12 or later; this is orjson {orjson.__version__}",
        name="orjson",
    )


class InvalidPayload(ValueError):
    """The body is not JSON, or has no canonical form that Relaybox could have signed."""


def parse_json(body: bytes) -> Any:
    """``JSON.parse`` of the UTF-8 ``body``, as Python values."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses escaped unpaired surrogates ("\ud83d"), which JSON.parse reads and
    # JSON.stringify writes, and numbers beyond a double's range, which JSON.parse reads as
    # Infinity; the standard library reads both.
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
    try:
        text = orjson.dumps(value, option=_SORTED_SAFE_INTEGERS)
    except orjson.JSONEncodeError:  # an integer beyond 2**53 - 1, a surrogate, deep nesting
        pass
    else:
        if not _needs_walking(text):
            return _integral_floats_as_integers(text)
    try:
        return orjson.dumps(_Walk(value).prepared(value, 0, False), option=_SORTED)
    except orjson.JSONEncodeError as exc:  # not JSON data: canonical_json's callers' bug
        raise InvalidPayload(str(exc)) from None


def _needs_walking(text: bytes) -> bool:
    """Whether orjson's sorted ``text`` may differ from json-canonicalize's other than in
    integral floats: it holds the exponent forms JavaScript writes out in full, a
    ``"toJSON":`` key (inside a string its quotes are escaped), or the UTF-8 lead bytes of
    both U+E000 to U+FFFF and characters beyond U+FFFF, keys holding which may sort otherwise
    in UTF-16 than in the code point order orjson sorts by. Substring searches in C; a match
    inside a string only costs time."""
    return (
        _has_exponent_marks(text)
        or b'"toJSON":' in text
        or (
            (b"\xee" in text or b"\xef" in text)
            and (
                b"\xf0" in text
                or b"\xf1" in text
                or b"\xf2" in text
                or b"\xf3" in text
                or b"\xf4" in text
            )
        )
    )


def _has_exponent_marks(text: bytes) -> bool:
    """Whether ``text`` may hold a number orjson writes in another notation than JavaScript:
    ``1e+16`` to ``1e+20``, ``1.5e-6``. The delimiter after it keeps strings that merely
    contain ``e-6`` (a UUID's ``...2e-6a55...``) off the slow path."""
    return (b"e+" in text or b"e-6" in text) and _EXPONENT_MARK.search(text) is not None


def _integral_floats_as_integers(text: bytes) -> bytes:
    """``text`` with orjson's ``3.0`` and ``-0.0`` written ``3`` and ``0``, outside strings.

    Strings are set aside by splitting at their quotes, once escaped backslashes and quotes
    are hidden behind bytes UTF-8 never holds; everything here runs in C, whatever the body.
    """
    if _INTEGRAL_FLOAT.search(text) is None:
        return text
    hidden = text.replace(b"\\\\", b"\xff").replace(b'\\"', b"\xfe")
    parts = hidden.split(b'"')
    outside = b'"'.join(parts[0::2]) + b","  # the comma ends a bare top-level number
    for old, new in (*_INTEGRAL_FLOAT_ENDS, *_NEGATIVE_ZERO):
        outside = outside.replace(old, new)
    parts[0::2] = outside[:-1].split(b'"')
    return b'"'.join(parts).replace(b"\xfe", b'\\"').replace(b"\xff", b"\\\\")


class _Walk:
    """A payload made ready for orjson, in Python: each part orjson would write differently
    from JavaScript is handed to it already written (an ``orjson.Fragment``).

    The slow path, so the common parts cost one type test each, in the comprehensions: plain
    values and safe integers, and strings too when the payload holds no unpaired surrogate.
    """

    __slots__ = ("plain",)

    def __init__(self, payload: Any) -> None:
        try:  # unsorted and lenient with integers: only an unpaired surrogate (or deep nesting)
            orjson.dumps(payload)
        except orjson.JSONEncodeError:
            self.plain = _PLAIN
        else:
            self.plain = _PLAIN | {str}

    def prepared(self, value: Any, depth: int, stringify: bool) -> Any:
        """``value`` ready for orjson to write as json-canonicalize does.

        ``stringify`` is plain ``JSON.stringify`` (inside an object with a ``toJSON``
        member): keys in JavaScript's property order, dumped unsorted. Otherwise keys are left
        to orjson to sort, unless UTF-16 order may differ from its code point order.
        """
        kind = type(value)
        if kind is str:
            return value if _SURROGATE.search(value) is None else _escaped(value)
        if kind is float:
            return _number(value)
        if kind is int:
            return value if -_SAFE_INTEGER <= value <= _SAFE_INTEGER else _number(_double(value))
        if kind is not list and kind is not dict:
            return value
        if depth >= MAX_NESTING:
            raise InvalidPayload(f"arrays and objects nest more than {MAX_NESTING} deep")
        plain, depth = self.plain, depth + 1
        if kind is list:
            return [
                item
                if (item_kind := type(item)) in plain
                or (item_kind is int and -_SAFE_INTEGER <= item <= _SAFE_INTEGER)
                else self.prepared(item, depth, stringify)
                for item in value
            ]
        if not stringify and value.get("toJSON") is not None:
            return orjson.Fragment(self.stringified(value, depth - 1))
        keys = "".join(value)
        if stringify:
            explicit = _SURROGATE.search(keys) is not None  # keys orjson cannot write
            digits = any(map(str.isdigit, value))
            pairs = (
                [(key, value[key]) for key in sorted(value, key=_property_order)]
                if digits
                else value.items()
            )
        else:
            explicit = not keys.isascii() and max(keys) >= _FIRST_SURROGATE
            pairs = (
                [(key, value[key]) for key in sorted(value, key=_utf16)]
                if explicit
                else value.items()
            )
        prepared = {
            key: item
            if (item_kind := type(item)) in plain
            or (item_kind is int and -_SAFE_INTEGER <= item <= _SAFE_INTEGER)
            else self.prepared(item, depth, stringify)
            for key, item in pairs
        }
        if not explicit:
            return prepared  # sorted by orjson, or unsorted under a toJSON Fragment
        option = 0 if stringify else _SORTED
        return orjson.Fragment(
            b"{"
            + b",".join(
                _string(key) + b":" + orjson.dumps(item, option=option)
                for key, item in prepared.items()
            )
            + b"}"
        )

    def stringified(self, value: dict[str, Any], depth: int) -> bytes:
        """``JSON.stringify(value)``: orjson's unsorted text when JavaScript's is the same."""
        try:
            text = orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            pass
        else:
            if not _has_exponent_marks(text) and not _INDEX_KEY.search(text):
                return _integral_floats_as_integers(text)
        return orjson.dumps(self.prepared(value, depth, True))


@functools.lru_cache(maxsize=1024)
def _escaped(text: str) -> orjson.Fragment:
    return orjson.Fragment(_string(text))


def _string(text: str) -> bytes:
    """``JSON.stringify(text)``, unpaired surrogates written ``\\udxxx``."""
    return json.dumps(text, ensure_ascii=False).encode("utf-8", "backslashreplace")


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _property_order(key: str) -> tuple[int, int]:
    """JavaScript's own-property order: array indices (0 to 2**32 - 2) ascending first, then
    the other keys in the order they were added (``sorted`` is stable)."""
    if key.isascii() and key.isdigit() and (key == "0" or key[0] != "0"):
        index = int(key)
        if index <= 2**32 - 2:
            return (0, index)
    return (1, 0)


def _double(integer: int) -> float:
    """The double ``JSON.parse`` reads an integer as; Infinity beyond a double's range."""
    try:
        return float(integer)
    except OverflowError:
        return float("inf") if integer > 0 else float("-inf")


@functools.lru_cache(maxsize=1024)
def _number(number: float) -> Any:
    """``number`` as orjson writes ``Number.prototype.toString``'s text (``null`` for
    Infinity, as ``JSON.stringify`` writes it, which orjson also does).

    Cached: a body repeating one number costs one conversion (``-0.0 == 0.0``, and both are
    written ``0``).
    """
    size = abs(number)
    if number.is_integer() and size < 1e21:
        if size < 1e16:  # every integral double below 1e16 is its own shortest spelling
            return int(number)
    elif not 1e-6 <= size < 1e-5:  # orjson writes 1.5e-6; JavaScript 0.0000015
        return number
    # repr is the shortest text that reads back as the same double, as JavaScript's is;
    # Decimal writes its digits out in full.
    return orjson.Fragment(format(Decimal(repr(number)), "f").encode())
