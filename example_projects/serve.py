"""Serve one example application under its production server.

    python example_projects/serve.py django|django-asgi|flask|starlette|fastapi [--port N]

Django and Flask run under gunicorn (WSGI) with threaded workers, so that a slow client
holds one thread rather than the whole worker; Django's ASGI variant, Starlette and FastAPI
under uvicorn. ``--workers N`` runs N processes: the endpoint keeps no state, so any worker
answers any request. ``--help`` lists every option with its default.

The API key comes from ``RELAYBOX_API_KEY``, the webhook signing key from
``RELAYBOX_WEBHOOK_SIGNING_KEY`` and the key signing session cookies from the example's own
setting; when any is unset the example uses a development key published with it, and this
script (and the example's home page) says so. A malformed API key or webhook signing key, or
a port already taken, stops the script before any server starts, naming what to change.
``RELAYBOX_CORE_URL`` says where the chat publishes (Relaybox's own service when unset), and
``REDIS_URL`` gives the workers a shared Redis to deduplicate webhooks in: set it with
``--workers`` above 1.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import socket
import subprocess
import sys
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
#: Threads per gunicorn worker: how many slow clients it takes to hold every thread.
DEFAULT_THREADS = 8


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


def check_port(host: str, port: int) -> None:
    """Exit with advice when the server could not listen on ``host``:``port``.

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
            suggestion = f", e.g. --port {free}" if free is not None else ""
            sys.exit(
                f"Port {port} on {host} is already in use (another server, or this script "
                f"still running elsewhere?). Choose another port with --port{suggestion}."
            )
        if exc.errno == errno.EACCES:
            sys.exit(
                f"Port {port} needs administrator rights on this machine. Choose a port "
                "above 1023 with --port, e.g. --port 8000."
            )
        sys.exit(f"Cannot listen on {host}:{port} ({exc.strerror}). Check --host and --port.")


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


def gunicorn_command(application: str, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{args.host}:{args.port}"]
    command += ["--workers", str(args.workers)]
    # gunicorn's default sync worker reads one request at a time: a client that sends its
    # request slowly holds the whole worker until the 30 s timeout. Threads keep it serving.
    command += ["--worker-class", "gthread", "--threads", str(args.threads)]
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
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="threads per gunicorn worker (django, flask), so that slow clients hold a thread "
        "each rather than the whole worker (default: %(default)s)",
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
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if not 1 <= args.port <= 65535:
        parser.error("--port must be between 1 and 65535")

    check_api_key()
    check_webhook_signing_key()
    check_port(args.host, args.port)
    for warning in development_key_warnings(args.example, dict(os.environ)):
        print(warning, file=sys.stderr)
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
    print(
        f"Serving the {args.example} example on http://{args.host}:{args.port}/ "
        "(log in as demo / demo-password)",
        file=sys.stderr,
        flush=True,
    )
    if server == "gunicorn":
        os.execv(sys.executable, gunicorn_command(application, args))
    run_uvicorn(application, args)


if __name__ == "__main__":
    main()
