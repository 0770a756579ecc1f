"""One benchmark in two revisions of the project, in turn, with every figure side by side.

    python benchmarks/revisions.py BASE [--head REV] [--rounds 2] -- SCRIPT [ARGS...]

    python benchmarks/revisions.py fa6c66d -- publish.py --quick

A refactoring must not cost speed, and two runs on different days on a shared machine cannot
show that. This exports ``BASE`` (and ``--head``, or else uses this working tree) with
``git archive``, builds each revision's own ``tox -e bench`` environment, and runs
``benchmarks/SCRIPT`` of each revision in its environment, alternating base, head, base,
head, so machine noise falls on both alike. Every benchmark here writes its figures with
``--json``; the numbers of the last round of each revision are printed side by side, with the
head/base ratio, for every figure both revisions report. Benchmarks already print their own
targets as ratios against a bare baseline measured in the same run, so those ratios are the
figures to compare; absolute rates move with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path) -> Path:
    """A clean copy of ``revision``'s files (no .git), so its tox.ini builds its own env."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def prepare(checkout: Path) -> Path:
    """Build ``checkout``'s bench environment and its Node references; return its Python."""
    subprocess.run(["tox", "-c", str(checkout / "tox.ini"), "-e", "bench", "--notest"], check=True)
    if (checkout / "benchmarks" / "package.json").exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(checkout / "benchmarks"), "--no-audit", "--no-fund"],
            check=True,
        )
    return checkout / ".tox" / "bench" / "bin" / "python"


def figures(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every summary number in a benchmark's JSON, keyed by where it sits. A list of bare
    numbers holds one round's samples, whose summary sits beside it: it is left out."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield path, float(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from figures(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)):
                label = item.get("name") if isinstance(item, dict) else None
                yield from figures(item, f"{path}[{label or index}]")


def main() -> None:
    parser = argparse.ArgumentParser(
        usage="%(prog)s BASE [--head REV] [--rounds N] -- SCRIPT [ARGS...]",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("base", help="the revision to compare against (a commit, tag or branch)")
    parser.add_argument("--head", help="the other revision (default: this working tree)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each revision, in turn")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    options = parser.parse_args(argv[:split])
    script = argv[split + 1 :]
    if not script:
        parser.error("name the benchmark to run after --, e.g. -- publish.py --quick")
    if shutil.which("tox") is None:
        raise SystemExit("revisions.py needs tox: pip install 'tox>=4.2' 'tox-uv>=1.11'")

    with tempfile.TemporaryDirectory(prefix="relaybox-revisions-") as scratch:
        place = Path(scratch)
        checkouts = {
            options.base: export(options.base, place / "base"),
            options.head or "working tree": (
                export(options.head, place / "head") if options.head else ROOT
            ),
        }
        pythons = {name: prepare(checkout) for name, checkout in checkouts.items()}
        results: dict[str, dict[str, float]] = {}
        for round_number in range(1, options.rounds + 1):
            for name, checkout in checkouts.items():
                output = place / f"{len(results)}-{round_number}.json"
                print(f"\n=== {name}, round {round_number}: {' '.join(script)}", flush=True)
                subprocess.run(
                    [
                        str(pythons[name]),
                        f"benchmarks/{script[0]}",
                        *script[1:],
                        "--json",
                        str(output),
                    ],
                    cwd=checkout,
                    check=True,
                    env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                )
                results[name] = dict(figures(json.loads(output.read_text())))

    base, head = (results[name] for name in checkouts)
    names = list(checkouts)
    width = max((len(key) for key in base if key in head), default=10)
    print(f"\n{'figure':<{width}}  {names[0]:>14}  {names[1]:>14}  head/base")
    for key, before in base.items():
        if key in head:
            after = head[key]
            ratio = f"{after / before:.2f}x" if before else "-"
            print(f"{key:<{width}}  {before:>14.4g}  {after:>14.4g}  {ratio:>9}")
    only = sorted(set(base) ^ set(head))
    if only:
        print(f"\n{len(only)} figures are reported by one revision only: {', '.join(only[:8])}")


if __name__ == "__main__":
    main()
