"""Every error the package raises survives pickling: task queues and process pools carry
exceptions between processes, and an error that cannot be rebuilt hides the real one."""

from __future__ import annotations

import pickle

import pytest

import relaybox_integrations
from relaybox_integrations import (
    AccessDenied,
    ConfigurationError,
    MissingExtraError,
    MissingMiddlewareError,
    PublishError,
    PublishOutcomeUnknownError,
    PublishRequestError,
    RelayBoxError,
    ServiceError,
    ServiceOutcomeUnknownError,
    ServiceRequestError,
    TokenExpiredError,
    TokenRequestError,
    TokenTooLargeError,
    TokenVerificationError,
    WebhookSigningError,
    WebhookVerificationError,
)

ERRORS = [
    AccessDenied("m"),
    ConfigurationError("api_key", "m"),
    MissingExtraError("webhooks", "m"),
    MissingMiddlewareError("m"),
    TokenRequestError("m"),
    TokenTooLargeError("m"),
    TokenVerificationError("m"),
    TokenExpiredError("m"),
    WebhookVerificationError("stale_timestamp", "m"),
    WebhookSigningError("m"),
    PublishRequestError("data", "m"),
    PublishError("m", room_id="r", event="e", status=500, body="b", attempts=2),
    PublishOutcomeUnknownError("m", room_id="r", event="e"),
    ServiceRequestError("room_id", "m"),
    ServiceError(
        "m", method="GET", url="u", status=404, name="NotFoundError", data={"d": 1}, attempts=2
    ),
    ServiceOutcomeUnknownError("m", method="PUT", url="u"),
]


def test_every_error_class_is_listed() -> None:
    exported = (getattr(relaybox_integrations, name) for name in relaybox_integrations.__all__)
    classes = {item for item in exported if isinstance(item, type)}
    errors = {cls for cls in classes if issubclass(cls, RelayBoxError)} - {RelayBoxError}
    assert errors == {type(error) for error in ERRORS}


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_errors_survive_pickling(error: RelayBoxError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert vars(copy) == vars(error)
    assert str(copy) == "m"
