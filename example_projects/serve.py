"""Serve one example application under its production server.

    python example_projects/serve.py django|django-asgi|flask|starlette|fastapi [--port N]

Django and Flask run under gunicorn (WSGI) with gevent workers, which serve each connection
in a greenlet of its own: a client that sends its request slowly holds only that greenlet,
and hundreds of them together do not stop a worker from answering others (threaded workers
do: each slow client holds one of the worker's few threads). Django's ASGI variant,
Starlette and FastAPI run under uvicorn. ``--workers N`` runs N processes: the endpoint keeps
no state, so any worker answers any request. ``--help`` lists every option with its default.

The API key comes from ``RELAYBOX_API_KEY``, the webhook signing key from
``RELAYBOX_WEBHOOK_SIGNING_KEY`` and the key signing session cookies from the example's own
setting; when any is unset the example uses a development key published with it, and this
script (and the example's home page) says so. A malformed API key or webhook signing key, or
a port already taken, stops the script before any server starts, naming what to change.
``RELAYBOX_CORE_URL`` says where the chat publishes (Relaybox's own service when unset), and
``REDIS_URL`` gives the workers a shared Redis to deduplicate webhooks in: set it with
``--workers`` above 1.

Without ``RELAYBOX_API_KEY`` the development key is in use, which Relaybox's service refuses;
so the script first starts the local Relaybox emulator (``relaybox emulator``, the
``[emulator]`` extra) on ``localhost`` (port 9000, ``--emulator-port``) and points the example
at it: the page's client connects to it in offline mode, the chat publishes to it, and it
sends its webhooks to the example. ``--no-emulator`` serves without it, as with a real key.
The emulator stops with the example (Ctrl-C, or a signal to the process group). The script
creates the demo's staff room in it, ``demo:staff``, as an ``authorized`` room (what you
would do once in Relaybox's dashboard): the emulator then admits to it only the clients
holding a room access token from the example (``common/staff_room.py``).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: name -> (example folder, server, application, optional set-up script in that folder)
EXAMPLES: dict[str, tuple[str, str, str, str | None]] = {
    "django": ("django_project", "gunicorn", "project.wsgi:application", "prepare.py"),
    "django-asgi": ("django_project", "uvicorn", "project.asgi:application", "prepare.py"),
    "flask": ("flask_app", "gunicorn", "app:app", None),
    "starlette": ("starlette_app", "uvicorn", "app:app", None),
    "fastapi": ("fastapi_app", "uvicorn", "app:app", None),
}
#: name -> the environment variable holding the key that signs the example's session cookies
SESSION_KEY_SETTINGS = {
    "django": "DJANGO_SECRET_KEY",
    "django-asgi": "DJANGO_SECRET_KEY",
    "flask": "FLASK_SECRET_KEY",
    "starlette": "SESSION_SECRET_KEY",
    "fastapi": "SESSION_SECRET_KEY",
}
WEBHOOK_KEY_SETTING = "RELAYBOX_WEBHOOK_SIGNING_KEY"
DEFAULT_PORT = 8000
#: The official client's default port in offline mode (``offline: {enabled: true}``).
DEFAULT_EMULATOR_PORT = 9000
#: Where the emulator listens: the official client's offline mode connects to localhost.
EMULATOR_HOST = "localhost"
#: What tells the example's page to connect to the emulator, and on which port.
EMULATOR_PORT_SETTING = "RELAYBOX_EMULATOR_PORT"
#: How long the emulator may take to listen (a cold start on a loaded machine).
EMULATOR_START_TIMEOUT = 30.0


def development_key_warnings(example: str, environ: dict[str, str]) -> list[str]:
    """What to say about the development keys ``example`` falls back to in ``environ``."""
    warnings = []
    if "RELAYBOX_API_KEY" not in environ:
        warnings.append(
            "RELAYBOX_API_KEY is not set: serving with the example's DEVELOPMENT key, which "
            "mints well-formed tokens that Relaybox's service will reject. Set "
            "RELAYBOX_API_KEY=<appPid>.<keyId>:<secret> to connect for real."
        )
    session_key = SESSION_KEY_SETTINGS[example]
    if session_key not in environ:
        warnings.append(
            f"{session_key} is not set: session cookies are signed with the example's "
            "DEVELOPMENT key, which is published with it, so anyone can forge a login as any "
            f"user. Set {session_key} to a long random secret anywhere but your own machine."
        )
    if WEBHOOK_KEY_SETTING not in environ:
        warnings.append(
            f"{WEBHOOK_KEY_SETTING} is not set: webhooks are verified with the example's "
            "DEVELOPMENT signing key, which is published with it, so anyone can forge a "
            f"delivery. Set {WEBHOOK_KEY_SETTING} to the signing key of your webhook in "
            "Relaybox's dashboard."
        )
    return warnings


def check_api_key() -> None:
    """Exit with a message naming RELAYBOX_API_KEY when it is set but malformed."""
    value = os.environ.get("RELAYBOX_API_KEY")
    if value is None:
        return
    from relaybox_integrations import ApiKey, ConfigurationError

    try:
        ApiKey(value)
    except ConfigurationError as exc:
        sys.exit(f"RELAYBOX_API_KEY is malformed: {exc}")


def check_webhook_signing_key() -> None:
    """Exit with a message naming the setting when the webhook signing key is malformed.

    Every example would refuse it too, each in its own words, and gunicorn's and uvicorn's
    workers would restart forever; the message, like the key's own checks, never echoes it.
    """
    value = os.environ.get(WEBHOOK_KEY_SETTING)
    if value is None:
        return
    from relaybox_integrations import ConfigurationError, WebhookEndpoint

    try:
        WebhookEndpoint(value)
    except ConfigurationError as exc:
        sys.exit(f"{WEBHOOK_KEY_SETTING} is malformed: {exc}")


def check_port(host: str, port: int, option: str = "--port", default: int = DEFAULT_PORT) -> None:
    """Exit with advice when the server could not listen on ``host``:``port``, naming the
    ``option`` that chose the port (whose default is ``default``).

    The servers find out only after the application is prepared and the "Serving" line is
    printed, then stop with an error of their own; a test bind, as they bind, says it first.
    """
    try:
        _bind(host, port)
    except socket.gaierror:
        sys.exit(f"--host {host}: no such host name or address on this machine.")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            free = _free_port_after(host, port)
            suggestion = f", e.g. {option} {free}" if free is not None else ""
            sys.exit(
                f"Port {port} on {host} is already in use (another server, or this script "
                f"still running elsewhere?). Choose another port with {option}{suggestion}."
            )
        if exc.errno == errno.EACCES:
            sys.exit(
                f"Port {port} needs administrator rights on this machine. Choose a port "
                f"above 1023 with {option}, e.g. {option} {default}."
            )
        sys.exit(f"Cannot listen on {host}:{port} ({exc.strerror}). Check --host and {option}.")


def _bind(host: str, port: int) -> None:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as both servers do
        probe.bind(address)


def _free_port_after(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + 20, 65535) + 1):
        try:
            _bind(host, candidate)
        except OSError:
            continue
        return candidate
    return None


def start_emulator(port: int, webhook_url: str) -> subprocess.Popen[bytes]:
    """The local Relaybox emulator on ``localhost``:``port``, once it listens.

    It runs as a child process, whose lines (connections, joins, publishes, webhooks) show
    beside the server's, and which this script stops when the server stops (see
    :func:`run_beside`). It takes the key from the environment as the example does: with
    ``RELAYBOX_API_KEY`` unset both use the examples' development key, and both sign and
    check webhooks with ``RELAYBOX_WEBHOOK_SIGNING_KEY`` or its development default.
    """
    command = [
        sys.executable, "-m", "relaybox_integrations", "emulator",
        "--host", EMULATOR_HOST, "--port", str(port), "--webhook-url", webhook_url,
    ]  # fmt: skip
    emulator = subprocess.Popen(command)
    deadline = time.monotonic() + EMULATOR_START_TIMEOUT
    while emulator.poll() is None:
        try:
            socket.create_connection((EMULATOR_HOST, port), timeout=1).close()
        except OSError:
            if time.monotonic() > deadline:
                stop(emulator)
                sys.exit(f"The Relaybox emulator did not listen on port {port} in time.")
            time.sleep(0.1)
        else:
            return emulator
    sys.exit(
        "The Relaybox emulator stopped before it listened (its message is above). Install "
        'it with pip install ".[emulator]", or serve without it: --no-emulator.'
    )


def create_staff_room(port: int) -> None:
    """Create the demo's ``authorized`` room, ``demo:staff``, in the emulator on ``port``.

    Through the emulator's ``/state/rooms`` route, as Relaybox's server library creates a
    room, with a token this script mints with the key both use (the development one: the
    emulator runs only without ``RELAYBOX_API_KEY``).
    """
    sys.path.insert(0, str(HERE / "common"))
    import staff_room

    from relaybox_integrations import RelayBox
    from relaybox_integrations.emulator import DEVELOPMENT_API_KEY

    token = RelayBox(DEVELOPMENT_API_KEY).generate_token_response(client_id="serve").token
    body = {"roomId": staff_room.ROOM_ID, "visibility": "authorized"}
    request = urllib.request.Request(
        f"http://{EMULATOR_HOST}:{port}/state/rooms",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=EMULATOR_START_TIMEOUT) as answer:
        answer.read()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` (SIGTERM, then SIGKILL after 10 s) and reap it."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def webhook_url(host: str, port: int) -> str:
    """Where the emulator posts its webhooks: this example, on an address it listens on."""
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{local}]' if ':' in local else local}:{port}/relaybox/webhooks"


def run_beside(command: list[str], emulator: subprocess.Popen[bytes]) -> int:
    """Run ``command`` as a child until it exits, then stop ``emulator``.

    The server cannot replace this process (as it does without the emulator): then nothing
    would be left to stop the emulator when the server exits. SIGTERM and SIGINT sent to
    this process alone are passed on to the server.
    """
    server = subprocess.Popen(command)

    def forward(signum: int, frame: object) -> None:
        server.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        return server.wait()
    finally:
        stop(emulator)


def gunicorn_command(application: str, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{args.host}:{args.port}"]
    command += ["--workers", str(args.workers)]
    # gunicorn's default sync worker reads one request at a time: a client that sends its
    # request slowly holds the whole worker until the 30 s timeout; a gthread worker, one of
    # its threads, so as many slow clients as threads stall it. gevent's greenlets are cheap
    # enough to spend one on each connection (up to gunicorn's 1000 per worker).
    command += ["--worker-class", "gevent"]
    # A SIGTERM that reaches a gevent worker while it is still booting is lost, and the
    # master then waits its graceful timeout (30 s by default) before killing it.
    command += ["--graceful-timeout", "10"]
    if args.access_log:
        command += ["--access-logfile", "-"]
    return [*command, application]


def run_uvicorn(application: str, args: argparse.Namespace) -> None:
    """uvicorn.run, with a fix for ``--workers N`` (N > 1).

    uvicorn binds the shared listening socket itself with ``proto`` 0, and asyncio sets
    TCP_NODELAY only on connections accepted from an IPPROTO_TCP socket (uvicorn issue
    #3149): every keep-alive response after the first would wait ~40 ms for the client's
    delayed ACK.
    """
    import uvicorn
    import uvicorn.config

    if args.workers > 1:
        uvicorn.config.Config.bind_socket = with_tcp_nodelay(  # type: ignore[method-assign]
            uvicorn.config.Config.bind_socket
        )
    uvicorn.run(
        application,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
    )


def with_tcp_nodelay(bind_socket: Callable[[Any], socket.socket]) -> Callable[[Any], socket.socket]:
    def bind_tcp_socket(config: Any) -> socket.socket:
        sock = bind_socket(config)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
            sock.set_inheritable(True)
        return sock

    return bind_tcp_socket


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Log in to the example as demo / demo-password.",
    )
    parser.add_argument(
        "example",
        choices=sorted(EXAMPLES),
        help="the example to serve: django and flask under gunicorn, django-asgi, starlette "
        "and fastapi under uvicorn",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on; 0.0.0.0 for every interface (default: %(default)s, "
        "this machine only)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="the TCP port to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes; any of them answers any request (default: %(default)s)",
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=DEFAULT_EMULATOR_PORT,
        help="the port of the Relaybox emulator started beside the example when "
        "RELAYBOX_API_KEY is unset; the page connects to it on localhost (default: %(default)s)",
    )
    parser.add_argument(
        "--no-emulator",
        dest="emulator",
        action="store_false",
        help="do not start the emulator: the page and the chat use Relaybox's service, or "
        "RELAYBOX_CORE_URL (default: start it when RELAYBOX_API_KEY is unset)",
    )
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="do not log a line per request (default: log them to standard output)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = argument_parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    for option, port in (("--port", args.port), ("--emulator-port", args.emulator_port)):
        if not 1 <= port <= 65535:
            parser.error(f"{option} must be between 1 and 65535")
    with_emulator = args.emulator and "RELAYBOX_API_KEY" not in os.environ
    if with_emulator and args.emulator_port == args.port:
        parser.error("--emulator-port must differ from --port")

    check_api_key()
    check_webhook_signing_key()
    check_port(args.host, args.port)
    if with_emulator:
        check_port(EMULATOR_HOST, args.emulator_port, "--emulator-port", DEFAULT_EMULATOR_PORT)
    for warning in development_key_warnings(args.example, dict(os.environ)):
        print(warning, file=sys.stderr)
    if with_emulator:  # read by the example's settings, so set before they are imported
        os.environ["RELAYBOX_CORE_URL"] = f"http://{EMULATOR_HOST}:{args.emulator_port}/core"
        os.environ[EMULATOR_PORT_SETTING] = str(args.emulator_port)
    folder_name, server, application, setup = EXAMPLES[args.example]
    folder = HERE / folder_name
    if setup is not None and subprocess.run([sys.executable, setup], cwd=folder).returncode:
        sys.exit(1)  # the set-up script has said why
    os.chdir(folder)
    sys.path.insert(0, str(folder))  # as uvicorn's command line does with its directory
    # Import the application here first: a bad setting then stops the script with its
    # message, where gunicorn and uvicorn's worker processes would restart forever.
    from relaybox_integrations import ConfigurationError

    try:
        importlib.import_module(application.split(":")[0])
    except ConfigurationError as exc:  # its message names the setting, never a secret
        sys.exit(f"The {args.example} example's settings are wrong: {exc}")
    emulator = None
    if with_emulator:
        emulator = start_emulator(args.emulator_port, webhook_url(args.host, args.port))
        try:
            create_staff_room(args.emulator_port)
        except OSError as exc:  # urllib's errors included
            stop(emulator)
            sys.exit(f"The Relaybox emulator did not create the staff room: {exc}")
    print(
        f"Serving the {args.example} example on http://{args.host}:{args.port}/ "
        "(log in as demo / demo-password, or staff / staff-password for the staff room)",
        file=sys.stderr,
        flush=True,
    )
    if emulator is not None:
        print(
            f"The page and the chat use the Relaybox emulator on {EMULATOR_HOST}:"
            f"{args.emulator_port}, which sends its webhooks to the example.",
            file=sys.stderr,
            flush=True,
        )
    if server == "uvicorn":
        if emulator is not None:
            # Once it has shut down, uvicorn raises the SIGTERM it caught again, for the
            # handler it found: the default one would end the process before the emulator
            # is stopped below.
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        try:
            run_uvicorn(application, args)
        finally:
            if emulator is not None:
                stop(emulator)
    elif emulator is not None:
        sys.exit(run_beside(gunicorn_command(application, args), emulator))
    else:
        os.execv(sys.executable, gunicorn_command(application, args))


if __name__ == "__main__":
    main()
