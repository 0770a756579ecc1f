"""Publishing from Django: after the current database transaction commits, or at once."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from ..errors import RelayBoxError
from .integration import get_relaybox

__all__ = ["publish_on_commit"]

logger = logging.getLogger("relaybox_integrations")


def publish_on_commit(
    room_id: str,
    event: str,
    data: Any,
    *,
    client_id: str | int | None = None,
    transient: bool = False,
    using: str | None = None,
) -> None:
    """Publish once the current transaction on ``using`` commits; never if it rolls back.

    The usual Django way to announce a change only when it is saved (outside a transaction,
    it publishes at once). The arguments are checked now, so a bad one raises
    :class:`~relaybox_integrations.PublishRequestError` in the code that asked. A failure
    after the commit is logged, not raised: the request's answer no longer depends on it.
    """
    relaybox = get_relaybox()
    relaybox.check_publish(room_id, event, data, client_id=client_id, transient=transient)

    def publish() -> None:
        try:
            relaybox.publish(room_id, event, data, client_id=client_id, transient=transient)
        except RelayBoxError:
            logger.exception("Relaybox publish of %r to %r after commit failed", event, room_id)

    transaction.on_commit(publish, using=using)
