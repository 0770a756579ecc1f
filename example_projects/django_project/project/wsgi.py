"""WSGI entry point: ``gunicorn project.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

# This example's own settings, whatever the calling environment (a test run) says.
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"

django_application = get_wsgi_application()  # its settings put ../common on sys.path
import frame_guard  # noqa: E402 - shared by the examples

application = frame_guard.wsgi(django_application)  # no framing by other sites
