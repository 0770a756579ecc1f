"""The test project's ``USER_FROM_AUTH_TOKEN_HOOK``: a Relaybox user is the Django user whose
username is their client id; None for anyone else."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from relaybox_integrations.auth_tokens import RelayBoxUser


def user_from_auth_token(relaybox_user: RelayBoxUser) -> Any:
    return get_user_model().objects.filter(username=relaybox_user.client_id).first()
