"""WSGI entry point: ``gunicorn project.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

# This example's own settings, whatever the calling environment (a test run) says.
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"

application = get_wsgi_application()
