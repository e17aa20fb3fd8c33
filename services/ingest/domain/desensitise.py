"""脱敏 at the boundary: personal fields leave ingest only as a masked display form plus a keyed hash.

The HMAC keeps equality matching possible downstream (same person, same hash) without the raw
value ever reaching Kafka or a table; without the key the hash cannot be reversed by guessing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from shared.records import PersonalField


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_person_name(name: str) -> str:
    """First character kept, the rest starred (张三丰 → 张**)."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_resident_id(number: str) -> str:
    """Region (first 6) and last 4 kept; the birth date (digits 7–14) never shown."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def mask_bank_account(number: str) -> str:
    return "*" * (len(number) - 4) + number[-4:]


_MASKS = {
    PersonalField.PERSON_NAME: mask_person_name,
    PersonalField.RESIDENT_ID: mask_resident_id,
    PersonalField.MOBILE: mask_mobile,
    PersonalField.BANK_ACCOUNT: mask_bank_account,
}


def desensitise(
    data: dict[str, Any], policy: dict[str, PersonalField], key: bytes
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (data with personal fields masked, their keyed hashes)."""
    if not policy:
        return data, {}
    masked = dict(data)
    hashes: dict[str, str] = {}
    for field, how in policy.items():
        raw = masked.get(field)
        if raw:
            masked[field] = _MASKS[how](str(raw))
            hashes[field] = keyed_hash(key, str(raw))
    return masked, hashes
