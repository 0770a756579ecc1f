"""``python -m relaybox_integrations``: the ``relaybox`` command."""

import sys

from .cli import main

sys.exit(main())
