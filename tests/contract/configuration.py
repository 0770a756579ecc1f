"""The configuration contract's shared parts: what each adapter's harness offers, the samples
of every option, and the hooks that fail on purpose.

One harness per adapter (``django_configuration``, ``flask_configuration``,
``starlette_configuration``) builds it from its own settings and shows what a user of that
framework would see: the objects, the errors, the debug pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from relaybox_integrations import AuthEndpoint, RelayBox, WebhookEndpoint, sign_webhook
from relaybox_integrations.config import Option

SIGNING_KEY = "whsec-options-contract-signing-key-0123456789"
OTHER_SIGNING_KEY = "whsec-another-signing-key-for-the-options-0123"
#: The secret of a key short enough to warn; it must stay out of what the warning raises.
SHORT_SECRET = "short-secret-XYZ"


@dataclass(frozen=True)
class Built:
    """What an adapter built from its settings."""

    relaybox: RelayBox
    endpoint: AuthEndpoint
    webhooks: WebhookEndpoint | None


class Configuration(Protocol):
    """An adapter under the configuration contract."""

    name: str
    #: The hooks a request runs, by the adapter's own names, each of which may fail.
    hooks: tuple[str, ...]
    #: Whether the adapter keeps users (and sessions) in Django's test database.
    needs_db: bool

    def build(self, option: Option, value: object) -> Built:
        """Build from the adapter's settings, ``option`` set to ``value``."""
        ...

    def assert_names(self, error: BaseException, option: Option) -> None:
        """``error`` names ``option`` as the adapter's own setting."""
        ...

    def malformed_key(self, key: str) -> list[str]:
        """What users see of an API key that is not one: the errors (asserted to name the
        adapter's own setting), the checks, the debug pages."""
        ...

    def bad_option(self, option: Option, value: object) -> list[str]:
        """What users see of a bad option: the start-up error, or the debug page."""
        ...

    def short_secret_as_error(self, key: str) -> list[str]:
        """What users see when the short-secret warning is turned into an error."""
        ...

    def issue_token(self) -> str:
        """A token for a logged-in user, through the auth endpoint with DEBUG on."""
        ...

    def public_objects(self) -> list[object]:
        """Every object of the adapter that users or debug pages may print."""
        ...

    def failing_hook_pages(self, hook: str) -> list[str]:
        """The debug pages of an auth request whose ``hook`` raises ``the hook failed``."""
        ...

    def failing_view_pages(self) -> tuple[list[str], str]:
        """The debug pages of a view that fails with the adapter's objects in its local
        variables, and what they show of those objects."""
        ...


class LoggedIn:
    """A user the adapters take as logged in, with client id ``"1"``."""

    is_authenticated = True
    id = "1"


def fail(*args: object) -> Any:
    raise RuntimeError("the hook failed")


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
class Sample:
    """A good and a bad value of one option, and how the built objects show the good one."""

    good: object
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
    "state_url": Sample(
        "http://127.0.0.1:9000/state/",
        lambda b: b.relaybox.rooms._service.url,
        "http://127.0.0.1:9000/state",
        "state.example",
    ),
    "auth_service_url": Sample(
        "https://auth.example/", lambda b: b.relaybox.users._service.url, "https://auth.example", 7
    ),
    "timeout": Sample(2.5, lambda b: b.relaybox._timeout, 2.5, -1),
    "retries": Sample(4, lambda b: b.relaybox._retries, 4, 99),
    "signing_key": Sample(
        OTHER_SIGNING_KEY, lambda b: signs_with(b.webhooks), OTHER_SIGNING_KEY, '"quoted"'
    ),
    "tolerance": Sample(60, lambda b: b.webhooks and b.webhooks.tolerance, 60.0, -5),
    "max_body_size": Sample(1024, lambda b: b.webhooks and b.webhooks.max_body_size, 1024, 0),
}
