"""Our state and auth service calls beside the official server library's, sent to one
recording server: the same method, path, headers and body, and the same error fields.

``@relaybox/rest`` is not on the npm registry these machines reach, so this runs against a
build of its public source, named by ``RELAYBOX_REST_LIBRARY``, and skips without one::

    git clone https://github.com/relaybox/relaybox-rest-js /tmp/relaybox-rest
    cd /tmp/relaybox-rest && npm install && npx tsc --project tsconfig.esm.json
    RELAYBOX_REST_LIBRARY=/tmp/relaybox-rest \
        tox -e interop -x testenv:interop.pass_env+=RELAYBOX_REST_LIBRARY

Headers that each HTTP client sets its own way (``user-agent``, ``accept``,
``accept-encoding``...; Node's fetch adds ``accept-language`` and ``sec-fetch-mode``) are
left out of the comparison, as ``tests/core/services/calls.py`` lists them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relaybox_integrations import RelayBox, ServiceError
from tests.core.services.calls import CALLS, Call, invoke, semantic_headers
from tests.support.recording_server import Answer, RecordingServer, json_answer, recording_server
from tests.support.servers import TEST_API_KEY

DRIVER = Path(__file__).with_name("official-rest-calls.mjs")
LIBRARY = os.environ.get("RELAYBOX_REST_LIBRARY")
pytestmark = pytest.mark.skipif(
    not LIBRARY,
    reason="RELAYBOX_REST_LIBRARY is not set to a build of @relaybox/rest (this module's "
    "docstring says how to make one)",
)
#: An answer each call can read: a room, a user, an identity.
ANSWERS = {
    "rooms": {"id": "chat:1", "uuid": "5d1c", "visibility": "public"},
    "users": {"id": "u-1", "clientId": "alice"},
}


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_server() as running:
        yield running


def official(server: RecordingServer, *calls: Call) -> list[dict[str, Any]]:
    """Make ``calls`` with the official library; what each returned or raised."""
    assert LIBRARY is not None
    if shutil.which("node") is None:
        pytest.fail("Node.js is needed to run the official library")
    options = {
        "apiKey": TEST_API_KEY,
        "stateServiceUrl": server.url + "/state",
        "authServiceUrl": server.url + "/auth",
    }
    given = {
        "library": LIBRARY,
        "options": options,
        "calls": [{"method": call.official, "args": call.official_args} for call in calls],
    }
    done = subprocess.run(
        ["node", str(DRIVER)],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def ours(server: RecordingServer) -> RelayBox:
    return RelayBox(
        TEST_API_KEY, state_url=server.url + "/state", auth_service_url=server.url + "/auth"
    )


@pytest.mark.parametrize("name", list(CALLS))
def test_the_same_request(server: RecordingServer, name: str) -> None:
    call = CALLS[name]
    server.answer(json_answer(200, ANSWERS[call.client]), json_answer(200, ANSWERS[call.client]))
    [outcome] = official(server, call)
    assert outcome["ok"], outcome
    invoke("sync", ours(server), call)
    theirs, mine = server.requests
    assert (mine.method, mine.path, mine.body) == (theirs.method, theirs.path, theirs.body)
    assert semantic_headers(mine.headers) == semantic_headers(theirs.headers)
    # And both are the table's, which cites the library's source line by line.
    assert (theirs.method, theirs.path) == (call.method, call.path)
    assert semantic_headers(theirs.headers) == call.headers
    assert theirs.body == (call.body or b"")


@pytest.mark.parametrize("name", ["create", "remove_member", "get_user"])
def test_the_same_error_fields(server: RecordingServer, name: str) -> None:
    call = CALLS[name]
    refusal = {"name": "ForbiddenError", "message": "Room action not permitted", "data": [1]}
    server.answer(json_answer(403, refusal), json_answer(403, refusal))
    [outcome] = official(server, call)
    theirs = outcome["error"]
    assert theirs["className"] == "HTTPServiceError"
    with pytest.raises(ServiceError) as raised:
        invoke("sync", ours(server), call)
    mine = raised.value
    assert (mine.status, mine.name, mine.message, mine.data) == (
        theirs["status"], theirs["name"], theirs["message"], theirs["data"]
    )  # fmt: skip


def test_an_answer_that_is_not_json_is_an_error_here_where_the_library_crashes(
    server: RecordingServer,
) -> None:
    page = Answer(502, b"<html>Bad Gateway</html>", (("Content-Type", "text/html"),))
    empty = Answer(204, b"", ())
    server.answer(page, empty)
    crashed = official(server, CALLS["create"], CALLS["remove_member"])
    assert [outcome["error"]["className"] for outcome in crashed] == ["SyntaxError"] * 2
    server.answer(page, empty)
    with pytest.raises(ServiceError) as raised:
        invoke("sync", ours(server), CALLS["create"])
    assert raised.value.status == 502
    assert invoke("sync", ours(server), CALLS["remove_member"]).status == 204
