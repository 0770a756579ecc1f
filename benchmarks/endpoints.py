"""Requests per second of /user/auth against /user/me and an Express reference, and of the
webhook endpoint against /user/me, under wrk.

    python benchmarks/endpoints.py [--examples django,flask,starlette,fastapi]
        [--concurrency 1,8,32] [--seconds 3] [--repeats 3] [--quick] [--no-scaling]
        [--parts auth,webhooks,scaling]

Each example runs under its production server (gunicorn with one gevent worker for Django and
Flask, uvicorn with one worker for Starlette and FastAPI), pinned to one core, with wrk on
the other core. A session is logged in through the example's real form, and wrk sends its
cookie. At each concurrency, /user/me (the same session and user lookup, no token), the
example's /user/auth, and an Express server minting the same token with jsonwebtoken exactly
as the official Node library does (also pinned to one core) are run in rotating order,
``--repeats`` times each, so machine noise falls on all three alike; the medians are
reported. Then every example's /user/auth is measured with one worker and with two, neither
pinned, wrk sharing the same two cores.

The webhook endpoint (``POST /relaybox/webhooks``: verification, deduplication in the
example's in-memory store, the demo's handler adding the event to its in-memory list) is
measured the same way against /user/me, the example's plain JSON endpoint. Every request is
a delivery with an id of its own, as Relaybox's traffic is (a retry is the exception), so
each one is a deduplication miss that claims the id, runs the handler and marks it done:
``wrk-webhooks.lua`` sends deliveries signed beforehand, one per line of a file written just
before each run, with twice the requests the fastest run so far made; a run that needed
more (and so sent some ids twice) is flagged.

Targets (from the benchmarks issues): /user/auth at least 0.95x /user/me for Django and Flask
and 0.85x for Starlette and FastAPI; Starlette and FastAPI at least 3x the Express reference;
the webhook endpoint at least 0.8x /user/me for every example. Each is printed as PASS or
BELOW; the run does not fail on a slow machine. Results go to
artifacts/benchmarks/endpoints.json and endpoints.png.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from harness import (
    ARTIFACTS,
    EXAMPLES,
    HERE,
    cpus,
    example_present,
    example_server,
    express_server,
    load_note,
    logged_in_session,
    parse_list,
    pyplot,
    require,
    server_description,
    summarise,
    token_claims,
    wrk,
)

require("httpx")

import httpx  # noqa: E402

from relaybox_integrations import sign_webhook  # noqa: E402
from tests.support.servers import TEST_WEBHOOK_SIGNING_KEY  # noqa: E402

DEFAULT_EXAMPLES = "django,flask,starlette,fastapi"
#: Minimum /user/auth ÷ /user/me req/s, per example.
AUTH_VS_ME_TARGET = {"django": 0.95, "flask": 0.95, "starlette": 0.85, "fastapi": 0.85}
#: Minimum /user/auth ÷ Express req/s, per example.
AUTH_VS_EXPRESS_TARGET = {"starlette": 3.0, "fastapi": 3.0}
#: Minimum webhook endpoint ÷ /user/me req/s, for every example.
WEBHOOK_VS_ME_TARGET = 0.8
WEBHOOK_PATH = "/relaybox/webhooks"
WEBHOOK_SCRIPT = HERE / "wrk-webhooks.lua"
#: Deliveries written for the warm-up run, before any rate is known.
WARMUP_DELIVERIES = 30_000
TIME_CLAIMS = frozenset({"timestamp", "iat", "exp"})
PARTS = ("auth", "webhooks", "scaling")
TARGETS = ("me", "auth", "express")
SCALING_VARIANTS = {"1 worker": 1, "2 workers": 2}
LABELS = {"me": "/user/me", "auth": "/user/auth", "express": "Express /user/auth"}


def uvicorn_stack() -> str:
    """Which event loop and HTTP parser uvicorn's "auto" settings pick in this interpreter."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop} + {http}"


def verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"(target ≥ {target:g}x: {'PASS' if value >= target else 'BELOW'})"


def same_claims(ours: dict[str, Any], express: dict[str, Any]) -> bool:
    def strip(claims: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in claims.items() if k not in TIME_CLAIMS}

    return strip(ours) == strip(express)


def bench_example(name: str, args: argparse.Namespace, report: dict[str, Any]) -> None:
    server_cpu, client_cpu = args.server_cpu, args.client_cpu
    with example_server(name, workers=1, cpu=server_cpu) as server:
        session = logged_in_session(server.base_url)
        with express_server(session.user_id, cpu=server_cpu) as express_url:
            express_claims = token_claims(express_url)
            urls = {
                "me": server.base_url + "/user/me",
                "auth": server.base_url + "/user/auth",
                "express": express_url,
            }
            where = (
                f"server and Express on CPU {server_cpu}, wrk on CPU {client_cpu}"
                if server_cpu is not None
                else "not pinned: fewer than two cores"
            )
            print(f"\n{name} ({server_description(name, 1)}; {where})")
            print(
                "  same claims as Express (time claims aside): "
                f"{'yes' if same_claims(session.claims, express_claims) else 'NO'}"
            )
            for url in urls.values():  # warm up: imports, caches, JIT
                wrk(url, connections=8, seconds=args.warmup, cookie=session.cookie, cpu=client_cpu)
            results: dict[str, Any] = {}
            print(f"  {'conns':>5}  {'endpoint':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
            for connections in args.concurrency:
                runs: dict[str, list[dict[str, Any]]] = {target: [] for target in TARGETS}
                for repeat in range(args.repeats):
                    shift = repeat % len(TARGETS)
                    for target in TARGETS[shift:] + TARGETS[:shift]:
                        runs[target].append(
                            wrk(
                                urls[target],
                                connections=connections,
                                seconds=args.seconds,
                                cookie=session.cookie,
                                cpu=client_cpu,
                            )
                        )
                summary = {target: summarise(runs[target]) for target in TARGETS}
                vs_me = summary["auth"]["rps"] / summary["me"]["rps"]
                vs_express = summary["auth"]["rps"] / summary["express"]["rps"]
                for target in TARGETS:
                    row = summary[target]
                    errors = f"  {row['errors']} ERRORS" if row["errors"] else ""
                    print(
                        f"  {connections:>5}  {LABELS[target]:<20} {row['rps']:>9,.0f} "
                        f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}{errors}"
                    )
                print(
                    f"  {'':>5}  /user/auth ÷ /user/me = {vs_me:.2f}x "
                    f"{verdict(vs_me, AUTH_VS_ME_TARGET.get(name))}; "
                    f"÷ Express = {vs_express:.2f}x "
                    f"{verdict(vs_express, AUTH_VS_EXPRESS_TARGET.get(name))}"
                )
                results[str(connections)] = {
                    **summary,
                    "auth_vs_me": vs_me,
                    "auth_vs_express": vs_express,
                    "auth_vs_me_target": AUTH_VS_ME_TARGET.get(name),
                    "auth_vs_express_target": AUTH_VS_EXPRESS_TARGET.get(name),
                }
    report["examples"][name] = {
        "server": server_description(name, 1),
        "pinned_server_cpu": server_cpu,
        "wrk_cpu": client_cpu,
        "same_claims_as_express": same_claims(session.claims, express_claims),
        "concurrency": results,
    }


def bench_scaling(name: str, args: argparse.Namespace, report: dict[str, Any]) -> None:
    """/user/auth on one worker and on two, in alternating order; nothing pinned."""
    connections = max(args.concurrency)
    with contextlib.ExitStack() as stack:
        servers = {
            label: stack.enter_context(example_server(name, workers=workers))
            for label, workers in SCALING_VARIANTS.items()
        }
        # One login per server: a session made on one server is not assumed valid on another.
        cookies = {label: logged_in_session(s.base_url).cookie for label, s in servers.items()}
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label in servers}
        for label, server in servers.items():
            url = server.base_url + "/user/auth"
            wrk(url, connections=8, seconds=args.warmup, cookie=cookies[label], threads=2)
        labels = list(servers)
        for repeat in range(args.repeats):
            shift = repeat % len(labels)
            for label in labels[shift:] + labels[:shift]:
                runs[label].append(
                    wrk(
                        servers[label].base_url + "/user/auth",
                        connections=connections,
                        seconds=args.seconds,
                        cookie=cookies[label],
                        threads=2,
                    )
                )
    summary = {label: summarise(runs[label]) for label in labels}
    base = summary["1 worker"]["rps"]
    print(f"  {name} (/user/auth, {connections} connections):")
    for label, row in summary.items():
        errors = f"  {row['errors']} ERRORS" if row["errors"] else ""
        print(
            f"    {label:<32} {row['rps']:>8,.0f} req/s  p50 {row['p50_ms']:>7.2f} ms  "
            f"p99 {row['p99_ms']:>7.2f} ms  {row['rps'] / base:.2f}x{errors}"
        )
    report["scaling"][name] = {
        "connections": connections,
        "variants": summary,
        "speedup": {label: row["rps"] / base for label, row in summary.items()},
    }


def write_deliveries(path: Path, count: int) -> None:
    """``count`` room:publish deliveries, each with a new id, as ``wrk-webhooks.lua`` reads
    them: a typical 0.7 KB payload (a chat message and the publisher's session)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    session = {
        "appPid": "a1b2c3d4e5f6",
        "keyId": "k9y8x7w6v5u4",
        "clientId": "user-1234",
        "connectionId": "a1b2c3d4e5f6:user-1234",
        "socketId": "2b7e1516-28ae-4d2a-a6f7-15880988cf4f",
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "exp": int(now.timestamp()) + 600,
        "user": {"id": "0c9f7f2e-6a55-4a8b-9d4e-2f3a1b0c9d8e", "username": "alice"},
    }
    with open(path, "w", encoding="utf-8") as lines:
        for _ in range(count):
            event_id = str(uuid.uuid4())
            data = {
                "id": event_id,
                "body": {"text": "Hello from the lobby \U0001f44b", "mentions": ["alice"]},
                "roomId": "demo:lobby",
                "timestamp": int(now.timestamp() * 1000),
                "event": "message",
            }
            delivery = sign_webhook(
                "room:publish",
                data,
                TEST_WEBHOOK_SIGNING_KEY,
                event_id=event_id,
                session=session,
                timestamp=now,
            )
            signature = delivery.headers["X-RelayBox-Webhook-Signature"]
            lines.write(f"{signature} {delivery.body.decode()}\n")


def webhook_run(url: str, connections: int, seconds: float, count: int, cpu: int | None) -> Any:
    """One wrk run of fresh deliveries; ``wrapped`` when it sent more than ``count``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deliveries.txt"
        write_deliveries(path, count)
        result = wrk(
            url,
            connections=connections,
            seconds=seconds,
            cpu=cpu,
            script=WEBHOOK_SCRIPT,
            script_args=[str(path), "1"],  # one wrk thread, as wrk() runs by default
        )
    result["wrapped"] = result["requests"] > count
    return result


def check_webhook_endpoint(url: str) -> None:
    """One delivery, answered as processed, before the endpoint is measured."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one.txt"
        write_deliveries(path, 1)
        signature, body = path.read_text(encoding="utf-8").rstrip("\n").split(" ", 1)
    headers = {"Content-Type": "application/json", "X-RelayBox-Webhook-Signature": signature}
    answer = httpx.post(url, content=body.encode(), headers=headers, timeout=10)
    if answer.status_code != 200 or answer.json().get("status") != "processed":
        raise RuntimeError(f"the webhook endpoint answered {answer.status_code}: {answer.text}")


def bench_webhooks(name: str, args: argparse.Namespace, report: dict[str, Any]) -> None:
    """The webhook endpoint against /user/me, in rotating order, server pinned to one core."""
    server_cpu, client_cpu = args.server_cpu, args.client_cpu
    with example_server(name, workers=1, cpu=server_cpu, log_name=f"{name}-webhooks") as server:
        session = logged_in_session(server.base_url)
        me_url, hook_url = server.base_url + "/user/me", server.base_url + WEBHOOK_PATH
        check_webhook_endpoint(hook_url)
        print(f"\n{name} webhooks ({server_description(name, 1)}; fresh event ids)")
        wrk(me_url, connections=8, seconds=args.warmup, cookie=session.cookie, cpu=client_cpu)
        warmup = webhook_run(hook_url, 8, args.warmup, WARMUP_DELIVERIES, client_cpu)
        fastest = warmup["rps"]
        results: dict[str, Any] = {}
        print(f"  {'conns':>5}  {'endpoint':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        targets = ("me", "webhook")
        for connections in args.concurrency:
            runs: dict[str, list[dict[str, Any]]] = {target: [] for target in targets}
            for repeat in range(args.repeats):
                for target in targets[repeat % 2 :] + targets[: repeat % 2]:
                    if target == "me":
                        run = wrk(
                            me_url,
                            connections=connections,
                            seconds=args.seconds,
                            cookie=session.cookie,
                            cpu=client_cpu,
                        )
                    else:
                        count = int(2 * fastest * max(1, round(args.seconds))) + 1000
                        run = webhook_run(hook_url, connections, args.seconds, count, client_cpu)
                        fastest = max(fastest, run["rps"])
                    runs[target].append(run)
            summary = {target: summarise(runs[target]) for target in targets}
            wrapped = sum(run["wrapped"] for run in runs["webhook"])
            ratio = summary["webhook"]["rps"] / summary["me"]["rps"]
            for target, label in (("me", "/user/me"), ("webhook", WEBHOOK_PATH)):
                row = summary[target]
                errors = f"  {row['errors']} ERRORS" if row["errors"] else ""
                print(
                    f"  {connections:>5}  {label:<20} {row['rps']:>9,.0f} "
                    f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}{errors}"
                )
            flag = f"; {wrapped} run(s) ran out of fresh ids" if wrapped else ""
            print(
                f"  {'':>5}  webhook ÷ /user/me = {ratio:.2f}x "
                f"{verdict(ratio, WEBHOOK_VS_ME_TARGET)}{flag}"
            )
            results[str(connections)] = {
                **summary,
                "webhook_vs_me": ratio,
                "target": WEBHOOK_VS_ME_TARGET,
                "runs_out_of_fresh_ids": wrapped,
            }
    report["webhooks"][name] = {"server": server_description(name, 1), "concurrency": results}


def draw(report: dict[str, Any], path: Path) -> bool:
    """One column per concurrency (req/s above, p99 below), and the scaling panel; False
    when matplotlib is not there to draw it."""
    plt = pyplot()
    if plt is None:
        return False

    examples = list(report["examples"])
    levels = report["concurrency"]
    rows = 3 if report["scaling"] else 2
    figure, axes = plt.subplots(
        rows, len(levels), figsize=(max(9, 5 * len(levels)), 4 * rows), squeeze=False
    )
    colours = {"me": "#8c8c8c", "auth": "#1f77b4", "express": "#d62728"}
    width = 0.27
    for column, connections in enumerate(levels):
        for row, (metric, unit) in enumerate((("rps", "req/s"), ("p99_ms", "p99 latency (ms)"))):
            axis = axes[row][column]
            for index, target in enumerate(TARGETS):
                values = [
                    report["examples"][name]["concurrency"][str(connections)][target][metric]
                    for name in examples
                ]
                positions = [x + (index - 1) * width for x in range(len(examples))]
                axis.bar(positions, values, width, label=LABELS[target], color=colours[target])
            axis.set_xticks(range(len(examples)), examples)
            axis.set_ylabel(unit)
            axis.set_title(f"{connections} connection{'s' if connections > 1 else ''}")
            axis.grid(axis="y", alpha=0.3)
            if row == 0 and column == 0:
                axis.legend(fontsize="small")
    if report["scaling"]:
        for axis in axes[2][1:]:
            axis.axis("off")
        axis = axes[2][0]
        names = list(report["scaling"])
        labels = list(dict.fromkeys(k for n in names for k in report["scaling"][n]["variants"]))
        bar = 0.8 / len(labels)
        for index, label in enumerate(labels):
            values = [
                report["scaling"][n]["variants"].get(label, {}).get("rps", 0.0) for n in names
            ]
            positions = [x + (index - (len(labels) - 1) / 2) * bar for x in range(len(names))]
            axis.bar(positions, values, bar, label=label)
        axis.set_xticks(range(len(names)), names)
        axis.set_ylabel("/user/auth req/s")
        axis.set_title("1 vs 2 workers (wrk shares the 2 cores)")
        axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(
        "/user/auth under wrk: server pinned to one core, wrk on the other.\n"
        "Express mints as the official Node library does."
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default=DEFAULT_EXAMPLES, help=f"from {sorted(EXAMPLES)}")
    parser.add_argument("--concurrency", default="1,8,32", help="wrk connection counts")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per endpoint and level")
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 repeat: a smoke run")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1 vs 2 workers runs")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="what to measure: auth (/user/auth), webhooks, scaling (default: all three)",
    )
    parser.add_argument("--json", type=Path, default=ARTIFACTS / "endpoints.json")
    parser.add_argument("--png", type=Path, default=ARTIFACTS / "endpoints.png")
    args = parser.parse_args(argv)
    args.warmup = 1.0
    if args.quick:
        args.seconds, args.repeats = 1.0, 1
    args.concurrency = [int(c) for c in parse_list(args.concurrency)]
    names = parse_list(args.examples)
    unknown = [name for name in names if name not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example(s) {unknown}; choose from {sorted(EXAMPLES)}")
    args.server_cpu, args.client_cpu = cpus()
    parts = parse_list(args.parts)
    if set(parts) - set(PARTS):
        parser.error(f"unknown part(s) {sorted(set(parts) - set(PARTS))}; choose from {PARTS}")
    if args.no_scaling and "scaling" in parts:
        parts.remove("scaling")

    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "wrk": wrk_version.split(" [")[0].strip(),
        "seconds": args.seconds,
        "repeats": args.repeats,
        "concurrency": args.concurrency,
        "examples": {},
        "webhooks": {},
        "scaling": {},
        "missing": [],
        "failed": {},
        "load": load_note(),
        "uvicorn_stack": uvicorn_stack(),
    }
    print(
        f"wrk runs of {args.seconds:g} s, {args.repeats} per endpoint and level (medians); "
        f"/user/me, /user/auth and Express in rotating order; {load_note()}.\n"
        f"uvicorn runs on {uvicorn_stack()} (uvicorn[standard] brings uvloop and httptools)."
    )
    present = []
    for name in names:
        if example_present(name):
            present.append(name)
        else:
            print(f"\n{name}: the example is not there yet; skipped")
            report["missing"].append(name)
    for part, bench in (("auth", bench_example), ("webhooks", bench_webhooks)):
        if part not in parts:
            continue
        for name in present:
            try:
                bench(name, args, report)
            except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
                print(f"\n{name}: could not be benchmarked ({part}): {exc}")
                report["failed"][f"{name} {part}"] = str(exc)
    if "scaling" in parts:
        print(
            "\nOne worker vs two, nothing pinned. wrk shares the same 2 cores, so two "
            "workers cannot double; the endpoint keeps no state, so more workers, processes "
            "or machines behind a load balancer all serve it alike."
        )
        for name in report["examples"]:
            try:
                bench_scaling(name, args, report)
            except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
                print(f"  {name}: could not be measured: {exc}")
                report["failed"][f"{name} scaling"] = str(exc)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    if report["examples"]:
        chart = f", chart: {args.png}" if draw(report, args.png) else ""
        print(f"\nResults: {args.json}{chart}")
    return 1 if report["failed"] or not (report["examples"] or report["webhooks"]) else 0


if __name__ == "__main__":
    sys.exit(main())
