"""Deterministic record identity: the same real-world record always gets the same id."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from shared import ids

_NAMESPACE = uuid.UUID("0b7a3c1e-4a0f-5d8e-9c61-3f2e1d0c9b8a")


def record_id(department: str, kind: str, source_key: str, period: str | None) -> uuid.UUID:
    return ids.uuid5(_NAMESPACE, f"{department}|{kind}|{source_key}|{period or ''}")


def imported_event_id(record: uuid.UUID, version: int) -> uuid.UUID:
    """One event per (record, version): a retried submission republishes nothing new."""
    return ids.uuid5(_NAMESPACE, f"{record}|v{version}")


def content_hash(data: dict[str, Any], pii_hashes: dict[str, str]) -> str:
    canonical = orjson.dumps({"data": data, "pii": pii_hashes}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
