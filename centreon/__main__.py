"""``python -m centreon``: see :mod:`centreon.cli`."""

from __future__ import annotations

import sys

from centreon.cli import main

if __name__ == "__main__":
    sys.exit(main())
