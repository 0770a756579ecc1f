"""Hypothesis strategies for JSON payloads, with the awkward parts Relaybox can carry."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SAFE_INTEGER = 2**53 - 1

#: Strings as JavaScript can hold them: any code point, unpaired surrogates included.
javascript_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
#: Keys that make UTF-16 order and code-point order disagree ('\ue000' against '😀').
awkward_keys = st.text(
    st.sampled_from(["a", "B", "é", "\u2028", "\ud7ff", "\ue000", "\uffff", "😀", "𝄞", "\x00"]),
    max_size=4,
)
#: Numbers whose JavaScript spelling differs from Python's.
awkward_numbers = st.sampled_from(
    [
        *(0.1, 1e21, 1e-7, -0.0, 3.0, 12345678.9, 1e16, 5e-324, 2.5e-7, 1.7976931348623157e308),
        *(1.5e-6, 1e20, -1.0, 2.0**60),
    ]
)
#: Keys json-canonicalize treats apart: ``toJSON`` hands its object to JSON.stringify, which
#: puts integer-like keys (array indices, up to 2**32 - 2) first.
javascript_keys = (
    st.text(max_size=6)
    | awkward_keys
    | javascript_text
    | st.sampled_from(["toJSON", "0", "1", "10", "01", "4294967294", "4294967295"])
)


def json_values(
    *,
    keys: st.SearchStrategy[str],
    text: st.SearchStrategy[str],
    integers: st.SearchStrategy[int],
    floats: bool,
) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | integers | text
    if floats:
        scalars |= st.floats(allow_nan=False, allow_infinity=False) | awkward_numbers
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    )


#: Inside rfc8785's domain: finite floats, integers within ±(2**53 - 1), no unpaired surrogate.
rfc8785_domain = json_values(
    keys=st.text(max_size=6) | awkward_keys,
    text=st.text(max_size=12),
    integers=st.integers(-SAFE_INTEGER, SAFE_INTEGER),
    floats=True,
)
#: Everything a Relaybox payload's data can hold once JavaScript has parsed it: unpaired
#: surrogates in strings and keys, integers beyond 2**53 (rounded to doubles by JavaScript),
#: objects with a ``toJSON`` member.
javascript_data = json_values(
    keys=javascript_keys,
    text=javascript_text,
    integers=st.integers(-(2**64), 2**64),
    floats=True,
)
