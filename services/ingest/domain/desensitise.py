"""脱敏 at the boundary: personal fields leave ingest only as a masked display form plus a keyed hash.

The HMAC keeps equality matching possible downstream (same person, same hash) without the raw
value ever reaching Kafka or a table; without the key the hash cannot be reversed by guessing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from shared.records import PersonalField

from services.ingest.domain import personal


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_person_name(name: str) -> str:
    """First character kept, the rest starred (张三丰 → 张**)."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_resident_id(number: str) -> str:
    """Region (first 6) and sequence kept; the birth date never shown: digits 7–14 of an 18-character
    ID, 7–12 of a 15-digit one."""
    kept = 4 if len(number) == 18 else 3
    return number[:6] + "*" * (len(number) - 6 - kept) + number[-kept:]


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
    data: dict[str, Any],
    policy: Mapping[str, PersonalField],
    key: bytes,
    free_text: Iterable[str] = (),
    names: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (data with personal values masked, keyed hashes of the fields masked whole).

    `policy`: the fields the department declared personal. `free_text`: the other text fields,
    searched for what nobody declared — a field that is a resident ID number is masked and hashed
    whole, one written inside other text is masked where it stands (and mobile numbers in text).
    `names`: the fields naming the business, masked and hashed when the name is a person's."""
    masked = dict(data)
    hashes: dict[str, str] = {}
    for field, how in policy.items():
        raw = masked.get(field)
        if raw:
            masked[field] = _MASKS[how](str(raw))
            hashes[field] = keyed_hash(key, str(raw))
    for field in free_text:
        raw = masked.get(field)
        if not isinstance(raw, str) or not raw:
            continue
        if personal.is_resident_id(raw):
            masked[field] = mask_resident_id(raw)
            hashes[field] = keyed_hash(key, raw)
            continue
        text = raw
        for number in personal.resident_ids_in(text):
            text = text.replace(number, mask_resident_id(number))
        if not text.isdigit():  # a number alone is an account or meter number, not a phone written in text
            for number in personal.mobiles_in(text):
                text = text.replace(number, mask_mobile(number))
        masked[field] = text
    for field in names:
        raw = masked.get(field)
        if isinstance(raw, str) and personal.is_person_name(raw):
            masked[field] = mask_person_name(raw)
            hashes[field] = keyed_hash(key, raw)
    return masked, hashes


def protect_source_key(source_key: str, key: bytes) -> str:
    """A source key holding a resident ID (a sole trader's 纳税人识别号) becomes its keyed hash: the
    same person's records keep one identity, and townships' decisions for it still apply."""
    if personal.resident_ids_in(source_key):
        return "pid:" + keyed_hash(key, source_key)
    return source_key
