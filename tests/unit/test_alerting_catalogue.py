"""Every catalogue rule on hand-made histories, inhibition, closure, and batch = incremental."""

import uuid
from math import log
from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.alerting.domain.catalogue import CATALOGUE, absence_rules, alert_id, depends_on, judge, judge_all
from shared.festival import festival_month
from services.alerting.domain.history import (
    EMPTY_POPULATION,
    OPEN,
    POWER,
    TAX,
    Closure,
    Entity,
    History,
    Interval,
    Month,
    Peers,
    Population,
)
from services.alerting.domain.intervals import fit_populations, robust_spread
from services.alerting.domain.ruleset import load_ruleset

RULESET = load_ruleset()
CLOSED = Closure(closed=frozenset({TAX, POWER}))
TOWNSHIP = "445202100"
ACME = Entity("91445200MA4UXXXX1A", "揭阳市甲纺织有限公司", TOWNSHIP, "1711")


def _only(rule_id: str):
    """The packaged rule set with only one rule enabled."""
    return RULESET.model_copy(update={"rules": {rule_id: RULESET.rules[rule_id]}})


def _retuned(ruleset, rule_id: str, **params):
    spec = ruleset.rules[rule_id]
    spec = spec.model_copy(update={"params": spec.params.model_copy(update=params)})
    return ruleset.model_copy(update={"rules": {**ruleset.rules, rule_id: spec}})


def _tuned(rule_id: str, **params):
    """Only one rule enabled, with other parameters."""
    return _retuned(_only(rule_id), rule_id, **params)


def _history(entity=ACME, finance=None, **months: tuple) -> History:
    """Months as period=(kwh, tax[, power_townships]) with "2026_10" for "2026-10"."""
    built = {p.replace("_", "-"): Month(p.replace("_", "-"), *v) for p, v in months.items()}
    return History(entity, built, finance or {})


def _fired(ruleset, history, period, closure=CLOSED, population=EMPTY_POPULATION):
    return [(f.rule, f.period) for f in judge(ruleset, history, period, closure, population).findings]


# --- 用电无税 --------------------------------------------------------------------------------------


def test_power_without_tax_on_zero_and_on_refund_keeps_the_old_alert_id():
    ruleset = _only("power_without_tax")
    zero = judge(ruleset, _history(**{"2026_10": (5000.5, 0.0)}), "2026-10", OPEN, EMPTY_POPULATION).findings
    assert len(zero) == 1
    # the id alerts were raised with before the catalogue: the same alert is not raised twice across the upgrade
    before = uuid.uuid5(uuid.UUID("3d0b8f5e-9c2a-5b7d-8e1f-6a4c2b9d0e7f"), f"power_without_tax|{ACME.uscc}|2026-10")
    assert zero[0].alert_id == before
    assert (zero[0].severity, zero[0].ruleset_version, zero[0].facts) == ("high", "2026.12.2", {"kwh": 5000.5, "tax": 0.0})
    assert "揭阳市甲纺织有限公司" in zero[0].message_zh and "2026-10" in zero[0].message_zh and "5,000" in zero[0].message_zh
    refund = judge(ruleset, _history(**{"2026_10": (5000, -1234.5)}), "2026-10", OPEN, EMPTY_POPULATION).findings
    assert "净退税 1,234.50 元" in refund[0].message_zh
    assert _fired(ruleset, _history(**{"2026_10": (5000, 0.01)}), "2026-10") == []
    assert _fired(ruleset, _history(**{"2026_10": (999.9, 0.0)}), "2026-10") == []


def test_power_without_tax_record_waits_for_tax_to_close_and_names_a_missing_department():
    ruleset = _only("power_without_tax")
    history = _history(**{"2026_10": (5000, None)})
    assert _fired(ruleset, history, "2026-10", Closure(closed=frozenset({POWER}))) == []
    [late] = judge(ruleset, history, "2026-10", Closure(closed=frozenset({TAX, POWER}), missing=frozenset({TAX})), EMPTY_POPULATION).findings
    assert late.missing_departments == ("tax",) and "税务部门当月数据逾期未报送" in late.message_zh
    [absent] = judge(ruleset, history, "2026-10", CLOSED, EMPTY_POPULATION).findings
    assert absent.missing_departments == () and "无纳税记录" in absent.message_zh


def test_a_correction_replacing_a_month_is_judged_on_the_new_figures():
    ruleset = _only("power_without_tax")
    history = _history(**{"2026_10": (5000, 0.0)})
    corrected = replace(history, months={**history.months, "2026-10": Month("2026-10", 5000, 800.0)})
    assert _fired(ruleset, history, "2026-10") == [("power_without_tax", "2026-10")]
    assert _fired(ruleset, corrected, "2026-10") == []


def test_a_shared_meters_fraction_of_kwh_counts():
    ruleset = _tuned("power_without_tax", min_kwh=100.0)
    assert _fired(ruleset, _history(**{"2026_10": (100.25, 0.0)}), "2026-10") == [("power_without_tax", "2026-10")]
    assert _fired(ruleset, _history(**{"2026_10": (100.0, 0.0)}), "2026-10") == []


# --- 有税无电 --------------------------------------------------------------------------------------


def test_tax_without_power_only_for_power_needing_industries_once_power_is_closed():
    ruleset = _only("tax_without_power")
    history = _history(**{"2026_10": (None, 20_000.0)})
    assert _fired(ruleset, history, "2026-10", Closure(closed=frozenset({TAX}))) == []
    [finding] = judge(ruleset, history, "2026-10", Closure(frozenset({TAX, POWER}), frozenset({POWER})), EMPTY_POPULATION).findings
    assert finding.missing_departments == ("power_supply",) and finding.facts["industry"] == "C17"
    assert _fired(ruleset, _history(**{"2026_10": (12.5, 20_000.0)}), "2026-10") == [("tax_without_power", "2026-10")]
    assert _fired(ruleset, _history(**{"2026_10": (51.0, 20_000.0)}), "2026-10") == []
    shop = replace(ACME, industry_code="F5211")  # retail may trade from an office without its own meter
    assert _fired(ruleset, _history(shop, **{"2026_10": (None, 20_000.0)}), "2026-10") == []


# --- 税电比异常 ------------------------------------------------------------------------------------


def test_tax_power_ratio_uses_the_configured_interval_then_the_fitted_one_else_does_not_judge():
    ruleset = _only("tax_power_ratio")
    textile = _history(**{"2026_10": (100_000.0, 90_000.0)})  # 0.9 元/kWh, above C17's configured 0.8
    [finding] = judge(ruleset, textile, "2026-10", CLOSED, EMPTY_POPULATION).findings
    assert (finding.facts["interval_source"], finding.facts["high"]) == ("configured", 0.8)
    food = replace(ACME, industry_code="C14")
    history = _history(food, **{"2026_10": (100_000.0, 90_000.0)})
    assert _fired(ruleset, history, "2026-10") == []  # no interval: not judged
    population = Population(intervals={("C14", None): Interval(0.1, 0.5, 40, "fitted")})
    [fitted] = judge(ruleset, history, "2026-10", CLOSED, population).findings
    assert fitted.facts["sample_size"] == 40.0 and "同行业 40 户拟合" in fitted.message_zh
    assert _fired(ruleset, _history(food, **{"2026_10": (4_999.0, 9_000.0)}), "2026-10", population=population) == []


# --- 用电骤降 / 春节 -------------------------------------------------------------------------------


def _dips_every_festival(year_from: int = 2023, year_to: int = 2026, **extra: tuple) -> History:
    months = {}
    for year in range(year_from, year_to + 1):
        for month in range(1, 13):
            period = f"{year}-{month:02d}"
            months[period.replace("-", "_")] = (30_000.0 if period == festival_month(year) else 100_000.0, 5000.0)
    return _history(**(months | extra))


def test_the_festival_dip_does_not_fire_when_the_festival_moves_between_january_and_february():
    ruleset = _only("power_drop")
    history = _dips_every_festival()
    for period in ("2024-01", "2024-02", "2024-03", "2025-01", "2025-02", "2025-03", "2026-01", "2026-02", "2026-03"):
        assert _fired(ruleset, history, period) == [], period


def test_a_genuine_drop_fires_month_on_month_and_year_on_year():
    ruleset = _only("power_drop")
    history = _dips_every_festival(**{"2025_06": (20_000.0, 5000.0)})
    [finding] = judge(ruleset, history, "2025-06", CLOSED, EMPTY_POPULATION).findings
    assert finding.facts["month_on_month_drop_pct"] == 80.0 and finding.facts["year_on_year_base_period"] == "2024-06"
    assert "环比" in finding.message_zh and "同比" in finding.message_zh
    # a festival month falling further than last year's festival month still fires, year on year only
    deeper = _dips_every_festival(**{"2026_02": (10_000.0, 5000.0)})
    [festival] = judge(ruleset, deeper, "2026-02", CLOSED, EMPTY_POPULATION).findings
    assert festival.facts["year_on_year_base_period"] == "2025-01" and "month_on_month_drop_pct" not in festival.facts


def test_a_small_base_is_not_a_drop():
    ruleset = _only("power_drop")
    history = _history(**{"2025_05": (9_000.0, 1.0), "2025_06": (10.0, 1.0)})
    assert _fired(ruleset, history, "2025-06") == []


def test_a_festival_split_differently_between_january_and_february_is_not_a_drop():
    """春节 2025-01-29: the shutdown split between January and February; 2026-02-17: all in February.
    A labour-intensive factory's February 2026 is then a third below its January 2025 (the aligned
    festival month), further with noise; the city judges festival months at 65 %."""
    ruleset = _only("power_drop")
    history = _history(**{"2025_01": (67_700.0, 1.0), "2025_02": (69_300.0, 1.0), "2026_01": (100_000.0, 1.0), "2026_02": (30_000.0, 1.0)})
    assert _fired(ruleset, history, "2026-02") == []  # 56 % below 2025-01
    assert _fired(_tuned("power_drop", festival_year_on_year_pct=None), history, "2026-02") == [("power_drop", "2026-02")]
    collapsed = _history(**{"2025_01": (67_700.0, 1.0), "2026_02": (20_000.0, 1.0)})
    assert _fired(ruleset, collapsed, "2026-02") == [("power_drop", "2026-02")]  # 70 %


def test_a_seasonal_fall_to_last_years_level_is_not_a_drop():
    """A sugar mill after the crushing season: May falls 90 % from April every year."""
    ruleset = _only("power_drop")
    season = {"2025_04": (80_000.0, 1.0), "2025_05": (6_000.0, 1.0), "2026_04": (82_000.0, 1.0), "2026_05": (6_500.0, 1.0)}
    assert _fired(ruleset, _history(**season), "2026-05") == []
    assert _fired(_tuned("power_drop", seasonal_pct=None), _history(**season), "2026-05") == [("power_drop", "2026-05")]
    first_season = {k: v for k, v in season.items() if k.startswith("2026")}  # no year to know the season by
    assert _fired(ruleset, _history(**first_season), "2026-05") == [("power_drop", "2026-05")]
    lower = season | {"2026_05": (2_000.0, 1.0)}  # far below last May: judged month on month too
    assert _fired(ruleset, _history(**lower), "2026-05") == [("power_drop", "2026-05")]


def test_the_partial_month_of_a_deregistration_is_not_a_drop():
    ruleset = _only("power_drop")
    gone = replace(ACME, status="deregistered", status_since=date(2026, 9, 5))
    months = {"2026_08": (100_000.0, 1.0), "2026_09": (16_000.0, 1.0)}  # five days of September
    assert _fired(ruleset, _history(gone, **months), "2026-09") == []
    assert _fired(ruleset, _history(**months), "2026-09") == [("power_drop", "2026-09")]


# --- 长期停业 --------------------------------------------------------------------------------------


def test_long_term_suspension_after_six_dormant_months_once_both_departments_closed():
    ruleset = _only("long_term_suspension")
    dormant = {f"2026_{m:02d}": (10.0, 0.0) for m in range(5, 10)}  # October itself has no record at all
    history = _history(**{"2026_04": (5000.0, 9000.0)}, **dormant)
    assert _fired(ruleset, history, "2026-09") == []  # five months only
    assert _fired(ruleset, history, "2026-10", Closure(closed=frozenset({TAX}))) == []  # power still due
    [finding] = judge(ruleset, history, "2026-10", Closure(frozenset({TAX, POWER}), frozenset({TAX, POWER})), EMPTY_POPULATION).findings
    assert finding.facts["from_period"] == "2026-05" and finding.missing_departments == ("tax", "power_supply")
    deregistered = replace(ACME, status="deregistered", status_since=date(2026, 3, 1))
    assert _fired(ruleset, replace(history, entity=deregistered), "2026-10") == []
    # never seen working (registered, nothing reported): not a business that stopped, and a period's
    # closing judges every registered entity, so this would flood the townships
    never = _history(**dormant)
    assert _fired(ruleset, never, "2026-10", Closure(frozenset({TAX, POWER}))) == []
    # seen working, but longer ago than the rule looks back
    assert _fired(ruleset, _history(**{"2025_08": (5000.0, 9000.0)}, **dormant), "2026-10", Closure(frozenset({TAX, POWER}))) == []


# --- 持续亏损 --------------------------------------------------------------------------------------


def test_persistent_losses_on_consecutive_quarters_judged_in_the_closing_month():
    ruleset = _only("persistent_losses")
    losses = {"2025-Q4": -1.0, "2026-Q1": -5.0, "2026-Q2": -2.0, "2026-Q3": -3.0}
    history = _history(finance=losses)
    assert _fired(ruleset, history, "2026-09") == [("persistent_losses", "2026-Q3")]
    assert _fired(ruleset, history, "2026-08") == []
    assert _fired(ruleset, _history(finance=losses | {"2026-Q1": 0.0}), "2026-09") == []
    assert _fired(ruleset, _history(finance={k: v for k, v in losses.items() if k != "2025-Q4"}), "2026-09") == []
    years = _history(finance={"2025": -10.0, "2026": -20.0})
    [finding] = judge(ruleset, years, "2026-12", CLOSED, EMPTY_POPULATION).findings
    assert finding.period == "2026" and finding.alert_id == alert_id("persistent_losses", ACME.uscc, "2026")


# --- 纳税异常 --------------------------------------------------------------------------------------


def _linear(**params):
    """tax_vs_peers on the linear scale, at Iglewicz and Hoaglin's 3.5 unless told."""
    return _tuned("tax_vs_peers", **{"scale": "linear", "threshold": 3.5} | params)


def test_tax_vs_peers_by_robust_z_with_enough_peers():
    ruleset = _linear()
    peers = Population(peers={"C17": Peers(median=0.5, mad=0.1, count=40)})
    low = _history(**{"2026_10": (100_000.0, 500.0)})  # 0.005: z = 0.6745 × (0.005 − 0.5) / 0.1 ≈ −3.3
    assert _fired(ruleset, low, "2026-10", population=peers) == []
    lower = _history(**{"2026_10": (100_000.0, 200.0)})  # 0.002: z ≈ −3.36 … still inside 3.5
    much_lower = _linear(threshold=3.0)
    assert _fired(ruleset, lower, "2026-10", population=peers) == []
    [finding] = judge(much_lower, lower, "2026-10", CLOSED, peers).findings
    assert finding.facts["robust_z"] < -3.0 and finding.facts["peer_count"] == 40.0
    high = _history(**{"2026_10": (100_000.0, 200_000.0)})
    assert _fired(much_lower, high, "2026-10", population=peers) == []  # tail: low
    assert _fired(_linear(threshold=3.0, tail="both"), high, "2026-10", population=peers) == [("tax_vs_peers", "2026-10")]
    few = Population(peers={"C17": Peers(median=0.5, mad=0.1, count=29)})
    assert _fired(much_lower, lower, "2026-10", population=few) == []


def test_tax_vs_peers_on_the_log_scale_finds_a_burden_near_zero():
    """Tax per kWh spreads by factors: on the linear scale 2 % of the usual tax is hardly more than
    two MADs below a skewed industry's median, never 3.5; on the log scale it is −9 and found."""
    spread = [0.1 * 1.03**k for k in range(40)]  # 0.10 … 0.32, median 0.18: skewed, as burdens are
    history = _history(**{"2026_10": (100_000.0, 100_000.0 * 0.02 * 0.18)})
    linear = Population(peers={"C17": robust_spread(spread)})
    assert _fired(_linear(), history, "2026-10", population=linear) == []
    logged = Population(peers={"C17": robust_spread([log(v) for v in spread])})
    [finding] = judge(_only("tax_vs_peers"), history, "2026-10", CLOSED, logged).findings
    assert finding.facts["robust_z"] < -5 and finding.facts["scale"] == "log"
    assert abs(finding.facts["peer_median"] - 0.18) < 0.01  # shown as a burden, not a logarithm
    ordinary = _history(**{"2026_10": (100_000.0, 100_000.0 * 0.12)})
    assert _fired(_only("tax_vs_peers"), ordinary, "2026-10", population=logged) == []


# --- 注销仍活跃 and inhibition ---------------------------------------------------------------------


def test_deregistration_in_mid_month_fires_from_the_next_month_and_inhibits_the_rest():
    gone = replace(ACME, status="deregistered", status_since=date(2026, 9, 15))
    history = _history(gone, **{"2026_09": (5000.0, 0.0), "2026_10": (5000.0, 0.0, frozenset({"445202200"}))})
    september = judge(RULESET, history, "2026-09", CLOSED, EMPTY_POPULATION)
    assert [f.rule for f in september.findings] == ["power_without_tax"] and september.inhibited == []
    october = judge(RULESET, history, "2026-10", CLOSED, EMPTY_POPULATION)
    assert [f.rule for f in october.findings] == ["deregistered_active"]
    assert sorted(f.rule for f in october.inhibited) == ["meter_township_conflict", "power_without_tax"]
    assert "2026-09-15 注销" in october.findings[0].message_zh
    revoked = replace(gone, status="revoked")
    assert "吊销" in judge(RULESET, replace(history, entity=revoked), "2026-10", CLOSED, EMPTY_POPULATION).findings[0].message_zh


def test_any_rule_may_inhibit_another():
    conflict = RULESET.rules["meter_township_conflict"].model_copy(update={"inhibits": ("power_without_tax",)})
    ruleset = RULESET.model_copy(update={"rules": {"power_without_tax": RULESET.rules["power_without_tax"], "meter_township_conflict": conflict}})
    history = _history(**{"2026_10": (5000.0, 0.0, frozenset({"445202200"}))})
    judgement = judge(ruleset, history, "2026-10", CLOSED, EMPTY_POPULATION)
    assert [f.rule for f in judgement.findings] == ["meter_township_conflict"]
    assert [f.rule for f in judgement.inhibited] == ["power_without_tax"]


# --- 属地不一致 ------------------------------------------------------------------------------------


def test_two_meters_in_two_townships_route_to_both_as_a_jurisdiction_question():
    ruleset = _only("meter_township_conflict")
    history = _history(**{"2026_10": (800.5, 100.0, frozenset({TOWNSHIP, "445202200"}))})
    [finding] = judge(ruleset, history, "2026-10", OPEN, EMPTY_POPULATION).findings
    assert (finding.township_code, finding.also_townships) == (TOWNSHIP, ("445202200",))
    assert finding.facts["question"] == "jurisdiction" and "属地归属待核定" in finding.message_zh
    assert _fired(ruleset, _history(**{"2026_10": (800.5, 100.0, frozenset({TOWNSHIP}))}), "2026-10") == []


def test_every_rule_declares_what_it_reads():
    assert depends_on("power_drop").reads == {"kwh", "entity"} and depends_on("power_drop").departments == {POWER}
    assert depends_on("persistent_losses").reads == {"finance"}
    assert all(rule.reads for rule in CATALOGUE.values())


# --- batch = incremental ---------------------------------------------------------------------------

PERIODS = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
_figure = st.one_of(st.none(), st.sampled_from([0.0, -300.0, 40.0, 2_000.0, 12_000.5, 150_000.0]))
_month = st.tuples(_figure, _figure, st.sampled_from([frozenset(), frozenset({TOWNSHIP}), frozenset({"445202200"})]))
_entity = st.builds(
    Entity,
    uscc=st.sampled_from(["U1", "U2", "U3"]),
    name=st.just("乙公司"),
    township_code=st.just(TOWNSHIP),
    industry_code=st.sampled_from([None, "C17", "C1711", "1311", "F52"]),
    status=st.sampled_from(["active", "active", "deregistered"]),
    status_since=st.sampled_from([None, date(2025, 5, 20)]),
)
_history_strategy = st.builds(
    lambda entity, months, losses: History(
        entity, {p: Month(p, *m) for p, m in zip(PERIODS, months, strict=False) if m != (None, None, frozenset())},
        {q: v for q, v in zip(["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"], losses, strict=False)},
    ),
    _entity, st.lists(_month, min_size=len(PERIODS), max_size=len(PERIODS)), st.lists(st.sampled_from([-1.0, 1.0]), max_size=5),
)  # fmt: skip
# steady businesses in every example, so each period has peers and fitted intervals to judge against
_STEADY = [
    History(Entity(f"P{i}", "丙公司", TOWNSHIP, industry), {p: Month(p, 10_000.0 * (i + 1), 900.0 * (i + 2)) for p in PERIODS})
    for i, industry in enumerate(["C17", "F52"] * 3)
]
_closures = st.fixed_dictionaries(
    {p: st.sampled_from([OPEN, CLOSED, Closure(frozenset({TAX, POWER}), frozenset({TAX}))]) for p in PERIODS[-4:]}
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories=st.lists(_history_strategy, min_size=3, max_size=12), closures=_closures)
def test_batch_mode_finds_exactly_what_judging_each_entity_month_finds(histories, closures):
    histories = [*histories, *_STEADY]
    ruleset = _retuned(RULESET, "tax_vs_peers", min_peers=3, threshold=1.0)  # a few histories make peers and intervals
    ruleset = _retuned(ruleset, "tax_power_ratio", fit=ruleset.params("tax_power_ratio").fit.model_copy(update={"min_peers": 3}))
    populations = fit_populations(ruleset, histories, PERIODS)
    batch = [f for j in judge_all(ruleset, histories, PERIODS, closures) for f in (*j.findings, *j.inhibited)]
    one_by_one = [
        f
        for h in histories
        for p in PERIODS
        for j in [judge(ruleset, h, p, closures.get(p, OPEN), populations[p])]
        for f in (*j.findings, *j.inhibited)
    ]
    assert batch == one_by_one


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=_history_strategy, closure=st.sampled_from([CLOSED, Closure(frozenset({TAX, POWER}), frozenset({TAX}))]))
def test_only_the_absence_rules_read_the_closure(history, closure):
    """A judgement that cannot trust the period's closure yet leaves the absence rules undecided and
    decides the rest: so every rule whose findings depend on the closure must say it is one."""
    period = PERIODS[-1]
    population = fit_populations(RULESET, [history, *_STEADY], PERIODS)[period]

    def found(c: Closure) -> set:
        j = judge(RULESET, history, period, c, population)
        return {(f.rule, f.alert_id, f.message_zh, tuple(sorted(f.facts.items()))) for f in (*j.findings, *j.inhibited)}
    assert {rule for rule, *_ in found(closure) ^ found(OPEN)} <= absence_rules()


def test_the_absence_rules_are_those_that_speak_on_missing_data():
    assert absence_rules() == {"power_without_tax", "tax_without_power", "long_term_suspension"}
