"""``manage.py relaybox_token USERNAME [--expires-in N]``."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify

pytestmark = pytest.mark.django_db
KEY = {"API_KEY": TEST_API_KEY}


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("relaybox_token", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


def test_prints_a_token_response(user: Any, received: list[dict[str, Any]]) -> None:
    body = run("alice")
    claims = node_verify(body["token"], TEST_SECRET)
    assert claims["clientId"] == str(user.pk)
    assert body["expiresIn"] == 900
    assert body["expiresAt"] == claims["exp"] * 1000
    (call,) = received
    assert call["request"] is None
    assert (call["user"], call["client_id"]) == (user, str(user.pk))


def test_inactive_users_are_refused_unless_allowed(user: Any) -> None:
    """As Django's login refuses them (and as ``flask relaybox token`` does)."""
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match=r"inactive.*--allow-inactive"):
        run("alice")
    assert node_verify(run("alice", "--allow-inactive")["token"], TEST_SECRET)["clientId"] == str(
        user.pk
    )


def test_expires_in(user: Any) -> None:
    body = run("alice", "--expires-in", "120")
    claims = node_verify(body["token"], TEST_SECRET)
    assert body["expiresIn"] == claims["exp"] - claims["iat"] == 120


def test_hooks_apply(user: Any) -> None:
    relaybox = {
        **KEY,
        "CLIENT_ID_HOOK": "tests.django.hooks.client_id_from_username",
        "PERMISSIONS_HOOK": "tests.django.hooks.request_path_permissions",
    }
    with override_settings(RELAYBOX=relaybox):
        claims = node_verify(run("alice")["token"], TEST_SECRET)
    assert claims["clientId"] == "user-alice"
    assert claims["permissions"] == {"cli": ["subscribe"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "no user with username 'nobody'"),
        (["alice", "--expires-in", "10"], "more than 20 seconds"),
        (["alice", "--expires-in", "999999999"], "at most 86400 seconds"),
    ],
)
def test_errors(user: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_refused_by_a_hook(django_user_model: Any) -> None:
    django_user_model.objects.create_user("banned-bob")
    with (
        override_settings(RELAYBOX={**KEY, "CLIENT_ID_HOOK": "tests.django.hooks.refuse_banned"}),
        pytest.raises(CommandError, match=r"\(403\): Banned users"),
    ):
        run("banned-bob")


def test_misconfiguration_names_the_setting(user: Any) -> None:
    with (
        override_settings(RELAYBOX={"API_KEY": "broken"}),
        pytest.raises(CommandError, match=r"RELAYBOX\['API_KEY'\]"),
    ):
        run("alice")
