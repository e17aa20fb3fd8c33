"""The anomaly catalogue (预警规则目录): each rule judges one entity-month, with parameters from
the city's rule set (ruleset.yaml) and statistics from the period's population.

One definition, two modes: `judge` is the live path for one entity-month, `judge_all` runs the
very same rules over history for backtests. A rule is a function registered by its id — ids are
the contract with storage, townships and every alert already raised — with a params model the
rule file is validated against at load, so the hot loop reads plain attributes and validates
nothing.

Absence rules ("no tax record") fire only once the departments they read are closed for the
period (`Closure`), and say which of them were past their deadline with nothing received.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, field_validator, model_validator

from shared.reference import department_name

from shared.festival import touched_by_festival, year_on_year_base
from services.alerting.domain.history import (
    EMPTY_POPULATION,
    INACTIVE_STATUSES,
    OPEN,
    POWER,
    TAX,
    Closure,
    History,
    Month,
    Population,
    division,
    finance_periods_ending,
    month_of,
    previous_finance_period,
    shift,
)
from services.alerting.domain.intervals import burden, fit_populations, interval_for, robust_z, scaled, unscaled

if TYPE_CHECKING:
    from services.alerting.domain.ruleset import RuleSet, RuleSpec

# the namespace alert ids had before the catalogue (one rule in code): alerts raised then keep their ids
_NAMESPACE = uuid.UUID("3d0b8f5e-9c2a-5b7d-8e1f-6a4c2b9d0e7f")


def alert_id(rule: str, uscc: str, period: str) -> uuid.UUID:
    """One alert per rule, entity and period, however often the facts are re-evaluated."""
    return uuid.uuid5(_NAMESPACE, f"{rule}|{uscc}|{period}")


@dataclass(frozen=True)
class Finding:
    alert_id: uuid.UUID
    rule: str
    ruleset_version: str
    severity: str
    uscc: str
    period: str  # the month; for persistent_losses the finance period ("2026-Q3", "2026")
    township_code: str
    facts: dict[str, float | str]
    message_zh: str
    also_townships: tuple[str, ...] = ()  # other townships it is routed to (a jurisdiction question)
    missing_departments: tuple[str, ...] = ()  # past deadline with nothing received when judged


@dataclass(frozen=True)
class Judgement:
    findings: list[Finding]  # to publish
    inhibited: list[Finding]  # silenced by another finding of the same judgement: recorded, not published


@dataclass(frozen=True)
class Case:
    """One entity-month under judgement and what the rules look at around it."""

    history: History
    period: str
    month: Month
    closure: Closure
    population: Population
    ruleset: RuleSet

    @property
    def who(self) -> str:
        return f"{self.history.entity.name}（{self.history.entity.uscc}）"


@dataclass(frozen=True)
class Hit:
    """What a rule found; `judge` makes it a Finding."""

    facts: dict[str, float | str]
    message_zh: str
    period: str | None = None  # when the finding is about another period than the judged month
    also_townships: tuple[str, ...] = ()
    missing_departments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    params: type[BaseModel]
    reads: frozenset[str]  # Month fields, "finance" and "entity" (registration) it reads
    departments: frozenset[str]  # departments whose data it judges, i.e. whose arrival re-judges it
    check: Callable[[Any, Case], Hit | None]
    absence: bool  # it speaks on what did not arrive, so only once the period's `Closure` says so


CATALOGUE: dict[str, Rule] = {}


def _rule(
    rule_id: str, params: type[BaseModel], reads: Iterable[str], departments: Iterable[str], absence: bool = False
) -> Callable:
    def register(check: Callable[[Any, Case], Hit | None]) -> Callable[[Any, Case], Hit | None]:
        CATALOGUE[rule_id] = Rule(rule_id, params, frozenset(reads), frozenset(departments), check, absence)
        return check

    return register


def absence_rules() -> frozenset[str]:
    """The rules a judgement leaves undecided while it cannot trust the period's closure (a closing
    still settling: records of the submission that closed it may be on their way)."""
    return frozenset(rule.id for rule in CATALOGUE.values() if rule.absence)


def depends_on(rule_id: str) -> Rule:
    """What a rule reads (`.reads`, `.departments`), so the live path knows what to re-judge."""
    return CATALOGUE[rule_id]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _missing_note(missing: tuple[str, ...]) -> str:
    return "（" + "、".join(department_name(d) for d in missing) + "部门当月数据逾期未报送）" if missing else ""


# --- 用电无税 --------------------------------------------------------------------------------


class PowerWithoutTaxParams(Params):
    min_kwh: NonNegativeFloat


@_rule("power_without_tax", PowerWithoutTaxParams, reads=("kwh", "tax"), departments=(POWER, TAX), absence=True)
def power_without_tax(p: PowerWithoutTaxParams, c: Case) -> Hit | None:
    """Electricity used, tax reported as zero or a net refund (退税 larger than what was paid) —
    or, once tax is closed for the month, no tax record at all."""
    kwh, tax = c.month.kwh, c.month.tax
    if kwh is None or kwh <= p.min_kwh:
        return None
    missing: tuple[str, ...] = ()
    if tax is None:
        if not c.closure.covers(TAX):
            return None
        missing, facts, what = c.closure.missing_of(TAX), {"kwh": kwh}, "无纳税记录"
    elif tax <= 0:
        facts, what = {"kwh": kwh, "tax": tax}, "纳税为零" if tax == 0 else f"为净退税 {-tax:,.2f} 元"
    else:
        return None
    message = f"{c.who} {c.period} 用电 {kwh:,.0f} 千瓦时，但当月{what}{_missing_note(missing)}，请核实是否存在未申报收入或挂靠用电"
    return Hit(facts, message, missing_departments=missing)


# --- 有税无电 --------------------------------------------------------------------------------


def _industry_prefix(value: str) -> str:
    if len(value) == 1 and "A" <= value <= "T":
        return value
    if (normalised := division(value)) is None:
        raise ValueError(f"{value} 不是国民经济行业门类字母或大类代码")
    return normalised


class TaxWithoutPowerParams(Params):
    min_tax: NonNegativeFloat
    max_kwh: NonNegativeFloat
    industries: tuple[str, ...]

    @field_validator("industries")
    @classmethod
    def _prefixes(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_industry_prefix(v) for v in values)


@_rule("tax_without_power", TaxWithoutPowerParams, reads=("kwh", "tax", "entity"), departments=(POWER, TAX), absence=True)
def tax_without_power(p: TaxWithoutPowerParams, c: Case) -> Hit | None:
    """Tax paid by a business whose trade cannot run without electricity, and no (or hardly any)
    electricity: production elsewhere, or a meter not linked to it."""
    tax, kwh = c.month.tax, c.month.kwh
    if tax is None or tax <= p.min_tax or not c.closure.covers(POWER) or (kwh is not None and kwh > p.max_kwh):
        return None
    industry = division(c.history.entity.industry_code)
    if industry is None or not industry.startswith(p.industries):
        return None
    missing = c.closure.missing_of(POWER)
    power = "无用电记录" if kwh is None else f"用电仅 {kwh:,.1f} 千瓦时"
    message = (
        f"{c.who} {c.period} 纳税 {tax:,.2f} 元，但{power}{_missing_note(missing)}；"
        f"其行业（{industry}）需要用电，请核实实际生产经营地及电表归属"
    )
    return Hit({"tax": tax, "kwh": kwh if kwh is not None else 0.0, "industry": industry}, message, missing_departments=missing)


# --- 税电比异常 ------------------------------------------------------------------------------


class RatioFit(Params):
    low_percentile: float = Field(ge=0, le=100)
    high_percentile: float = Field(ge=0, le=100)
    min_peers: PositiveInt
    # how many times the percentiles' spread, on the log scale, to add beyond them (Tukey's fences):
    # plain percentiles always put the same share of every industry outside, anomalies or not
    fence: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> RatioFit:
        if self.low_percentile >= self.high_percentile:
            raise ValueError(f"下百分位 {self.low_percentile} 应小于上百分位 {self.high_percentile}")
        return self


class TaxPowerRatioParams(Params):
    min_kwh: NonNegativeFloat
    min_tax: NonNegativeFloat
    by_county: bool
    fit: RatioFit


@_rule("tax_power_ratio", TaxPowerRatioParams, reads=("kwh", "tax", "entity"), departments=(POWER, TAX))
def tax_power_ratio(p: TaxPowerRatioParams, c: Case) -> Hit | None:
    """Tax per kWh outside its industry's reasonable interval: too low hides income, too high can
    be invoicing without production."""
    kwh, tax = c.month.kwh, c.month.tax
    if kwh is None or tax is None or kwh < p.min_kwh or tax < p.min_tax or kwh <= 0:
        return None
    entity = c.history.entity
    industry = division(entity.industry_code)
    if industry is None:
        return None
    interval = interval_for(c.ruleset.intervals, c.population, industry, entity.county)
    ratio = tax / kwh
    if interval is None or interval.low <= ratio <= interval.high:
        return None
    side = "低于" if ratio < interval.low else "高于"
    source = "市配置" if interval.source == "configured" else f"同行业 {interval.sample_size} 户拟合"
    message = (
        f"{c.who} {c.period} 纳税 {tax:,.2f} 元、用电 {kwh:,.0f} 千瓦时，税电比 {ratio:.4f} 元/千瓦时，"
        f"{side}行业 {industry} 合理区间 {interval.low:.4f}–{interval.high:.4f}（{source}），请核实收入申报与用电情况"
    )
    facts: dict[str, float | str] = {
        "kwh": kwh, "tax": tax, "ratio": ratio, "low": interval.low, "high": interval.high,
        "interval_source": interval.source, "sample_size": float(interval.sample_size), "industry": industry,
    }  # fmt: skip
    return Hit(facts, message)


# --- 用电骤降 --------------------------------------------------------------------------------


class PowerDropParams(Params):
    month_on_month_pct: float = Field(gt=0, le=100)
    year_on_year_pct: float = Field(gt=0, le=100)
    min_base_kwh: NonNegativeFloat
    festival_days_before: NonNegativeInt
    festival_days_after: NonNegativeInt
    # year on year in a month the festival touches: the shutdown splits between January and
    # February differently every year, so the aligned months differ by more than other months
    festival_year_on_year_pct: float | None = Field(default=None, gt=0, le=100)  # None: year_on_year_pct
    # a month-on-month fall is the entity's season when the month used less than this many percent
    # below the same month a year earlier (sugar mills after the crushing season, tea after the
    # spring picking)
    seasonal_pct: float | None = Field(default=None, gt=0, le=100)  # None: every fall is judged


def _fall(history: History, base_period: str, period: str, min_base: float) -> float | None:
    """How many percent `period` used less than `base_period`; None without a base worth comparing."""
    base, kwh = history.month(base_period).kwh, history.month(period).kwh
    if base is None or kwh is None or base < min_base or base <= 0:
        return None
    return (base - kwh) / base * 100


@_rule("power_drop", PowerDropParams, reads=("kwh", "entity"), departments=(POWER,))
def power_drop(p: PowerDropParams, c: Case) -> Hit | None:
    """A sharp fall in electricity, month on month or year on year, Spring Festival aligned (see
    festival.py): a month the festival touches is judged year on year only. A month-on-month fall
    to the month's usual level a year earlier is the entity's season; the month of a deregistration and after are
    the deregistration's (deregistered_active judges what follows)."""
    kwh = c.month.kwh
    if kwh is None:
        return None  # no record is not a drop; the absence rules judge it
    entity = c.history.entity
    if entity.status in INACTIVE_STATUSES and entity.status_since is not None and c.period >= month_of(entity.status_since):
        return None
    festival = touched_by_festival(c.period, p.festival_days_before, p.festival_days_after)
    yoy_pct = p.festival_year_on_year_pct if festival and p.festival_year_on_year_pct is not None else p.year_on_year_pct
    comparisons = [("year_on_year", "同比", year_on_year_base(c.period), yoy_pct)]
    if not festival and not _seasonal(p, c):
        comparisons.insert(0, ("month_on_month", "环比", shift(c.period, -1), p.month_on_month_pct))
    facts: dict[str, float | str] = {"kwh": kwh}
    said = []
    for name, zh, base_period, threshold in comparisons:
        drop = _fall(c.history, base_period, c.period, p.min_base_kwh)
        if drop is not None and drop >= threshold:
            base = c.history.month(base_period).kwh
            facts |= {f"{name}_base_period": base_period, f"{name}_base_kwh": base, f"{name}_drop_pct": drop}
            said.append(f"{zh}（{base_period} 为 {base:,.0f} 千瓦时）下降 {drop:.1f}%")
    if not said:
        return None
    message = f"{c.who} {c.period} 用电 {kwh:,.0f} 千瓦时，" + "，".join(said) + "，请核实是否减产、停产或电表变更"
    return Hit(facts, message)


def _seasonal(p: PowerDropParams, c: Case) -> bool:
    """Whether the month is at its usual level for the time of year: then a fall from the previous
    month is the season's, whatever the previous month was."""
    if p.seasonal_pct is None:
        return False
    drop = _fall(c.history, year_on_year_base(c.period), c.period, 0.0)
    return drop is not None and drop < p.seasonal_pct


# --- 长期停业 --------------------------------------------------------------------------------


class LongTermSuspensionParams(Params):
    months: int = Field(ge=2)
    max_kwh: NonNegativeFloat
    max_tax: NonNegativeFloat
    active_within: int = Field(ge=1, le=8)  # months before the quiet run to find the entity active in


def _active(month: Month, p: LongTermSuspensionParams) -> bool:
    return (month.kwh or 0.0) > p.max_kwh or (month.tax or 0.0) > p.max_tax


@_rule("long_term_suspension", LongTermSuspensionParams, reads=("kwh", "tax", "entity"), departments=(POWER, TAX), absence=True)
def long_term_suspension(p: LongTermSuspensionParams, c: Case) -> Hit | None:
    """Registered active, yet no (or hardly any) electricity and tax for months after it was seen
    working: a business that stopped while the register still counts it. Months without a record
    count as nothing; an entity never seen active (registered, no data yet) is not "suspended"."""
    if c.history.entity.status != "active" or not c.closure.covers(TAX, POWER):
        return None
    months = []
    for k in range(p.months):  # newest first: most businesses are active this month, and done
        month = c.history.month(shift(c.period, -k))
        if _active(month, p):
            return None
        months.append(month)
    first = shift(c.period, 1 - p.months)
    if not any(_active(c.history.month(shift(first, -k)), p) for k in range(1, p.active_within + 1)):
        return None
    kwh, tax = sum(m.kwh or 0.0 for m in months), sum(m.tax or 0.0 for m in months)
    missing = c.closure.missing_of(TAX, POWER)
    message = (
        f"{c.who} 登记状态为存续，但 {first} 至 {c.period} 连续 {p.months} 个月用电合计 {kwh:,.0f} 千瓦时、"
        f"纳税合计 {tax:,.2f} 元{_missing_note(missing)}，请核实是否已停业或歇业"
    )
    return Hit({"months": float(p.months), "from_period": first, "kwh": kwh, "tax": tax}, message, missing_departments=missing)


# --- 持续亏损 --------------------------------------------------------------------------------


class PersistentLossesParams(Params):
    quarters: PositiveInt
    years: PositiveInt


@_rule("persistent_losses", PersistentLossesParams, reads=("finance",), departments=())
def persistent_losses(p: PersistentLossesParams, c: Case) -> Hit | None:
    """Losses for N finance periods in a row, judged in the month that closes the last of them; the
    finding is about that finance period (the year before its fourth quarter in December)."""
    for finance_period in finance_periods_ending(c.period):
        run = [finance_period]
        while len(run) < (p.quarters if "-Q" in finance_period else p.years):
            run.append(previous_finance_period(run[-1]))
        profits = [c.history.finance.get(fp) for fp in run]
        if all(v is not None and v < 0 for v in profits):
            facts: dict[str, float | str] = {fp: v for fp, v in zip(run, profits, strict=True)}
            figures = "、".join(f"{fp} {v:,.2f} 元" for fp, v in zip(reversed(run), reversed(profits), strict=True))
            message = f"{c.who} 连续 {len(run)} 期亏损（净利润 {figures}），请核实经营状况及是否存在转移利润"
            return Hit(facts, message, period=finance_period)
    return None


# --- 纳税异常 --------------------------------------------------------------------------------


class TaxVsPeersParams(Params):
    measure: Literal["tax_per_kwh", "tax"]
    # log: the z-score of the logarithm, as tax and tax per kWh spread by factors, not by amounts;
    # on the linear scale a burden near zero is rarely 3.5 MADs below a skewed industry's median
    scale: Literal["linear", "log"] = "linear"
    threshold: PositiveFloat
    tail: Literal["low", "both"]
    min_peers: int = Field(ge=3)
    min_kwh: NonNegativeFloat
    min_tax: NonNegativeFloat


@_rule("tax_vs_peers", TaxVsPeersParams, reads=("kwh", "tax", "entity"), departments=(POWER, TAX))
def tax_vs_peers(p: TaxVsPeersParams, c: Case) -> Hit | None:
    """A tax burden far from the industry's in the same month, by the robust (modified) z-score."""
    value = burden(c.month, p.measure, p.min_kwh, p.min_tax, p.scale)
    industry = division(c.history.entity.industry_code)
    peers = c.population.peers.get(industry) if value is not None and industry is not None else None
    if peers is None or peers.count < p.min_peers or (z := robust_z(scaled(value, p.scale), peers)) is None:
        return None
    median = unscaled(peers.median, p.scale)
    if not (z < -p.threshold or (p.tail == "both" and z > p.threshold)):
        return None
    what = "税电比" if p.measure == "tax_per_kwh" else "纳税额"
    unit = "元/千瓦时" if p.measure == "tax_per_kwh" else "元"
    message = (
        f"{c.who} {c.period} {what} {value:,.4f} {unit}，同行业（{industry}，{peers.count} 户）中位数 {median:,.4f}，"
        f"稳健 z 值 {z:.1f}，{'明显偏低' if z < 0 else '明显偏高'}，请核实纳税申报"
    )
    facts: dict[str, float | str] = {
        "value": value, "measure": p.measure, "peer_median": median, "peer_mad": peers.mad,
        "peer_count": float(peers.count), "robust_z": z, "industry": industry, "scale": p.scale,
    }  # fmt: skip
    return Hit(facts, message)


# --- 注销仍活跃 ------------------------------------------------------------------------------


class DeregisteredActiveParams(Params):
    min_kwh: NonNegativeFloat
    min_tax: NonNegativeFloat


@_rule("deregistered_active", DeregisteredActiveParams, reads=("kwh", "tax", "entity"), departments=(POWER, TAX))
def deregistered_active(p: DeregisteredActiveParams, c: Case) -> Hit | None:
    """Electricity or tax after the month of deregistration (注销) or revocation (吊销): someone is
    still trading under a dead entity. The month of the event itself is its last legitimate one."""
    entity = c.history.entity
    if entity.status not in INACTIVE_STATUSES or entity.status_since is None or c.period <= month_of(entity.status_since):
        return None
    kwh, tax = c.month.kwh, c.month.tax
    used, paid = kwh is not None and kwh > p.min_kwh, tax is not None and tax > p.min_tax
    if not (used or paid):
        return None
    status = "注销" if entity.status == "deregistered" else "吊销"
    activity = "、".join(s for s, on in ((f"用电 {kwh or 0:,.0f} 千瓦时", used), (f"纳税 {tax or 0:,.2f} 元", paid)) if on)
    message = f"{c.who} 已于 {entity.status_since.isoformat()} {status}，但 {c.period} 仍{activity}，请核实是否有人借用该主体经营"
    facts: dict[str, float | str] = {"status": entity.status, "status_since": entity.status_since.isoformat()}
    facts |= {k: v for k, v in (("kwh", kwh), ("tax", tax)) if v is not None}
    return Hit(facts, message)


# --- 属地不一致 ------------------------------------------------------------------------------


class MeterTownshipConflictParams(Params):
    pass


@_rule("meter_township_conflict", MeterTownshipConflictParams, reads=("power_townships", "entity"), departments=(POWER,))
def meter_township_conflict(p: MeterTownshipConflictParams, c: Case) -> Hit | None:
    """A power account in another township than the registration: a jurisdiction question (属地
    归属), routed to both townships to settle between them."""
    registered = c.history.entity.township_code
    others = tuple(sorted(c.month.power_townships - {registered}))
    if not others:
        return None
    message = (
        f"{c.who} 登记于乡镇（街道）{registered}，但 {c.period} 有供电户位于 {'、'.join(others)}，"
        "属地归属待核定，请相关乡镇（街道）共同核实实际经营地址"
    )
    facts: dict[str, float | str] = {
        "registered_township": registered, "power_townships": ",".join(sorted(c.month.power_townships)), "question": "jurisdiction",
    }  # fmt: skip
    return Hit(facts, message, also_townships=others)


# --- judging -----------------------------------------------------------------------------------


def judge(ruleset: RuleSet, history: History, period: str, closure: Closure, population: Population) -> Judgement:
    """Incremental mode: every enabled rule for one entity-month. A finding whose rule another
    finding of this judgement inhibits is returned in `inhibited` (inhibiting findings act whether
    or not they are inhibited themselves)."""
    case = Case(history, period, history.month(period), closure, population, ruleset)
    fired = [
        (spec, hit)
        for spec in ruleset.rules.values()
        if spec.enabled and (hit := CATALOGUE[spec.id].check(spec.params, case)) is not None
    ]
    silenced = {target for spec, _ in fired for target in spec.inhibits}
    findings: list[Finding] = []
    inhibited: list[Finding] = []
    for spec, hit in fired:
        (inhibited if spec.id in silenced else findings).append(_finding(ruleset, spec, case, hit))
    return Judgement(findings, inhibited)


def judge_all(
    ruleset: RuleSet,
    histories: Iterable[History],
    periods: Sequence[str],
    closures: Mapping[str, Closure],
    populations: Mapping[str, Population] | None = None,
) -> Iterator[Judgement]:
    """Batch mode (backtests): `judge` over every entity and period, the populations fitted in one
    pass when not given; a period without a closure counts as open. Yields non-empty judgements."""
    if populations is None:
        histories = list(histories)
        populations = fit_populations(ruleset, histories, periods)
    for history in histories:
        for period in periods:
            judgement = judge(ruleset, history, period, closures.get(period, OPEN), populations.get(period, EMPTY_POPULATION))
            if judgement.findings or judgement.inhibited:
                yield judgement


def _finding(ruleset: RuleSet, spec: RuleSpec, case: Case, hit: Hit) -> Finding:
    entity = case.history.entity
    period = hit.period or case.period
    return Finding(
        alert_id=alert_id(spec.id, entity.uscc, period),
        rule=spec.id,
        ruleset_version=ruleset.version,
        severity=spec.severity,
        uscc=entity.uscc,
        period=period,
        township_code=entity.township_code,
        facts=hit.facts,
        message_zh=hit.message_zh,
        also_townships=hit.also_townships,
        missing_departments=hit.missing_departments,
    )
