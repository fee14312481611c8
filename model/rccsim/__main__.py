"""``python -m rccsim``: the command line (see :mod:`rccsim.cli`)."""

import sys

from rccsim.cli import main

sys.exit(main())
