"""Settings of the Relaybox Django example: SQLite, session login, the Relaybox app.

Everything comes from the environment, with defaults that run the demo with no set-up.
"""

import os
import sys
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR.parent / "common"))
from origins import OriginError, allowed_origins  # noqa: E402 - shared by the examples

# DEVELOPMENT-ONLY defaults, public with the example: set DJANGO_SECRET_KEY and
# RELAYBOX_API_KEY anywhere real. The home page says when either is in use.
SESSION_KEY_SETTING = "DJANGO_SECRET_KEY"
DEVELOPMENT_SECRET_KEY = "django-insecure-DEVELOPMENT-ONLY-example-secret-key-0000"
SECRET_KEY = os.environ.get(SESSION_KEY_SETTING, DEVELOPMENT_SECRET_KEY)
# A DEVELOPMENT key: tokens are well-formed, but Relaybox's service rejects them.
DEVELOPMENT_API_KEY = "demo-app.demo-key:DEVELOPMENT-ONLY-secret-not-accepted-by-relaybox-0000"
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "corsheaders",
    "relaybox_integrations.django",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
if django.VERSION >= (5, 1):
    # Every page needs a login unless marked otherwise; the Relaybox view is marked, and
    # answers anonymous users 401 JSON instead of a redirect.
    MIDDLEWARE.append("django.contrib.auth.middleware.LoginRequiredMiddleware")

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

TEMPLATES: list[dict[str, object]] = []  # pages are the shared HTML files of the examples

LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
# POSTs to the auth view without a valid CSRF token get 403 JSON, other pages Django's own.

# Cross-origin use: CORS_ALLOWED_ORIGINS=https://app.example.com,https://other.example.com
# (exact origins only: django-cors-headers refuses '*' but honours 'null', which any site
# can send; the shared check refuses both, and patterns, before a request is served).
try:
    CORS_ALLOWED_ORIGINS = allowed_origins(os.environ.get("CORS_ALLOWED_ORIGINS", ""))
except OriginError as exc:
    raise SystemExit(str(exc)) from None
CORS_ALLOW_CREDENTIALS = True  # the browser client sends the session cookie
# The browser client sends X-Client-Id when given a clientId (the server ignores it, but the
# preflight must allow it) and X-CSRFToken through authHeaders for POST.
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "x-csrftoken",
    "x-client-id",
    "x-requested-with",
)
CSRF_TRUSTED_ORIGINS = CORS_ALLOWED_ORIGINS

RELAYBOX = {
    "API_KEY": os.environ.get("RELAYBOX_API_KEY", DEVELOPMENT_API_KEY),
    "TOKEN_EXPIRES_IN": int(os.environ.get("RELAYBOX_TOKEN_EXPIRES_IN", "900")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"relaybox_integrations": {"handlers": ["console"], "level": "INFO"}},
}
