"""The auth endpoint's contract, driven through every adapter the same way.

Django (sync view, async view, DRF), Flask, Starlette and FastAPI must give the same answer
to every case: the one behaviour ``relaybox_integrations.endpoint`` documents.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from relaybox_integrations import AccessDenied
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify, node_verify_many

from .users import UUID, Answer, Harness, Options, Send

ALLOW = "GET, POST, OPTIONS"
NOT_AUTHENTICATED = {"error": "not_authenticated", "message": "Log in to get a Relaybox token."}
TOKEN_ERROR = {
    "error": "token_error",
    "message": "The server could not issue a Relaybox token; its log says why.",
}


def assert_json(answer: Answer, status: int, body: dict[str, str] | None = None) -> Any:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert TEST_SECRET.encode() not in answer.body
    if body is not None:
        assert answer.json() == body
    return answer.json()


def claims(answer: Answer) -> dict[str, Any]:
    """The token's claims, as jsonwebtoken (Relaybox's verifier) reads them."""
    body = assert_json(answer, 200)
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    verified = node_verify(body["token"], TEST_SECRET)
    assert body["expiresAt"] == verified["exp"] * 1000
    assert body["expiresIn"] == verified["exp"] - verified["iat"] == 900
    return verified


@pytest.fixture
def send(harness: Harness) -> Send:
    return harness.build(Options())


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_visitors_get_401(send: Send, method: str) -> None:
    assert_json(send(method), 401, NOT_AUTHENTICATED)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_logged_in_user_gets_a_token_for_their_id(send: Send, method: str) -> None:
    assert claims(send(method, user="alice"))["clientId"] == "alice"


@pytest.mark.parametrize(
    ("user", "client_id"), [("alice", "alice"), ("seven", "7"), ("uuid", str(UUID))]
)
def test_the_users_id_becomes_the_client_id(send: Send, user: str, client_id: str) -> None:
    assert claims(send("GET", user=user))["clientId"] == client_id


def test_only_is_authenticated_exactly_true_logs_in(send: Send) -> None:
    """A method, as old code wrote it, is always truthy: not a login."""
    assert_json(send("GET", user="old-style"), 401, NOT_AUTHENTICATED)


@pytest.mark.parametrize(("user", "reason"), [("no-id", "is None"), ("unflagged", "unusable")])
def test_a_user_without_a_usable_identity_is_a_server_error(
    send: Send, user: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Never a shared identity: no id, or an object that is neither a user nor an id."""
    with caplog.at_level(logging.ERROR, "relaybox_integrations"):
        assert_json(send("GET", user=user), 500, TOKEN_ERROR)
    assert reason in caplog.text


def test_what_the_browser_sends_never_changes_the_client_id(send: Send) -> None:
    spoofs = [
        send("GET", user="alice", headers={"X-Client-Id": "mallory"}, params={"clientId": "m"}),
        send("POST", user="alice", json={"clientId": "mallory"}, params={"clientId": "m"}),
        send("POST", user="alice", data={"clientId": "mallory"}),
        send("POST", user="alice", data=b"{not json", headers={"Content-Type": "application/json"}),
    ]
    tokens = [assert_json(answer, 200)["token"] for answer in spoofs]
    for verdict in node_verify_many(tokens, TEST_SECRET):
        assert verdict["ok"], verdict
        assert verdict["claims"]["clientId"] == "alice"
    anonymous = send("GET", headers={"X-Client-Id": "mallory"}, params={"clientId": "mallory"})
    assert_json(anonymous, 401, NOT_AUTHENTICATED)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "HEAD"])
def test_other_methods_get_a_json_405_without_the_user_being_looked_at(
    send: Send, method: str
) -> None:
    answer = send(method, user="untouchable")
    assert answer.status == 405
    assert answer.headers["allow"] == ALLOW
    assert answer.headers["cache-control"] == "no-store"
    if method != "HEAD":
        assert assert_json(answer, 405)["error"] == "method_not_allowed"


def test_options_is_an_empty_204_without_the_user_being_looked_at(send: Send) -> None:
    answer = send("OPTIONS", user="untouchable")
    assert (answer.status, answer.body) == (204, b"")
    assert answer.headers["allow"] == ALLOW
    assert answer.headers["cache-control"] == "no-store"
    assert "content-type" not in answer.headers


def test_anonymous_tokens_when_allowed(harness: Harness) -> None:
    seen: list[str | None] = []
    options = Options(allow_anonymous=True, permissions=lambda client_id: seen.append(client_id))
    send = harness.build(options)
    assert "clientId" not in claims(send("GET", params={"clientId": "mallory"}))
    assert claims(send("GET", user="alice"))["clientId"] == "alice"
    assert seen == [None, "alice"]


@pytest.mark.parametrize("async_hooks", [False, True], ids=["sync", "async"])
def test_hooks_decide_identity_and_permissions_and_may_refuse(
    harness: Harness, async_hooks: bool
) -> None:
    def identity(user: Any) -> Any:
        if user.id == UUID:
            raise AccessDenied("Banned from chat.")
        return f"user-{user.id}"

    def permissions(client_id: str | None) -> Any:
        if client_id == "user-7":
            raise AccessDenied("No realtime for you.")
        return {"chat:*": ["subscribe"]} if client_id == "user-alice" else None

    send = harness.build(
        Options(identity=identity, permissions=permissions, async_hooks=async_hooks)
    )
    token = claims(send("GET", user="alice"))
    assert (token["clientId"], token["permissions"]) == ("user-alice", {"chat:*": ["subscribe"]})
    assert "permissions" not in claims(send("GET", user="no-id"))  # None: the default
    assert_json(
        send("GET", user="uuid"), 403, {"error": "forbidden", "message": "Banned from chat."}
    )
    assert_json(
        send("GET", user="seven"), 403, {"error": "forbidden", "message": "No realtime for you."}
    )
    assert_json(send("GET"), 401, NOT_AUTHENTICATED)  # no hook runs for anonymous visitors


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(10**5000, id="int-over-4300-digits"),
        pytest.param(UUID, id="uuid"),
        pytest.param(1.5, id="float"),
        pytest.param({"id": 1}, id="dict"),
        pytest.param(True, id="bool"),
        pytest.param("", id="empty"),
    ],
)
def test_an_identity_hook_returning_an_unusable_value_is_a_logged_json_500(
    harness: Harness, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    send = harness.build(Options(identity=lambda user: value))
    with caplog.at_level(logging.ERROR, "relaybox_integrations"):
        assert_json(send("GET", user="alice"), 500, TOKEN_ERROR)
    assert "Relaybox token not issued" in caplog.text


def test_a_client_id_hook_returning_none_is_a_server_bug(harness: Harness) -> None:
    """The ``client_id`` hook maps a logged-in user to an id in every adapter: None there is
    not "nobody" (that is ``load_user``'s answer) but a user without an id, a JSON 500."""
    answer = harness.build(Options(identity=lambda user: None))("GET", user="alice")
    assert_json(answer, 500, TOKEN_ERROR)


def test_an_int_from_a_hook_reaches_the_token_and_hooks_as_a_string(harness: Harness) -> None:
    seen: list[str | None] = []
    send = harness.build(Options(identity=lambda user: 1234, permissions=seen.append))
    assert claims(send("GET", user="alice"))["clientId"] == "1234"
    assert seen == ["1234"]


def test_permissions_a_hook_returns_that_relaybox_would_refuse_are_a_500(
    harness: Harness,
) -> None:
    send = harness.build(Options(permissions=lambda client_id: {"room": ["fly"]}))
    assert_json(send("GET", user="alice"), 500, TOKEN_ERROR)


def test_the_audit_call_gets_the_same_fields_everywhere(harness: Harness) -> None:
    options = Options(permissions=lambda client_id: ["subscribe"])
    send = harness.build(options)
    assert_json(send("GET"), 401)
    claims(send("POST", user="alice"))
    (audit,) = options.audit
    assert set(audit) == {"request", "user", "client_id", "expires_in", "permissions"}
    assert audit["request"] is not None
    assert (audit["client_id"], audit["expires_in"], audit["permissions"]) == (
        "alice",
        900,
        ["subscribe"],
    )
    assert audit["user"].id == "alice"
