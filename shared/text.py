"""Text every later stage can store and encode.

PostgreSQL refuses NUL in `text` and `jsonb`, and a lone surrogate (e.g. JSON "\\udc00", which
Python's json module accepts) cannot be encoded as UTF-8 by any producer, table or reply. Both
are refused where text enters the platform, with the stable code `text_unstorable`, instead of
failing a transaction, a relay or a reply later.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

UNSTORABLE_CODE = "text_unstorable"
UNSTORABLE_MESSAGE_ZH = "含有无法保存的字符（空字符 \\u0000 或不成对的 Unicode 代理字符）"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def printable(value: str) -> str:
    """`value` made safe to echo in a reply or a log: unstorable characters escaped, the rest kept."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def _storable(value: str) -> str:
    if not is_storable(value):
        raise ValueError(UNSTORABLE_CODE)
    return value


StorableText = Annotated[str, AfterValidator(_storable)]
