"""Write ``docs/objects.md`` and the package's ``planhat-openapi.json`` from the declarations:
``python -m fake_planhat.planhat.docs``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fake_planhat.planhat._docs import objects_markdown
from fake_planhat.planhat._openapi import openapi_document

OPENAPI_FILE = Path(__file__).resolve().parents[1] / "planhat-openapi.json"


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/objects.md")
    target.write_text(objects_markdown(), encoding="utf-8")
    OPENAPI_FILE.write_text(openapi_text(), encoding="utf-8")
    print(f"wrote {target} and {OPENAPI_FILE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
