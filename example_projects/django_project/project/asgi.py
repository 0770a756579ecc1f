"""ASGI entry point: ``uvicorn project.asgi:application`` (async views throughout)."""

import os

from django.core.asgi import get_asgi_application

# This example's own settings, whatever the calling environment (a test run) says.
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings_asgi"

application = get_asgi_application()
