"""Company names and addresses reduced to comparable forms (名称、地址规范化).

Tax and electricity records often lack the USCC, so the matcher falls back to names. A name is
region + trade name + industry + legal form (企业名称登记管理规定 art. 6), and departments write
the same business differently: full-width or traditional characters, with or without the
region, the region in brackets after the trade name, 有限责任公司 for 有限公司. What identifies
the business is the trade name and industry, so that part (`core`) is what gets fuzzy-compared;
the rest is kept apart so a mismatch there can still count against a candidate.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

import opencc

from shared.reference import TOWNSHIPS

# A core shorter than this no longer identifies anything: stripping stops before it.
_MIN_CORE = 2

_T2S = opencc.OpenCC("t2s")


def _fold(raw: str) -> str:
    """NFKC (full-width letters, digits, （）), then traditional → simplified, then upper case."""
    return _T2S.convert(unicodedata.normalize("NFKC", raw)).upper()


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so that 揭阳市 wins over 揭阳 and 股份有限公司 over 有限公司.
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _no_market(word: str) -> str:
    # "普宁市场…" is the 普宁 market, not the city 普宁市 followed by 场.
    return re.escape(word) + "(?!场)" if word.endswith("市") else re.escape(word)


# Regions written in names: province, city, the five county-level divisions, and townships by
# their full name (the suffix makes them unambiguous).
_REGIONS = (
    "广东省", "广东", "揭阳市", "揭阳",
    "榕城区", "揭东区", "揭西县", "惠来县", "普宁市", "榕城", "揭东", "揭西", "惠来", "普宁",
    *(t.name for t in TOWNSHIPS.values()),
)
# Township names without 街道/镇/乡 are often ordinary trade names (新兴, 东升, 中山), see
# `_strip_region` for when they count as a region.
_SHORT_TOWNSHIPS = tuple(re.sub("(街道|镇|乡)$", "", t.name) for t in TOWNSHIPS.values())

_REGION = re.compile("|".join(_no_market(w) for w in sorted(_REGIONS, key=len, reverse=True)))
# The county-level division each region word lies in; the province and the city lie in none.
_COUNTY_OF = {
    word: t.division_code
    for t, short in zip(TOWNSHIPS.values(), _SHORT_TOWNSHIPS)
    for word in (t.division_name, t.division_name[:-1], t.name, short)
}
_COUNTY_WORD = re.compile(_alternation(_COUNTY_OF))
_SHORT_TOWNSHIP = re.compile(_alternation(_SHORT_TOWNSHIPS))
_REGION_RUN = re.compile(f"(?:{_REGION.pattern}|{_SHORT_TOWNSHIP.pattern})+")

# Legal forms as they read once brackets are dropped ("合伙企业（有限合伙）" → 合伙企业有限合伙),
# mapped to one spelling each. 集团 is not a legal form (a group and its subsidiary are
# different entities), so "恒发集团有限公司" keeps 集团 in its core. Shop words (商行, 经营部,
# 门市部, 店, 厂) name individual businesses and stay in the core too.
_LEGAL_FORMS = {
    "股份有限公司": "股份有限公司",
    "股份公司": "股份有限公司",
    "有限责任公司": "有限公司",
    "有限公司": "有限公司",
    "股份合作公司": "股份合作公司",
    "合伙企业特殊普通合伙": "特殊普通合伙企业",
    "特殊普通合伙企业": "特殊普通合伙企业",
    "特殊普通合伙": "特殊普通合伙企业",
    "合伙企业普通合伙": "普通合伙企业",
    "普通合伙企业": "普通合伙企业",
    "普通合伙": "普通合伙企业",
    "合伙企业有限合伙": "有限合伙企业",
    "有限合伙企业": "有限合伙企业",
    "有限合伙": "有限合伙企业",
    "合伙企业": "合伙企业",
    "个人独资企业": "个人独资企业",
    "农民专业合作社联合社": "农民专业合作社联合社",
    "专业合作社联合社": "农民专业合作社联合社",
    "农民专业合作社": "农民专业合作社",
    "专业合作社": "农民专业合作社",
    "个体工商户": "个体工商户",
    "公司": "有限公司",
}
# A bare 公司 ("恒发贸易公司") is how people shorten 有限公司, the form of nearly every company;
# the 公司 of 分公司 and 总公司 is not a legal form.
_LEGAL_FORM = re.compile(_alternation(w for w in _LEGAL_FORMS if w != "公司") + "|(?<![分总])公司")
_INDIVIDUAL = ("", "个体工商户")

# A branch (分支机构) is its own entity, named after its head office plus place and marker.
_BRANCH_MARKERS = ("分公司", "分店", "分厂", "分行", "支行", "分部", "营业部", "办事处", "分所")
_BRANCH = re.compile(
    f"(?:{_REGION_RUN.pattern})?(?:第[0-9零〇一二三四五六七八九十百两]+)?(?:{_alternation(_BRANCH_MARKERS)})$"
)

_OPEN = "([{<【〔「『《〈〖"
_CLOSE = ")]}>】〕」』》〉〗"
_BRACKETED = re.compile(f"[{re.escape(_OPEN)}]([^{re.escape(_OPEN + _CLOSE)}]*)[{re.escape(_CLOSE)}]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class NormalisedName:
    core: str  # trade name + industry: no region, legal form, branch or punctuation
    region: str  # region found and removed ("揭阳市", "普宁市榕城区"…), "" if none
    legal_form: str  # canonical legal form removed ("有限公司"), "" if none
    branch: str  # branch part ("普宁分公司", "第一分店"), "" if none
    full: str  # region + core + legal form + branch: the whole name in one canonical spelling

    @property
    def county(self) -> str:
        """Division code of the county named in the region ("普宁市…" → 445281), "" if the region
        names none (揭阳市, 广东省) or there is no region: where the name says the business is."""
        return _county(self.region)

    @property
    def registered_form(self) -> str:
        """The legal form as a registered name implies it: only individual businesses are
        registered without one, so "恒发五金店" is a 个体工商户 like "恒发五金店（个体工商户）"."""
        return self.legal_form or "个体工商户"


def normalise_name(raw: str) -> NormalisedName:
    """Split a business name into region, core, legal form and branch.

    A bracketed region ("恒发（揭阳）塑料") is moved to the front, where it would otherwise be
    written, so both spellings give the same `full`; `normalise_name(n.full)` gives `n` back.
    """
    regions: list[str] = []

    def unbracket(m: re.Match[str]) -> str:
        inner = _NON_WORD.sub("", m.group(1))
        if _REGION_RUN.fullmatch(inner):
            regions.append(inner)
            return ""
        return inner

    rest = _NON_WORD.sub("", _BRACKETED.sub(unbracket, _fold(raw)))
    text = "".join(regions) + rest
    head, legal_form, branch = _split_legal_form_and_branch(text)
    region, core = _strip_region(head, short_townships=legal_form in _INDIVIDUAL)
    return NormalisedName(core, region, legal_form, branch, region + core + legal_form + branch)


def _split_legal_form_and_branch(text: str) -> tuple[str, str, str]:
    """Whatever follows the legal form is a branch ("…有限公司揭阳经营部"); without a legal form
    only place names and a branch marker at the end are ("恒发超市普宁分店")."""
    last = None
    for last in _LEGAL_FORM.finditer(text):
        pass
    if last and last.start() >= _MIN_CORE:
        return text[: last.start()], _LEGAL_FORMS[last.group()], text[last.end() :]
    branch = _BRANCH.search(text)
    if branch and branch.start() >= _MIN_CORE:
        return text[: branch.start()], "", branch.group()
    return text, "", ""


def _strip_region(head: str, *, short_townships: bool) -> tuple[str, str]:
    """Strip regions from the start, one at a time, while the core keeps `_MIN_CORE` characters.

    A township without its suffix counts only after another region, only one of the county named
    there, and only for individual businesses, whose names may add the township after the county
    (个体工商户名称登记管理办法); a company name carries county-level regions only, so
    "揭阳市新兴塑料有限公司" keeps 新兴.
    """
    end = 0
    while True:
        m = _REGION.match(head, end)
        if m is None and short_townships and end:
            m = _SHORT_TOWNSHIP.match(head, end)
            if m and _county(head[:end]) not in ("", _COUNTY_OF[m.group()]):
                m = None  # not a township of the county just named: "揭东区新兴…" is the trade name 新兴
        if m is None or len(head) - m.end() < _MIN_CORE:
            return head[:end], head[end:]
        end = m.end()


@lru_cache(maxsize=4096)  # asked once per candidate weighed; the regions written are few
def _county(region: str) -> str:
    words = _COUNTY_WORD.findall(region)
    return _COUNTY_OF[words[-1]] if words else ""


_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))
# A hyphen between digits is kept: 12-3号 (no. 12, unit 3) is not 123号.
_ADDRESS_NOISE = re.compile(r"[^\w-]+|_+|(?<!\d)-+|-+(?!\d)")
# 揭阳 alone is also a street name (揭阳大道), so it counts as the city only before a division.
_ADDRESS_PREFIX = re.compile(r"(?:广东省|广东(?=揭阳))?(?:揭阳市(?!场)|揭阳(?=榕城|揭东|揭西|惠来|普宁))?")


def normalise_address(raw: str) -> str:
    """Address without province/city prefix, spaces or punctuation, with # written as 号.

    The province and city add nothing inside Jieyang and are left out as often as not; the
    division is kept because it tells streets of the same name apart. "" means no address.
    """
    text = _fold(raw).translate(_DASHES).replace("#", "号")
    text = _ADDRESS_NOISE.sub("", text)
    return text[_ADDRESS_PREFIX.match(text).end() :]


_LOCALITY = re.compile(
    f"(?:{'|'.join(_no_market(d) for d in sorted({t.division_name for t in TOWNSHIPS.values()}))})?"
    f"(?:{_alternation(t.name for t in TOWNSHIPS.values())})?"
)


def normalise_place(raw: str) -> str:
    """The address within its township (road or village, number), normalised as above.

    Records carry their township as a code, compared on its own; two addresses in one township
    share the county and township words, which would make any two of them look half alike.
    """
    text = normalise_address(raw)
    return text[_LOCALITY.match(text).end() :]


def _readings() -> dict[str, frozenset[str]]:
    """Character → its toneless pinyin readings, for the common characters (homophones.tsv,
    written by `python -m deploy.homophones`)."""
    readings: dict[str, set[str]] = defaultdict(set)
    for line in (Path(__file__).with_name("homophones.tsv")).read_text(encoding="utf-8").splitlines():
        syllable, chars = line.split("\t")
        for ch in chars:
            readings[ch].add(syllable)
    return {ch: frozenset(r) for ch, r in readings.items()}


_READINGS = _readings()


def sound_alike(a: str, b: str) -> bool:
    """Two characters a pinyin input method offers for the same syllable (宏/鸿, 盛/胜, 贸/茂)."""
    return not _READINGS.get(a, frozenset()).isdisjoint(_READINGS.get(b, ()))
