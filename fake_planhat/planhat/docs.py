"""Write ``docs/objects.md`` from the declarations: ``python -m fake_planhat.planhat.docs``."""

from __future__ import annotations

import sys
from pathlib import Path

from fake_planhat.planhat._docs import objects_markdown


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/objects.md")
    target.write_text(objects_markdown(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
