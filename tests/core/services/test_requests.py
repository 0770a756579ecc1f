"""Each call sends exactly the official library's request (method, path, headers, body),
sync and async, to a real local server."""

from __future__ import annotations

import pytest

from relaybox_integrations import RelayBox
from tests.core.services.calls import CALLS, MODES, invoke, semantic_headers
from tests.support.recording_server import RecordingServer, json_answer


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(CALLS))
def test_the_request_is_the_official_librarys(
    relaybox: RelayBox, server: RecordingServer, mode: str, name: str
) -> None:
    call = CALLS[name]
    if call.client == "users":  # an answer of the shape the calls read
        server.answer(json_answer(200, {"id": "u1", "clientId": "alice"}))
    invoke(mode, relaybox, call)
    [request] = server.requests
    assert (request.method, request.path) == (call.method, call.path)
    assert semantic_headers(request.headers) == call.headers
    assert request.body == (call.body or b"")
    if call.body is None:  # no body, as fetch sends a GET or a bodiless DELETE (aiohttp
        # writes "Content-Length: 0" on a DELETE, where http.client and fetch write nothing)
        assert request.headers.get("content-length", "0") == "0"
        assert "transfer-encoding" not in request.headers
    else:
        assert request.headers["content-length"] == str(len(call.body))
    assert request.headers["user-agent"].startswith("relaybox-integrations/")
    assert request.headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("mode", MODES)
def test_ids_go_out_as_the_official_library_writes_them_or_escaped_where_it_breaks(
    relaybox: RelayBox, server: RecordingServer, mode: str
) -> None:
    """fetch escapes a space and non-ASCII in a path and leaves ``/``, ``?``, ``#`` and
    ``%`` alone, which changes the path; those are escaped here, so the service reads the id
    that was given."""
    for client_id in ["bob smith", "zoë", "a/b", "50%", "x?y#z"]:
        relaybox.rooms.remove_member("chat:1", client_id, "t.o.k")
    server.answer(json_answer(200, None))
    relaybox.users.get_user_identity("t.o.k", "a&b=c d")
    assert [r.path for r in server.requests] == [
        "/state/rooms/chat:1/members/bob%20smith",
        "/state/rooms/chat:1/members/zo%C3%AB",
        "/state/rooms/chat:1/members/a%2Fb",
        "/state/rooms/chat:1/members/50%25",
        "/state/rooms/chat:1/members/x%3Fy%23z",
        "/auth/identity?provider=a%26b%3Dc%20d",
    ]


def test_an_int_client_id_is_sent_as_its_digits(
    relaybox: RelayBox, server: RecordingServer
) -> None:
    relaybox.rooms.add_member("chat:1", 42, "t.o.k")
    assert server.requests[0].body == b'{"roomId":"chat:1","clientId":"42"}'
