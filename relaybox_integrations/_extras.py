"""The optional extras, and the one check that a feature's extra is installed.

Each adapter calls :func:`require_extra` when it is configured, so that a missing extra
stops the application at start-up, with the command that installs it, rather than failing
its first webhook delivery or publish with a 500.
"""

from __future__ import annotations

import importlib
from typing import Final

from .errors import MissingExtraError

__all__ = ["missing_extra", "require_extra"]

#: Extra -> (what needs it, the modules it brings).
EXTRAS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "webhooks": ("Relaybox webhooks need", ("orjson",)),
    "publish": ("apublish (publishing without blocking the event loop) needs", ("aiohttp",)),
    "emulator": ("The local Relaybox emulator needs", ("aiohttp", "orjson")),
}


def missing_extra(extra: str) -> MissingExtraError:
    """The error for ``extra`` not being installed, saying how to install it.

    The package is not on PyPI yet, so ``pip install 'relaybox-integrations[...]'`` cannot
    work: the command installs from a clone, as the README does.
    """
    what, modules = EXTRAS[extra]
    return MissingExtraError(
        extra,
        f"{what} the [{extra}] extra ({', '.join(modules)}), which is not installed. "
        "relaybox-integrations is not on PyPI yet: install it with the extra from your clone "
        f"of its repository, e.g. python -m pip install '../relaybox-integrations[{extra}]' "
        "(your clone's path; a wheel built from the clone takes the same extras)",
    )


def require_extra(extra: str) -> None:
    """Raise :class:`~relaybox_integrations.errors.MissingExtraError` unless ``extra``'s
    modules import."""
    for module in EXTRAS[extra][1]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise missing_extra(extra) from exc
