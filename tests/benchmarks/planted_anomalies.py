"""A seeded city of business histories with planted anomalies of every catalogue rule and their truth.

The background is meant to be hard, not clean: factories dip for the Spring Festival as their
shutdown falls (festival.py), split between January and February in some years; seasonal trades
(sugar, tea, rice) rise and fall every year; businesses open mid-history and ramp up; shared
meters give fractional kWh; refunds (退税) lower a normal month's tax; entities deregister and
fall silent after a partial last month; individual businesses pay a fixed quota (定期定额);
finance figures show occasional loss quarters; and a department may miss a whole month (its
period is then not closed for it). Only planted entities deviate from their trade.

A planted case says which rule must find it and in which periods the anomaly is present; `also`
names the rules the same case legitimately triggers (a business that stopped has also dropped
its power), whose alerts there are explained rather than false. The truth is written from the
scenario, never from what a rule returns.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from math import exp
from random import Random
from typing import NamedTuple

from shared.festival import spring_festival
from services.alerting.domain.history import POWER, TAX, Closure, Entity, History, Month, shift
from shared.reference import TOWNSHIPS

# Month factors of seasonal trades, January first.
_SUGAR = (1.0, 0.9, 1.0, 0.8, 0.08, 0.06, 0.06, 0.06, 0.06, 0.1, 0.7, 1.0)  # crushing season Nov–Apr
_TEA = (0.2, 0.3, 0.8, 1.0, 0.8, 0.5, 0.45, 0.4, 0.55, 0.55, 0.35, 0.25)  # spring, summer, autumn tea
_RICE = (0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0)  # early and late rice harvests
_RETAIL = (1.2, 1.1, 0.9, 0.9, 0.9, 1.0, 1.1, 1.1, 1.0, 1.0, 1.0, 1.1)

# Residual power on festival shutdown days by days from 春节: workers leave, stop, come back after 元宵.
_LABOUR = ((-12, -6, 0.6), (-5, 6, 0.1), (7, 16, 0.5))  # garments, shoes, hardware: the works stop
_CONTINUOUS = ((-5, 6, 0.85),)  # kilns, chemical and pharmaceutical lines keep running
_SHOP = ((-1, 3, 0.5),)  # shops and offices close a few days


class Industry(NamedTuple):
    code: str  # GB/T 4754-2017 class
    weight: float
    kwh: float  # median monthly kWh of a company
    ratio: float  # median tax per kWh (元/千瓦时)
    season: tuple[float, ...] | None
    festival: tuple[tuple[int, int, float], ...]
    individual: float  # share of individual businesses (个体工商户, fixed-quota tax) among its entities


INDUSTRIES = (
    Industry("C1311", 3, 30_000, 0.22, _RICE, _CONTINUOUS, 0.2),  # 稻谷加工
    Industry("C1371", 2, 15_000, 0.28, None, _LABOUR, 0.2),  # 蔬菜加工
    Industry("C1340", 0.6, 80_000, 0.22, _SUGAR, _CONTINUOUS, 0.0),  # 制糖
    Industry("C1530", 1.5, 8_000, 0.32, _TEA, _LABOUR, 0.3),  # 精制茶加工
    Industry("C1711", 5, 60_000, 0.14, None, _LABOUR, 0.0),  # 棉纺纱加工
    Industry("C1751", 4, 40_000, 0.17, None, _LABOUR, 0.1),  # 化纤织物织造
    Industry("C1819", 10, 12_000, 0.45, None, _LABOUR, 0.3),  # 其他机织服装
    Industry("C1953", 4, 15_000, 0.35, None, _LABOUR, 0.2),  # 塑料鞋
    Industry("C2927", 6, 40_000, 0.16, None, _LABOUR, 0.2),  # 日用塑料制品
    Industry("C3381", 8, 20_000, 0.33, None, _LABOUR, 0.3),  # 金属制日用品
    Industry("C3071", 1.5, 120_000, 0.06, None, _CONTINUOUS, 0.0),  # 建筑陶瓷
    Industry("C2720", 1, 50_000, 0.9, None, _CONTINUOUS, 0.0),  # 化学药品制剂
    Industry("C3989", 3, 25_000, 0.35, None, _LABOUR, 0.0),  # 其他电子元件
    Industry("E4710", 2, 1_500, 5.0, None, _LABOUR, 0.0),  # 住宅房屋建筑
    Industry("F5212", 4, 6_000, 0.6, _RETAIL, _SHOP, 0.5),  # 超级市场零售
    Industry("F5193", 4, 800, 4.0, None, _SHOP, 0.3),  # 互联网批发
    Industry("F5232", 6, 600, 1.5, _RETAIL, _SHOP, 0.8),  # 服装零售
    Industry("H6210", 6, 3_000, 0.5, _RETAIL, _SHOP, 0.7),  # 正餐服务
    Industry("I6510", 3, 1_200, 12.0, None, _SHOP, 0.0),  # 软件开发
    Industry("K7010", 1, 2_000, 30.0, None, _SHOP, 0.0),  # 房地产开发经营
    Industry("O8111", 3, 1_500, 1.0, None, _SHOP, 0.6),  # 汽车修理与维护
)
_INDIVIDUAL_SCALE = 0.15  # an individual business's size against a company of its trade
_LEAST_KWH = 200  # a trading shop's lights, till and fridge
_SIZE_SIGMA, _OWN_RATIO_SIGMA, _KWH_SIGMA, _TAX_SIGMA, _TREND_SIGMA = 0.9, 0.25, 0.10, 0.15, 0.08
_SHARED_METER = 0.05  # of entities: share one meter with neighbours, so a fraction of its kWh
_REFUND = 0.03  # of company months: a refund (退税) takes 10–50 % of the month's tax
_NEW = 0.15  # of entities: established during the history, ramping up over three months
_DEREGISTERED = 0.02  # of entities: deregistered during the history, silent after
_FINANCE = 0.3  # of companies: report quarterly net profit
_LATE_DEPARTMENTS = 2  # department-months whose data never came: not closed for that department

# Planted cases per rule as a share of the entities eligible for them (a few hundred per 20,000).
_PLANT_SHARE = 0.004


@dataclass(frozen=True)
class Planted:
    uscc: str
    rule: str
    periods: frozenset[str]  # the months (finance periods for persistent_losses) the anomaly is present in
    scenario: str
    also: frozenset[str] = frozenset()  # rules the scenario legitimately triggers too, in the same periods


@dataclass
class City:
    histories: list[History]
    periods: tuple[str, ...]  # every generated month
    judged: tuple[str, ...]  # the months the benchmark judges: after a year of history to compare with
    closures: dict[str, Closure]
    truth: list[Planted] = field(default_factory=list)
    late: tuple[tuple[str, str], ...] = ()  # (department, period) whose data never came


def _days(period: str) -> int:
    return calendar.monthrange(int(period[:4]), int(period[5:7]))[1]


def festival_factor(period: str, profile: tuple[tuple[int, int, float], ...]) -> float:
    """The month's average power against a normal month, given the trade's shutdown by days from 春节."""
    year, month = int(period[:4]), int(period[5:7])
    if month > 3:
        return 1.0
    festival = spring_festival(year)
    total = 0.0
    for day in range(1, _days(period) + 1):
        offset = (date(year, month, day) - festival).days
        total += next((level for first, last, level in profile if first <= offset <= last), 1.0)
    return total / _days(period)


class _Plan(NamedTuple):
    """One entity's normal life, before anything is planted."""

    entity: Entity
    industry: Industry
    individual: bool
    kwh: float  # typical monthly kWh
    ratio: float  # its own tax per kWh
    share: float  # its equal share of a shared meter against its own use (1.0 unless shared)
    start: int  # index of its first month (0: before the history)
    end: int | None  # index of its deregistration month
    finance: bool


def generate(entities: int = 20_000, months: int = 36, seed: int = 1, first: str = "2024-01") -> City:
    rnd = Random(seed)
    periods = tuple(shift(first, k) for k in range(months))
    townships = sorted(TOWNSHIPS)
    weights = [i.weight for i in INDUSTRIES]
    plans = []
    for n in range(entities):
        industry = rnd.choices(INDUSTRIES, weights)[0]
        township = rnd.choice(townships)
        individual = rnd.random() < industry.individual
        uscc = f"9{'2' if individual else '1'}{township[:6]}MA{n:08d}X"
        start = rnd.randrange(1, months - 3) if rnd.random() < _NEW else 0
        end = rnd.randrange(start + 6, months) if rnd.random() < _DEREGISTERED and start + 6 < months else None
        status, since = "active", None
        if end is not None:
            status = rnd.choice(("deregistered", "deregistered", "revoked"))
            since = date.fromisoformat(periods[end] + "-01") + timedelta(days=rnd.randrange(_days(periods[end])))
        entity = Entity(uscc, f"企业{n}", township, industry.code, status, since)
        kwh = max(industry.kwh * exp(rnd.gauss(0, _SIZE_SIGMA)) * (_INDIVIDUAL_SCALE if individual else 1.0), _LEAST_KWH)
        # a meter shared by two to four neighbours is split in equal shares, not by who used what
        share = rnd.uniform(0.7, 1.4) if rnd.random() < _SHARED_METER else 1.0
        ratio = industry.ratio * exp(rnd.gauss(0, _OWN_RATIO_SIGMA))
        plans.append(_Plan(entity, industry, individual, kwh, ratio, share, start, end, not individual and rnd.random() < _FINANCE))

    late = tuple(sorted({(rnd.choice((TAX, POWER)), rnd.choice(periods[12:])) for _ in range(_LATE_DEPARTMENTS)}))
    city = City([], periods, periods[12:], {}, late=late)
    city.closures = {p: Closure(closed=frozenset({TAX, POWER} - {d for d, q in late if q == p})) for p in periods}
    planted = _Planter(rnd, city, plans)
    for plan in plans:
        months_, finance = _normal_life(rnd, plan, periods)
        plant = planted.plants.get(plan.entity.uscc)
        if plant is not None:
            plan, months_, finance = plant(plan, months_, finance)
        for department, period in late:
            index = periods.index(period)
            months_[index] = replace(months_[index], **({"tax": None} if department == TAX else {"kwh": None, "power_townships": frozenset()}))
        city.histories.append(History(plan.entity, {m.period: m for m in months_ if m.kwh is not None or m.tax is not None}, finance))
    # a case planted only in months a department never delivered may have left no evidence
    unseen = {period for _, period in late}
    city.truth = [c for c in city.truth if c.periods - unseen]
    return city


def _normal_life(rnd: Random, plan: _Plan, periods: tuple[str, ...]) -> tuple[list[Month], dict[str, float]]:
    """Power with its season, festival and noise; tax following it (or a fixed quota); profits."""
    industry, months, trend = plan.industry, [], 1.0
    quota = plan.kwh * plan.ratio * rnd.uniform(0.8, 1.2) if plan.individual else None  # assessed on expected turnover
    township = frozenset({plan.entity.township_code})
    for k, period in enumerate(periods):
        if k % 12 == 0:
            trend *= exp(rnd.gauss(0, _TREND_SIGMA))
        if k < plan.start or (plan.end is not None and k > plan.end):
            months.append(Month(period))
            continue
        level = trend * festival_factor(period, industry.festival)
        if industry.season:
            level *= industry.season[int(period[5:7]) - 1]
        if k == plan.start and plan.start:  # opened during the month, then ramping up
            level *= rnd.uniform(0.1, 0.5)
        elif plan.start and k < plan.start + 3:
            level *= (k - plan.start + 1) / 4
        if k == plan.end:  # deregistered during the month: its last, partial one
            level *= plan.entity.status_since.day / _days(period)
        kwh = plan.kwh * level * exp(rnd.gauss(0, _KWH_SIGMA))
        tax = quota if quota is not None else plan.kwh * level * plan.ratio * exp(rnd.gauss(0, _TAX_SIGMA))
        if quota is None and rnd.random() < _REFUND:
            tax *= 1 - rnd.uniform(0.1, 0.5)
        months.append(Month(period, round(kwh * plan.share, 3) if plan.share != 1.0 else round(kwh, 1), round(tax, 2), township))
    return months, _profits(rnd, plan, periods) if plan.finance else {}


def _quarters(periods: tuple[str, ...], start: int = 0) -> list[str]:
    return [f"{p[:4]}-Q{int(p[5:7]) // 3}" for p in periods[start:] if int(p[5:7]) % 3 == 0]


def _profits(rnd: Random, plan: _Plan, periods: tuple[str, ...]) -> dict[str, float]:
    """Quarterly net profit (万元) with losses now and then, never four quarters in a row, and the
    years' totals; a business opened during the history loses in its first quarters."""
    profits, run = {}, 0
    margin = plan.kwh * plan.ratio * 3 / 10_000  # a quarter's tax, in 万元, sets its scale
    quarters = _quarters(periods, plan.start)
    for n, quarter in enumerate(quarters):
        loses = (plan.start and n < 2) or rnd.random() < 0.12
        run = run + 1 if loses and run < 3 else 0
        profits[quarter] = round(margin * (rnd.uniform(-1.0, -0.1) if run else rnd.uniform(0.3, 3.0)), 2)
    return profits | _years(profits)


def _years(profits: dict[str, float]) -> dict[str, float]:
    years: dict[str, list[float]] = {}
    for quarter, value in profits.items():
        years.setdefault(quarter[:4], []).append(value)
    return {year: round(sum(values), 2) for year, values in years.items() if len(values) == 4}


Plant = Callable[[_Plan, list[Month], dict[str, float]], tuple[_Plan, list[Month], dict[str, float]]]


class _Planter:
    """Chooses the planted entities of every scenario and rewrites their histories, recording the truth."""

    def __init__(self, rnd: Random, city: City, plans: list[_Plan]) -> None:
        self.rnd, self.city, self.plants = rnd, city, {}
        self.first = len(city.periods) - len(city.judged)  # index of the first judged month
        company = [p for p in plans if not p.individual and p.start == 0 and p.end is None and p.share == 1.0]
        factory = [p for p in company if p.industry.code[0] == "C" and p.industry.season is None]
        big = [p for p in factory if p.kwh >= 20_000 and p.kwh * p.ratio >= 3_000]
        scenarios = (
            ("power_without_tax", [p for p in factory if p.kwh >= 5_000], self._evasion),
            ("tax_without_power", [p for p in factory if p.kwh * p.ratio >= 8_000], self._no_power),
            ("tax_power_ratio", [p for p in factory if 8_000 <= p.kwh <= 15_000], self._invoicing),
            ("tax_vs_peers", [p for p in big if p.kwh * p.ratio >= 10_000], self._under_declaring),
            ("power_drop", big, self._collapse),
            ("long_term_suspension", factory, self._suspension),
            ("persistent_losses", [p for p in company if p.finance], self._losses),
            ("deregistered_active", [p for p in company if p.kwh >= 2_000], self._dead_trading),
            ("meter_township_conflict", company, self._moved),
        )
        for _, eligible, plant in scenarios:
            free = [p for p in eligible if p.entity.uscc not in self.plants]
            for p in rnd.sample(free, max(3, round(_PLANT_SHARE * len(plans)))):
                self.plants[p.entity.uscc] = plant

    def _run(self, shortest: int, longest: int, *, to_end: bool = False) -> range:
        """Month indices of a planted run within the judged months."""
        n = len(self.city.periods)
        length = self.rnd.randint(shortest, longest)
        start = n - length if to_end else self.rnd.randrange(self.first, n - length + 1)
        return range(start, n if to_end else start + length)

    def _truth(self, plan: _Plan, rule: str, run, scenario: str, also: tuple[str, ...] = ()) -> None:
        periods = frozenset(p if isinstance(p, str) else self.city.periods[p] for p in run)
        self.city.truth.append(Planted(plan.entity.uscc, rule, periods, scenario, frozenset(also)))

    def _evasion(self, plan, months, finance):
        """用电无税: production as usual, the tax declared as zero, a net refund, or not declared at all."""
        run = self._run(2, 4)
        for k in run:
            tax = self.rnd.choice((0.0, None, -round(self.rnd.uniform(500, 5_000), 2)))
            months[k] = replace(months[k], tax=tax)
        self._truth(plan, "power_without_tax", run, "zero, missing or net-refund tax while producing")
        return plan, months, finance

    def _no_power(self, plan, months, finance):
        """有税无电: a factory paying its usual tax while its meter is in someone else's name."""
        run = self._run(3, 6)
        for k in run:
            months[k] = replace(months[k], kwh=None, power_townships=frozenset())
        self._truth(plan, "tax_without_power", run, "factory's tax as usual, no power record")
        return plan, months, finance

    def _invoicing(self, plan, months, finance):
        """税电比异常 (high): a small workshop invoicing 15–30 times what its power can produce (虚开)."""
        return self._retaxed(plan, months, finance, (15, 30), ("tax_power_ratio",))

    def _under_declaring(self, plan, months, finance):
        """纳税异常 and 税电比异常 (low): full production, 2–6 % of the tax declared."""
        return self._retaxed(plan, months, finance, (0.02, 0.06), ("tax_vs_peers", "tax_power_ratio"))

    def _retaxed(self, plan, months, finance, factors: tuple[float, float], rules: tuple[str, ...]):
        """The same power, the tax times a factor for three to six months."""
        run, factor = self._run(3, 6), self.rnd.uniform(*factors)
        for k in run:
            months[k] = replace(months[k], tax=round(months[k].tax * factor, 2))
        for rule in rules:
            self._truth(plan, rule, run, f"tax ×{factor:.2f} on the same power")
        return plan, months, finance

    def _collapse(self, plan, months, finance):
        """用电骤降: a factory losing its main customer: power and tax fall to 5–25 % for good."""
        run, factor = self._run(4, 12, to_end=True), self.rnd.uniform(0.05, 0.25)
        for k in run:
            months[k] = replace(months[k], kwh=round(months[k].kwh * factor, 2), tax=round(months[k].tax * factor, 2))
        self._truth(plan, "power_drop", run, f"power and tax ×{factor:.2f} from {self.city.periods[run[0]]}")
        return plan, months, finance

    def _suspension(self, plan, months, finance):
        """长期停业: a factory that stopped: a meter's standing use or nothing, zero or no declarations,
        for at least seven months while the register still says active."""
        run = self._run(7, 14, to_end=True)
        standing = self.rnd.uniform(0, 30)  # a low-voltage meter's standing use: a guard's light, a fridge
        for k in run:
            kwh = self.rnd.choice((None, round(standing * self.rnd.uniform(0.5, 1.5), 2)))
            months[k] = replace(months[k], kwh=kwh, tax=self.rnd.choice((None, 0.0)), power_townships=months[k].power_townships if kwh else frozenset())
        self._truth(plan, "long_term_suspension", run, f"stopped from {self.city.periods[run[0]]}", also=("power_drop",))
        return plan, months, finance

    def _losses(self, plan, months, finance):
        """持续亏损: losses in 4–6 quarters in a row (and the years they fill)."""
        quarters, judged = _quarters(self.city.periods), len(_quarters(self.city.periods[: self.first]))
        length = self.rnd.randint(4, min(6, len(quarters) - judged))
        start = self.rnd.randrange(judged, len(quarters) - length + 1)
        run = quarters[start : start + length]
        finance = {q: v for q, v in finance.items() if "-Q" in q}
        for q in run:
            finance[q] = -abs(finance.get(q, 10.0)) * self.rnd.uniform(0.5, 1.5)
        for q in (quarters[start - 1], quarters[start + length] if start + length < len(quarters) else None):
            if q is not None:  # the run is the planted one: a background loss next to it would lengthen it
                finance[q] = abs(finance.get(q, 10.0))
        finance |= _years(finance)
        periods = set(run[3:])
        periods |= {y for y in finance if "-Q" not in y and finance[y] < 0 and finance.get(str(int(y) - 1), 0) < 0}
        self._truth(plan, "persistent_losses", periods, f"losses {run[0]}–{run[-1]}")
        return plan, months, finance

    def _dead_trading(self, plan, months, finance):
        """注销仍活跃: deregistered (or revoked), yet someone keeps using its power and paying its tax."""
        k = self.rnd.randrange(self.first - 1, len(self.city.periods) - 3)
        day = date.fromisoformat(self.city.periods[k] + "-01") + timedelta(days=self.rnd.randrange(_days(self.city.periods[k])))
        entity = replace(plan.entity, status=self.rnd.choice(("deregistered", "revoked")), status_since=day)
        run = range(k + 1, len(self.city.periods))
        self._truth(plan._replace(entity=entity), "deregistered_active", run, f"{entity.status} {day}, trading on")
        return plan._replace(entity=entity), months, finance

    def _moved(self, plan, months, finance):
        """属地不一致: production moved to (or a second meter in) another township."""
        other = self.rnd.choice([t for t in TOWNSHIPS if t != plan.entity.township_code])
        both = self.rnd.random() < 0.5
        run = self._run(3, 12, to_end=self.rnd.random() < 0.5)
        for k in run:
            if months[k].kwh is not None:
                months[k] = replace(months[k], power_townships=frozenset({other, plan.entity.township_code} if both else {other}))
        self._truth(plan, "meter_township_conflict", run, "a meter in " + ("a second" if both else "another") + " township")
        return plan, months, finance

