"""The Flask guide's "Room access" snippet, run as written, and what only Flask's room
access endpoint does (the contract suite covers what every adapter does): the hook's
registration, ``RELAYBOX_ROOM_ACCESS_URL`` and the 404 before a hook is registered."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request

from relaybox_integrations import ConfigurationError
from relaybox_integrations.flask import RelayBox
from tests.support.responses import assert_json_error
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify_room_access

PAGE = "docs/guides/flask.rst"
SNIPPETS = {("docs/guides/flask.rst", "Room access", "python"): 1}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def application(relaybox: RelayBox, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, RELAYBOX_API_KEY=TEST_API_KEY, **config)
    relaybox.init_app(app)
    relaybox.load_user(lambda: request.headers.get("X-User"))
    return app


def room_token(response: Any, room_id: str) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return node_verify_room_access(response.get_json()["token"], TEST_SECRET, room_id)


def test_team_members_join_their_teams_room() -> None:
    namespace = run_snippet(PAGE, "Room access", 0)
    app = application(namespace["relaybox"])
    client = app.test_client()
    claims = room_token(
        client.get("/user/rooms/team:7/access", headers={"X-User": "alice"}), "team:7"
    )
    assert claims["clientId"] == "alice"
    refused = client.post("/user/rooms/team:7/access", headers={"X-User": "bob"})
    assert_json_error(refused, 403, "forbidden")
    assert_json_error(client.get("/user/rooms/team:7/access"), 401, "not_authenticated")
    with app.test_request_context():
        from flask import url_for

        assert url_for("relaybox.room_access", room_id="team:7") == "/user/rooms/team:7/access"


def test_the_url_is_configurable_and_checked() -> None:
    relaybox = RelayBox()
    relaybox.can_join_room(lambda *args: True)
    app = application(relaybox, RELAYBOX_ROOM_ACCESS_URL="/rt/<room_id>")
    room_token(app.test_client().get("/rt/lobby", headers={"X-User": "alice"}), "lobby")
    for url in ("rt/<room_id>", "/rt/room", "/rt/<room_id>/<room_id>", "/<x>/<room_id>", 7):
        with pytest.raises(ConfigurationError, match="RELAYBOX_ROOM_ACCESS_URL") as caught:
            application(RelayBox(), RELAYBOX_ROOM_ACCESS_URL=url)
        assert caught.value.setting == "RELAYBOX_ROOM_ACCESS_URL"


def test_a_hook_that_is_not_a_function_is_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="can_join_room must be a function") as caught:
        RelayBox().can_join_room("myapp.can_join_room")  # type: ignore[arg-type]
    assert caught.value.setting == "can_join_room"


def test_before_a_hook_is_registered_every_room_is_a_json_404() -> None:
    relaybox = RelayBox()
    app = application(relaybox)
    client = app.test_client()
    body = assert_json_error(
        client.get("/user/rooms/lobby/access", headers={"X-User": "alice"}), 404, "not_found"
    )
    assert "can_join_room" in body["message"]

    @relaybox.can_join_room  # after init_app: the application serves it from now on
    async def can_join_room(request: Any, user: Any, client_id: str, room_id: str) -> bool:
        return True

    room_token(client.get("/user/rooms/lobby/access", headers={"X-User": "alice"}), "lobby")
