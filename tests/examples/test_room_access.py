"""The staff room of every example: each example's room access endpoint, under its real
server (serve.py), hands a token for ``demo:staff`` to the ``staff`` demo user only, and the
home page names the room and the endpoint it asks. Logins go through the real form; tokens
are checked by Node's jsonwebtoken as relaybox/core checks a join's ``accessToken``."""

from __future__ import annotations

import contextlib
import html
import re
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.examples.conftest import EXAMPLES, Served
from tests.support.servers import ROOT, TEST_SECRET, login
from tests.support.verifier import node_verify_room_access

sys.path.insert(0, str(ROOT / "example_projects" / "common"))
import staff_room

STAFF = (staff_room.STAFF_USERNAME, staff_room.STAFF_PASSWORD)


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def served(request: pytest.FixtureRequest, example_server: Callable[[str], Served]) -> str:
    """The example as the session serves it (see conftest.py): its staff room and tokens do
    not depend on where it publishes or which origins it lets in."""
    return example_server(str(request.param)).base_url


def page_value(page: str, element_id: str) -> str:
    """The text of the home page's element ``element_id``, as the page's script reads it."""
    match = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert match is not None, f"the home page has no #{element_id}"
    return html.unescape(match.group(1))


@contextlib.contextmanager
def logged_in(base_url: str, user: tuple[str, str] | None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url) as client:
        if user is not None:
            login(client, *user)
        yield client


def csrf_header(page: str) -> dict[str, str]:
    match = re.search(r'<meta name="csrf-token" content="([^"]*)">', page)
    assert match is not None
    return {"X-CSRFToken": match.group(1)} if match.group(1) else {}


def test_staff_get_a_token_for_the_staff_room_by_get_and_post(served: str) -> None:
    with logged_in(served, STAFF) as staff:
        page = staff.get("/").text
        assert page_value(page, "staff-room-id") == staff_room.ROOM_ID
        url = page_value(page, "room-access-url")
        assert url == "/user/rooms/demo:staff/access"
        me = staff.get("/user/me").json()
        assert me["username"] == "staff"
        for answer in (staff.get(url), staff.post(url, headers=csrf_header(page))):
            assert answer.status_code == 200, answer.text
            assert answer.headers["cache-control"] == "no-store"
            token = answer.json()["token"]
            claims = node_verify_room_access(token, TEST_SECRET, staff_room.ROOM_ID)
            assert (claims["roomId"], claims["clientId"]) == (staff_room.ROOM_ID, me["id"])
            with pytest.raises(AssertionError, match="Room access denied"):
                node_verify_room_access(token, TEST_SECRET, "demo:lobby")
        # The only room this demo hands tokens out for.
        refused = staff.get("/user/rooms/demo:lobby/access")
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden"


def test_the_demo_user_is_refused_with_the_reason(served: str) -> None:
    with logged_in(served, None) as anonymous:
        answer = anonymous.get("/user/rooms/demo:staff/access")
        assert answer.status_code == 401
        assert answer.json()["error"] == "not_authenticated"
    with logged_in(served, ("demo", "demo-password")) as demo:
        answer = demo.get("/user/rooms/demo:staff/access", headers={"X-Client-Id": "2"})
        assert answer.status_code == 403
        assert answer.headers["cache-control"] == "no-store"
        assert answer.json() == {"error": "forbidden", "message": staff_room.STAFF_ONLY}
        bad = demo.get("/user/rooms/demo%20staff/access")
        assert bad.status_code == 400
        assert bad.json()["error"] == "invalid_room_id"
        assert TEST_SECRET not in bad.text
