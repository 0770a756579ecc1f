"""Relaybox auth tokens, publishing and webhooks for Django, Flask, Starlette and FastAPI.

The framework-free core is importable from here; each framework's adapter lives in its own
subpackage (``relaybox_integrations.django``, ``.flask``, ``.starlette``, ``.fastapi``).
"""

from ._version import __version__
from .auth_tokens import RelayBoxUser
from .core import (
    DEFAULT_EXPIRES_IN,
    ISSUER,
    MAX_EXPIRES_IN,
    MAX_TOKEN_LENGTH,
    TOKEN_TYPE,
    ApiKey,
    PublishResult,
    RelayBox,
    TokenResponse,
)
from .endpoint import AuthEndpoint
from .errors import (
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
    ShortSecretWarning,
    TokenExpiredError,
    TokenRequestError,
    TokenTooLargeError,
    TokenVerificationError,
    WebhookSigningError,
    WebhookVerificationError,
)
from .flow import EndpointResponse
from .permissions import PERMISSION_NAMES, Permissions, PermissionsInput, validate_permissions
from .room_access import RoomAccessEndpoint
from .webhook_stores import (
    AsyncRedisWebhookStore,
    ClaimOutcome,
    InMemoryWebhookStore,
    RedisWebhookStore,
    WebhookStore,
)
from .webhooks import (
    DEFAULT_WEBHOOK_BODY_LIMIT,
    DEFAULT_WEBHOOK_TOLERANCE,
    WEBHOOK_ID_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    SignedWebhook,
    WebhookEndpoint,
    WebhookEvent,
    WebhookHandler,
    WebhookSession,
    sign_webhook,
    verify_webhook,
)

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "DEFAULT_WEBHOOK_BODY_LIMIT",
    "DEFAULT_WEBHOOK_TOLERANCE",
    "ISSUER",
    "MAX_EXPIRES_IN",
    "MAX_TOKEN_LENGTH",
    "PERMISSION_NAMES",
    "TOKEN_TYPE",
    "WEBHOOK_ID_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "AccessDenied",
    "ApiKey",
    "AsyncRedisWebhookStore",
    "AuthEndpoint",
    "ClaimOutcome",
    "ConfigurationError",
    "EndpointResponse",
    "InMemoryWebhookStore",
    "MissingExtraError",
    "MissingMiddlewareError",
    "Permissions",
    "PermissionsInput",
    "PublishError",
    "PublishOutcomeUnknownError",
    "PublishRequestError",
    "PublishResult",
    "RedisWebhookStore",
    "RelayBox",
    "RelayBoxError",
    "RelayBoxUser",
    "RoomAccessEndpoint",
    "ServiceError",
    "ServiceOutcomeUnknownError",
    "ServiceRequestError",
    "ShortSecretWarning",
    "SignedWebhook",
    "TokenExpiredError",
    "TokenRequestError",
    "TokenResponse",
    "TokenTooLargeError",
    "TokenVerificationError",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookSession",
    "WebhookSigningError",
    "WebhookStore",
    "WebhookVerificationError",
    "__version__",
    "sign_webhook",
    "validate_permissions",
    "verify_webhook",
]
