"""``python -m badges verify FILE --trust TRUST.json`` (see :mod:`badges.cli`)."""

from __future__ import annotations

import sys

from badges.cli import main

if __name__ == "__main__":
    sys.exit(main())
