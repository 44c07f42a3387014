"""``python -m skdnn`` is the ``skdnn`` command."""

import sys

from .cli import main

sys.exit(main())
