"""Run serve.py's ``main`` once per bad setting, each in a process forked from this one.

Usage: ``python refusals.py MODULE...`` with a JSON list of ``{"argv": [...], "env": {...}}``
on standard input; writes a JSON list of ``{"returncode", "stdout", "stderr"}``, one per run.

Each run is what ``python serve.py ARGV`` with ``ENV`` added does, up to the point where it
refuses to serve: the fork starts from a process that has imported nothing of the example
(only this package and the third-party MODULEs, its framework), so each run imports its
application and reads its settings afresh. What saves time is the interpreter, the package
and the framework, started once rather than once per setting. A run that does not stop by itself is
killed after ``TIMEOUT`` seconds (its standard error then says "Serving the").
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

SERVE = Path(__file__).resolve().parents[2] / "example_projects" / "serve.py"
#: As long as the tests give serve.py run on its own.
TIMEOUT = 60


def exit_status(code: object) -> int:
    """What the interpreter exits with for ``SystemExit(code)``, printing as it does."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def child(argv: list[str], env: dict[str, str], out: int, err: int) -> None:
    """In the forked process: serve.py's main, then exit as its interpreter would."""
    os.dup2(out, 1)
    os.dup2(err, 2)
    signal.alarm(TIMEOUT)  # kept across gunicorn's execv too
    status = 1
    try:
        os.environ.update(env)
        spec = importlib.util.spec_from_file_location("serve", SERVE)
        assert spec is not None
        assert spec.loader is not None
        serve = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(serve)
        sys.argv = [str(SERVE), *argv]
        serve.main(argv)
        status = 0
    except SystemExit as exc:
        status = exit_status(exc.code)
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def run(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(argv, env, out.fileno(), err.fileno())
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {
            "returncode": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }


def main() -> None:
    # Imported once here, for every fork: the package all the examples' checks use, and the
    # example's framework.
    import relaybox_integrations  # noqa: F401

    for module in sys.argv[1:]:
        importlib.import_module(module)
    runs = json.load(sys.stdin)
    json.dump([run(item["argv"], item["env"]) for item in runs], sys.stdout)


if __name__ == "__main__":
    main()
