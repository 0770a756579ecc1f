"""The :class:`Emulator`: a local Relaybox, in a thread or in the running event loop."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from aiohttp import web

from ..errors import ConfigurationError
from ..permissions import PermissionsInput, validate_permissions
from ..webhooks import sign_webhook
from ._messages import DeliveredMessage
from ._protocol import Hub
from ._room_control import RoomControl
from ._server import build_app, close_all, display_host, listen
from ._webhooks import DEFAULT_WEBHOOK_TIMEOUT, WebhookDelivery, WebhookSender, check_urls

__all__ = ["DEVELOPMENT_API_KEY", "DEVELOPMENT_WEBHOOK_SIGNING_KEY", "Emulator"]

#: The example projects' development key: accepted by the emulator, refused by Relaybox.
DEVELOPMENT_API_KEY: Final = (
    "demo-app.demo-key:DEVELOPMENT-ONLY-secret-not-accepted-by-relaybox-0000"
)
#: The example projects' development webhook signing key.
DEVELOPMENT_WEBHOOK_SIGNING_KEY: Final = (
    "DEVELOPMENT-ONLY-webhook-signing-key-not-from-relaybox-0000"
)
#: Messages and webhook deliveries kept for :meth:`Emulator.messages` and ``webhooks``.
MAX_RECORDED: Final = 10_000
#: The browser client's offline-mode default port.
DEFAULT_PORT: Final = 9000

_T = TypeVar("_T")


class Emulator(RoomControl):
    """A local Relaybox for one API key: realtime connections, publishing and webhooks.

    ``with Emulator() as emulator:`` serves from a background thread;
    ``async with Emulator() as emulator:`` serves from the running event loop. ``port=0``
    takes any free port (read it back from :attr:`port`). The browser client connects with
    ``offline: {enabled: true, port: emulator.port}``; a server publishes with
    ``RelayBox(api_key, core_url=emulator.core_url)``.
    """

    def __init__(
        self,
        api_key: str = DEVELOPMENT_API_KEY,
        port: int = 0,
        webhook_urls: Sequence[str] = (),
        webhook_signing_key: str | None = None,
        permissions: PermissionsInput = ("*",),
        *,
        host: str = "localhost",
        webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT,
    ) -> None:
        if type(port) is not int or not 0 <= port <= 65535:
            raise ConfigurationError("port", f"port must be an int from 0 to 65535; got {port!r}")
        try:
            self._permissions = validate_permissions(permissions)
        except ValueError as exc:
            raise ConfigurationError("permissions", str(exc)) from None
        self._webhook_urls = check_urls(webhook_urls)
        signing_key = (
            DEVELOPMENT_WEBHOOK_SIGNING_KEY if webhook_signing_key is None else webhook_signing_key
        )
        del webhook_signing_key
        try:
            sign_webhook("emulator:check", None, signing_key)  # the key's own checks
        except ConfigurationError as exc:
            raise exc.renamed("webhook_signing_key") from None
        self._signing_key = signing_key
        # Bounded: a command-line emulator may run for days.
        self._messages: collections.deque[DeliveredMessage] = collections.deque(maxlen=MAX_RECORDED)
        self._webhooks: collections.deque[WebhookDelivery] = collections.deque(maxlen=MAX_RECORDED)
        self._changed = threading.Condition()
        self._hub = Hub(
            api_key,
            self._permissions,
            on_webhook=self._webhook,
            on_message=self._delivered,
        )
        del api_key
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._webhook_timeout = webhook_timeout
        self._sender: WebhookSender | None = None
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        #: disconnect() and reset() called from the loop itself, referenced until done.
        self._actions: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        where = f"url={self.url!r}" if self._port is not None else "not running"
        return f"Emulator(app={self._hub.app_pid!r}, {where})"

    def __reduce__(self) -> Any:
        raise TypeError("Emulator objects cannot be pickled; they hold the API secret")

    # --- where ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen, for ``port=0``)."""
        if self._port is None:
            raise RuntimeError("the emulator is not running; use it in a with block")
        return self._port

    @property
    def url(self) -> str:
        """``http://localhost:PORT``: what the browser client's offline mode builds on."""
        return f"http://{display_host(self._host)}:{self.port}"

    @property
    def core_url(self) -> str:
        """The ``core_url`` for ``RelayBox`` (server publishes): ``http://localhost:PORT/core``."""
        return f"{self.url}/core"

    @property
    def ws_url(self) -> str:
        """The WebSocket URL the browser client opens: ``ws://localhost:PORT/core``."""
        return f"ws://{display_host(self._host)}:{self.port}/core"

    @property
    def public_key(self) -> str:
        """``appPid.keyId`` of the key it accepts; safe to show."""
        return f"{self._hub.app_pid}.{self._hub.key_id}"

    # --- what happened -------------------------------------------------------------------

    def messages(
        self, room_id: str | None = None, event: str | None = None
    ) -> list[DeliveredMessage]:
        """The messages delivered since the last :meth:`reset` (the last 10,000), oldest
        first."""
        with self._changed:
            return [
                m
                for m in self._messages
                if (room_id is None or m.room_id == room_id) and (event is None or m.event == event)
            ]

    @property
    def webhooks(self) -> list[WebhookDelivery]:
        """The webhook deliveries made since the last :meth:`reset` (finished or not)."""
        with self._changed:
            return list(self._webhooks)

    def wait_for_message(self, room_id: str, event: str, timeout: float = 5) -> DeliveredMessage:
        """The first message delivered to ``room_id`` with ``event``, waiting up to
        ``timeout`` seconds for it; raises ``TimeoutError`` naming what was delivered."""
        self._not_on_loop("wait_for_message", "await emulator.await_message(...)")
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._first(room_id, event)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._not_delivered(room_id, event, timeout))
                self._changed.wait(remaining)

    async def await_message(self, room_id: str, event: str, timeout: float = 5) -> DeliveredMessage:
        """:meth:`wait_for_message` for code running in the emulator's event loop."""
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                found = self._first(room_id, event)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(self._not_delivered(room_id, event, timeout))
            await asyncio.sleep(0.01)

    def wait_for_webhooks(self, count: int, timeout: float = 30) -> list[WebhookDelivery]:
        """Wait until ``count`` deliveries have finished (delivered or failed)."""
        self._not_on_loop("wait_for_webhooks", "poll emulator.webhooks")
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                done = [w for w in self._webhooks if w.outcome != "pending"]
                if len(done) >= count:
                    return done
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(done)} of {count} webhook deliveries finished in {timeout:g} s"
                    )
                self._changed.wait(remaining)

    def _first(self, room_id: str, event: str) -> DeliveredMessage | None:
        return next((m for m in self._messages if m.room_id == room_id and m.event == event), None)

    def _not_delivered(self, room_id: str, event: str, timeout: float) -> str:
        seen = sorted({(m.room_id, m.event) for m in self._messages})
        return (
            f"no message {event!r} was delivered to room {room_id!r} within {timeout:g} s; "
            f"delivered: {seen or 'nothing'}"
        )

    def _delivered(self, message: DeliveredMessage) -> None:
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()

    def _webhook(self, event: str, data: Any, session: dict[str, Any]) -> None:
        if self._sender is not None:
            self._sender.send(event, data, session)

    def _record_webhook(self, delivery: WebhookDelivery) -> None:
        with self._changed:
            self._webhooks.append(delivery)

    def _webhook_finished(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # --- control -------------------------------------------------------------------------

    def disconnect(self, client_id: str | None = None) -> None:
        """Drop every connection, or ``client_id``'s: the clients reconnect with the same
        connectionId, as after a network failure (their rooms and bindings are restored)."""

        async def close() -> None:
            await close_all(self._hub.sockets(client_id), 1012, b"dropped by the emulator")

        self._run(close)

    def reset(self) -> None:
        """Forget rooms (and their visibility, passwords and members), presence, history,
        messages and webhooks; drop every connection."""

        async def reset() -> None:
            await close_all(self._hub.sockets(), 1012, b"emulator reset")
            self._hub.reset()
            if self._sender is not None:
                self._sender.cancel()
            with self._changed:
                self._messages.clear()
                self._webhooks.clear()

        self._run(reset)

    def counts(self) -> dict[str, int]:
        """How many sessions, topics, rooms, presence members and event loop tasks it holds,
        for leak checks."""
        loop = self._loop
        tasks = len(asyncio.all_tasks(loop)) if loop is not None else 0
        return {**self._hub.counts(), "tasks": tasks}

    def _run(self, action: Callable[[], Any]) -> None:
        """Run the coroutine function ``action`` on the emulator's loop: waited for from
        another thread; from the loop itself, scheduled (it runs at the next await)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the emulator is not running; use it in a with block")
        if self._on_loop():
            task = asyncio.ensure_future(action())
            self._actions.add(task)
            task.add_done_callback(self._actions.discard)
            return
        asyncio.run_coroutine_threadsafe(action(), loop).result(timeout=30)

    def _on_hub(self, action: Callable[[Hub], _T]) -> _T:
        """Run ``action(hub)`` on the emulator's loop, where the hub's tables live: directly
        from the loop itself, waited for from another thread."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the emulator is not running; use it in a with block")
        if self._on_loop():
            return action(self._hub)

        async def call() -> _T:
            return action(self._hub)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _not_on_loop(self, name: str, instead: str) -> None:
        if self._on_loop():
            raise RuntimeError(f"{name} would block the emulator's own event loop; {instead}")

    # --- running -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen and serve from the running event loop (what ``async with`` does)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        sockets = listen(self._host, self._requested_port)
        self._loop = asyncio.get_running_loop()
        self._sender = WebhookSender(
            self._webhook_urls,
            self._signing_key,
            self._record_webhook,
            self._webhook_finished,
            self._webhook_timeout,
        )
        runner = web.AppRunner(
            build_app(self._hub), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            for sock in sockets:
                await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            for sock in sockets:
                sock.close()
            raise
        self._runner = runner
        self._port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._sender is not None:
            await self._sender.close()
            self._sender = None
        self._hub.reset()
        self._port = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
        self._loop = None

    def __enter__(self) -> Emulator:
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._serve, args=(started,), name="relaybox-emulator", daemon=True
        )
        self._thread.start()
        started.result()  # re-raises a start-up error (port in use...) here
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _serve(self, started: concurrent.futures.Future[None]) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            try:
                await self.start()
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(None)
            try:
                await self._stop.wait()
            finally:
                await self.stop()

        try:
            asyncio.run(main())
        finally:
            self._loop = self._stop = None
