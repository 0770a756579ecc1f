"""Floods of connections and junk: other connections keep working, and nothing leaks."""

from __future__ import annotations

import asyncio
import gc
import resource
from typing import Any

import aiohttp

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import Emulator

from .conftest import API_KEY, run

CYCLES = 1000
BATCH = 50


async def _cycle(http: aiohttp.ClientSession, url: str, query: dict[str, str], full: bool) -> None:
    """Connect and drop; one cycle in five also joins, sends junk and leaves. Raw frames, so
    the clients cost little."""
    async with http.ws_connect(url, params=query) as ws:
        await ws.receive_json()  # the connection acknowledgement
        if not full:
            return
        await ws.send_json({"type": "ds:client:room:join", "body": {"roomId": "f"}, "ackId": "j"})
        assert "err" not in (await ws.receive_json())["body"]
        await ws.send_str("{not json")
        await ws.send_bytes(b"\xff")
        await ws.send_json({"type": "ds:client:unknown", "body": {}, "ackId": "u"})
        assert (await ws.receive_json())["body"]["err"]["name"] == "ValidationError"
        await ws.send_json({"type": "ds:client:room:leave", "body": {"roomId": "f"}, "ackId": "l"})
        await ws.receive_json()


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_connect_disconnect_floods_leak_nothing(relaybox_emulator: Emulator, connect: Any) -> None:
    token = RelayBox(API_KEY).generate_token_response(client_id="flood").as_dict()
    query = {key: str(value) for key, value in token.items()}

    async def flood(http: aiohttp.ClientSession, cycles: int) -> None:
        for start in range(0, cycles, BATCH):
            await asyncio.gather(
                *(
                    _cycle(http, relaybox_emulator.ws_url, query, n % 5 == 0)
                    for n in range(start, start + BATCH)
                )
            )

    async def settled(tasks: int) -> dict[str, int]:
        # The server sees the last closes a little after the clients: wait for them.
        for _ in range(1000):
            if relaybox_emulator.counts()["tasks"] <= tasks:
                break
            await asyncio.sleep(0.01)
        return relaybox_emulator.counts()

    async def scenario() -> tuple[dict[str, int], dict[str, int], int, int]:
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
            connect("steady") as steady,
            connect("watcher") as watcher,
        ):
            room = await steady.join("f")
            listener = await watcher.join("f")
            await listener.subscribe("tick")
            idle = relaybox_emulator.counts()["tasks"]
            await flood(http, BATCH * 2)  # warm up: first-use allocations are not leaks
            before = await settled(idle)
            gc.collect()
            objects, rss = len(gc.get_objects()), _rss_kib()
            await flood(http, CYCLES)
            await room.publish("tick", "still working")
            await listener.wait_for_messages("tick")
            after = await settled(idle)
            gc.collect()
            return before, after, len(gc.get_objects()) - objects, _rss_kib() - rss

    before, after, objects, rss = run(scenario())
    assert after == before
    # Per cycle: under one object that outlives the connection.
    assert objects < CYCLES, f"{objects} more objects after {CYCLES} cycles"
    assert rss < 20 * 1024, f"resident memory grew by {rss} KiB over {CYCLES} cycles"
