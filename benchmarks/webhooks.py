"""Webhook verifications per second, against the official Node library on the same delivery.

    python benchmarks/webhooks.py [--quick] [--rounds N] [--seconds S] [--cpu N] [--json PATH]

Times ``verify_webhook`` on a typical 0.7 KB ``room:publish`` delivery (the orjson fast path),
the same with a float in its data (the rfc8785 path), the plain way (``json.loads``, then
``rfc8785.dumps`` and an HMAC, which the fast path replaces), and, in the same run, Node's
``verifyWebhookSignature`` as ``@relaybox/rest`` writes it (``benchmarks/webhook-verify.js``):
as the library is called, on a body already parsed, and with ``JSON.parse`` first. Rounds
alternate between the paths, with this process and its Node child pinned to one core; each
figure is the best round. Node first checks that it accepts each delivery.

Target (from the webhooks issue): ``verify_webhook`` no slower than the library's
``verifyWebhookSignature`` on the same payload, that is a ratio of at most 1.0. Reported as
PASS or SLOWER; the script fails only when the comparison itself is broken.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # benchmark the working tree, installed or not

from harness import require  # noqa: E402

require("orjson", "rfc8785")  # the [webhooks] extra

import orjson  # noqa: E402
import rfc8785  # noqa: E402
from core import node_rounds, one_round, pin_to_one_core, round_arguments  # noqa: E402

from relaybox_integrations import sign_webhook, verify_webhook  # noqa: E402

#: A signing key for benchmarking only.
SIGNING_KEY = "whsec-benchmark-signing-key-not-a-real-one-0123456789"
TARGET_RATIO = 1.0


def typical_delivery(data_extra: dict[str, Any]) -> tuple[bytes, str]:
    """A room:publish as Relaybox sends it: message data, and the publisher's session."""
    now = datetime.datetime.now(datetime.timezone.utc)
    delivery = sign_webhook(
        "room:publish",
        {
            "id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "body": {"text": "Hello from the lobby \U0001f44b", "mentions": ["alice", "bob"]},
            "roomId": "chat:lobby",
            "timestamp": int(now.timestamp() * 1000),
            "event": "message",
            **data_extra,
        },
        SIGNING_KEY,
        event_id="3b0c6a8e-5f7e-4d0b-9a61-2f1c8e7d4a90",
        session={
            "appPid": "a1b2c3d4e5f6",
            "keyId": "k9y8x7w6v5u4",
            "clientId": "user-1234",
            "connectionId": "a1b2c3d4e5f6:user-1234",
            "socketId": "2b7e1516-28ae-4d2a-a6f7-15880988cf4f",
            "timestamp": "2025-12-02T02:39:58.412Z",
            "exp": int(now.timestamp()) + 600,
            "user": {
                "id": "0c9f7f2e-6a55-4a8b-9d4e-2f3a1b0c9d8e",
                "clientId": "user-1234",
                "username": "alice",
                "isOnline": True,
                "blockedAt": None,
            },
        },
    )
    return delivery.body, delivery.headers["X-RelayBox-Webhook-Signature"]


def plain_verify(body: bytes, signature: str) -> bool:
    """The straightforward way: json.loads, rfc8785, HMAC; no fast path, no field checks."""
    canonical = rfc8785.dumps(json.loads(body))
    signed = b'"' + canonical.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    expected = hmac.new(SIGNING_KEY.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def node_verify(body: bytes, signature: str, rounds: int, seconds: float) -> dict[str, Any]:
    """The official library's verifyWebhookSignature in Node, on the same delivery."""
    options = {
        "body": body.decode(),
        "signature": signature,
        "signingKey": SIGNING_KEY,
        "rounds": rounds,
        "seconds": seconds,
    }
    return node_rounds("webhook-verify.js", options)


def main(argv: list[str] | None = None) -> int:
    args = round_arguments(argv, __doc__, "webhooks.json", "json-canonicalize")
    cpu = pin_to_one_core(args.cpu)
    body, signature = typical_delivery({})
    float_body, float_signature = typical_delivery({"location": [51.5072, -0.1276]})
    for name, (checked_body, checked_signature) in {
        "typical": (body, signature),
        "with floats": (float_body, float_signature),
    }.items():
        node_verify(checked_body, checked_signature, 1, 0.01)  # Node refuses a mismatch loudly
        assert verify_webhook(checked_body, checked_signature, SIGNING_KEY), name
        assert plain_verify(checked_body, checked_signature), name
    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    print(
        f"Python {platform.python_version()}, orjson {orjson.__version__}, Node "
        f"{node_version.strip()}; pinned to CPU {cpu}; best of {args.rounds} rounds of "
        f"{args.seconds:g} s; load average {os.getloadavg()[0]:.2f} at start.\n"
        f"Delivery: room:publish, {len(body)} bytes ({len(float_body)} with a float pair).\n"
    )
    python_paths: dict[str, Callable[[], object]] = {
        "verify_webhook": lambda: verify_webhook(body, signature, SIGNING_KEY),
        "verify_webhook, data with floats (rfc8785 path)": lambda: verify_webhook(
            float_body, float_signature, SIGNING_KEY
        ),
        "json.loads + rfc8785 + HMAC (no fast path)": lambda: plain_verify(body, signature),
    }
    node_paths = {
        "Node verifyWebhookSignature, as the library is called": "library",
        "Node JSON.parse + verifyWebhookSignature": "parse_and_library",
    }
    for call in python_paths.values():
        one_round(call, 0.1)
    # Round by round across every path, so a burst of noise falls on all of them alike.
    microseconds: dict[str, list[float]] = {name: [] for name in [*python_paths, *node_paths]}
    for _ in range(args.rounds):
        for name, call in python_paths.items():
            microseconds[name].append(1e6 / one_round(call, args.seconds))
        node = node_verify(body, signature, 1, args.seconds)
        for name, key in node_paths.items():
            microseconds[name].append(node[key][0])
    best = {name: min(values) for name, values in microseconds.items()}
    library = best["Node verifyWebhookSignature, as the library is called"]
    ratio = best["verify_webhook"] / library
    print(f"  {'path':<58} {'µs/call':>8} {'calls/s':>10}")
    for name, value in best.items():
        print(f"  {name:<58} {value:>8.1f} {1e6 / value:>10,.0f}")
    verdict = "PASS" if ratio <= TARGET_RATIO else "SLOWER"
    print(
        f"\n  {'verify_webhook / Node library (time, lower is faster)':<58} {ratio:>8.2f}   "
        f"≤ {TARGET_RATIO:g}  {verdict}"
    )
    print(
        f"  {'verify_webhook / Node JSON.parse + library':<58} "
        f"{best['verify_webhook'] / best['Node JSON.parse + verifyWebhookSignature']:>8.2f}"
    )
    print(
        f"  {'no fast path / verify_webhook':<58} "
        f"{best['json.loads + rfc8785 + HMAC (no fast path)'] / best['verify_webhook']:>8.2f}\n"
    )
    report = {
        "python": platform.python_version(),
        "node": node_version.strip(),
        "cpu": cpu,
        "load_average": os.getloadavg()[0],
        "rounds": args.rounds,
        "seconds": args.seconds,
        "body_bytes": len(body),
        "microseconds_per_call": best,
        "rounds_microseconds": microseconds,
        "ratio_vs_node_library": ratio,
        "target_ratio": TARGET_RATIO,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Results written to {args.json}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
