"""``relaybox``: mint or check a token, or publish an event, from the command line.

The API key is read from ``RELAYBOX_API_KEY`` only, never from argv, which every user of
the machine can read in the process list. Errors are one line on stderr and exit status 1
(2 for usage errors); no tracebacks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ._extras import missing_extra
from .core import API_KEY_ENV_VAR, RelayBox
from .errors import RelayBoxError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relaybox",
        description=f"Mint and verify Relaybox auth tokens, and publish events, with the key "
        f"in ${API_KEY_ENV_VAR}.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a token response as JSON")
    token.add_argument("--client-id", help="the connecting user's identity (default: none)")
    token.add_argument("--expires-in", type=int, help="lifetime in seconds (default: 900)")
    token.add_argument(
        "--permissions",
        help='inline permissions as JSON, e.g. \'{"myRoom": ["publish"]}\' or \'["*"]\'',
    )
    verify = commands.add_parser("verify", help="print a token's claims if Relaybox accepts it")
    verify.add_argument("token", help="the token, or - to read it from standard input")
    publish = commands.add_parser(
        "publish", help="publish an event to a room ($RELAYBOX_CORE_URL overrides the service)"
    )
    publish.add_argument("room", help="the room id, e.g. chat:lobby")
    publish.add_argument("event", help="the event name, e.g. message")
    publish.add_argument(
        "--data", required=True, help='the data as JSON, e.g. \'{"text": "hi"}\', or - for stdin'
    )
    publish.add_argument("--client-id", help="the user the message is attributed to")
    publish.add_argument(
        "--transient", action="store_true", help="keep it out of the room's history"
    )
    emulator = commands.add_parser(
        "emulator", help="run a local Relaybox (needs the [emulator] extra)"
    )
    try:
        from .emulator._cli import add_arguments
    except ImportError:
        emulator.set_defaults(emulator_missing=True)
    else:
        add_arguments(emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "emulator":
        if getattr(args, "emulator_missing", False):
            print(f"relaybox: error: {missing_extra('emulator')}", file=sys.stderr)
            return 1
        from .emulator._cli import run as run_emulator

        return run_emulator(args)
    try:
        relaybox = RelayBox.from_env()
        if args.command == "token":
            permissions = None
            if args.permissions is not None:
                try:
                    permissions = json.loads(args.permissions)
                except ValueError as exc:
                    raise SystemExit(f"relaybox: error: --permissions is not JSON: {exc}") from None
            response = relaybox.generate_token_response(
                client_id=args.client_id, expires_in=args.expires_in, permissions=permissions
            )
            print(json.dumps(response.as_dict()))
        elif args.command == "publish":
            text = sys.stdin.read() if args.data == "-" else args.data
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise SystemExit(f"relaybox: error: --data is not JSON: {exc}") from None
            with relaybox:
                result = relaybox.publish(
                    args.room,
                    args.event,
                    data,
                    client_id=args.client_id,
                    transient=args.transient,
                )
            print(json.dumps({"requestId": result.request_id, "timestamp": result.timestamp}))
        else:
            token = sys.stdin.read().strip() if args.token == "-" else args.token
            print(json.dumps(relaybox.verify_token(token), indent=2))
    except RelayBoxError as exc:
        print(f"relaybox: error: {exc}", file=sys.stderr)
        return 1
    return 0
