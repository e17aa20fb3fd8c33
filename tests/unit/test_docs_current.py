"""The committed contract documents (docs/events, docs/asyncapi) must match the code."""

from pathlib import Path

from deploy.docs import documents

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_documents_are_current():
    stale = [path for path, content in documents().items() if not (DOCS / path).is_file() or (DOCS / path).read_text() != content]
    assert not stale, f"regenerate with `python -m deploy.docs`: {stale}"
