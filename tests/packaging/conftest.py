"""Each flow of these tests (the build, the README's line, the quick start, each guide) runs
from a copy of the clone of its own, so that they can run at once (``pytest -n``, as
``tox -e package`` runs them) without two setuptools builds sharing one source tree (its
``build/`` and ``*.egg-info`` folders).

The copy has what a fresh clone of the working tree has: the files git tracks, plus the new
ones it does not ignore, with their current contents.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.servers import ROOT


def copy_of_the_clone(destination: Path) -> Path:
    """Copy the clone's files (tracked, or new and not ignored) into ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    destination.mkdir(parents=True)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file():  # tracked, but deleted in the working tree
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return destination
