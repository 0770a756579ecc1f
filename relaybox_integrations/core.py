"""The framework-free core: :class:`RelayBox`, one API key's configured client.

It checks every option once, then hands each call on: the key to
:class:`~relaybox_integrations.ApiKey` (in ``keys``), minting and verifying to
:mod:`.tokens`, publishing to :mod:`.publishing` and the state and auth service calls to
:mod:`.rooms` and :mod:`.users` (all four loaded on first use, by :mod:`.clients`). The
constants users import from here are re-exported from where they are defined.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .auth_tokens import RelayBoxUser, verify_auth_token
from .errors import ConfigurationError, TokenRequestError, TokenTooLargeError
from .keys import ApiKey, warn_if_short_secret
from .options import (
    DEFAULT_AUTH_SERVICE_URL,
    DEFAULT_CORE_URL,
    DEFAULT_EXPIRES_IN,
    DEFAULT_PUBLISH_RETRIES,
    DEFAULT_PUBLISH_TIMEOUT,
    DEFAULT_STATE_URL,
    MAX_EXPIRES_IN,
    REFRESH_MARGIN,
    check_auth_service_url,
    check_client_id,
    check_core_url,
    check_expires_in,
    check_retries,
    check_room_id,
    check_state_url,
    check_timeout,
)
from .permissions import Permissions, PermissionsInput, validate_permissions
from .results import PublishResult, TokenResponse
from .tokens import (
    ISSUER,
    MAX_TOKEN_LENGTH,
    ROOM_TOKEN_TYPE,
    TOKEN_TYPE,
    Tokens,
    permissions_claim,
)

if TYPE_CHECKING:
    from .clients import Clients
    from .publishing import Publisher
    from .rooms import Rooms
    from .users import Users

__all__ = [
    "API_KEY_ENV_VAR",
    "DEFAULT_EXPIRES_IN",
    "ISSUER",
    "MAX_EXPIRES_IN",
    "MAX_TOKEN_LENGTH",
    "REFRESH_MARGIN",
    "ROOM_TOKEN_TYPE",
    "TOKEN_TYPE",
    "ApiKey",
    "PublishResult",
    "RelayBox",
    "TokenResponse",
]

#: Where :meth:`~relaybox_integrations.RelayBox.from_env` and the ``relaybox`` command read
#: the API key.
API_KEY_ENV_VAR: Final = "RELAYBOX_API_KEY"
#: Where :meth:`~relaybox_integrations.RelayBox.from_env` reads each service URL, by option.
URL_ENV_VARS: Final = {
    "core_url": "RELAYBOX_CORE_URL",
    "state_url": "RELAYBOX_STATE_URL",
    "auth_service_url": "RELAYBOX_AUTH_SERVICE_URL",
}


class RelayBox:
    """Mints and verifies Relaybox auth tokens for one API key.

    ``expires_in`` and ``permissions`` are the defaults for every token; each call may
    override them. All configuration is checked here, once: a bad key, expiry or default
    permissions raise :class:`ConfigurationError` naming the option. Instances hold no
    per-user state and are safe to share between threads.
    """

    def __init__(
        self,
        api_key: str,
        *,
        expires_in: int = DEFAULT_EXPIRES_IN,
        permissions: PermissionsInput | None = None,
        clock: Callable[[], float] = time.time,
        core_url: str = DEFAULT_CORE_URL,
        timeout: float = DEFAULT_PUBLISH_TIMEOUT,
        retries: int = DEFAULT_PUBLISH_RETRIES,
        state_url: str = DEFAULT_STATE_URL,
        auth_service_url: str = DEFAULT_AUTH_SERVICE_URL,
    ) -> None:
        try:
            self._api_key = ApiKey(api_key)
        finally:  # frames in a traceback (Django's debug page, Werkzeug's debugger) show locals
            del api_key
        self._expires_in = check_expires_in(
            expires_in, lambda message: ConfigurationError("expires_in", message)
        )
        try:
            self._permissions = None if permissions is None else validate_permissions(permissions)
        except ValueError as exc:
            raise ConfigurationError("permissions", str(exc)) from None
        self._permissions_json = permissions_claim(self._permissions)
        self._clock = clock
        self._tokens = Tokens(self._api_key, clock)
        self._core_url = check_core_url(core_url)
        self._timeout = check_timeout(timeout)
        self._retries = check_retries(retries)
        self._state_url = check_state_url(state_url)
        self._auth_service_url = check_auth_service_url(auth_service_url)
        self._clients_instance: Clients | None = None
        self._clients_lock = threading.Lock()

        warn_if_short_secret(self._api_key)
        try:  # the default permissions alone must leave room in the WebSocket URL
            self.generate_token_response()
        except TokenTooLargeError as exc:
            raise ConfigurationError("permissions", str(exc)) from None

    @classmethod
    def from_env(cls, variable: str = API_KEY_ENV_VAR, **options: Any) -> RelayBox:
        """Build from the API key in environment variable ``variable``.

        ``core_url``, ``state_url`` and ``auth_service_url`` come from ``RELAYBOX_CORE_URL``,
        ``RELAYBOX_STATE_URL`` and ``RELAYBOX_AUTH_SERVICE_URL`` when those are set and the option
        is not passed.
        """
        for option, name in URL_ENV_VARS.items():
            url = os.environ.get(name)
            if url and option not in options:
                options[option] = url
        value = os.environ.get(variable)
        if not value:
            raise ConfigurationError(
                "api_key",
                f"the environment variable {variable} is not set; set it to your Relaybox "
                "API key, '<appPid>.<keyId>:<secret>'",
            )
        return cls(value, **options)

    @property
    def public_key(self) -> str:
        """``appPid.keyId``; safe to show."""
        return self._api_key.public_key

    @property
    def expires_in(self) -> int:
        """The default token lifetime in seconds."""
        return self._expires_in

    @property
    def permissions(self) -> Permissions | None:
        """The default inline permissions, or None for the API key's own."""
        return self._permissions

    def __repr__(self) -> str:
        return f"RelayBox(public_key={self.public_key!r}, expires_in={self._expires_in})"

    def __reduce__(self) -> Any:
        raise TypeError("RelayBox objects cannot be pickled; they hold the API secret")

    def generate_token_response(
        self,
        *,
        client_id: str | int | None = None,
        expires_in: int | None = None,
        permissions: PermissionsInput | None = None,
    ) -> TokenResponse:
        """Mint a token for ``client_id`` (None: no identity, no presence).

        ``expires_in`` and ``permissions`` default to the instance's. Raises
        :class:`TokenRequestError` on a bad argument and :class:`TokenTooLargeError` when
        the token would not fit in the client's WebSocket URL.
        """
        if expires_in is None:
            lifetime = self._expires_in
        else:
            lifetime = check_expires_in(expires_in, TokenRequestError)
        if permissions is None:
            permissions_json = self._permissions_json
        else:
            try:
                permissions_json = permissions_claim(validate_permissions(permissions))
            except ValueError as exc:
                raise TokenRequestError(str(exc)) from None
        client = None if client_id is None else check_client_id(client_id)
        return self._tokens.auth_token(client, permissions_json, lifetime)

    def generate_room_access_token(
        self, room_id: str, client_id: str | int, *, expires_in: int | None = None
    ) -> TokenResponse:
        """Mint a room access token: what the browser passes as ``accessToken`` to join
        ``room_id`` when the room's visibility is ``authorized``.

        Claims as the official library's ``rooms.generateAccessToken``: ``publicKey``,
        ``roomId``, ``clientId``, ``timestamp``, ``tokenType`` ``"basic_access"`` and
        ``expiresIn``, signed HS256 with the API secret. ``room_id`` must be what Relaybox
        accepts as a room id; raises :class:`TokenRequestError` on a bad argument.
        """
        room = check_room_id(room_id)
        client = check_client_id(client_id)
        if expires_in is None:
            lifetime = self._expires_in
        else:
            lifetime = check_expires_in(expires_in, TokenRequestError)
        return self._tokens.room_access_token(room, client, lifetime)

    def verify_room_access_token(self, token: str, room_id: str) -> dict[str, Any]:
        """Return the claims of a room access token if Relaybox would admit its holder to
        ``room_id``: HS256 under this key's secret, this key's ``publicKey``, an ``exp`` in
        the future and ``roomId == room_id`` (the core checks no more). Anything else raises
        :class:`TokenVerificationError`."""
        return self._tokens.verify_room_access_token(token, room_id)

    def verify_token(self, token: str) -> dict[str, Any]:
        """Return the claims of ``token`` if Relaybox's service would accept it.

        Accepts only HS256 signed with this key's secret, issuer ``https://relaybox.net``,
        ``tokenType == "id_token"``, this key's ``publicKey``, and an ``exp`` still in the
        future. Anything else raises :class:`TokenVerificationError`.
        """
        return self._tokens.verify_token(token)

    def verify_auth_token(self, token: str) -> RelayBoxUser:
        """The user a Relaybox user's auth token names (what Relaybox's own auth gives a
        signed-in user), once it proves genuine and current.

        Checks what Relaybox's auth service checks: HS256 under this key's secret, issuer
        ``https://relaybox.net``, ``tokenType == "id_token"``, this key's ``publicKey``, an
        ``exp`` in the future, and a ``sub`` and ``clientId``; so refresh and MFA tokens,
        which the official library's ``verifyAuthToken`` accepts, are refused. Raises
        :class:`TokenExpiredError` for an expired token, :class:`TokenVerificationError` for
        any other.
        """
        return verify_auth_token(self._tokens, token)

    # --- over HTTP (relaybox_integrations.clients, loaded on first use) -----------------

    def _clients(self) -> Clients:
        clients = self._clients_instance
        if clients is None:
            with self._clients_lock:
                clients = self._clients_instance
                if clients is None:
                    from .clients import Clients

                    clients = Clients(
                        public_key=self._api_key.public_key,
                        mac=self._tokens.mac,
                        clock=self._clock,
                        core_url=self._core_url,
                        state_url=self._state_url,
                        auth_service_url=self._auth_service_url,
                        timeout=self._timeout,
                        retries=self._retries,
                    )
                    self._clients_instance = clients
        return clients

    def _publisher(self) -> Publisher:
        return self._clients().publisher

    @property
    def rooms(self) -> Rooms:
        """Room management on Relaybox's state service (at ``state_url``): create a room,
        set its visibility, add, remove and rank its members; sync and async."""
        return self._clients().rooms

    @property
    def users(self) -> Users:
        """Relaybox's own users, on its auth service (at ``auth_service_url``); sync and async."""
        return self._clients().users

    def publish(
        self,
        room_id: str,
        event: str,
        data: Any,
        *,
        client_id: str | int | None = None,
        transient: bool = False,
    ) -> PublishResult:
        """Publish ``event`` with ``data`` to everyone subscribed to ``room_id``.

        ``client_id`` is the user the message is attributed to; ``transient=True`` keeps
        it out of the room's history. Raises :class:`PublishRequestError` for a bad
        argument (nothing sent), :class:`PublishError` when Relaybox refuses or cannot be
        reached, and :class:`PublishOutcomeUnknownError` when the answer never came.
        """
        return self._publisher().publish(room_id, event, data, client_id, transient)

    def check_publish(
        self,
        room_id: str,
        event: str,
        data: Any,
        *,
        client_id: str | int | None = None,
        transient: bool = False,
    ) -> None:
        """Raise :class:`PublishRequestError` now for what :meth:`publish` would refuse.

        For publishing later (after a database commit, from a task queue): a bad argument
        is then a bug in the code that asked, reported where it asked.
        """
        self._publisher().message(room_id, event, data, client_id, transient)

    async def apublish(
        self,
        room_id: str,
        event: str,
        data: Any,
        *,
        client_id: str | int | None = None,
        transient: bool = False,
    ) -> PublishResult:
        """:meth:`publish` for asyncio, over one connection pool per event loop."""
        return await self._publisher().apublish(room_id, event, data, client_id, transient)

    def close(self) -> None:
        """Close the idle connections :meth:`publish` and the service calls keep; later
        calls open new ones."""
        if self._clients_instance is not None:
            self._clients_instance.close()

    async def aclose(self) -> None:
        """Close the connections :meth:`apublish` and the async service calls keep for the
        running event loop."""
        if self._clients_instance is not None:
            await self._clients_instance.aclose()

    def __enter__(self) -> RelayBox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> RelayBox:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        self.close()
