"""Name-based (version 5) UUIDs: deterministic ids for records and derived events."""

from __future__ import annotations

import hashlib
import uuid

_VERSION_BITS_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_5_RFC_4122 = (5 << 76) | (0x8000 << 48)


def uuid5(namespace: uuid.UUID, name: str) -> uuid.UUID:
    """Equal to `uuid.uuid5`, at half its cost: it runs twice per imported row and once per
    derived event, and `uuid.UUID(bytes=…, version=5)` re-checks what is known here."""
    digest = hashlib.sha1(namespace.bytes + name.encode()).digest()
    return uuid.UUID(int=int.from_bytes(digest[:16]) & _VERSION_BITS_CLEAR | _VERSION_5_RFC_4122)
