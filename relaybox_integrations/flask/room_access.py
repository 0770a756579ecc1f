"""Where Flask serves the room access endpoint: ``RELAYBOX_ROOM_ACCESS_URL`` and its room id.

The view itself is the extension's (it answers through the core's
:class:`~relaybox_integrations.RoomAccessEndpoint`); this module only checks the
setting and routes every room id to it, so that one Relaybox refuses (a ``/`` or a newline
in it) is answered 400 JSON by the endpoint rather than 404 HTML by Werkzeug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from werkzeug.routing import BaseConverter

from ..errors import ConfigurationError

__all__ = ["DEFAULT_ROOM_ACCESS_URL", "RoomIdConverter", "room_access_rule"]

#: ``RELAYBOX_ROOM_ACCESS_URL``'s default; ``<room_id>`` marks the room id.
DEFAULT_ROOM_ACCESS_URL: Final = "/user/rooms/<room_id>/access"
_SETTING: Final = "RELAYBOX_ROOM_ACCESS_URL"
_CONVERTER: Final = "relaybox_room_id"


class RoomIdConverter(BaseConverter):
    """Any room id, ``/`` and newlines included, for the endpoint to check."""

    part_isolating = False
    regex = r"[\s\S]+?"
    weight = 200


def room_access_rule(config: Mapping[str, Any]) -> str:
    """The Werkzeug rule for ``RELAYBOX_ROOM_ACCESS_URL``; :class:`ConfigurationError`
    naming the key for anything but a path with ``<room_id>`` once and no other variable."""
    url = config.get(_SETTING, DEFAULT_ROOM_ACCESS_URL)
    if (
        not isinstance(url, str)
        or not url.startswith("/")
        or url.count("<room_id>") != 1
        or url.count("<") != 1
    ):
        raise ConfigurationError(
            _SETTING,
            f"{_SETTING}: must be a URL path starting with '/' with <room_id> in it once, "
            f"e.g. {DEFAULT_ROOM_ACCESS_URL!r}; got {url!r}",
        )
    return url.replace("<room_id>", f"<{_CONVERTER}:room_id>")


def install_converter(url_map: Any) -> None:
    """Make the rule's converter known to ``url_map``."""
    url_map.converters[_CONVERTER] = RoomIdConverter
