"""Everything one ``RelayBox`` sends over HTTP, made on its first request.

One pair of transports (sync and async, so one pool of keep-alive connections per origin and
one aiohttp session per event loop) carries publishing and the state and auth service
calls alike, with the same timeout and retries. The token core imports this module only
when something is first sent, so minting never loads it (nor aiohttp).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .publishing import Publisher
from .rooms import Rooms
from .services import Service
from .transport import AsyncHTTPTransport, HTTPTransport
from .users import Users

if TYPE_CHECKING:
    import hmac

__all__ = ["Clients"]


class Clients:
    """The publisher and the service clients of one ``RelayBox``, over shared transports."""

    def __init__(
        self,
        *,
        public_key: str,
        mac: hmac.HMAC,
        clock: Callable[[], float],
        core_url: str,
        state_url: str,
        auth_service_url: str,
        timeout: float,
        retries: int,
    ) -> None:
        self.transport = HTTPTransport()
        self.async_transport = AsyncHTTPTransport()
        self.publisher = Publisher(
            public_key=public_key,
            mac=mac,
            clock=clock,
            core_url=core_url,
            timeout=timeout,
            retries=retries,
            transport=self.transport,
            async_transport=self.async_transport,
        )
        self.rooms = Rooms(self._service("state service", "state_url", state_url, timeout, retries))
        self.users = Users(
            self._service("auth service", "auth_service_url", auth_service_url, timeout, retries),
            public_key,
        )

    def _service(self, label: str, option: str, url: str, timeout: float, retries: int) -> Service:
        return Service(
            label=label,
            option=option,
            url=url,
            timeout=timeout,
            retries=retries,
            transport=self.transport,
            async_transport=self.async_transport,
        )

    def close(self) -> None:
        """Close the idle sync connections; later requests open new ones."""
        self.transport.close()

    async def aclose(self) -> None:
        """Close the running event loop's session; later requests in it open a new one."""
        await self.async_transport.aclose()
