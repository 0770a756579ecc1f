"""Publishes per second of ``RelayBox.publish``/``apublish`` against the official library's path.

    python benchmarks/publish.py [--seconds 3] [--repeats 3] [--quick]

Everything publishes to the same local stand-in for Relaybox's ``/events``
(``tests/support/events_standin.py``, which checks every signature), run as its own process on
uvloop and pinned to one core; the clients take turns on the other core. Measured side by side
in one run, in rotating order, ``--repeats`` times each. The ratios use each client's best
run, as benchmarks/core.py does: on a shared machine other work only ever slows a run down,
so the best is the closest to what each client can do. Medians are reported too.

* ``publish`` from one thread, and from 8 threads sharing one instance;
* ``apublish`` with 32 calls in flight on one asyncio event loop (plain asyncio, not uvloop);
* the official ``@relaybox/rest`` publish path (``benchmarks/relaybox-rest-publish.js``: the
  same body, headers and HMAC, sent with Node's ``fetch``) with 1 and with 32 in flight.

Targets (from the publishing issue): ``publish`` at least 2x the official library at
concurrency 1; ``apublish`` at least 3x it at 32. Each is printed as PASS or BELOW; a slow
machine does not fail the run, a refused or failed publish does. Results go to
artifacts/benchmarks/publish.json, and the chart to publish.png when matplotlib is installed.
It needs aiohttp and httpx, and says so when either is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import ARTIFACTS, HERE, ROOT, cpus, pyplot, require

# aiohttp for apublish; httpx for the test support the stand-in is part of.
require("aiohttp", "httpx")

from relaybox_integrations import RelayBox  # noqa: E402
from tests.support.servers import TEST_API_KEY  # noqa: E402

ROOM, EVENT = "chat:lobby", "message"
#: A typical chat message.
DATA = {
    "text": "Hello from the server: the build finished ✔",
    "user": {"id": 42, "name": "Ada"},
    "sentAt": "2026-11-27T18:44:38.495Z",
}
TARGETS = {
    "publish, 1 thread": ("python-sync", 1),
    "publish, 8 threads": ("python-sync", 8),
    "apublish, 32 in flight": ("python-async", 32),
    "official library, 1 in flight": ("node", 1),
    "official library, 32 in flight": ("node", 32),
}
#: (ours, the official library's, minimum ratio)
RATIOS = [
    ("publish, 1 thread", "official library, 1 in flight", 2.0),
    ("apublish, 32 in flight", "official library, 32 in flight", 3.0),
]


@contextmanager
def standin_process(cpu: int | None) -> Iterator[tuple[str, int]]:
    """The stand-in on its own core; yields its core URL and process id."""
    command = [
        sys.executable, "-m", "tests.support.events_standin", "--port", "0", "--uvloop",
        "--no-record", "--keys", json.dumps({TEST_API_KEY: {"chat:*": ["publish"]}}),
    ]  # fmt: skip
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"the stand-in did not start: {line!r}")
        yield line.removeprefix("listening on ").strip(), process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc (the stand-in's load)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stats(core_url: str) -> dict[str, int]:
    with urllib.request.urlopen(core_url + "/_standin/stats", timeout=10) as response:
        return dict(json.load(response))


def python_sync(core_url: str, threads: int, seconds: float) -> dict[str, Any]:
    """Publishes/s of ``threads`` threads calling ``publish`` on one shared instance."""
    relaybox = RelayBox(TEST_API_KEY, core_url=core_url)
    counts = [0] * threads
    errors: list[str] = []

    def work(index: int, deadline: float) -> None:
        while time.perf_counter() < deadline:
            try:
                relaybox.publish(ROOM, EVENT, DATA)
            except Exception as exc:  # counted and reported
                errors.append(str(exc))
            counts[index] += 1

    def run(duration: float) -> float:
        counts[:] = [0] * threads
        deadline = time.perf_counter() + duration
        start = time.perf_counter()
        workers = [threading.Thread(target=work, args=(i, deadline)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sum(counts) / (time.perf_counter() - start)

    run(0.5)  # warm up: connections, caches
    rate = run(seconds)
    relaybox.close()
    return {"publishes_per_s": rate, "errors": len(errors), "first_error": errors[:1]}


def python_async(core_url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """Publishes/s of ``concurrency`` tasks calling ``apublish`` on one instance."""

    async def main() -> dict[str, Any]:
        errors: list[str] = []
        async with RelayBox(TEST_API_KEY, core_url=core_url) as relaybox:

            async def work(deadline: float) -> int:
                count = 0
                while time.perf_counter() < deadline:
                    try:
                        await relaybox.apublish(ROOM, EVENT, DATA)
                    except Exception as exc:  # counted and reported
                        errors.append(str(exc))
                    count += 1
                return count

            async def run(duration: float) -> float:
                deadline = time.perf_counter() + duration
                start = time.perf_counter()
                counts = await asyncio.gather(*(work(deadline) for _ in range(concurrency)))
                return sum(counts) / (time.perf_counter() - start)

            await run(0.5)
            rate = await run(seconds)
        return {"publishes_per_s": rate, "errors": len(errors), "first_error": errors[:1]}

    return asyncio.run(main())


def node(core_url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    options = {
        "coreUrl": core_url, "apiKey": TEST_API_KEY, "roomId": ROOM, "event": EVENT,
        "data": DATA, "concurrency": concurrency, "seconds": seconds, "warmup": 0.5,
    }  # fmt: skip
    result = subprocess.run(
        ["node", str(HERE / "relaybox-rest-publish.js"), json.dumps(options)],
        capture_output=True, text=True, check=True, timeout=60 + seconds * 4,
    )  # fmt: skip
    return dict(json.loads(result.stdout))


def verdict(value: float, target: float) -> str:
    return f"(target ≥ {target:g}x: {'PASS' if value >= target else 'BELOW'})"


def draw(report: dict[str, Any], path: Path) -> bool:
    """Draw the chart at ``path``; False when matplotlib is not there to draw it."""
    plt = pyplot()
    if plt is None:
        return False
    names = list(report["targets"])
    values = [report["targets"][name]["publishes_per_s"] for name in names]
    colours = ["#d62728" if name.startswith("official") else "#1f77b4" for name in names]
    figure, axis = plt.subplots(figsize=(10, 4.5))
    bars = axis.barh(names[::-1], values[::-1], color=colours[::-1])
    axis.bar_label(bars, labels=[f"{value:,.0f}/s" for value in values[::-1]], padding=3)
    axis.set_xlabel("publishes per second (best run)")
    axis.grid(axis="x", alpha=0.3)
    ratios = "; ".join(
        f"{row['ours']} ÷ {row['official']} = {row['ratio']:.1f}x" for row in report["ratios"]
    )
    axis.set_title(
        "Publishing to a local /events stand-in (its own core); clients on the other core\n"
        + ratios,
        fontsize="small",
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per target (median kept)")
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 repeat: a smoke run")
    parser.add_argument("--json", type=Path, default=ARTIFACTS / "publish.json")
    parser.add_argument("--png", type=Path, default=ARTIFACTS / "publish.png")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.repeats = 1.0, 1
    if shutil.which("node") is None:
        raise SystemExit("Node.js is needed for the reference: install nodejs and npm")
    server_cpu, client_cpu = cpus()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})  # Node children inherit it
    runners: dict[str, Callable[[str, int, float], dict[str, Any]]] = {
        "python-sync": python_sync,
        "python-async": python_async,
        "node": node,
    }
    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    load = os.getloadavg()[0]
    print(
        f"Python {platform.python_version()}, Node {node_version.strip()}; stand-in on CPU "
        f"{server_cpu}, clients on CPU {client_cpu}; {args.repeats} runs of {args.seconds:g} s "
        f"per target in rotating order; load average {load:.2f} at start"
        + (" (other work is running: expect noisier figures)" if load > 0.5 else "")
    )
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
    with standin_process(server_cpu) as (core_url, standin_pid):
        names = list(TARGETS)
        for repeat in range(args.repeats):
            shift = (repeat * 2) % len(names)
            for name in names[shift:] + names[:shift]:
                kind, concurrency = TARGETS[name]
                cpu_before, wall_before = cpu_seconds(standin_pid), time.perf_counter()
                run = runners[kind](core_url, concurrency, args.seconds)
                # Warm-up included on both sides: how busy the stand-in's core was.
                run["standin_cpu_share"] = (cpu_seconds(standin_pid) - cpu_before) / (
                    time.perf_counter() - wall_before
                )
                runs[name].append(run)
        counts = stats(core_url)
    refused = {key: value for key, value in counts.items() if key.startswith("refused")}
    errors = sum(run["errors"] for results in runs.values() for run in results)
    summary = {
        name: {
            "publishes_per_s": max(run["publishes_per_s"] for run in results),
            "median_publishes_per_s": statistics.median(run["publishes_per_s"] for run in results),
            "runs": [run["publishes_per_s"] for run in results],
            "errors": sum(run["errors"] for run in results),
            "standin_cpu_share": max(run["standin_cpu_share"] for run in results),
        }
        for name, results in runs.items()
    }
    print(f"\n  {'client':<34} {'best/s':>8} {'median/s':>9} {'stand-in':>9}   runs")
    for name, row in summary.items():
        each = ", ".join(f"{value:,.0f}" for value in row["runs"])
        print(
            f"  {name:<34} {row['publishes_per_s']:>8,.0f} "
            f"{row['median_publishes_per_s']:>9,.0f} {row['standin_cpu_share']:>8.0%}   {each}"
        )
    print("  (stand-in: the busiest share of its core in any run; near 100% it would be the limit)")
    ratios = []
    for ours, official, target in RATIOS:
        ratio = summary[ours]["publishes_per_s"] / summary[official]["publishes_per_s"]
        median_ratio = (
            summary[ours]["median_publishes_per_s"] / summary[official]["median_publishes_per_s"]
        )
        ratios.append(
            {"ours": ours, "official": official, "ratio": ratio, "median_ratio": median_ratio,
             "target": target}
        )  # fmt: skip
        print(
            f"  {ours} ÷ {official} = {ratio:.2f}x {verdict(ratio, target)} "
            f"(medians: {median_ratio:.2f}x)"
        )
    print(f"\n  stand-in: {counts}")
    report = {
        "python": platform.python_version(),
        "node": node_version.strip(),
        "seconds": args.seconds,
        "repeats": args.repeats,
        "load_average": load,
        "cpus": {"standin": server_cpu, "clients": client_cpu},
        "data": DATA,
        "targets": summary,
        "ratios": ratios,
        "standin": counts,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    chart = f", chart: {args.png}" if draw(report, args.png) else ""
    print(f"Results: {args.json}{chart}")
    if refused or errors:
        print(f"FAILED: {errors} publish error(s); the stand-in refused {refused or 'none'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
