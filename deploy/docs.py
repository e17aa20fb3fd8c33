"""Regenerate the committed contract documents: `python -m deploy.docs`.

docs/events/<event-type>.schema.json — JSON Schema of each event envelope;
docs/asyncapi/<service>.json — the AsyncAPI document of each service (from FastStream).
tests/unit/test_docs_current.py fails when these are stale.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from shared.contracts import EVENT_TYPES

SERVICES = ("ingest", "matcher", "alerting", "feedback", "analytics")
ROOT = Path(__file__).resolve().parents[1] / "docs"


def _dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def documents() -> dict[str, str]:
    """Relative path under docs/ → content."""
    from shared.service import Service

    out = {f"events/{name}.schema.json": _dump(model.model_json_schema()) for name, model in EVENT_TYPES.items()}
    for name in SERVICES:
        build = importlib.import_module(f"services.{name}.app").build
        out[f"asyncapi/{name}.json"] = _dump(Service(build()).asyncapi())
    return out


def main() -> None:
    for relative, content in documents().items():
        path = ROOT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(f"wrote docs/{relative}")


if __name__ == "__main__":
    main()
