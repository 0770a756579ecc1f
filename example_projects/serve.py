"""Serve one example application under its production server.

    python example_projects/serve.py django|django-asgi|flask|starlette|fastapi [--port N]

Django and Flask run under gunicorn (WSGI); Django's ASGI variant, Starlette and FastAPI
under uvicorn. ``--workers N`` runs N processes: the endpoint keeps no state, so any
worker answers any request. ``--no-access-log`` drops the per-request log line.

The API key comes from ``RELAYBOX_API_KEY``; when it is unset the examples use their
development key, which Relaybox's service will not accept, and this script says so. A
malformed key stops the script before any server starts, naming the setting.
"""

from __future__ import annotations

import argparse
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


def check_api_key() -> None:
    """Exit with a message naming RELAYBOX_API_KEY when it is set but malformed."""
    value = os.environ.get("RELAYBOX_API_KEY")
    if value is None:
        print(
            "RELAYBOX_API_KEY is not set: serving with the example's DEVELOPMENT key, which "
            "mints well-formed tokens that Relaybox's service will reject. Set "
            "RELAYBOX_API_KEY=<appPid>.<keyId>:<secret> to connect for real.",
            file=sys.stderr,
        )
        return
    from relaybox_integrations import ApiKey, ConfigurationError

    try:
        ApiKey(value)
    except ConfigurationError as exc:
        sys.exit(f"RELAYBOX_API_KEY is malformed: {exc}")


def gunicorn_command(application: str, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{args.host}:{args.port}"]
    command += ["--workers", str(args.workers)]
    if args.access_log:
        command += ["--access-logfile", "-"]
    return [*command, application]


def run_uvicorn(application: str, args: argparse.Namespace) -> None:
    """uvicorn.run, with two fixes for ``--workers N`` (N > 1).

    uvicorn binds the shared listening socket itself with ``proto`` 0, and asyncio sets
    TCP_NODELAY only on connections accepted from an IPPROTO_TCP socket (uvicorn issue
    #3149): every keep-alive response after the first would wait ~40 ms for the client's
    delayed ACK. And a worker that fails to import the application is restarted forever,
    so the application is imported here first, where a bad setting stops the script.
    """
    import uvicorn
    import uvicorn.config

    if args.workers > 1:
        uvicorn.config.Config.bind_socket = with_tcp_nodelay(  # type: ignore[method-assign]
            uvicorn.config.Config.bind_socket
        )
        uvicorn.config.Config(application).load()
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("example", choices=sorted(EXAMPLES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    check_api_key()
    folder_name, server, application, setup = EXAMPLES[args.example]
    folder = HERE / folder_name
    if setup is not None:
        subprocess.run([sys.executable, setup], cwd=folder, check=True)
    print(
        f"Serving the {args.example} example on http://{args.host}:{args.port}/ "
        "(log in as demo / demo-password)",
        file=sys.stderr,
        flush=True,
    )
    os.chdir(folder)
    sys.path.insert(0, str(folder))  # as uvicorn's command line does with its directory
    if server == "gunicorn":
        os.execv(sys.executable, gunicorn_command(application, args))
    run_uvicorn(application, args)


if __name__ == "__main__":
    main()
