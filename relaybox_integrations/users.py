"""Relaybox's own users, on its auth service: ``relaybox.users``, sync and async.

For applications whose users sign in with Relaybox's auth. The requests are the official
``@relaybox/rest`` library's ``auth.getUser`` and ``auth.getUserIdentity``, exactly. The
answers are read as the public source of Relaybox's auth service writes them, except that
the identity call's path is not settled: :data:`IDENTITY_PATH` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from .errors import ServiceRequestError, TokenRequestError
from .flow import Flow, arun, run
from .options import check_client_id
from .services import Service, ServiceAnswer, bearer, query_value, segment, text, utf8

__all__ = ["IDENTITY_PATH", "User", "UserIdentity", "Users"]

#: ``getUserIdentity``'s path. The official library's main branch asks ``/identity``
#: (commit 2350b65, April 2025); its published 1.14.1, and the public source of the auth
#: service, use ``/users/identity``. Which one the live service answers cannot be told from
#: public source; this follows the library, as every request here does.
IDENTITY_PATH: Final = "/identity"


@dataclass(frozen=True)
class UserIdentity:
    """A way a user signs in: a provider (``email``, ``github``, ``google``) and its id."""

    id: str
    provider: str | None
    provider_id: str | None
    #: The provider's access token, from :meth:`Users.get_user_identity` only: a credential,
    #: kept out of ``repr()``.
    access_token: str | None = field(default=None, repr=False)
    verified_at: str | None = None


@dataclass(frozen=True)
class User:
    """A Relaybox user, as the auth service describes one (times are ISO 8601 strings)."""

    id: str
    client_id: str
    username: str | None
    first_name: str | None
    last_name: str | None
    org_id: str | None
    app_id: str | None
    is_online: bool
    last_online: str | None
    blocked_at: str | None
    created_at: str | None
    updated_at: str | None
    identities: tuple[UserIdentity, ...]
    #: The whole answer, for fields added after this package was written.
    data: dict[str, Any] = field(repr=False)


def _string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) else None


def _identity(fields: dict[str, Any]) -> UserIdentity | None:
    identity_id = fields.get("id")
    if not isinstance(identity_id, str):
        return None
    return UserIdentity(
        identity_id,
        _string(fields, "provider"),
        _string(fields, "providerId"),
        _string(fields, "accessToken"),
        _string(fields, "verifiedAt"),
    )


def _user(data: object) -> User | None:
    """The user in ``GET /users/{clientId}``'s answer (auth ``get-users-id.ts``), or None
    when it is not one."""
    if not isinstance(data, dict):
        return None
    user_id, client_id = data.get("id"), data.get("clientId")
    if not isinstance(user_id, str) or not isinstance(client_id, str):
        return None
    identities = data.get("identities")
    return User(
        id=user_id,
        client_id=client_id,
        username=_string(data, "username"),
        first_name=_string(data, "firstName"),
        last_name=_string(data, "lastName"),
        org_id=_string(data, "orgId"),
        app_id=_string(data, "appId"),
        is_online=data.get("isOnline") is True,
        last_online=_string(data, "lastOnline"),
        blocked_at=_string(data, "blockedAt"),
        created_at=_string(data, "createdAt"),
        updated_at=_string(data, "updatedAt"),
        identities=tuple(
            identity
            for entry in (identities if isinstance(identities, list) else ())
            if isinstance(entry, dict) and (identity := _identity(entry)) is not None
        ),
        data=data,
    )


class Users:
    """Look up Relaybox users, authorised by a user's own auth token.

    ``auth_token`` is the ``id_token`` the auth service issued at sign-in (its ``sub`` names
    the user). Each method has an ``a``-prefixed twin for asyncio, and raises
    :class:`~relaybox_integrations.ServiceRequestError` for a bad argument (nothing sent) and
    :class:`~relaybox_integrations.ServiceError` for a refusal or no answer: 404 for an
    unknown user, 401 without a token and 403 for one the service refuses.
    """

    def __init__(self, service: Service, public_key: str) -> None:
        self._service = service
        self._public_key = public_key

    def __repr__(self) -> str:
        return f"Users(auth_service_url={self._service.url!r})"

    def get_user(self, client_id: str | int, auth_token: str) -> User:
        """The user whose client id is ``client_id``."""
        return run(self._get_user(client_id, auth_token, False))

    async def aget_user(self, client_id: str | int, auth_token: str) -> User:
        """:meth:`get_user` for asyncio."""
        return await arun(self._get_user(client_id, auth_token, True))

    def _get_user(self, client_id: object, auth_token: object, asynchronous: bool) -> Flow[User]:
        # rest-js lib/auth.ts:26-40
        try:
            client = utf8("client_id", check_client_id(client_id))
        except TokenRequestError as exc:
            raise ServiceRequestError("client_id", str(exc)) from None
        path = f"/users/{segment('client_id', client)}"
        answer = yield from self._get(path, auth_token, asynchronous)
        user = _user(answer.data)
        if user is None:
            raise self._service.unexpected("GET", path, answer, "a user", str(auth_token))
        return user

    def get_user_identity(self, auth_token: str, provider: str) -> UserIdentity | None:
        """The signed-in user's identity with ``provider`` (its ``access_token`` included),
        or None when they have none."""
        return run(self._get_user_identity(auth_token, provider, False))

    async def aget_user_identity(self, auth_token: str, provider: str) -> UserIdentity | None:
        """:meth:`get_user_identity` for asyncio."""
        return await arun(self._get_user_identity(auth_token, provider, True))

    def _get_user_identity(
        self, auth_token: object, provider: object, asynchronous: bool
    ) -> Flow[UserIdentity | None]:
        # rest-js lib/auth.ts:47-61
        name = text("provider", provider)
        assert name is not None
        path = f"{IDENTITY_PATH}?provider={query_value(name)}"
        answer = yield from self._get(path, auth_token, asynchronous)
        if answer.data is None:  # the auth service answers null when there is none
            return None
        identity = _identity(answer.data) if isinstance(answer.data, dict) else None
        if identity is None:
            raise self._service.unexpected("GET", path, answer, "an identity", str(auth_token))
        return identity

    def _get(self, path: str, auth_token: object, asynchronous: bool) -> Flow[ServiceAnswer]:
        """A GET with the official library's headers: the public key and the bearer token."""
        headers = {"X-Ds-Public-Key": self._public_key, "Authorization": bearer(auth_token)}
        assert isinstance(auth_token, str)  # bearer() refuses anything else
        return (
            yield from self._service.call(
                "GET", path, headers, None, token=auth_token, asynchronous=asynchronous
            )
        )
