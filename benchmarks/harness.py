"""What the benchmarks share: what they need, servers, sessions, wrk, /proc.

Every server listens on the loopback interface only, and every load run is bounded by wrk's
``-d`` duration. Importing this needs only the standard library and the package, so that
each benchmark can say what else it needs (:func:`require`) before importing any of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import runpy
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTIFACTS = ROOT / "artifacts" / "benchmarks"
sys.path.insert(0, str(ROOT))  # the working tree's package and test support

from relaybox_integrations import RelayBox  # noqa: E402

#: Import names whose package on PyPI is called something else.
DISTRIBUTIONS = {"jwt": "PyJWT"}


def require(*modules: str) -> None:
    """Exit naming every one of ``modules`` that is not installed, with the line that
    installs them. Called before a benchmark imports anything beyond the package: the first
    failing import would name only itself, in a traceback."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        packages = " ".join(DISTRIBUTIONS.get(name, name) for name in missing)
        raise SystemExit(
            f"{Path(sys.argv[0]).name} needs {', '.join(missing)}, not installed here: "
            f"pip install {packages}  (or run it in `tox -e bench`, which installs "
            "everything the benchmarks use)"
        )


def pyplot() -> Any:
    """matplotlib's pyplot drawing to files, or None after a note that the chart is skipped:
    a chart only shows the figures, which are printed and saved without it."""
    try:
        import matplotlib
    except ImportError:
        print("No chart: matplotlib is not installed (pip install matplotlib to draw one).")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


WRK_SCRIPT = HERE / "wrk-json.lua"
#: The header @relaybox/client always sends to the auth endpoint, even on GET.
BROWSER_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


#: example name -> (folder, server, application, set-up script), as serve.py runs them.
EXAMPLES: dict[str, tuple[str, str, str, str | None]] = runpy.run_path(
    str(ROOT / "example_projects" / "serve.py")
)["EXAMPLES"]


def example_present(name: str) -> bool:
    """Whether the example's application module exists yet."""
    folder, _, application, _ = EXAMPLES[name]
    module = application.split(":")[0].replace(".", "/") + ".py"
    return (ROOT / "example_projects" / folder / module).is_file()


def server_description(name: str, workers: int) -> str:
    server = EXAMPLES[name][1]
    kind = "gevent worker" if server == "gunicorn" else "worker"
    return f"{server}, {workers} {kind}{'s' if workers > 1 else ''}"


def load_note() -> str:
    """The 1-minute load average, with a warning when other work competes for the cores."""
    load = os.getloadavg()[0]
    note = f"load average {load:.2f} at start"
    if load > 0.5:
        note += " (other work is running: expect lower and noisier figures)"
    return note


def parse_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


# --- processes -------------------------------------------------------------------------


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(inode)
    return inodes


def server_tree(port: int) -> list[int]:
    """PIDs of the server listening on ``port`` and every process in its session."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    owner = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in sockets:
                        owner = int(entry.name)
                        break
        if owner is not None:
            break
    if owner is None:
        raise RuntimeError(f"no process is listening on port {port}")
    session = os.getsid(owner)
    tree = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(entry.name)) == session:
                    tree.append(int(entry.name))
    return sorted(tree)


def pin(pids: list[int], cpu: int | None) -> None:
    """Pin every thread of ``pids`` to ``cpu`` (their future children inherit it)."""
    if cpu is None:
        return
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(task.name), {cpu})


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of ``pids`` added up, from /proc/PID/status."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def cpus() -> tuple[int | None, int | None]:
    """(server CPU, load-generator CPU) when there are two cores to split, else (None, None)."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None, None
    return allowed[-1], allowed[0]


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """Send this process's stdout/stderr to ``log`` while a server is started, so the
    server (which inherits them) writes its messages there rather than to the terminal."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


@dataclasses.dataclass
class Server:
    name: str
    base_url: str
    pids: list[int]


@contextlib.contextmanager
def example_server(
    name: str,
    workers: int = 1,
    cpu: int | None = None,
    env: dict[str, str] | None = None,
    log_name: str = "",
) -> Iterator[Server]:
    """Run ``name`` under its production server via run_example, its output in a log file.

    Without an access log: the Express reference writes none, and a log line per request
    would weigh on /user/auth and /user/me alike without telling them apart.
    """
    from tests.support.servers import run_example

    log = ARTIFACTS / f"server-{log_name or f'{name}-{workers}w'}.log"
    with contextlib.ExitStack() as stack:
        with _output_to(log):
            base_url = stack.enter_context(
                run_example(name, workers=workers, env=env, access_log=False)
            )
        port = int(base_url.rsplit(":", 1)[1])
        pids = server_tree(port)
        pin(pids, cpu)
        yield Server(name, base_url, pids)


@contextlib.contextmanager
def express_server(client_id: str, cpu: int | None) -> Iterator[str]:
    """Run benchmarks/express-reference.js on a free port; yield its /user/auth URL."""
    from tests.support.servers import TEST_API_KEY, free_port, serving

    if not (HERE / "node_modules" / "express").is_dir():
        raise SystemExit("run `npm ci --prefix benchmarks` first (installs express)")
    port = free_port()
    command = ["node", str(HERE / "express-reference.js"), str(port), client_id]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    url = f"http://127.0.0.1:{port}/user/auth"
    environment = {**os.environ, "RELAYBOX_API_KEY": TEST_API_KEY}
    with serving(
        "the Express reference", command, url, env=environment, timeout=30,
        stderr=subprocess.DEVNULL,
    ):  # fmt: skip
        yield url


@dataclasses.dataclass
class Session:
    cookie: str
    user_id: str
    claims: dict[str, Any]


def logged_in_session(base_url: str) -> Session:
    """Log in through the real form; check /user/me and /user/auth answer for that user."""
    import httpx

    from tests.support.servers import TEST_API_KEY, login

    with httpx.Client(base_url=base_url, timeout=10) as client:
        login(client)
        me = client.get("/user/me", headers=BROWSER_HEADERS)
        if me.status_code != 200:
            raise RuntimeError(f"/user/me answered {me.status_code} after login: {me.text}")
        user_id = str(me.json()["id"])
        auth = client.get("/user/auth", headers=BROWSER_HEADERS)
        if auth.status_code != 200:
            raise RuntimeError(f"/user/auth answered {auth.status_code}: {auth.text}")
        claims = RelayBox(TEST_API_KEY).verify_token(auth.json()["token"])
        if claims.get("clientId") != user_id:
            raise RuntimeError(f"token clientId {claims.get('clientId')!r} is not {user_id!r}")
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
    return Session(cookie, user_id, claims)


def token_claims(url: str) -> dict[str, Any]:
    """The verified claims of the token a /user/auth URL answers with (no session)."""
    import httpx

    from tests.support.servers import TEST_API_KEY

    response = httpx.get(url, headers=BROWSER_HEADERS, timeout=10)
    response.raise_for_status()
    return RelayBox(TEST_API_KEY).verify_token(response.json()["token"])


# --- wrk -------------------------------------------------------------------------------


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    cookie: str | None = None,
    cpu: int | None = None,
    threads: int = 1,
    script: Path = WRK_SCRIPT,
    script_args: Sequence[str] = (),
) -> dict[str, Any]:
    """One wrk run; its summary with req/s and p50/p99 in milliseconds added.

    ``script`` must print the summary as ``wrk-json.lua`` does; ``script_args`` go after
    ``--``, to its ``init``.
    """
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    command = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for name, value in BROWSER_HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p50_ms"] = result["latency_us"]["p50"] / 1000
    result["p99_ms"] = result["latency_us"]["p99"] / 1000
    result["error_count"] = sum(result["errors"].values())
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeated wrk runs of one target, plus the runs themselves."""
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "errors": sum(run["error_count"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
        "runs": [{k: run[k] for k in ("rps", "p50_ms", "p99_ms", "errors")} for run in runs],
    }
