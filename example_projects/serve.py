"""Serve one example application under its production server.

    python example_projects/serve.py django|django-asgi|flask|starlette|fastapi [--port N]

Django and Flask run under gunicorn (WSGI); Django's ASGI variant, Starlette and FastAPI
under uvicorn. The API key comes from ``RELAYBOX_API_KEY``; when it is unset the examples
use their development key, which Relaybox's service will not accept, and this script says
so. A malformed key stops the script before any server starts, naming the setting.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

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


def server_command(name: str, host: str, port: int, workers: int) -> tuple[Path, list[str]]:
    folder, server, application, _ = EXAMPLES[name]
    bind = f"{host}:{port}"
    if server == "gunicorn":
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            application,
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            application,
        ]
    return HERE / folder, command


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("example", choices=sorted(EXAMPLES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    check_api_key()
    folder, command = server_command(args.example, args.host, args.port, args.workers)
    setup = EXAMPLES[args.example][3]
    if setup is not None:
        subprocess.run([sys.executable, setup], cwd=folder, check=True)
    print(
        f"Serving the {args.example} example on http://{args.host}:{args.port}/ "
        "(log in as demo / demo-password)",
        file=sys.stderr,
        flush=True,
    )
    os.chdir(folder)
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
