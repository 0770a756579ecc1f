"""``manage.py check``: one test per check id, and the same settings at request time."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from relaybox_integrations.django.checks import check_settings
from relaybox_integrations.django.conf import setting
from relaybox_integrations.django.integration import get_integration
from tests.support.django_settings import TEST_WEBHOOK_SIGNING_KEY
from tests.support.extras import assert_says_how_to_install, configure_without
from tests.support.servers import TEST_API_KEY, TEST_SECRET

KEY = {"API_KEY": TEST_API_KEY, "WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY}


def messages(relaybox: Any, *, webhooks: bool = True) -> list[Any]:
    """The checks' messages; the test URLconf routes the webhook view, so ``webhooks``
    adds a signing key unless ``relaybox`` has one."""
    if webhooks and isinstance(relaybox, dict):
        relaybox = {"WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY, **relaybox}
    with override_settings(RELAYBOX=relaybox):
        return check_settings()


def ids(relaybox: Any, *, webhooks: bool = True) -> list[str]:
    return [message.id for message in messages(relaybox, webhooks=webhooks)]


def test_valid_settings_pass() -> None:
    assert ids(KEY) == []
    assert ids({**KEY, "TOKEN_EXPIRES_IN": 60, "PERMISSIONS": ["*"], "ALLOW_ANONYMOUS": True}) == []


def test_permissions_and_signing_key_set_to_none_pass() -> None:
    """None is each one's default: the API key's own permissions, and no webhook endpoint."""
    relaybox = {"API_KEY": TEST_API_KEY, "PERMISSIONS": None, "WEBHOOK_SIGNING_KEY": None}
    with override_settings(ROOT_URLCONF="tests.django.drf_urls"):  # routes no webhook view
        assert ids(relaybox) == []
    with override_settings(RELAYBOX=relaybox):
        integration = get_integration()
        assert integration.webhooks is None
        assert integration.relaybox.permissions is None


def test_registered_with_django() -> None:
    with override_settings(RELAYBOX={"API_KEY": "no-colon"}):
        assert "relaybox.E002" in [message.id for message in run_checks()]


@pytest.mark.parametrize("relaybox", [None, {}, {"API_KEY": ""}, {"API_KEY": None}])
def test_e001_missing_api_key(relaybox: Any) -> None:
    message, *webhook_view_without_a_key = messages(relaybox)
    assert [m.id for m in webhook_view_without_a_key] == (
        ["relaybox.E010"] if relaybox is None else []
    )
    assert message.id == "relaybox.E001"
    assert "RELAYBOX['API_KEY']" in message.msg
    assert "RELAYBOX_API_KEY" in message.hint


@pytest.mark.parametrize(
    "api_key", ["only-the-secret-value", "a.b:c:d", "nodot:secret", "a.b:", 42, " a.b:secret"]
)
def test_e002_malformed_api_key(api_key: object) -> None:
    (message,) = messages({"API_KEY": api_key})
    assert message.id == "relaybox.E002"
    assert message.msg.startswith("RELAYBOX['API_KEY']: ")
    assert message.hint


@pytest.mark.parametrize("expires_in", [20, 0, -5, 1.5, "900", True, None, 86_401])
def test_e003_invalid_expiry(expires_in: object) -> None:
    (message,) = messages({**KEY, "TOKEN_EXPIRES_IN": expires_in})
    assert message.id == "relaybox.E003"
    assert "RELAYBOX['TOKEN_EXPIRES_IN']" in message.msg


@pytest.mark.parametrize(
    "permissions",
    [
        {"room": ["fly"]},
        {"bad.room": ["*"]},
        [],
        {},
        "publish",
        {f"room-{i}": ["*"] for i in range(300)},
    ],
)
def test_e004_invalid_permissions(permissions: object) -> None:
    (message,) = messages({**KEY, "PERMISSIONS": permissions})
    assert message.id == "relaybox.E004"
    assert "RELAYBOX['PERMISSIONS']" in message.msg


def test_e005_allow_anonymous_not_bool() -> None:
    (message,) = messages({**KEY, "ALLOW_ANONYMOUS": "yes"})
    assert message.id == "relaybox.E005"
    assert "RELAYBOX['ALLOW_ANONYMOUS']" in message.msg


def test_e006_unknown_key_suggests_the_right_one() -> None:
    (message,) = messages({**KEY, "TOKEN_EXPIRE_IN": 60})
    assert message.id == "relaybox.E006"
    assert "RELAYBOX['TOKEN_EXPIRE_IN']" in message.msg
    assert "TOKEN_EXPIRES_IN" in message.hint


@pytest.mark.parametrize("hook", ["CLIENT_ID_HOOK", "PERMISSIONS_HOOK", "CAN_JOIN_ROOM_HOOK"])
def test_e007_hook_does_not_import(hook: str) -> None:
    (message,) = messages({**KEY, hook: "tests.django.hooks.no_such_function"})
    assert message.id == "relaybox.E007"
    assert f"RELAYBOX['{hook}']" in message.msg


@pytest.mark.parametrize("value", ["tests.django.hooks.NOT_A_FUNCTION", 42])
@pytest.mark.parametrize("hook", ["CLIENT_ID_HOOK", "CAN_JOIN_ROOM_HOOK"])
def test_e008_hook_not_callable(hook: str, value: object) -> None:
    (message,) = messages({**KEY, hook: value})
    assert message.id == "relaybox.E008"
    assert f"RELAYBOX['{hook}']" in message.msg


def test_e009_relaybox_not_a_dict() -> None:
    (message,) = messages(TEST_API_KEY)
    assert message.id == "relaybox.E009"
    assert TEST_SECRET not in message.msg


def test_e010_webhook_view_routed_without_a_signing_key() -> None:
    (message,) = messages({"API_KEY": TEST_API_KEY}, webhooks=False)  # the URLconf routes it
    assert message.id == "relaybox.E010"
    assert "RELAYBOX['WEBHOOK_SIGNING_KEY']: is not set" in message.msg
    with override_settings(ROOT_URLCONF="tests.django.drf_urls"):  # routes no webhook view
        assert ids({"API_KEY": TEST_API_KEY}, webhooks=False) == []


@pytest.mark.parametrize(
    ("setting", "check_id"),
    [
        ({"WEBHOOK_SIGNING_KEY": " whsec-with-a-space"}, "relaybox.E010"),
        ({"WEBHOOK_SIGNING_KEY": 42}, "relaybox.E010"),
        ({"WEBHOOK_TOLERANCE": -1}, "relaybox.E011"),
        ({"WEBHOOK_CACHE": "nope"}, "relaybox.E012"),
    ],
)
def test_e010_to_e012_webhook_settings(setting: dict[str, Any], check_id: str) -> None:
    assert ids({**KEY, **setting}) == [check_id]


@pytest.mark.parametrize(
    "setting",
    [
        {"PUBLISH_TIMEOUT": 0},
        {"PUBLISH_TIMEOUT": "10"},
        {"PUBLISH_TIMEOUT": float("inf")},
        {"PUBLISH_RETRIES": -1},
        {"PUBLISH_RETRIES": 11},
        {"PUBLISH_RETRIES": 1.0},
        {"PUBLISH_RETRIES": True},
    ],
)
def test_e014_publish_timeout_and_retries(setting: dict[str, Any]) -> None:
    (message,) = messages({**KEY, **setting})
    (key,) = setting
    assert message.id == "relaybox.E014"
    assert f"RELAYBOX['{key}']" in message.msg


def webhook_cache(**cache: Any) -> Any:
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "webhooks": cache,
    }
    return override_settings(CACHES=caches)


def test_e015_a_dummy_cache_deduplicates_nothing() -> None:
    with webhook_cache(BACKEND="django.core.cache.backends.dummy.DummyCache"):
        (message,) = messages({**KEY, "WEBHOOK_CACHE": "webhooks"})
        assert message.id == "relaybox.E015"
        assert "RELAYBOX['WEBHOOK_CACHE']" in message.msg
        assert "RedisCache" in message.hint
        with (
            override_settings(RELAYBOX={**KEY, "WEBHOOK_CACHE": "webhooks"}),
            pytest.raises(ImproperlyConfigured, match=r"relaybox\.E015"),
        ):
            get_integration()


@pytest.mark.parametrize("options", [{}, {"OPTIONS": {"MAX_ENTRIES": 5_000}}])
def test_w002_a_small_local_memory_cache_forgets_delivery_ids(options: dict[str, Any]) -> None:
    with webhook_cache(BACKEND="django.core.cache.backends.locmem.LocMemCache", **options):
        (message,) = messages({**KEY, "WEBHOOK_CACHE": "webhooks"})
        assert message.id == "relaybox.W002"
        entries = options.get("OPTIONS", {}).get("MAX_ENTRIES", 300)
        assert f"keeps {entries} entries" in message.msg
        # A warning: the integration still builds, and warns only through the checks.
        with (
            override_settings(RELAYBOX={**KEY, "WEBHOOK_CACHE": "webhooks"}),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("error")
            assert get_integration().webhooks is not None


def test_no_cache_check_without_webhooks_or_for_a_large_local_cache() -> None:
    with webhook_cache(BACKEND="django.core.cache.backends.dummy.DummyCache"):
        assert ids({"API_KEY": TEST_API_KEY, "WEBHOOK_CACHE": "webhooks"}, webhooks=False) == [
            "relaybox.E010"  # the test URLconf routes the webhook view; no cache check
        ]
    large = {"OPTIONS": {"MAX_ENTRIES": 10_000}}
    with webhook_cache(BACKEND="django.core.cache.backends.locmem.LocMemCache", **large):
        assert ids({**KEY, "WEBHOOK_CACHE": "webhooks"}) == []


def test_a_routed_webhook_view_without_a_key_leaves_the_auth_view_working() -> None:
    """E010 fails ``manage.py check``; at request time only the webhook view refuses."""
    with override_settings(RELAYBOX={"API_KEY": TEST_API_KEY}):
        assert get_integration().webhooks is None
        with pytest.raises(ImproperlyConfigured, match=r"WEBHOOK_SIGNING_KEY'\] is not set"):
            get_integration().require_webhooks()


def test_w001_short_secret() -> None:
    (message,) = messages({"API_KEY": "app.key:short"})
    assert message.id == "relaybox.W001"


def test_every_problem_is_reported_at_once() -> None:
    found = ids(
        {
            "API_KEY": "broken",
            "TOKEN_EXPIRES_IN": 5,
            "PERMISSIONS": {"room": ["fly"]},
            "ALLOW_ANONYMOUS": 1,
            "CLIENT_ID_HOOK": "tests.django.hooks.nope",
            "PERMISSIONS_HOOK": 3,
            "TYPO": 1,
        }
    )
    assert sorted(found) == [f"relaybox.E00{n}" for n in (2, 3, 4, 5, 6, 7, 8)]


def test_manage_py_check_fails_naming_the_setting() -> None:
    with (
        override_settings(RELAYBOX={"API_KEY": "broken"}),
        pytest.raises(SystemCheckError, match=r"relaybox\.E002.*RELAYBOX\['API_KEY'\]"),
    ):
        call_command("check")


@pytest.mark.parametrize(
    ("relaybox", "key"),
    [
        ({}, "API_KEY"),
        ({"API_KEY": "broken"}, "API_KEY"),
        ({**KEY, "TOKEN_EXPIRES_IN": 10}, "TOKEN_EXPIRES_IN"),
        ({**KEY, "PERMISSIONS": ["fly"]}, "PERMISSIONS"),
        ({**KEY, "ALLOW_ANONYMOUS": "no"}, "ALLOW_ANONYMOUS"),
        ({**KEY, "EXPIRES_IN": 60}, "EXPIRES_IN"),
        ({**KEY, "PERMISSIONS_HOOK": "nope.nope"}, "PERMISSIONS_HOOK"),
    ],
)
def test_request_time_error_names_the_setting(relaybox: Any, key: str) -> None:
    with (
        override_settings(RELAYBOX=relaybox),
        pytest.raises(ImproperlyConfigured, match=rf"RELAYBOX\['{key}'\]"),
    ):
        get_integration()


def test_configuration_is_cached_and_rebuilt_when_the_setting_changes() -> None:
    first = get_integration()
    assert get_integration() is first
    with override_settings(RELAYBOX={**KEY, "TOKEN_EXPIRES_IN": 120}):
        assert setting("TOKEN_EXPIRES_IN") == 120
        assert get_integration().relaybox.expires_in == 120
    assert get_integration().relaybox.expires_in == 900
    assert get_integration() is not first


def test_registered_as_security_checks() -> None:
    with override_settings(RELAYBOX={"API_KEY": "broken"}):
        assert "relaybox.E002" in [m.id for m in run_checks(tags=["security"])]


def test_the_hints_use_the_cores_limits() -> None:
    (message,) = messages({**KEY, "TOKEN_EXPIRES_IN": 5})
    assert "above 20 and at most 86400" in message.hint


def test_without_the_webhooks_extra_the_checks_stop_naming_it() -> None:
    """A signing key set without the [webhooks] extra stops ``manage.py check`` (and so
    ``runserver``) with the command that installs it."""
    said = configure_without(
        ("orjson",),
        """
        import django
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["relaybox_integrations.django"],
            RELAYBOX={"API_KEY": API_KEY, "WEBHOOK_SIGNING_KEY": SIGNING_KEY},
            ROOT_URLCONF="relaybox_integrations.django.urls",
        )
        django.setup()
        from django.core.management import call_command
        call_command("check")
        """,
    )
    assert_says_how_to_install(said, "webhooks")
