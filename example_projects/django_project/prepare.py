"""Get the example ready to serve: check the settings, migrate, create the demo users (demo,
and staff, who may join the staff room).

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

    import staff_room  # on sys.path: the settings put ../common there
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    for username, password, is_staff in (
        (DEMO_USERNAME, DEMO_PASSWORD, False),
        (staff_room.STAFF_USERNAME, staff_room.STAFF_PASSWORD, True),
    ):
        if not user_model.objects.filter(username=username).exists():
            user_model.objects.create_user(username, password=password, is_staff=is_staff)
            print(f"Created the demo user {username} / {password}", file=sys.stderr)


if __name__ == "__main__":
    main()
