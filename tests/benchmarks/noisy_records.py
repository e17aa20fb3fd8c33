"""Labelled noisy tax and power records, for measuring the matcher's quality (issue 4, item 5).

The registry is the demo city's (deploy/local/demo_data.py) plus what the demo lacks and the
matcher must tell apart: branches (分公司), each an entity of its own, and the old 15-digit
registration numbers of entities registered before the USCC (October 2015). Near-twin names are
already in the demo: trade names are unique only within a region's naming group, so "揭阳市宏盛
贸易有限公司" and "普宁市宏盛贸易有限责任公司" are two businesses in two places.

Each query is a tax or power record written the way a department writes it, with one kind of
noise (NOISES) and sometimes a cosmetic one on top, and carries its truth: the USCC of the entity
it belongs to, or None for a business missing from the registry. Tax payments carry no address,
power accounts do, as in the departments' record kinds.

Two rules keep the labels fair:
- a noisy name of a registered entity never becomes the core of another registered entity of
  the same county (region, trade name and industry all written alike): such a record reads as
  that other business's own, and no matcher could know better;
- a business missing from the registry never has the core of a registered one of its own county
  and never the exact name of any: it is a near twin, not a homonym.
"""

from __future__ import annotations

import re
import uuid
from bisect import bisect
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import accumulate
from random import Random
from typing import NamedTuple

import opencc

from deploy.local.demo_data import _COOPERATIVES, _INDUSTRIES, _TRADE_CHARS, DemoConfig, registrations
from services.matcher.domain.index import RegisteredEntity
from shared import uscc
from shared.contracts import ImportedRecord
from shared.records.fields import registration_number_is_valid
from shared.reference import DIVISIONS, TOWNSHIPS

# Noise type -> share of the queries, in percent. Every query of a registered entity lacks a valid USCC
# (with one, the cascade's exact stage links it and there is nothing to measure).
NOISES = {
    "exact_name": 4,  # the registered name as is: the control
    "typo": 10,  # one character mistyped, dropped from the industry word, or two swapped
    "homophone": 10,  # one character replaced by a 同音字 (pinyin input slip)
    "traditional": 6,  # 繁体字
    "region_dropped": 7,
    "region_changed": 7,  # another region that holds the entity: 揭阳市 ↔ 普宁市 ↔ 广东省揭阳市
    "legal_form_dropped": 6,
    "legal_form_changed": 6,  # 有限公司 ↔ 有限责任公司, 公司, 股份有限公司, (个体工商户)
    "short_name": 7,  # 简称: trade name and industry without region and legal form
    "brackets_fullwidth": 6,  # 宏盛（揭阳）贸易, 【宏盛】, full-width spaces
    "wrong_check": 4,  # the USCC failing its check: the check character or another one mistyped
    "old_registration_number": 5,  # the pre-2015 registration number instead of the USCC
    "moved_address": 8,  # the record comes from another township (and address)
    "unregistered_twin": 14,  # a business missing from the registry, named like a registered one
}
# Noise a department adds on top of any other, at COSMETIC_SHARE: spelling that normalisation
# should undo entirely.
COSMETIC = ("traditional", "brackets_fullwidth", "region_dropped", "legal_form_changed")
COSMETIC_SHARE = 0.3

BRANCH_SHARE = 0.04  # of companies: a branch registered in another township
OLD_NUMBER_KEPT = 0.75  # of pre-USCC entities: the registry still holds the registration number
USCC_INTRODUCED = date(2015, 10, 1)
PERIOD = "2026-10"

_REGIONS = tuple(sorted(  # longest first: 揭阳市榕城区 before 揭阳市
    {"广东省揭阳市", "广东省", "广东", "揭阳市", "揭阳", *(f"揭阳市{d}" for d in DIVISIONS.values()), *DIVISIONS.values()},
    key=len, reverse=True))
_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "专业合作社")
_SAME_FORM = {"有限责任公司": "有限公司"}
_INDUSTRY_WORDS = tuple(sorted(
    {w for industry, _, _ in _INDUSTRIES.values() for w in (industry.word, industry.shop) if w}
    | {c.word for c in _COOPERATIVES}, key=len, reverse=True))
_ENTERPRISE_WORDS = tuple(industry.word for industry, _, _ in _INDUSTRIES.values())
_SHOP_WORDS = tuple(industry.shop for industry, _, _ in _INDUSTRIES.values() if industry.shop)
_TYPO_CHARS = _TRADE_CHARS + "一二三四五六七八九十东西南北中上下大小天地人日月水木山石田春秋"

# Characters read alike in Mandarin (tones ignored), as a pinyin input method confuses them.
_HOMOPHONE_GROUPS = (
    "宏鸿红洪弘虹", "盛胜圣晟生升", "兴星行形幸", "鑫新欣馨心信芯", "华化花桦", "达大", "恒衡亨",
    "泰太", "源元园圆远缘", "富福复服", "永勇泳涌", "嘉佳家加", "丰峰锋风枫", "德得", "利力立丽励理里",
    "祥翔详香", "隆龙珑", "金今锦进晋", "美梅", "创窗", "联连莲", "旺望网往", "顺舜", "发法", "合和禾河",
    "汇惠慧", "辉徽晖", "博波柏伯", "荣容融榕蓉", "昌长常厂场", "宝保", "正政铮", "腾藤", "益亿艺易亦",
    "捷杰洁", "广光", "悦越粤", "康抗", "安岸", "君俊骏峻", "伟威维唯", "展战", "志智至之织芝", "诚城成程承",
    "瑞锐", "豪浩好", "明名铭", "凯楷铠开", "通同", "业叶夜", "科可", "航杭", "雅亚", "景晶京", "潮朝",
    "帆凡饭范", "裕玉誉宇", "雄熊", "鹏朋", "彬斌", "标彪", "忠中钟", "坤昆", "亮良", "财才彩", "贸茂",
    "塑素", "料廖", "食实石饰市式", "电店", "技计记纪", "陶桃", "瓷词慈", "鞋谐", "纺芳方房", "药耀",
    "茶查", "修秀", "汽气器", "建健剑", "筑住助珠朱", "工公功", "装庄妆", "五伍午", "饮引印", "营盈赢",
)
_HOMOPHONES = {ch: group.replace(ch, "") for group in _HOMOPHONE_GROUPS for ch in group}

_S2T = opencc.OpenCC("s2t")
_FULL_WIDTH = str.maketrans("0123456789#", "０１２３４５６７８９＃")
_HOUSE_NUMBER = re.compile(r"\d+(?=号$)")
_NAMESPACE = uuid.UUID("0b8f1f0e-6a55-4c1e-9d7c-3f2b5a1d9e42")


class Name(NamedTuple):
    """A business name in the parts the registration rules give it (企业名称登记管理规定 art. 6)."""

    region: str
    trade: str
    industry: str
    form: str
    branch: str = ""

    @property
    def core(self) -> str:
        return self.trade + self.industry

    def text(self) -> str:
        return self.region + self.trade + self.industry + self.form + self.branch

    @property
    def key(self) -> tuple[str, ...]:
        """What the registration rules hold unique: 有限责任公司 and 有限公司 are one legal form."""
        return self.region, self.core, _SAME_FORM.get(self.form, self.form), self.branch


def parse(name: str) -> Name:
    """The parts of a demo name: region, trade name, industry word or shop word, legal form."""
    region = next((r for r in _REGIONS if name.startswith(r)), "")
    rest = name[len(region):]
    form = next((f for f in _FORMS if rest.endswith(f)), "")
    rest = rest[: len(rest) - len(form)]
    industry = next((w for w in _INDUSTRY_WORDS if rest.endswith(w) and len(rest) > len(w)), "")
    return Name(region, rest[: len(rest) - len(industry)], industry, form)


@dataclass(frozen=True)
class Entry:
    """A registered entity and what the generator knows of it beyond the registry row."""

    entity: RegisteredEntity
    name: Name
    old_number: str | None  # its pre-USCC registration number, whether or not the registry kept it

    @property
    def division(self) -> str:
        return self.entity.township_code[:6]


@dataclass(frozen=True)
class LabelledRecord:
    record: ImportedRecord
    truth: str | None  # USCC of the entity the record belongs to; None: the business is not registered
    noise: str  # the noise type it was drawn for (NOISES)
    cosmetic: str | None = None  # the cosmetic noise added on top, if any (COSMETIC)


@dataclass(frozen=True)
class LabelledData:
    registry: list[RegisteredEntity]
    records: list[LabelledRecord]


@dataclass
class _Draft:
    """A record being written: name parts until rendered, where it comes from, its codes."""

    name: Name
    township_code: str
    address: str
    noises: tuple[str, ...]
    uscc: str | None = None
    registration_number: str | None = None


class Generator:
    """Registry and queries from one seed: the same arguments always give the same data."""

    def __init__(self, entities: int, seed: int) -> None:
        self._rnd = Random(f"noisy-records:{seed}")
        demo = registrations(DemoConfig(entities=entities, seed=seed))
        self.entries = list(self._unique(self._entry(r) for r in demo))
        self.entries += [self._branch(e) for e in self.entries if e.name.form and self._rnd.random() < BRANCH_SHARE]
        self._by_division: dict[str, list[Entry]] = defaultdict(list)
        self._cores: dict[str, set[str]] = defaultdict(set)  # division -> registered cores
        for e in self.entries:
            self._by_division[e.division].append(e)
            self._cores[e.division].add(e.name.core)
        self._names = {e.name.key for e in self.entries}
        self._old = [e for e in self.entries if e.old_number]

    def registry(self) -> list[RegisteredEntity]:
        return [e.entity for e in self.entries]

    def records(self, n: int) -> list[LabelledRecord]:
        kinds, cum = tuple(NOISES), list(accumulate(NOISES.values()))
        return [self._record(k, kinds[bisect(cum, self._rnd.random() * cum[-1])]) for k in range(n)]

    # --- registry ---------------------------------------------------------------------------

    def _entry(self, row: dict) -> Entry:
        old_number = None
        if date.fromisoformat(row["established_on"]) < USCC_INTRODUCED:
            old_number = _registration_number(row["township_code"][:6], self._rnd.randrange(10**8))
        kept = old_number if self._rnd.random() < OLD_NUMBER_KEPT else None
        entity = RegisteredEntity(row["uscc"], kept, row["name"], row["address"], row["township_code"], row["status"])
        return Entry(entity, parse(row["name"]), old_number)

    @staticmethod
    def _unique(entries: Iterable[Entry]) -> Iterator[Entry]:
        """The demo's naming groups tell 有限公司 from 有限责任公司, the registration rules do not:
        of two such names in one region only the first is registered."""
        seen = set()
        for e in entries:
            if e.name.key not in seen:
                seen.add(e.name.key)
                yield e

    def _branch(self, head: Entry) -> Entry:
        """A branch of `head` where some other entity is (mostly another township), named after
        the head office and its own place."""
        host = self._rnd.choice(self.entries)
        division = host.entity.township_code[:6]
        place = DIVISIONS[division][:-1] if self._rnd.random() < 0.6 else _township_name(host)
        name = head.name._replace(branch=f"{place}分公司")
        body = "MB" + "".join(self._rnd.choice(uscc.ALPHABET) for _ in range(6))
        entity = RegisteredEntity(
            uscc.build("9", "1", division, body), None, name.text(), _moved(self._rnd, host.entity.address),
            host.entity.township_code, "active",
        )
        return Entry(entity, name, None)

    # --- queries ----------------------------------------------------------------------------

    def _record(self, k: int, noise: str) -> LabelledRecord:
        cosmetic = None
        if self._rnd.random() < COSMETIC_SHARE:
            cosmetic = self._rnd.choice([c for c in COSMETIC if c != noise])
        noises = (noise, cosmetic) if cosmetic else (noise,)
        if noise == "unregistered_twin":
            truth, draft = None, self._twin(noises)
        else:
            entry = self._rnd.choice(self._old if noise == "old_registration_number" else self.entries)
            truth, draft = entry.entity.uscc, self._noisy(entry, noises)
        return LabelledRecord(self._imported(k, draft), truth, noise, cosmetic)

    def _noisy(self, entry: Entry, noises: tuple[str, ...]) -> _Draft:
        e = entry.entity
        draft = _Draft(entry.name, e.township_code, e.address, noises)
        if "wrong_check" in noises:  # any one character mistyped fails the check
            i = 17 if self._rnd.random() < 0.5 else self._rnd.randrange(17)
            draft.uscc = e.uscc[:i] + self._rnd.choice(uscc.ALPHABET.replace(e.uscc[i], "")) + e.uscc[i + 1 :]
        if "old_registration_number" in noises:
            draft.registration_number = entry.old_number
        if "moved_address" in noises:  # to another township, mostly of the same county
            host = entry
            while host.entity.township_code == e.township_code:
                host = self._rnd.choice(self._by_division[entry.division] if self._rnd.random() < 0.6 else self.entries)
            draft.township_code, draft.address = host.entity.township_code, _moved(self._rnd, host.entity.address)
        for _ in range(20):  # redraw a name that would be another registered entity's (module docstring)
            name = self._spelt(entry.name, noises, entry.division)
            if name.core == entry.name.core or name.core not in self._cores[entry.division]:
                break
        draft.name = name
        return draft

    def _twin(self, noises: tuple[str, ...]) -> _Draft:
        """A business missing from the registry, named after a registered one: another trade name
        character, another industry, the same name in another county, or an unregistered branch."""
        while True:
            source = self._rnd.choice(self.entries)
            how = self._rnd.choice(("trade", "industry", "county", "branch"))
            near = how != "county" and self._rnd.random() < 0.4  # copied from a business nearby
            host = self._rnd.choice(self._by_division[source.division] if near else self.entries)
            if name := self._twin_name(source.name, how, host):
                break
        draft = _Draft(name, host.entity.township_code, _moved(self._rnd, host.entity.address), noises)
        draft.name = self._spelt(name, noises, host.division)
        return draft

    def _twin_name(self, name: Name, how: str, host: Entry) -> Name | None:
        """The twin's name as written correctly, or None when it would be no twin: a name the
        registry holds, or a core registered in the twin's county (see the module docstring)."""
        if how == "branch":  # of a registered head office, under the head's name and region
            if not name.form or name.branch:
                return None
            name = name._replace(branch=f"{_township_name(host)}分公司")
            return None if name.key in self._names else name
        if how == "trade":
            name = name._replace(trade=_replace_one(self._rnd, name.trade, self._alike_or_any))
        elif how == "industry":
            name = name._replace(industry=self._rnd.choice(_ENTERPRISE_WORDS if name.form else _SHOP_WORDS))
        if name.region in DIVISIONS.values():  # a county in the name is the twin's own
            name = name._replace(region=DIVISIONS[host.division])
        if name.branch:  # and so is the place of a branch
            name = name._replace(branch=f"{_township_name(host)}分公司")
        return None if name.core in self._cores[host.division] or name.key in self._names else name

    def _spelt(self, name: Name, noises: tuple[str, ...], division: str) -> Name:
        for noise in noises:
            if spell := self._SPELLINGS.get(noise):
                name = spell(self, name, division)
        return name

    def _imported(self, k: int, draft: _Draft) -> ImportedRecord:
        text = _bracketed(self._rnd, draft.name) if "brackets_fullwidth" in draft.noises else draft.name.text()
        if "traditional" in draft.noises:
            text = _S2T.convert(text)
        source_key = f"Q{k:07d}"
        if self._rnd.random() < 0.5:
            kind, department, data = "tax_payment", "tax", {"taxpayer_id": source_key, "taxpayer_name": text}
        else:
            address = _as_written(self._rnd, draft.address)
            kind, department, data = "power_account", "power_supply", {
                "power_account": source_key, "account_name": text, "address": address}
        if draft.registration_number:
            data["registration_number"] = draft.registration_number
        return ImportedRecord(
            record_id=uuid.uuid5(_NAMESPACE, source_key), version=1, department=department, kind=kind,
            source_key=source_key, period=PERIOD, township_code=draft.township_code, uscc=draft.uscc,
            received_at=datetime(2026, 11, 5, tzinfo=UTC), data={"township_code": draft.township_code, **data},
        )

    # --- spellings: name parts as a department writes them ------------------------------------

    def _any_other(self, ch: str) -> str:
        return self._rnd.choice(_TYPO_CHARS.replace(ch, ""))

    def _alike(self, ch: str) -> str:
        return self._rnd.choice(_HOMOPHONES[ch])

    def _alike_or_any(self, ch: str) -> str:
        return self._alike(ch) if ch in _HOMOPHONES and self._rnd.random() < 0.5 else self._any_other(ch)

    def _typo(self, name: Name, division: str) -> Name:
        r = self._rnd.random()
        if r < 0.5 or not name.industry:
            return name._replace(trade=_replace_one(self._rnd, name.trade, self._any_other))
        if r < 0.7:
            return name._replace(trade=name.trade[1] + name.trade[0] + name.trade[2:])
        if len(name.industry) >= 3:
            i = self._rnd.randrange(len(name.industry))
            return name._replace(industry=name.industry[:i] + name.industry[i + 1 :])
        return name._replace(industry=_replace_one(self._rnd, name.industry, self._any_other))

    def _homophone(self, name: Name, division: str) -> Name:
        alike = [p for p in ("trade", "industry") if any(c in _HOMOPHONES for c in getattr(name, p))]
        if not alike:
            return self._typo(name, division)
        part = "trade" if "trade" in alike and (self._rnd.random() < 0.7 or len(alike) == 1) else alike[-1]
        return name._replace(**{part: _replace_one(self._rnd, getattr(name, part), self._alike, among=_HOMOPHONES)})

    def _region_dropped(self, name: Name, division: str) -> Name:
        return name._replace(region="")

    def _region_changed(self, name: Name, division: str) -> Name:
        county = DIVISIONS[division]
        alternatives = {"揭阳市", "广东省揭阳市", "揭阳", county, county[:-1], f"揭阳市{county}"} - {name.region}
        return name._replace(region=self._rnd.choice(sorted(alternatives)))

    def _legal_form_dropped(self, name: Name, division: str) -> Name:
        return name._replace(form="") if name.form else name._replace(form="（个体工商户）")

    def _legal_form_changed(self, name: Name, division: str) -> Name:
        if not name.form:
            return name._replace(form="（个体工商户）")
        if name.form == "专业合作社":
            return name._replace(form="农民专业合作社")
        r = self._rnd.random()
        if r < 0.5:
            return name._replace(form="有限责任公司" if name.form == "有限公司" else "有限公司")
        return name._replace(form="公司" if r < 0.7 else "股份有限公司" if name.form != "股份有限公司" else "有限公司")

    def _short_name(self, name: Name, division: str) -> Name:
        short = name._replace(region="", form="")
        if len(name.industry) >= 4 and self._rnd.random() < 0.5:
            candidate = short._replace(industry=name.industry[:2])
            if candidate.core not in self._cores[division]:
                return candidate
        return short

    _SPELLINGS = {
        "typo": _typo, "homophone": _homophone, "region_dropped": _region_dropped,
        "region_changed": _region_changed, "legal_form_dropped": _legal_form_dropped,
        "legal_form_changed": _legal_form_changed, "short_name": _short_name,
    }


def generate(entities: int, queries: int, seed: int) -> LabelledData:
    generator = Generator(entities, seed)
    return LabelledData(generator.registry(), generator.records(queries))


def _registration_number(division: str, serial: int) -> str:
    """A 15-digit 工商注册号 of the division: 6-digit authority, 8-digit serial, check digit."""
    body = f"{division}{serial:08d}"
    return next(body + d for d in "0123456789" if registration_number_is_valid(body + d))


def _township_name(entry: Entry) -> str:
    """The entity's township as branch names carry it: 流沙东 for 流沙东街道."""
    return re.sub("(街道|镇|乡)$", "", TOWNSHIPS[entry.entity.township_code].name)


def _moved(rnd: Random, address: str) -> str:
    """Another house on the same road or village as `address`."""
    return _HOUSE_NUMBER.sub(str(1 + rnd.randrange(400)), address)


def _as_written(rnd: Random, address: str) -> str:
    """An address as the power company writes it: often without province and city, now and
    then with # for 号 or full-width digits."""
    if rnd.random() < 0.5:
        address = address.removeprefix("广东省").removeprefix("揭阳市")
    if rnd.random() < 0.1:
        address = address.replace("号", "#")
    if rnd.random() < 0.1:
        address = address.translate(_FULL_WIDTH)
    return address


def _replace_one(rnd: Random, text: str, choose: Callable[[str], str], among: Container[str] | None = None) -> str:
    positions = [i for i, ch in enumerate(text) if among is None or ch in among]
    i = rnd.choice(positions)
    return text[:i] + choose(text[i]) + text[i + 1 :]


def _bracketed(rnd: Random, name: Name) -> str:
    """Brackets and full-width characters as clerks type them: the region after the trade name
    in （）, the trade name in 【】, full-width spaces between the parts."""
    r = rnd.random()
    if r < 0.4 and name.region:
        return f"{name.trade}（{name.region}）{name.industry}{name.form}{name.branch}"
    if r < 0.7:
        return f"{name.region}【{name.trade}】{name.industry}{name.form}{name.branch}"
    return "\u3000".join(p for p in name if p)
