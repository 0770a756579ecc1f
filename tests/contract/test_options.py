"""Every option of the package's one table, set through every installed adapter's settings.

Each option reaches the core as set, and a bad value is refused at start-up naming the
adapter's own setting (Django's ``RELAYBOX[key]`` with the option's check id, Flask's
``RELAYBOX_<key>``, Starlette's and FastAPI's keyword). A new row in the table without a
sample here fails :func:`test_every_option_has_samples`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from relaybox_integrations import AuthEndpoint, RelayBox, WebhookEndpoint, sign_webhook
from relaybox_integrations.config import OPTIONS, Option
from tests.support.servers import TEST_API_KEY

SIGNING_KEY = "whsec-options-contract-signing-key-0123456789"
OTHER_SIGNING_KEY = "whsec-another-signing-key-for-the-options-0123"


def signs_with(webhooks: WebhookEndpoint | None) -> str | None:
    """Which of the two signing keys ``webhooks`` accepts deliveries from."""
    assert webhooks is not None
    for key in (SIGNING_KEY, OTHER_SIGNING_KEY):
        delivery = sign_webhook("room:join", {}, key)
        signature = delivery.headers["X-RelayBox-Webhook-Signature"]
        if webhooks.handle("POST", delivery.body, signature).status == 200:
            return key
    return None


@dataclass(frozen=True)
class Built:
    relaybox: RelayBox
    endpoint: AuthEndpoint
    webhooks: WebhookEndpoint | None


@dataclass(frozen=True)
class Sample:
    good: object
    #: What the built objects show of ``good``.
    seen: Callable[[Built], object]
    expected: object
    bad: object


SAMPLES: dict[str, Sample] = {
    "api_key": Sample(
        "otherapp.key2:" + "s" * 40, lambda b: b.relaybox.public_key, "otherapp.key2", "nokey"
    ),
    "expires_in": Sample(600, lambda b: b.relaybox.expires_in, 600, 5),
    "permissions": Sample(
        {"chat:*": ["subscribe"]},
        lambda b: b.relaybox.permissions,
        {"chat:*": ["subscribe"]},
        {"chat:*": ["fly"]},
    ),
    "allow_anonymous": Sample(True, lambda b: b.endpoint.allow_anonymous, True, "yes"),
    "core_url": Sample(
        "http://127.0.0.1:9000/", lambda b: b.relaybox._core_url, "http://127.0.0.1:9000", "ftp://x"
    ),
    "timeout": Sample(2.5, lambda b: b.relaybox._timeout, 2.5, -1),
    "retries": Sample(4, lambda b: b.relaybox._retries, 4, 99),
    "signing_key": Sample(
        OTHER_SIGNING_KEY, lambda b: signs_with(b.webhooks), OTHER_SIGNING_KEY, '"quoted"'
    ),
    "tolerance": Sample(60, lambda b: b.webhooks and b.webhooks.tolerance, 60.0, -5),
    "max_body_size": Sample(1024, lambda b: b.webhooks and b.webhooks.max_body_size, 1024, 0),
}


def test_every_option_has_samples() -> None:
    assert set(SAMPLES) == {option.name for option in OPTIONS}


# --- each adapter: build from one option's value, and the name it gives a bad one ------------


def _with_defaults(option: Option, value: object) -> dict[str, object]:
    values: dict[str, object] = {"api_key": TEST_API_KEY, "signing_key": SIGNING_KEY}
    values[option.name] = value
    return values


def build_django(option: Option, value: object) -> Built:
    from django.test import override_settings

    from relaybox_integrations.django.integration import get_integration

    setting = {
        "API_KEY": TEST_API_KEY,
        "WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        option.key: value,
    }
    with override_settings(RELAYBOX=setting):
        integration = get_integration()
    webhooks = integration.webhooks
    return Built(
        integration.relaybox,
        integration.endpoint,
        None if webhooks is None else webhooks.endpoint,
    )


def build_flask(option: Option, value: object) -> Built:
    from flask import Flask

    from relaybox_integrations.flask import RelayBox as FlaskRelayBox

    app = Flask(__name__)
    app.config.update(
        {
            "RELAYBOX_API_KEY": TEST_API_KEY,
            "RELAYBOX_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
            f"RELAYBOX_{option.key}": value,
        }
    )
    FlaskRelayBox(app)
    state = app.extensions["relaybox"]
    return Built(state.relaybox, state.endpoint, state.webhooks)


def build_starlette(option: Option, value: object) -> Built:
    from relaybox_integrations.starlette import RelayBoxIssuer, RelayBoxWebhooks

    values = _with_defaults(option, value)
    signing_key = values.pop("signing_key")
    webhook_values = {key: values.pop(key) for key in list(values) if key in _WEBHOOK_OPTIONS}
    issuer = RelayBoxIssuer(**values)  # type: ignore[arg-type]
    webhooks = RelayBoxWebhooks(signing_key=signing_key, **webhook_values)
    return Built(issuer.relaybox, issuer.endpoint, webhooks.endpoint)


_WEBHOOK_OPTIONS = {option.name for option in OPTIONS if option.part == "webhooks"}


@dataclass(frozen=True)
class Adapter:
    name: str
    build: Callable[[Option, object], Built]
    #: How this adapter names an option in its settings.
    setting_name: Callable[[Option], str]


def _adapters() -> list[Adapter]:
    found = []
    if importlib.util.find_spec("django") is not None:
        found.append(Adapter("django", build_django, lambda option: f"RELAYBOX[{option.key!r}]"))
    if importlib.util.find_spec("flask") is not None:
        found.append(Adapter("flask", build_flask, lambda option: f"RELAYBOX_{option.key}"))
    if importlib.util.find_spec("starlette") is not None:
        found.append(Adapter("starlette", build_starlette, lambda option: option.name))
    return found


ADAPTERS = _adapters()


@pytest.fixture(params=ADAPTERS, ids=[adapter.name for adapter in ADAPTERS])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    if request.param.name == "django":
        request.getfixturevalue("db")
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize("option", OPTIONS, ids=[option.name for option in OPTIONS])
def test_each_option_reaches_the_core(adapter: Adapter, option: Option) -> None:
    sample = SAMPLES[option.name]
    built = adapter.build(option, sample.good)
    assert sample.seen(built) == sample.expected


@pytest.mark.parametrize("option", OPTIONS, ids=[option.name for option in OPTIONS])
def test_a_bad_value_is_refused_naming_the_adapters_setting(
    adapter: Adapter, option: Option
) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - each adapter's own type
        adapter.build(option, SAMPLES[option.name].bad)
    message = str(raised.value)
    if adapter.name == "django":
        assert f"[{option.check_id}]" in message
        assert adapter.setting_name(option) in message
    else:
        assert getattr(raised.value, "setting", None) == adapter.setting_name(option)
    assert "s" * 40 not in message  # the sample key's secret never shows
