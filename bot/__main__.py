"""``python -m bot`` is the ``netmaint`` command."""

import sys

from bot.cli import main

sys.exit(main())
