"""Soak each example's /user/auth: 64 connections for 30 s, no errors, no memory growth.

    python benchmarks/soak.py [--short] [--examples django,flask,starlette,fastapi]
        [--seconds 30] [--connections 64]

Each example runs under its production server with one worker, a session logged in through
its real form, and wrk (on loopback only, for a fixed duration) requesting /user/auth with
that session. Criteria, from the benchmarks issue; any failure makes the exit status 1:

* zero socket errors (connect, read, write, timeout) and zero responses outside 2xx/3xx,
  which include every 5xx;
* the server's processes unchanged (no worker crashed and was replaced);
* resident memory of the server's process tree (from /proc) growing less than 5 MB per
  100,000 requests between the end of a warm-up run and the end of the soak. Below 1 MB in
  total the growth is taken as allocator noise, which /proc's figures cannot resolve.

``--short`` soaks 5 s per example, for CI.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from harness import (
    ARTIFACTS,
    EXAMPLES,
    example_present,
    example_server,
    load_note,
    logged_in_session,
    parse_list,
    require,
    rss_bytes,
    server_description,
    server_tree,
    wrk,
)

require("httpx")  # logged_in_session's

MB = 1024 * 1024
MAX_GROWTH_PER_100K = 5 * MB
#: Total growth that is not taken as a trend: RSS moves by whole pages and allocator arenas.
NOISE_FLOOR = 1 * MB


class RssSampler(threading.Thread):
    """Samples the server tree's RSS twice a second while the load runs."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()
        self.start_time = time.monotonic()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.samples.append((time.monotonic() - self.start_time, rss_bytes(self.pids)))


def soak(name: str, args: argparse.Namespace) -> dict[str, Any]:
    with example_server(name, workers=1, log_name=f"soak-{name}") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        session = logged_in_session(server.base_url)
        url = server.base_url + "/user/auth"
        warmup = wrk(
            url, connections=args.connections, seconds=args.warmup, cookie=session.cookie, threads=2
        )
        time.sleep(0.5)
        before = rss_bytes(server.pids)
        sampler = RssSampler(server.pids)
        sampler.start()
        result = wrk(
            url,
            connections=args.connections,
            seconds=args.seconds,
            cookie=session.cookie,
            threads=2,
        )
        sampler.stopped.set()
        sampler.join()
        time.sleep(0.5)
        after = rss_bytes(server.pids)
        pids_after = server_tree(port)
    growth = after - before
    per_100k = growth / max(result["requests"], 1) * 100_000
    failures = []
    socket_errors = {k: v for k, v in result["errors"].items() if k != "status" and v}
    if socket_errors:
        failures.append(f"socket errors {socket_errors}")
    if result["errors"]["status"]:
        failures.append(f"{result['errors']['status']} responses outside 2xx/3xx")
    if warmup["error_count"]:
        failures.append(f"{warmup['error_count']} errors during the warm-up")
    if pids_after != server.pids:
        failures.append(f"server processes changed from {server.pids} to {pids_after}")
    if growth > NOISE_FLOOR and per_100k >= MAX_GROWTH_PER_100K:
        failures.append(f"RSS grew {per_100k / MB:.2f} MB per 100k requests")
    return {
        "server": server_description(name, 1),
        "requests": result["requests"],
        "rps": result["rps"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "errors": result["errors"],
        "rss_before": before,
        "rss_after": after,
        "rss_peak": max([rss for _, rss in sampler.samples] + [before, after]),
        "rss_samples": sampler.samples,
        "growth_bytes": growth,
        "growth_per_100k_bytes": per_100k,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default="django,flask,starlette,fastapi")
    parser.add_argument("--seconds", type=float, default=30.0, help="soak length per example")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--short", action="store_true", help="5 s per example (for CI)")
    parser.add_argument("--json", type=Path, default=ARTIFACTS / "soak.json")
    args = parser.parse_args(argv)
    if args.short:
        args.seconds = 5.0
    args.warmup = min(5.0, max(2.0, args.seconds / 6))
    names = parse_list(args.examples)
    unknown = [name for name in names if name not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example(s) {unknown}; choose from {sorted(EXAMPLES)}")

    print(
        f"Soak: {args.connections} connections, {args.seconds:g} s per example after a "
        f"{args.warmup:g} s warm-up; limit {MAX_GROWTH_PER_100K // MB} MB RSS growth per "
        f"100k requests; {load_note()}."
    )
    report: dict[str, Any] = {
        "seconds": args.seconds,
        "connections": args.connections,
        "examples": {},
    }
    failed = False
    for name in names:
        if not example_present(name):
            print(f"{name}: FAIL: the example is missing")
            report["examples"][name] = {"failures": ["the example is missing"]}
            failed = True
            continue
        try:
            outcome = soak(name, args)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            outcome = {"failures": [f"could not be soaked: {exc}"]}
        report["examples"][name] = outcome
        if "requests" in outcome:
            print(
                f"{name} ({outcome['server']}): {outcome['requests']:,} requests, "
                f"{outcome['rps']:,.0f} req/s, p99 {outcome['p99_ms']:.1f} ms, "
                f"errors {sum(outcome['errors'].values())}; RSS "
                f"{outcome['rss_before'] / MB:.1f} -> {outcome['rss_after'] / MB:.1f} MB "
                f"(peak {outcome['rss_peak'] / MB:.1f}), "
                f"{outcome['growth_per_100k_bytes'] / MB:+.2f} MB per 100k requests"
            )
        verdict = "PASS" if not outcome["failures"] else "FAIL: " + "; ".join(outcome["failures"])
        print(f"  {verdict}")
        failed = failed or bool(outcome["failures"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'Soak FAILED' if failed else 'Soak passed'}; results in {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
