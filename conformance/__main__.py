"""``python -m conformance``: the ``planhat-conformance`` console script."""

from __future__ import annotations

import sys

from conformance.cli import main

sys.exit(main())
