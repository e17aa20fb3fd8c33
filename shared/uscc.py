"""Unified social credit code (统一社会信用代码, GB 32100-2015) and its organisation-code part (GB 11714).

Kept dependency-free: python-stdnum rejects valid codes whose first character is a letter.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def normalise(raw: str) -> str:
    """Upper-case and strip whitespace (including full-width spaces) from a code as typed."""
    return "".join(raw.split()).replace("\u3000", "").upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (raises KeyError/ValueError for foreign characters)."""
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check_character(first8: str) -> str:
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(first8, _ORG_WEIGHTS))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def is_valid(code: str) -> bool:
    """True for an 18-character code from the GB 32100 alphabet whose check character is right."""
    if len(code) != 18 or any(ch not in _VALUE for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def build(registration_authority: str, entity_type: str, division_code: str, organisation_code: str) -> str:
    """Assemble a valid code; `organisation_code` is the 8-character body (its check is computed)."""
    org9 = organisation_code + organisation_check_character(organisation_code)
    first17 = f"{registration_authority}{entity_type}{division_code}{org9}"
    return first17 + check_character(first17)
