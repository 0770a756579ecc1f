"""Inline permissions: valid sets pass unchanged, invalid ones fail with their own message."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybox_integrations import PERMISSION_NAMES, validate_permissions
from relaybox_integrations.permissions import FORBIDDEN_ROOM_CHARACTERS

names = st.sampled_from(sorted(PERMISSION_NAMES))
name_lists = st.lists(names, max_size=5)
room_alphabet = st.characters(
    blacklist_characters=sorted(FORBIDDEN_ROOM_CHARACTERS), blacklist_categories=("Cs",)
)
rooms = st.text(room_alphabet, min_size=1, max_size=20)


@given(st.dictionaries(rooms, name_lists, min_size=1, max_size=5))
def test_valid_room_maps_pass_unchanged(permissions: dict[str, list[str]]) -> None:
    assert validate_permissions(permissions) == permissions


@given(st.lists(names, min_size=1, max_size=6))
def test_valid_name_lists_pass_unchanged(permissions: list[str]) -> None:
    # The list form applies to every room; the Node library wrongly accepts only ["*"].
    assert validate_permissions(permissions) == permissions


def test_examples_from_the_documentation() -> None:
    documented = {"myRoom": ["publish", "presence", "metrics"], "chat:*:123": ["*"]}
    assert validate_permissions(documented) == documented
    assert validate_permissions(("subscribe", "presence")) == ["subscribe", "presence"]


@given(
    rooms,
    st.sampled_from(sorted(FORBIDDEN_ROOM_CHARACTERS)),
    st.integers(min_value=0, max_value=20),
)
def test_rooms_with_forbidden_characters_fail_naming_the_room(
    room: str, bad: str, position: int
) -> None:
    bad_room = room[:position] + bad + room[position:]
    with pytest.raises(ValueError, match="may not contain") as excinfo:
        validate_permissions({bad_room: ["join"]})
    assert repr(bad_room) in str(excinfo.value)


@given(st.text(min_size=1).filter(lambda name: name not in PERMISSION_NAMES))
def test_unknown_names_fail_naming_the_name(name: str) -> None:
    with pytest.raises(ValueError, match="unknown permission") as excinfo:
        validate_permissions({"room": ["join", name]})
    assert repr(name) in str(excinfo.value)
    with pytest.raises(ValueError, match="unknown permission"):
        validate_permissions([name])


@pytest.mark.parametrize(
    ("permissions", "message"),
    [
        ({}, "empty mapping"),
        ([], "empty list"),
        ("*", "must be a mapping"),
        (42, "must be a mapping"),
        (None, "must be a mapping"),
        ({"room": "publish"}, "room 'room': permission names must be a list"),
        ({"room": None}, "permission names must be a list"),
        ({1: ["join"]}, "room names must be strings"),
        ({"": ["join"]}, "must not be empty"),
        ({"room": [["join"]]}, "unknown permission"),
        ({"room": ["Publish"]}, "unknown permission 'Publish'"),
    ],
)
def test_wrong_shapes_fail_with_their_own_message(permissions: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_permissions(permissions)
