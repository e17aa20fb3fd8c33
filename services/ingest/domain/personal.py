"""Personal data nobody declared: a natural person's values in fields meant for businesses.

Departments declare which fields hold personal data (法定代表人, 联系电话, …), but people also turn up
where a business is expected: a household's or an individual business's power account is in a
person's name (户名), a sole trader's 纳税人名称 is his name and his 纳税人识别号 his resident ID
number, and clerks type ID numbers into free text. Those values are found here, in every text
field that can hold one, so that ingest masks and keyed-hashes them like declared fields.

Resident IDs are recognised by structure, not by look: a province code, a real birth date and
(18 characters) the GB 11643 check character. A 15-digit number that is also a valid pre-2015
taxpayer id (a division code and a GB 11714 organisation code) is taken for the taxpayer id:
15-digit resident IDs were replaced by 2013, organisation codes were not.

A person's name is 2–3 Han characters after a common surname, or 3–4 after a compound one, with
nothing of a business in it (公司, 店, 厂, 行, 记, …): a business name without such a word is at
least a trade name and an industry, longer than a name.
"""

from __future__ import annotations

import re
from datetime import date
from importlib.resources import files

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
}
# a run of 15 or 18 characters that is not part of a longer code
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    text = files(__package__).joinpath("surnames.txt").read_text(encoding="utf-8")
    words = [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]
    return frozenset(w for w in words if len(w) == 1), frozenset(w for w in words if len(w) == 2)


SINGLE_SURNAMES, COMPOUND_SURNAMES = _surnames()
_HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
# What makes a short name a business's (or a place's) rather than a person's, looked for after the
# surname. Characters common in given names (建, 华, 超, 园, …) are only markers inside longer words.
_BUSINESS_CHARACTERS = frozenset("厂店铺馆社部场站坊档摊记氏所院厅斋村镇区县省市司")
_BUSINESS_WORDS = ("超市", "餐饮", "饭店", "酒家", "五金", "建材", "电器", "服饰", "汽修", "商贸", "商行", "贸易",
                   "科技", "中心", "农场", "养殖", "种植", "合作", "批发", "零售", "维修", "加工")


def _valid_birth_date(digits: str) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _organisation_code_valid(code: str) -> bool:
    """GB 11714: 8 characters and a check character (mod 11, 10 → X)."""
    if len(code) != 9 or any(c not in _ORG_ALPHABET for c in code[:8]):
        return False
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(code[:8], _ORG_WEIGHTS))
    check = 11 - total % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def is_resident_id(value: str) -> bool:
    """An 18-character resident ID (check character right), or a 15-digit one (before 2004) that
    is not also a pre-2015 taxpayer id."""
    if value[:2] not in _PROVINCES:
        return False
    if len(value) == 18:
        body = value[:17]
        if not body.isdigit() or not _valid_birth_date(value[6:14]):
            return False
        return "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11] == value[17].upper()
    if len(value) == 15 and value.isdigit():
        return _valid_birth_date("19" + value[6:12]) and not _organisation_code_valid(value[6:])
    return False


def resident_ids_in(text: str) -> list[str]:
    """The resident ID numbers written anywhere in `text`."""
    if len(text) < 15:
        return []
    return [m for m in _ID_CANDIDATE.findall(text) if is_resident_id(m)]


def mobiles_in(text: str) -> list[str]:
    return _MOBILE.findall(text) if len(text) >= 11 else []


def is_person_name(text: str) -> bool:
    """A natural person's name, written alone (张伟, 欧阳小明), not a business's."""
    if not _HAN_NAME.fullmatch(text):
        return False
    if text[:2] in COMPOUND_SURNAMES and len(text) in (3, 4):
        given = text[2:]
    elif text[0] in SINGLE_SURNAMES and len(text) in (2, 3):
        given = text[1:]
    else:
        return False
    return not any(c in _BUSINESS_CHARACTERS for c in given) and not any(w in text for w in _BUSINESS_WORDS)
