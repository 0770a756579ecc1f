"""``relaybox.rooms`` against the emulator's ``/state`` routes, sync and async: what the
package sends is what those routes, written for the official library's requests, accept."""

from __future__ import annotations

import pytest

from relaybox_integrations import RelayBox, ServiceError
from relaybox_integrations.emulator import Emulator
from relaybox_integrations.rooms import Room

from .conftest import API_KEY, run


def test_room_management_round_trip(relaybox_emulator: Emulator) -> None:
    relaybox = RelayBox(API_KEY, state_url=relaybox_emulator.url + "/state")
    owner = relaybox.generate_token_response(client_id="olga", permissions=["*"]).token
    created = relaybox.rooms.create("team:7", owner, visibility="private")
    room = relaybox_emulator.room("team:7")
    assert room is not None
    assert created == Room("team:7", room.uuid, "private", created.data)
    relaybox.rooms.add_member("team:7", "bob", owner)
    relaybox.rooms.set_member_type("team:7", "bob", "admin", owner)
    assert relaybox_emulator.room("team:7").members == {"olga": "owner", "bob": "admin"}

    async def main() -> None:
        try:
            await relaybox.rooms.aremove_member("team:7", "bob", owner)
            changed = await relaybox.rooms.aset_visibility(
                "team:7", owner, visibility="protected", password="pw"
            )
            assert changed.visibility == "protected"
        finally:
            await relaybox.aclose()

    run(main())
    assert relaybox_emulator.room("team:7").members == {"olga": "owner"}
    stranger = relaybox.generate_token_response(client_id="eve", permissions=["*"]).token
    with pytest.raises(ServiceError) as raised:
        relaybox.rooms.add_member("team:7", "eve", stranger)
    assert raised.value.status == 403
    assert raised.value.name == "ForbiddenError"
    relaybox.close()
