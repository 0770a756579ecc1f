"""Each benchmark names what it lacks before it starts, and without matplotlib it skips
its chart with a note rather than failing after its measurements."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
#: script -> the modules blocked; the message must name each, among any others this
#: environment lacks too (webhooks.py's flood also needs uvicorn and Starlette).
NEEDS = {
    "publish.py": ["aiohttp", "httpx"],
    "endpoints.py": ["httpx"],
    "soak.py": ["httpx"],
    "webhooks.py": ["orjson", "rfc8785"],
}


def run_without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter where ``modules`` cannot be imported, as when they
    are not installed, with ``benchmarks/`` first on the path as when a script runs."""
    prelude = (
        f"import sys\nsys.path.insert(0, {str(BENCHMARKS)!r})\n"
        f"for name in {modules!r}:\n    sys.modules[name] = None\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("script", list(NEEDS))
def test_a_benchmark_names_every_package_it_lacks(script: str) -> None:
    modules = NEEDS[script]
    path = str(BENCHMARKS / script)
    done = run_without(
        modules,
        f"import runpy\nsys.argv = [{path!r}, '--quick']\n"
        f"runpy.run_path({path!r}, run_name='__main__')\n",
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    named, _, install = done.stderr.partition(", not installed here: pip install ")
    assert named.startswith(f"{script} needs "), done.stderr
    missing = named.removeprefix(f"{script} needs ").split(", ")
    assert set(modules) <= set(missing), done.stderr
    assert set(missing) <= set(install.split("(")[0].split()), done.stderr
    assert "tox -e bench" in done.stderr


@pytest.mark.parametrize("script", ["publish.py", "endpoints.py"])
def test_without_matplotlib_the_chart_is_skipped_with_a_note(script: str, tmp_path: Path) -> None:
    chart = str(tmp_path / "chart.png")
    done = run_without(
        ["matplotlib"],
        f"import pathlib\nimport {script[:-3]} as benchmark\n"
        f"print('drawn:', benchmark.draw({{}}, pathlib.Path({chart!r})))\n",
    )
    assert done.returncode == 0, done.stderr
    assert "No chart: matplotlib is not installed (pip install matplotlib" in done.stdout
    assert "drawn: False" in done.stdout
    assert not Path(chart).exists()
