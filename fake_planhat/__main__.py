"""``python -m fake_planhat``: the ``fake-planhat`` command, for when scripts are not on PATH."""

import sys

from fake_planhat.cli import main

if __name__ == "__main__":
    sys.exit(main())
