"""Deterministic demo data of a Jieyang-sized city, shaped as the departments POST it to ingest.

Entities are regenerated from one seeded stream on every pass instead of being kept, so 600,000
entities cost no more memory than 600. Each period's figures come from a stream of their own, so
registrations, tax and power can each be produced alone and still agree with one another.

Besides ordinary records the data holds the cases the pipeline exists for: power used while tax
is declared as zero, power accounts without a registered code, legacy 15-character taxpayer ids,
entities with several meters, deregistered entities still drawing power, and sudden drops of power.
It plants an anomaly of every catalogue rule the demo's months can show (`planted`): all but
长期停业, which needs half a year of quiet months after active ones.

Run ``python -m deploy.local.demo_data --entities 600000`` to count the records and time the run.
"""

from __future__ import annotations

import argparse
import time
from bisect import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from itertools import accumulate, islice
from math import exp
from random import Random
from statistics import NormalDist
from typing import NamedTuple

from shared import uscc
from shared.reference import DIVISIONS, TOWNSHIPS, Township

BATCH_SIZE = 1000


@dataclass(frozen=True)
class DemoConfig:
    """What to generate: the defaults make a quick demo, entities=600_000 a city of Jieyang's size."""

    entities: int = 20_000  # 600_000 for full Jieyang scale
    months: tuple[str, ...] = ("2026-08", "2026-09", "2026-10")  # periods "YYYY-MM"
    seed: int = 445200
    power_without_tax_share: float = 0.02  # of entities with power and tax: tax "0.00" in a month
    unregistered_power_share: float = 0.01  # of power accounts: no USCC, business not registered
    # Planted anomalies, drawn from a stream of their own so the ordinary records stay as they were.
    # 用电骤降 and 注销仍活跃 come with the dropping meters and the deregistered entities still drawing power.
    tax_without_power_share: float = 0.01  # of manufacturers paying ≥ 8,000 元: their meter is in another name
    tax_ratio_share: float = 0.03  # of textile mills using ≥ 8,000 kWh: tax 2.5–4 元 per kWh (虚开)
    under_declaring_share: float = 0.02  # of textile, garment, plastics and hardware makers paying ≥ 20,000 元 on ≥ 8,000 kWh: 1 % of it declared
    other_township_share: float = 0.002  # of entities with power: their first meter in another township
    finance_share: float = 0.05  # of companies paying tax: quarterly net profit, the four quarters to the last month's
    persistent_losses_share: float = 0.1  # of those: a loss in each of the four quarters


class Industry(NamedTuple):
    code: str  # GB/T 4754-2017 class
    word: str  # industry word of enterprise and cooperative names
    shop: str  # suffix of individual businesses' names
    tax: float  # median monthly tax of an enterprise, yuan
    kwh: float  # median monthly electricity of an enterprise, kWh


# Weights are (enterprises, individual businesses); a zero keeps that kind out of the industry.
_INDUSTRIES: dict[str, tuple[Industry, float, float]] = {
    "textile": (Industry("1751", "纺织", "织布厂", 9_000, 35_000), 8, 1),
    "garment": (Industry("1819", "服装", "制衣厂", 6_000, 12_000), 12, 3),
    "shoes": (Industry("1953", "鞋业", "鞋厂", 5_000, 15_000), 4, 1),
    "hardware": (Industry("3381", "五金", "五金加工厂", 7_000, 20_000), 10, 2),
    "plastics": (Industry("2927", "塑料制品", "塑料加工厂", 6_500, 40_000), 8, 2),
    "food": (Industry("1499", "食品", "食品加工场", 5_000, 18_000), 6, 2),
    "pharma": (Industry("2740", "药业", "", 40_000, 25_000), 1.5, 0),
    "ceramics": (Industry("3074", "陶瓷", "", 6_000, 60_000), 2, 0),
    "electronics": (Industry("3989", "电子科技", "", 8_000, 15_000), 4, 0),
    "jade": (Industry("2438", "珠宝玉器", "玉器店", 4_000, 1_500), 2, 2),
    "petrochem": (Industry("2511", "石油化工", "", 400_000, 900_000), 0.05, 0),
    "construction": (Industry("4790", "建筑工程", "", 12_000, 800), 4, 0),
    "real_estate": (Industry("7010", "房地产开发", "", 60_000, 2_000), 1.5, 0),
    "trade": (Industry("5199", "贸易", "", 5_000, 600), 20, 0),
    "ecommerce": (Industry("5193", "电子商务", "网店", 3_000, 300), 6, 3),
    "general_retail": (Industry("5219", "商贸", "百货商行", 2_500, 800), 2, 14),
    "hardware_retail": (Industry("5281", "五金交电", "五金店", 2_500, 500), 1, 8),
    "clothing_retail": (Industry("5232", "服饰", "服装店", 2_000, 500), 1, 10),
    "tea": (Industry("5226", "茶叶", "茶行", 2_000, 400), 1, 6),
    "restaurant": (Industry("6210", "餐饮管理", "饭店", 3_000, 3_000), 2, 10),
    "car_repair": (Industry("8111", "汽车服务", "汽车维修部", 2_500, 1_500), 1, 4),
}
_COOPERATIVES = (
    Industry("0151", "青梅种植", "", 300, 800),
    Industry("0164", "茶叶种植", "", 300, 1_200),
    Industry("0141", "蔬菜种植", "", 300, 600),
)
# Local trades raise an industry's weight in a division (Puning textiles, Jiedong hardware ...).
_SPECIALITIES = {
    "445202": {"hardware": 1.5, "trade": 1.3, "real_estate": 1.5},
    "445203": {"hardware": 2.5, "plastics": 2.0, "jade": 3.0},
    "445222": {"shoes": 2.5, "tea": 2.0},
    "445224": {"petrochem": 6.0, "food": 1.5},
    "445281": {"textile": 2.5, "garment": 2.5, "pharma": 3.0},
}
_DIVISION_SHARES = {"445281": 0.36, "445202": 0.26, "445203": 0.14, "445222": 0.12, "445224": 0.12}
_TOWNSHIP_WEIGHTS = {"街道": 3.0, "镇": 1.0, "乡": 0.5}  # urban sub-districts hold more businesses
_ENTERPRISE_REGIONS = {
    "445202": ("揭阳市", "揭阳市", "揭阳市榕城区"),
    "445203": ("揭阳市", "揭阳市揭东区", "揭阳市揭东区"),
    "445222": ("揭西县", "揭西县", "揭阳市"),
    "445224": ("惠来县", "惠来县", "揭阳市"),
    "445281": ("普宁市", "普宁市", "普宁市", "揭阳市"),
}

_TRADE_CHARS = "宏盛兴华鑫达信恒泰源富永嘉丰德利祥隆新金美创联旺佳顺发合汇博锦荣昌宝正海辉腾力益捷广鸿悦康安君伟展志诚福瑞豪俊明亿晟凯通胜业科航雅景骏潮粤榕帆裕雄龙"
_NICKNAME_CHARS = "强明华伟杰鹏辉雄龙彬标城光忠坤生亮顺发财"
_SURNAMES = (
    ("陈", 15), ("林", 8), ("黄", 6), ("李", 5), ("张", 4), ("吴", 4), ("郑", 4), ("许", 3), ("杨", 3),
    ("蔡", 3), ("王", 3), ("刘", 2.5), ("谢", 2), ("洪", 2), ("方", 2), ("周", 1.5), ("罗", 1.5),
    ("詹", 1.5), ("庄", 1.5), ("翁", 1.5), ("江", 1.2), ("苏", 1.2), ("姚", 1), ("彭", 1), ("曾", 1),
    ("卢", 1), ("余", 1), ("赖", 1), ("钟", 1), ("纪", 1), ("马", 1), ("柯", 1), ("魏", 1), ("郭", 1),
)
_GIVEN_CHARS = "伟强明华建国志勇俊杰鹏辉雄龙彬海涛斌锋浩文武东南佳丽娟燕玲秀芳婷敏静霞丹琳少泽銮楚纯泳坤金瑞"
_ROADS = (
    "人民路", "新华路", "建设路", "中山路", "环城路", "工业大道", "兴业路", "文化路", "朝阳路", "振兴路",
    "站前路", "解放路", "和平路", "新河路", "商业街", "新城大道", "长春路", "广达路", "望江路", "天福路",
)
_VILLAGE_CHARS = "新东西南北上下大美溪湖塘寮洋埔厝围坑头内外陇寨林前后中田山池桥沟港"
_VILLAGE_PLACES = ("工业区", "工业园", "新区", "老寨", "市场")

_ORG_SPACE = 31**6  # "MA" + 6 characters of the USCC alphabet
_ACCOUNT_SPACE = 10**10
_ACCOUNT_STRIDE = 3_141_592_653  # coprime to 10: (index, meter) -> account number is a bijection
_METER_SLOTS = 4  # per entity: up to three own meters, the last slot for an unregistered neighbour
_EARLIEST_ESTABLISHED = date(1992, 1, 1).toordinal()


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(accumulate(weights))


def _township_weight(t: Township) -> float:
    suffix = "街道" if t.name.endswith("街道") else t.name[-1]
    return _TOWNSHIP_WEIGHTS[suffix]


def _township_choices() -> tuple[tuple[Township, ...], list[float]]:
    townships = tuple(TOWNSHIPS.values())
    division_totals = Counter[str]()
    for t in townships:
        division_totals[t.division_code] += _township_weight(t)
    return townships, _cumulative(
        _DIVISION_SHARES[t.division_code] * _township_weight(t) / division_totals[t.division_code] for t in townships
    )


_TOWNSHIP_LIST, _TOWNSHIP_CUM = _township_choices()
_NEIGHBOURS = {d: tuple(t for t in _TOWNSHIP_LIST if t.division_code == d) for d in DIVISIONS}


def _industry_choices(division: str, column: int) -> tuple[tuple[Industry, ...], list[float]]:
    rows = [(row[0], row[column] * _SPECIALITIES[division].get(key, 1.0)) for key, row in _INDUSTRIES.items()]
    rows = [(industry, weight) for industry, weight in rows if weight > 0]
    return tuple(industry for industry, _ in rows), _cumulative(weight for _, weight in rows)


_INDUSTRY_CHOICES = {  # (division, entity type) -> industries, cumulative weights
    (division, entity_type): _industry_choices(division, column)
    for division in DIVISIONS
    for entity_type, column in (("1", 1), ("2", 2))
}
_SURNAME_CUM = _cumulative(weight for _, weight in _SURNAMES)
_ACCOUNT_PREFIX = {division: str(10 + i) for i, division in enumerate(DIVISIONS)}


class _Entity(NamedTuple):
    uscc: str
    name: str
    township: Township
    industry: Industry
    status: str
    tax_id: str | None  # None: not registered for tax
    tax_uscc: str | None  # None: the tax office still files it under its legacy taxpayer id
    tax_base: float  # median monthly tax, yuan
    dodger: bool  # declares zero tax in some months while using power
    # (power account, USCC or None, account name, median monthly kWh, drops after the first period)
    accounts: tuple[tuple[str, str | None, str, float, bool], ...]
    planted: str | None  # the catalogue rule planted on it beyond the cases above
    meter_township: str  # where its first meter is: its own township unless planted elsewhere


_new_entity = partial(tuple.__new__, _Entity)  # skips NamedTuple's Python-level __new__, 8% of a pass


def _pick(r, seq):
    return seq[int(r() * len(seq))]


_QUANTILES = 4096


def _lognormal(sigma: float) -> tuple[float, ...]:
    """Quantiles of a log-normal factor with median 1: indexing one with int(r() * _QUANTILES) is
    a draw at a fraction of the cost of Random.lognormvariate (tens of millions of draws a run)."""
    return tuple(exp(sigma * NormalDist().inv_cdf((k + 0.5) / _QUANTILES)) for k in range(_QUANTILES))


_SIZE = _lognormal(1.0)  # of an entity within its industry
_SPREAD = _lognormal(0.4)  # of an entity's tax and power around its size
_KWH_NOISE = _lognormal(0.25)  # month to month
_TAX_NOISE = _lognormal(0.3)


_TRADE_PAIRS = tuple(a + b for a in _TRADE_CHARS for b in _TRADE_CHARS)
_SHOP_PAIRS = tuple("阿" + c for c in _NICKNAME_CHARS) + _TRADE_PAIRS  # 阿强五金店
_TRADE_TRIPLES = len(_TRADE_CHARS) * len(_TRADE_PAIRS)
_TRADE_STRIDE = 1_000_003  # a prime above every table size, so stepping by it permutes each table


class _TradeNames:
    """Trade names unique within a naming group (region + industry + legal form), as the
    registration authority requires and as name matching relies on.

    The n-th entity of a group takes the n-th name of a seeded permutation of the two-character
    names, then of the three-character ones; a group holds ~400,000 names before they repeat.
    """

    def __init__(self, rnd: Random) -> None:
        self._rnd = rnd
        self._groups: dict[str, list[int]] = {}  # group -> [names given, permutation offset]

    def next(self, group: str, pairs: tuple[str, ...] = _TRADE_PAIRS) -> str:
        state = self._groups.get(group)
        if state is None:
            state = self._groups[group] = [0, self._rnd.randrange(_TRADE_TRIPLES)]
        n, offset = state
        state[0] = n + 1
        if n < len(pairs):
            return pairs[(n * _TRADE_STRIDE + offset) % len(pairs)]
        head, tail = divmod(((n - len(pairs)) * _TRADE_STRIDE + offset) % _TRADE_TRIPLES, len(_TRADE_PAIRS))
        return _TRADE_CHARS[head] + _TRADE_PAIRS[tail]


def _person(r) -> str:
    surname = _SURNAMES[bisect(_SURNAME_CUM, r() * _SURNAME_CUM[-1])][0]
    given = _pick(r, _GIVEN_CHARS)
    if r() < 0.75:  # most given names have two characters
        given += _pick(r, _GIVEN_CHARS)
    return surname + given


def _sum31(first17: str) -> int:
    """The weighted character sum (mod 31) behind a GB 32100 check character."""
    return -uscc.ALPHABET.index(uscc.check_character(first17)) % 31


def _org_residue(check: str) -> int:
    """The weighted character sum (mod 11) behind a GB 11714 check character."""
    return -(10 if check == "X" else int(check)) % 11


_ORG_CHECKS = {_org_residue(ch): ch for ch in "0123456789X"}


class _Codes:
    """Valid USCCs "9" + type + division + "MA" + 6 characters, by table look-ups.

    Every pass over the entities needs every code again and uscc.build costs ~3 µs, a third of a
    pass. Both check characters are weighted sums of character values, so each 3-character half
    of the body adds a fixed amount to each sum; those amounts are measured once via shared.uscc.
    """

    HALF = 31**3

    def __init__(self) -> None:
        halves = [a + b + c for a in uscc.ALPHABET for b in uscc.ALPHABET for c in uscc.ALPHABET]
        org = uscc.organisation_check_character
        ma = _org_residue(org("MA000000"))
        self.high = [(h, ma + _org_residue(org(f"00{h}000")), _sum31(f"{'0' * 10}{h}0000")) for h in halves]
        self.low = [(h, _org_residue(org(f"00000{h}")), _sum31(f"{'0' * 13}{h}0")) for h in halves]
        self.checks = [(_ORG_CHECKS[residue], _sum31("0" * 16 + _ORG_CHECKS[residue])) for residue in range(11)]
        self.prefixes = {
            (entity_type, division): (f"9{entity_type}{division}MA", _sum31(f"9{entity_type}{division}MA0000000"))
            for entity_type in "123"
            for division in DIVISIONS
        }

    def build(self, entity_type: str, division: str, n: int) -> str:
        """The code with organisation body number n (0 <= n < 31**6)."""
        prefix, prefix_sum = self.prefixes[entity_type, division]
        high, org_high, sum_high = self.high[n // self.HALF]
        low, org_low, sum_low = self.low[n % self.HALF]
        check, check_sum = self.checks[(org_high + org_low) % 11]
        return f"{prefix}{high}{low}{check}{uscc.ALPHABET[-(prefix_sum + sum_high + sum_low + check_sum) % 31]}"


@cache
def _codes() -> _Codes:
    return _Codes()


def _account(division: str, key: int, offset: int) -> str:
    """Power account number of meter slot `key`: distinct keys give distinct, scattered numbers."""
    return f"{_ACCOUNT_PREFIX[division]}{(key * _ACCOUNT_STRIDE + offset) % _ACCOUNT_SPACE:010d}"


# Chance of a tax registration by entity type, without and with power.
_TAX_REGISTERED = {"1": (0.62, 0.95), "2": (0.35, 0.8), "3": (0.1, 0.3)}


def _entities(cfg: DemoConfig) -> Iterator[_Entity]:
    """The city's entities in a fixed order; every pass over them draws the same stream."""
    rnd = Random(cfg.seed)
    r = rnd.random
    build = _codes().build
    trade_names = _TradeNames(rnd)
    org_offset = rnd.randrange(_ORG_SPACE)
    account_offset = rnd.randrange(_ACCOUNT_SPACE)
    dodger_p = 2 * cfg.power_without_tax_share  # dodgers declare zero in half of the months
    ghost_p = cfg.unregistered_power_share / (1 - cfg.unregistered_power_share)
    townships, township_cum = _TOWNSHIP_LIST, _TOWNSHIP_CUM
    township_total = township_cum[-1]
    plant = Random(f"{cfg.seed}:planted").random

    for i in range(cfg.entities):
        township = townships[bisect(township_cum, r() * township_total)]
        division = township.division_code
        u = r()
        if u < 0.40:
            entity_type, scale_tax, scale_kwh, power_p = "2", 0.08, 0.12, 0.25
            industries, cum = _INDUSTRY_CHOICES[division, entity_type]
            industry = industries[bisect(cum, r() * cum[-1])]
            region, suffix = township.division_name, industry.shop
            name = region + trade_names.next(region + suffix, _SHOP_PAIRS) + suffix
        elif u < 0.41:
            entity_type, scale_tax, scale_kwh, power_p = "3", 1.0, 1.0, 0.4
            industry = _pick(r, _COOPERATIVES)
            region, suffix = township.division_name, industry.word + "专业合作社"
            name = region + trade_names.next(region + suffix) + suffix
        else:
            entity_type, scale_tax, scale_kwh, power_p = "1", 1.0, 1.0, 0.70
            industries, cum = _INDUSTRY_CHOICES[division, entity_type]
            industry = industries[bisect(cum, r() * cum[-1])]
            region = _pick(r, _ENTERPRISE_REGIONS[division])
            v = r()
            if v < 0.78:
                form = "有限公司"
            elif v < 0.95:
                form = "有限责任公司"
            else:  # joint-stock companies are the big ones, often registered at provincial level
                form, scale_tax, scale_kwh = "股份有限公司", 6.0, 4.0
                region = "广东" if r() < 0.4 else region
            suffix = industry.word + form
            name = region + trade_names.next(region + suffix) + suffix
        code = build(entity_type, division, (org_offset + i) % _ORG_SPACE)  # issued in sequence, as in a registry

        u = r()
        status = "deregistered" if u < 0.02 else "revoked" if u < 0.03 else "active"
        active = status == "active"
        size = _SIZE[int(r() * _QUANTILES)]  # tax and power both follow it, so their ratio stays in a band

        accounts: tuple[tuple[str, str | None, str, float, bool], ...] = ()
        has_power = r() < (power_p if active else 0.1)
        if has_power:
            count = 1 if entity_type != "1" or (v := r()) < 0.93 else 2 if v < 0.99 else 3  # 一户多表
            kwh = industry.kwh * scale_kwh * size * _SPREAD[int(r() * _QUANTILES)] / count
            drops = r() < 0.01
            key = i * _METER_SLOTS
            accounts = tuple(
                [(_account(division, key + m, account_offset), code, name, kwh, drops) for m in range(count)]
            )
            if r() < ghost_p:  # an unregistered business next door, on a meter of its own
                ghost = _person(r) if r() < 0.5 else trade_names.next("加工厂") + "加工厂"
                ghost_account = _account(division, key + _METER_SLOTS - 1, account_offset)
                accounts += ((ghost_account, None, ghost, 3_000 * _SIZE[int(r() * _QUANTILES)], False),)

        tax_id = tax_uscc = None
        tax_base = 0.0
        if active and r() < _TAX_REGISTERED[entity_type][has_power]:
            tax_id = tax_uscc = code
            if r() < 0.03:
                tax_id, tax_uscc = code[2:17], None  # pre-2015 id: division code + organisation code
            tax_base = industry.tax * scale_tax * size * _SPREAD[int(r() * _QUANTILES)]

        dodger = has_power and tax_id is not None and r() < dodger_p
        planted, tax_base, accounts, meter_township = _plant(cfg, plant(), plant(), industry, township, tax_base, accounts, dodger)
        yield _new_entity((code, name, township, industry, status, tax_id, tax_uscc, tax_base, dodger, accounts,
                           planted, meter_township))


_PEERED = frozenset({"17", "18", "29", "33"})  # trades with enough factories to be each other's peers (纳税异常)


def _plant(cfg: DemoConfig, u: float, v: float, industry: Industry, township: Township, tax_base: float, accounts, dodger: bool):
    """The planted anomaly an entity gets, if any, and its tax base, meters and first meter's township
    as planted; `u` and `v` are the entity's two draws of the planting stream."""
    kwh = sum(account[3] for account in accounts if account[1] is not None)
    manufacturer = "13" <= industry.code[:2] <= "43" and tax_base > 0 and kwh > 0 and not dodger
    if manufacturer and tax_base >= 8_000 and u < cfg.tax_without_power_share:
        return "tax_without_power", tax_base, tuple(a for a in accounts if a[1] is None), township.code
    u -= cfg.tax_without_power_share
    if manufacturer and industry.code[:2] == "17" and kwh >= 8_000 and 0 <= u < cfg.tax_ratio_share:
        return "tax_power_ratio", kwh * (2.5 + 1.5 * v), accounts, township.code
    u -= cfg.tax_ratio_share
    if manufacturer and industry.code[:2] in _PEERED and tax_base >= 20_000 and kwh >= 8_000 and 0 <= u < cfg.under_declaring_share:
        return "tax_vs_peers", tax_base * 0.01, accounts, township.code
    if kwh > 0 and v > 1 - cfg.other_township_share:
        others = [t for t in _NEIGHBOURS[township.division_code] if t != township]
        return "meter_township_conflict", tax_base, accounts, others[int(u * len(others)) % len(others)].code
    return None, tax_base, accounts, township.code


_ENDED = {"deregistered": "注销", "revoked": "吊销"}


_CAPITAL_MEDIAN = {"1": 100.0, "2": 5.0, "3": 30.0}  # 万元, by the USCC's entity type


def registrations(cfg: DemoConfig) -> Iterator[dict]:
    """Market regulation's register: one record per entity; an ended one says when it ended, within
    the half year before the first month (from a stream of its own, so the others stay as they were)."""
    r = Random(f"{cfg.seed}:registration").random
    ended = Random(f"{cfg.seed}:ended").random
    capital = Random(f"{cfg.seed}:capital").lognormvariate
    first = cfg.months[0]
    latest = date(int(first[:4]), int(first[5:7]), 1).toordinal() - 1
    span = latest - _EARLIEST_ESTABLISHED
    for e in _entities(cfg):
        t = e.township
        if t.name.endswith("街道"):
            place = f"{_pick(r, _ROADS)}{1 + int(r() * 388)}号"
        else:
            village = _pick(r, _VILLAGE_CHARS) + _pick(r, _VILLAGE_CHARS)
            place = f"{village}村{_pick(r, _VILLAGE_PLACES)}{1 + int(r() * 120)}号"
        yield {
            "uscc": e.uscc,
            "name": e.name,
            "township_code": t.code,
            "address": f"广东省揭阳市{t.division_name}{t.name}{place}",
            "industry_code": e.industry.code,
            "status": e.status,
            # most of today's entities were registered in the last decade
            "established_on": date.fromordinal(_EARLIEST_ESTABLISHED + int(span * r() ** 0.4)).isoformat(),
            "legal_representative": _person(r),
            # 注册资本（万元）: a shop's few ten-thousands to a listed company's hundreds of millions
            "registered_capital": f"{_CAPITAL_MEDIAN[e.uscc[1]] * capital(0, 1.2) * (1 + e.tax_base / 20_000):.2f}",
        } | ({"event": _ENDED[e.status], "event_date": date.fromordinal(latest - int(ended() * 180)).isoformat()}
             if e.status in _ENDED else {})


def _period_batches(cfg: DemoConfig, k: int) -> Iterator[tuple[str, list[dict]]]:
    """The k-th period's tax and power records, (kind, batch) as each kind's batch fills up."""
    period = cfg.months[k]
    r = Random(f"{cfg.seed}:{period}").random
    dropped = 0.15 if k > 0 else 1.0  # what is left of a dropping meter's use
    power: list[dict] = []
    tax: list[dict] = []
    for e in _entities(cfg):
        township_code = e.township.code
        for m, (account, code, name, kwh, drops) in enumerate(e.accounts):
            kwh *= _KWH_NOISE[int(r() * _QUANTILES)] * (dropped if drops else 1.0)
            power.append({
                "power_account": account,
                "uscc": code,
                "account_name": name,
                "township_code": e.meter_township if m == 0 else township_code,
                "period": period,
                "kwh": int(kwh * 10 + 0.5) / 10 or 0.1,  # round(kwh, 1), at a quarter of the cost
            })
        if e.tax_id:
            zero = e.dodger and r() < 0.5
            tax.append({
                "taxpayer_id": e.tax_id,
                "uscc": e.tax_uscc,
                "taxpayer_name": e.name,
                "township_code": township_code,
                "period": period,
                "amount": "0.00" if zero else f"{max(e.tax_base * _TAX_NOISE[int(r() * _QUANTILES)], 0.01):.2f}",
            })
        if len(power) >= BATCH_SIZE:
            yield "power_usage", power[:BATCH_SIZE]
            power = power[BATCH_SIZE:]
        if len(tax) >= BATCH_SIZE:
            yield "tax_payment", tax[:BATCH_SIZE]
            tax = tax[BATCH_SIZE:]
    if power:
        yield "power_usage", power
    if tax:
        yield "tax_payment", tax


def _one_kind(cfg: DemoConfig, kind: str) -> Iterator[dict]:
    for k in range(len(cfg.months)):
        for batch_kind, batch in _period_batches(cfg, k):
            if batch_kind == kind:
                yield from batch


def tax_payments(cfg: DemoConfig) -> Iterator[dict]:
    """The tax office's monthly declarations, period by period."""
    return _one_kind(cfg, "tax_payment")


def power_usages(cfg: DemoConfig) -> Iterator[dict]:
    """The power supplier's monthly meter readings, period by period."""
    return _one_kind(cfg, "power_usage")


def _quarters(cfg: DemoConfig) -> list[str]:
    """The four quarters up to the last one a demo month ends; none when no month ends one."""
    ends = [m for m in cfg.months if int(m[5:7]) % 3 == 0]
    if not ends:
        return []
    year, quarter = int(ends[-1][:4]), int(ends[-1][5:7]) // 3
    return [f"{year - (quarter - k <= 0)}-Q{(quarter - k - 1) % 4 + 1}" for k in range(3, -1, -1)]


def _finance_reporters(cfg: DemoConfig) -> Iterator[tuple[_Entity, bool]]:
    """The companies reporting net profit, and whether each lost money in every quarter."""
    r = Random(f"{cfg.seed}:finance").random
    for e in _entities(cfg):
        if e.uscc[1] == "1" and e.tax_base > 0 and r() < cfg.finance_share:
            yield e, r() < cfg.persistent_losses_share


def finance_indicators(cfg: DemoConfig) -> Iterator[dict]:
    """The finance department's quarterly net profit (万元): profits with a loss now and then, and
    four losses in a row for the planted companies."""
    r = Random(f"{cfg.seed}:profit").random
    quarters = _quarters(cfg)
    for e, loses in _finance_reporters(cfg) if quarters else ():
        scale = e.tax_base * 3 / 10_000  # a quarter's tax in 万元
        for quarter in quarters:
            loss = loses or r() < 0.1
            yield {
                "uscc": e.uscc,
                "entity_name": e.name,
                "township_code": e.township.code,
                "period": quarter,
                "indicator": "net_profit",
                "value": f"{scale * (-0.2 - r() if loss else 0.5 + 3 * r()):.2f}",
            }


def planted(cfg: DemoConfig) -> dict[str, list[str]]:
    """The entities each catalogue rule should find, by how the demo made them."""
    found: dict[str, list[str]] = {}
    for e in _entities(cfg):
        kwh = sum(a[3] for a in e.accounts if a[1] is not None)
        cases = [e.planted] if e.planted else []
        cases += ["power_without_tax"] if e.dodger and kwh > 2_000 else []
        cases += ["power_drop"] if any(a[4] for a in e.accounts) and kwh > 20_000 and len(cfg.months) > 1 else []
        cases += ["deregistered_active"] if e.status != "active" and kwh > 300 else []  # more than a meter left connected
        for rule in cases:
            found.setdefault(rule, []).append(e.uscc)
    found["persistent_losses"] = [e.uscc for e, loses in _finance_reporters(cfg) if loses] if _quarters(cfg) else []
    return found


def _batches(records: Iterator[dict]) -> Iterator[list[dict]]:
    while batch := list(islice(records, BATCH_SIZE)):
        yield batch


def demo_records(cfg: DemoConfig) -> Iterator[tuple[str, list[dict]]]:
    """(kind, batch) in the order departments deliver: the register first, then each month's data,
    then the quarters' finance figures."""
    for batch in _batches(registrations(cfg)):
        yield "registration", batch
    for k in range(len(cfg.months)):
        yield from _period_batches(cfg, k)
    by_quarter: dict[str, list[dict]] = {}
    for record in finance_indicators(cfg):
        by_quarter.setdefault(record["period"], []).append(record)
    for records in by_quarter.values():  # the finance department reports quarter by quarter
        for batch in _batches(iter(records)):
            yield "finance_indicator", batch


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the demo data set, count it and time it.")
    parser.add_argument("--entities", type=int, default=DemoConfig.entities)
    parser.add_argument("--months", default=",".join(DemoConfig.months), help="comma-separated YYYY-MM")
    parser.add_argument("--seed", type=int, default=DemoConfig.seed)
    args = parser.parse_args(argv)
    cfg = DemoConfig(entities=args.entities, months=tuple(args.months.split(",")), seed=args.seed)

    counts: Counter[str] = Counter()
    started = time.perf_counter()
    for kind, batch in demo_records(cfg):
        counts[kind] += len(batch)
    elapsed = time.perf_counter() - started
    for kind, count in counts.items():
        print(f"{kind:<14}{count:>12,}")
    total = sum(counts.values())
    print(f"{cfg.entities:,} entities, {len(cfg.months)} months ({cfg.months[0]} to {cfg.months[-1]}): "
          f"{total:,} records in {elapsed:.1f} s ({total / elapsed:,.0f} records/s)")


if __name__ == "__main__":
    main()
