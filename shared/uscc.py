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


def is_well_formed(code: str) -> bool:
    """18 characters of the GB 32100 alphabet, whatever the check character says."""
    return len(code) == 18 and all(ch in _VALUE for ch in code)


def is_valid(code: str) -> bool:
    """True for a well-formed code whose check character is right."""
    return is_well_formed(code) and check_character(code[:17]) == code[17]


def with_check_character(code: str) -> str:
    """A well-formed code with the check character its first 17 characters give."""
    return code[:17] + check_character(code[:17])


def near_valid_codes(code: str) -> list[str]:
    """The valid codes one slip from a well-formed but invalid `code`: its check character
    corrected, one of its first 17 characters changed, or two adjacent ones swapped (the check
    character included).

    The check is a weighted sum modulo 31 with weights prime to 31, so for each position exactly one
    character makes the code valid again: 17 substitutions, not 17 × 30 tries.
    """
    values = [_VALUE[ch] for ch in code]
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS))
    wanted = -values[17] % 31  # the weighted sum a valid code with this check character has, modulo 31
    near = [with_check_character(code)]
    for p, w in enumerate(_USCC_WEIGHTS):
        value = (values[p] + (wanted - total) * pow(w, -1, 31)) % 31
        near.append(code[:p] + ALPHABET[value] + code[p + 1 :])
    for p in range(17):
        swapped = code[:p] + code[p + 1] + code[p] + code[p + 2 :]
        if swapped != code and is_valid(swapped):
            near.append(swapped)
    return near


def build(registration_authority: str, entity_type: str, division_code: str, organisation_code: str) -> str:
    """Assemble a valid code; `organisation_code` is the 8-character body (its check is computed)."""
    org9 = organisation_code + organisation_check_character(organisation_code)
    first17 = f"{registration_authority}{entity_type}{division_code}{org9}"
    return first17 + check_character(first17)
