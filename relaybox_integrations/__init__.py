"""Relaybox auth tokens for Django, Flask, Starlette and FastAPI applications.

The framework-free core is importable from here; each framework's adapter lives in its own
subpackage (``relaybox_integrations.django``, ``.flask``, ``.starlette``, ``.fastapi``).
"""

from .core import (
    DEFAULT_EXPIRES_IN,
    ISSUER,
    MAX_EXPIRES_IN,
    MAX_TOKEN_LENGTH,
    TOKEN_TYPE,
    ApiKey,
    RelayBox,
    TokenResponse,
)
from .endpoint import AccessDenied, AuthEndpoint, EndpointResponse
from .errors import (
    ConfigurationError,
    PublishError,
    PublishOutcomeUnknownError,
    PublishRequestError,
    RelayBoxError,
    ShortSecretWarning,
    TokenRequestError,
    TokenTooLargeError,
    TokenVerificationError,
)
from .permissions import PERMISSION_NAMES, Permissions, PermissionsInput, validate_permissions

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "ISSUER",
    "MAX_EXPIRES_IN",
    "MAX_TOKEN_LENGTH",
    "PERMISSION_NAMES",
    "TOKEN_TYPE",
    "AccessDenied",
    "ApiKey",
    "AuthEndpoint",
    "ConfigurationError",
    "EndpointResponse",
    "Permissions",
    "PermissionsInput",
    "PublishError",
    "PublishOutcomeUnknownError",
    "PublishRequestError",
    "RelayBox",
    "RelayBoxError",
    "ShortSecretWarning",
    "TokenRequestError",
    "TokenResponse",
    "TokenTooLargeError",
    "TokenVerificationError",
    "__version__",
    "validate_permissions",
]
