"""``relaybox emulator``: the emulator in the foreground, one log line per event."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from typing import Final

from ..core import API_KEY_ENV_VAR
from ..errors import RelayBoxError
from ._emulator import (
    DEFAULT_PORT,
    DEVELOPMENT_API_KEY,
    DEVELOPMENT_WEBHOOK_SIGNING_KEY,
    Emulator,
)

__all__ = ["add_arguments", "run"]

WEBHOOK_URL_ENV_VAR: Final = "RELAYBOX_WEBHOOK_URL"
WEBHOOK_SIGNING_KEY_ENV_VAR: Final = "RELAYBOX_WEBHOOK_SIGNING_KEY"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="localhost",
        help="where to listen (default: localhost, meaning both 127.0.0.1 and ::1)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}, the client's"
    )
    parser.add_argument(
        "--permissions",
        default='["*"]',
        help="the API key's own permissions as JSON (default: '[\"*\"]')",
    )
    parser.add_argument(
        "--webhook-url",
        action="append",
        default=None,
        help=f"where to send webhooks (repeatable; default: ${WEBHOOK_URL_ENV_VAR}, "
        "space-separated), signed with $" + WEBHOOK_SIGNING_KEY_ENV_VAR,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; 1 with a one-line error when it cannot start."""
    try:
        permissions = json.loads(args.permissions)
    except ValueError as exc:
        print(f"relaybox: error: --permissions is not JSON: {exc}", file=sys.stderr)
        return 1
    urls = args.webhook_url
    if urls is None:
        urls = os.environ.get(WEBHOOK_URL_ENV_VAR, "").split()
    api_key = os.environ.get(API_KEY_ENV_VAR) or DEVELOPMENT_API_KEY
    signing_key = os.environ.get(WEBHOOK_SIGNING_KEY_ENV_VAR) or DEVELOPMENT_WEBHOOK_SIGNING_KEY
    try:
        emulator = Emulator(
            api_key,
            port=args.port,
            webhook_urls=urls,
            webhook_signing_key=signing_key,
            permissions=permissions,
            host=args.host,
        )
    except RelayBoxError as exc:
        print(f"relaybox: error: {exc}", file=sys.stderr)
        return 1
    finally:
        del api_key, signing_key
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("relaybox_integrations.emulator")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        return asyncio.run(_serve(emulator, urls, using_default=API_KEY_ENV_VAR not in os.environ))
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    finally:
        logger.removeHandler(handler)


async def _serve(emulator: Emulator, urls: list[str], *, using_default: bool) -> int:
    try:
        await emulator.start()
    except RelayBoxError as exc:
        print(f"relaybox: error: {exc}", file=sys.stderr)
        return 1
    try:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        key = (
            "the development key (RELAYBOX_API_KEY is not set)"
            if using_default
            else (f"the key {emulator.public_key} from ${API_KEY_ENV_VAR}")
        )
        print(
            f"Relaybox emulator on {emulator.url}, with {key}\n"
            f"  browser: new RelayBox({{authEndpoint: '/your/auth', offline: {{enabled: true, "
            f"port: {emulator.port}}}}})\n"
            f"  server:  RelayBox(api_key, core_url={emulator.core_url!r})"
            f"  (or RELAYBOX_CORE_URL={emulator.core_url})\n"
            f"  webhooks: {', '.join(urls) if urls else 'none (--webhook-url URL to send them)'}\n"
            "Ctrl-C to stop.",
            flush=True,
        )
        await stop.wait()
        print("stopped", flush=True)
        return 0
    finally:
        await emulator.stop()
