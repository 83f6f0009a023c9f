"""``python -m conformance.contract [docs/contract.md]``: regenerate the kit's rules in the
project's contract document."""

from __future__ import annotations

import sys
from pathlib import Path

from conformance.contract import RULES
from conformance.contract._docs import update_document

path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/contract.md")
changed = update_document(path, RULES)
print(f"{path}: {'updated' if changed else 'already up to date'}")
