"""Writes services/matcher/domain/homophones.tsv: the common Chinese characters (GB 2312) grouped by
their toneless pinyin readings, one syllable per line, from pypinyin's character dictionary.

    .venv/bin/pip install pypinyin && .venv/bin/python -m deploy.homophones

The matcher reads the file rather than pypinyin itself: a few hundred lines instead of ~50 MiB of
dictionaries in every instance.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "services" / "matcher" / "domain" / "homophones.tsv"


def toneless(reading: str) -> str:
    """hóng → hong, lǜ → lv (as typed on a pinyin keyboard)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def gb2312() -> list[str]:
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def main() -> None:
    from pypinyin.pinyin_dict import pinyin_dict

    groups: dict[str, list[str]] = defaultdict(list)
    for ch in gb2312():
        for syllable in dict.fromkeys(toneless(r) for r in pinyin_dict.get(ord(ch), "").split(",") if r):
            groups[syllable].append(ch)
    lines = [f"{syllable}\t{''.join(chars)}" for syllable, chars in sorted(groups.items()) if len(chars) > 1]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(lines)} syllables)")


if __name__ == "__main__":
    main()
