"""Get the example ready to serve: check the settings, migrate, create the demo user.

Idempotent; ``example_projects/serve.py django`` runs it before starting the server. A bad
``RELAYBOX`` setting stops it here, with the system check's message naming the setting.
"""

import os
import sys

import django
from django.core.management import call_command
from django.core.management.base import SystemCheckError

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"


def main() -> None:
    # This example's own settings, whatever the calling environment (a test run) says.
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    django.setup()
    try:
        call_command("check", fail_level="ERROR")
    except SystemCheckError as exc:
        sys.exit(str(exc))
    call_command("migrate", interactive=False, verbosity=0)

    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if not user_model.objects.filter(username=DEMO_USERNAME).exists():
        user_model.objects.create_user(DEMO_USERNAME, password=DEMO_PASSWORD)
        print(f"Created the demo user {DEMO_USERNAME} / {DEMO_PASSWORD}", file=sys.stderr)


if __name__ == "__main__":
    main()
