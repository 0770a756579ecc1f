"""Sphinx configuration for the relaybox-integrations documentation."""

from __future__ import annotations

import django
from django.conf import settings

import relaybox_integrations

project = "relaybox-integrations"
author = "The relaybox-integrations authors"
copyright = "the relaybox-integrations authors"
release = relaybox_integrations.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
]

exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"relaybox-integrations {release}"
html_static_path = ["_static"]
graphviz_output_format = "svg"

# Broken internal references (a :class:, :ref: or :doc: that leads nowhere) are warnings,
# and the build turns warnings into errors (-W). Third-party and standard-library names in
# signatures cannot be resolved without network access to their inventories, so they alone
# are let through.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(django|flask|werkzeug|blinker|click|starlette|fastapi|pydantic)\..*"),
    (r"py:.*", r"(redis|aiohttp|rest_framework|asyncio|collections|datetime|enum|typing)\..*"),
    (r"py:.*", r"(hmac|json|types)\..*"),
    # Type variables and private helpers in signatures: not part of the API.
    (r"py:class", r"relaybox_integrations\.(.+\.)?_\w+"),
    (r"py:class", r"relaybox_integrations\.starlette\.(webhooks\.)?Handler"),
    (r"py:class", r"relaybox_integrations\.django\.webhooks\.Receiver"),
    (r"py:class", r"relaybox_integrations\.flask\.extension\.\w+T"),
    (r"py:class", r"relaybox_integrations\.starlette\.(issuer\.)?\w+Hook"),
    # Names that stay unqualified in signatures (postponed annotations autodoc cannot read).
    (r"py:class", r"BaseCache|Flask|ASGIApp|ClientIdHook|PermissionsHook|TokenIssuedHook"),
    (r"py:class", r"ConfigDict"),
    # A type alias, documented as data: Sphinx before 8 does not let the class role find it.
    (r"py:class", r"PermissionsInput"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "fully-qualified"
autodoc_preserve_defaults = True

# The external pages the documentation links to; the link checker leaves them alone (the
# build machines have no network) and checks every link into the documentation itself.
linkcheck_ignore = [r"https?://"]

# The Django modules read settings when their views are imported.
if not settings.configured:
    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "relaybox_integrations.django",
        ],
        DATABASES={},
    )
    django.setup()
