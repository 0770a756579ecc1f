"""The emulator's fan-out, memory per connection and round trip, in one run.

    python benchmarks/emulator.py [--subscribers 200] [--messages 100] [--repeats 3]

Each server runs in its own process; the clients (aiohttp, raw frames) run in this one.

* Fan-out: a room with ``--subscribers`` subscribed connections, one more connection
  publishing ``--messages`` messages; delivered messages per second, against a bare
  broadcast server written with the same WebSocket library (aiohttp: every text frame it
  receives goes to every other connection), alternating, best of ``--repeats``. The server's
  CPU time per delivered message is printed too, since on a small machine the clients in this
  process can be what limits the throughput. The emulator's rate limit (30 frames per 5 s)
  is lifted for the publisher in this run only. Target: at least 0.7x the bare server.
* Memory: the emulator's resident memory before and after 1,000 idle connections (each
  connected and acknowledged). Target: at most 100 KB per connection.
* Round trip: connect, join, subscribe and receive one published message, 200 times in a
  row; p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import DEVELOPMENT_API_KEY

FAN_OUT_TARGET = 0.7
MEMORY_TARGET_KB = 100
IDLE_CONNECTIONS = 1000
ROUND_TRIPS = 200


# --- the servers (run with --serve) ----------------------------------------------------------


async def _serve_emulator(port: int) -> None:
    from relaybox_integrations.emulator import Emulator, _protocol

    _protocol.RATE_LIMIT_FRAMES = 10**9  # the publisher sends faster than any client may
    async with Emulator(port=port, host="127.0.0.1"):
        print("ready", flush=True)
        await asyncio.Event().wait()


async def _serve_bare(port: int) -> None:
    from aiohttp import web

    sockets: set[web.WebSocketResponse] = set()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.add(ws)
        try:
            async for message in ws:
                for other in list(sockets):
                    if other is not ws:
                        await other.send_str(message.data)
        finally:
            sockets.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/core", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


# --- measuring -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, kind: str) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, str(self.port)], stdout=subprocess.PIPE
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise SystemExit(f"the {kind} server did not start")
        self.url = f"ws://127.0.0.1:{self.port}/core"

    def cpu(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


QUERY = {
    key: str(value)
    for key, value in RelayBox(DEVELOPMENT_API_KEY, expires_in=3600)
    .generate_token_response(client_id="bench")
    .as_dict()
    .items()
}


async def _request(ws: aiohttp.ClientWebSocketResponse, kind: str, body: dict[str, Any]) -> Any:
    await ws.send_str(json.dumps({"type": kind, "body": body, "ackId": "a"}))
    while True:
        frame = await ws.receive_json()
        if frame["type"] == "ds:server:message:acknowledged":
            return frame["body"]


async def _open(http: aiohttp.ClientSession, url: str, emulator: bool) -> Any:
    ws = await http.ws_connect(url, params=QUERY if emulator else None, autoping=True)
    if emulator:
        await ws.receive_json()
    return ws


async def fan_out(
    server: Server, emulator: bool, subscribers: int, messages: int
) -> tuple[float, float]:
    """Delivered messages per second, and server CPU microseconds per delivery."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sockets = [await _open(http, server.url, emulator) for _ in range(subscribers + 1)]
        publisher, receivers = sockets[0], sockets[1:]
        if emulator:
            for ws in sockets:
                await _request(ws, "ds:client:room:join", {"roomId": "bench"})
            for ws in receivers:
                await _request(
                    ws, "ds:client:room:subscription:bind", {"roomId": "bench", "event": "e"}
                )
        remaining = subscribers * messages
        done = asyncio.Event()

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            nonlocal remaining
            async for _ in ws:
                remaining -= 1
                if remaining == 0:
                    done.set()

        readers = [asyncio.ensure_future(read(ws)) for ws in receivers]
        frame = {
            "type": "ds:client:publish",
            "body": {"roomId": "bench", "event": "e", "data": {"text": "x" * 100}},
        }
        cpu, start = server.cpu(), time.perf_counter()
        for number in range(messages):
            await publisher.send_str(json.dumps({**frame, "ackId": str(number)}))
            if number % 10 == 9:
                await asyncio.sleep(0)
        await asyncio.wait_for(done.wait(), 300)
        elapsed, used = time.perf_counter() - start, server.cpu() - cpu
        for reader in readers:
            reader.cancel()
        for ws in sockets:
            await ws.close()
        deliveries = subscribers * messages
        return deliveries / elapsed, used / deliveries * 1e6


async def memory(server: Server) -> float:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        before = server.rss_kb()
        sockets = []
        for _ in range(0, IDLE_CONNECTIONS, 100):
            sockets += await asyncio.gather(*(_open(http, server.url, True) for _ in range(100)))
        await asyncio.sleep(1)
        per_connection = (server.rss_kb() - before) * 1024 / IDLE_CONNECTIONS / 1000
        for ws in sockets:
            await ws.close()
        return per_connection


async def round_trips(server: Server) -> list[float]:
    times = []
    async with aiohttp.ClientSession() as http:
        for number in range(ROUND_TRIPS):
            room = f"rt{number}"
            start = time.perf_counter()
            ws = await _open(http, server.url, True)
            await _request(ws, "ds:client:room:join", {"roomId": room})
            await _request(ws, "ds:client:room:subscription:bind", {"roomId": room, "event": "e"})
            await ws.send_str(
                json.dumps(
                    {"type": "ds:client:publish", "body": {"roomId": room, "event": "e", "data": 1}}
                )
            )
            while (await ws.receive_json())["type"] != f"demo-app:{room}::e":
                pass
            times.append((time.perf_counter() - start) * 1000)
            await ws.close()
    return times


async def main(args: argparse.Namespace) -> None:
    emulator, bare = Server("emulator"), Server("bare")
    try:
        best: dict[str, tuple[float, float]] = {}
        for repeat in range(args.repeats):
            for name, server in (("emulator", emulator), ("bare", bare)):
                rate, cpu = await fan_out(
                    server, name == "emulator", args.subscribers, args.messages
                )
                print(
                    f"  fan-out {name:8s} run {repeat + 1}: {rate:8.0f} msg/s, "
                    f"{cpu:5.1f} us CPU/delivery"
                )
                if name not in best or rate > best[name][0]:
                    best[name] = (rate, min(cpu, best.get(name, (0, cpu))[1]))
        ratio = best["emulator"][0] / best["bare"][0]
        cpu_ratio = best["bare"][1] / best["emulator"][1]
        print(
            f"fan-out to {args.subscribers}: emulator {best['emulator'][0]:.0f} msg/s, bare "
            f"{best['bare'][0]:.0f} msg/s: {ratio:.2f}x (CPU per delivery: {cpu_ratio:.2f}x) "
            f"target >= {FAN_OUT_TARGET}x: {'PASS' if ratio >= FAN_OUT_TARGET else 'BELOW'}"
        )
        per_connection = await memory(emulator)
        print(
            f"memory at {IDLE_CONNECTIONS} idle connections: {per_connection:.1f} KB each, "
            f"target <= {MEMORY_TARGET_KB} KB: "
            f"{'PASS' if per_connection <= MEMORY_TARGET_KB else 'ABOVE'}"
        )
        times = await round_trips(emulator)
        p99 = statistics.quantiles(times, n=100)[98]
        print(
            f"connect + join + subscribe + first message, {ROUND_TRIPS} times: "
            f"p50 {statistics.median(times):.2f} ms, p99 {p99:.2f} ms"
        )
    finally:
        emulator.close()
        bare.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve = _serve_emulator if sys.argv[2] == "emulator" else _serve_bare
        asyncio.run(serve(int(sys.argv[3])))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
