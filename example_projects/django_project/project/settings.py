"""Settings of the Relaybox Django example: SQLite, session login, the Relaybox app.

Everything comes from the environment, with defaults that run the demo with no set-up;
``../common/webhook_demo.py`` describes ``RELAYBOX_WEBHOOK_SIGNING_KEY`` and ``REDIS_URL``,
and ``RELAYBOX_CORE_URL`` says where to publish (Relaybox's own service when unset).
``RELAYBOX_EMULATOR_PORT``, which serve.py sets when it starts the Relaybox emulator, makes
the page's client connect to it on localhost (offline mode).
"""

import os
import sys
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR.parent / "common"))
import webhook_demo  # noqa: E402 - shared by the examples
from origins import OriginError, allowed_origins  # noqa: E402 - shared by the examples

from relaybox_integrations.core import DEFAULT_CORE_URL  # noqa: E402

# DEVELOPMENT-ONLY defaults, public with the example: set DJANGO_SECRET_KEY and
# RELAYBOX_API_KEY anywhere real. The home page says when either is in use.
#: How the pages name the example (project/settings_asgi.py names the ASGI one).
FRAMEWORK = "Django"
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

# Deduplicating webhook deliveries needs a cache every worker shares: Redis when REDIS_URL
# is set; otherwise this process's memory, which holds for one worker only.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "webhooks": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": webhook_demo.REDIS_URL,
        }
        if webhook_demo.REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "webhooks",
            # LocMemCache keeps 300 keys by default, culling beyond that: a retry would run
            # the handlers again after a few hundred other deliveries.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
}

try:
    TOKEN_EXPIRES_IN = int(os.environ.get("RELAYBOX_TOKEN_EXPIRES_IN", "900"))
except ValueError:
    raise SystemExit("RELAYBOX_TOKEN_EXPIRES_IN must be a whole number of seconds") from None
RELAYBOX = {
    "API_KEY": os.environ.get("RELAYBOX_API_KEY", DEVELOPMENT_API_KEY),
    "TOKEN_EXPIRES_IN": TOKEN_EXPIRES_IN,
    "CORE_URL": os.environ.get("RELAYBOX_CORE_URL") or DEFAULT_CORE_URL,
    "WEBHOOK_SIGNING_KEY": webhook_demo.SIGNING_KEY,
    "WEBHOOK_CACHE": "webhooks",
    # Who may join which authorized room: only staff, the staff room (../common/staff_room.py).
    "CAN_JOIN_ROOM_HOOK": "project.views.can_join_room",
}
DEVELOPMENT_WEBHOOK_SIGNING_KEY = webhook_demo.DEVELOPMENT_SIGNING_KEY
RELAYBOX_EMULATOR_PORT = os.environ.get("RELAYBOX_EMULATOR_PORT", "")
# The chat gets its CSRF failures as JSON, like its other answers; forms get Django's page.
CSRF_FAILURE_VIEW = "project.views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"relaybox_integrations": {"handlers": ["console"], "level": "INFO"}},
}
