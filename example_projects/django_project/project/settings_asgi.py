"""The example under ASGI: the same settings, routing the async views."""

from .settings import *  # noqa: F403

ROOT_URLCONF = "project.urls_asgi"
FRAMEWORK = "Django (ASGI)"
