"""A backtest's comparison on hand-made findings and alerts: what would fire, disappear and
appear per rule × period × township, what townships confirmed, and a supervisor's scope."""

import asyncio
from dataclasses import dataclass

from services.alerting.backtest import BacktestOut, backtest, months, table
from services.alerting.domain.backtest import Counts, Report, StoredAlert, compare, merge
from services.alerting.domain.catalogue import Finding, alert_id, judge_all
from services.alerting.domain.history import POWER, TAX, Closure, Entity, History, Month
from services.alerting.domain.ruleset import DEFAULT_RULESET, load_ruleset

HOME, OTHER, ELSEWHERE = "445202100", "445202200", "445281100"
JUDGED = {"2026-09", "2026-10"}


def _finding(rule: str, uscc: str, period: str = "2026-10", township: str = HOME) -> Finding:
    return Finding(alert_id(rule, uscc, period), rule, "2027.1", "high", uscc, period, township, {}, "…")


def _alert(rule: str, uscc: str, period: str = "2026-10", township: str = HOME, status: str = "open",
           supported: bool = True, inhibited: bool = False) -> StoredAlert:
    return StoredAlert(alert_id(rule, uscc, period), rule, uscc, period, township, status, supported, inhibited)


def _counts(**given: int) -> Counts:
    return Counts(**given)


def test_kept_new_and_gone_alerts_per_rule_period_and_township():
    proposed = [_finding("power_without_tax", "A"), _finding("power_without_tax", "B"), _finding("power_drop", "C", township=OTHER)]
    alerts = [_alert("power_without_tax", "A"), _alert("power_without_tax", "D"), _alert("power_drop", "C", township=OTHER)]
    counts = compare(proposed, alerts, JUDGED)
    assert counts == {
        ("power_without_tax", "2026-10", HOME): _counts(would_fire=2, currently_open=2, would_disappear=1, would_appear=1),
        ("power_drop", "2026-10", OTHER): _counts(would_fire=1, currently_open=1),
    }


def test_only_alerts_townships_have_are_open_today_and_a_withdrawn_one_raised_again_appears():
    proposed = [_finding("power_without_tax", "A"), _finding("power_drop", "A")]
    alerts = [
        _alert("power_without_tax", "A", supported=False),  # withdrawn: the data took it away
        _alert("power_drop", "A", inhibited=True),  # silenced: never published
        _alert("tax_vs_peers", "A", supported=False),  # withdrawn, and the proposal agrees
    ]
    counts = compare(proposed, alerts, JUDGED)
    assert counts[("power_without_tax", "2026-10", HOME)] == _counts(would_fire=1, would_appear=1)
    assert counts[("power_drop", "2026-10", HOME)] == _counts(would_fire=1, would_appear=1)
    assert counts[("tax_vs_peers", "2026-10", HOME)] == Counts()


def test_what_townships_confirmed_and_what_the_proposal_would_miss_of_it():
    proposed = [_finding("power_without_tax", "A")]
    alerts = [
        _alert("power_without_tax", "A", status="resolved"),
        _alert("power_without_tax", "B", status="resolved"),
        _alert("power_without_tax", "C", status="acknowledged"),
    ]
    (counts,) = compare(proposed, alerts, JUDGED).values()
    assert counts == _counts(would_fire=1, currently_open=3, would_disappear=2, handled=2, confirmed=2, confirmed_missed=1)
    assert counts.confirmed_share == 1.0 and Counts().confirmed_share is None


def test_alerts_outside_the_judged_months_are_left_out_and_a_quarter_counts_in_its_last_month():
    alerts = [_alert("power_drop", "A", period="2026-08"), _alert("persistent_losses", "A", period="2026-Q3"),
              _alert("persistent_losses", "A", period="2026-Q2")]
    assert set(compare([], alerts, JUDGED)) == {("persistent_losses", "2026-Q3", HOME)}


def test_a_rule_the_proposal_does_not_run_loses_its_open_alerts():
    assert compare([], [_alert("meter_township_conflict", "A")], JUDGED) == {
        ("meter_township_conflict", "2026-10", HOME): _counts(currently_open=1, would_disappear=1)}


def test_chunks_merge_into_a_report_with_rules_and_totals_and_a_supervisor_sees_their_area():
    counts: dict = {}
    merge(counts, compare([_finding("power_without_tax", "A")], [_alert("power_without_tax", "B", status="resolved")], JUDGED))
    merge(counts, compare([_finding("power_without_tax", "C", township=ELSEWHERE), _finding("power_drop", "D", "2026-09")],
                          [], JUDGED))
    report = Report.of(counts)
    assert [(r.rule, r.period, r.county, r.township_code) for r in report.rows] == [
        ("power_drop", "2026-09", "445202", HOME),
        ("power_without_tax", "2026-10", "445202", HOME),
        ("power_without_tax", "2026-10", "445281", ELSEWHERE),
    ]
    assert report.rules["power_without_tax"] == _counts(
        would_fire=2, currently_open=1, would_disappear=1, would_appear=2, handled=1, confirmed=1, confirmed_missed=1)
    assert report.totals.would_fire == 3 and report.totals.would_appear == 3
    county = report.within("445202")
    assert {r.township_code for r in county.rows} == {HOME}
    assert county.totals.would_fire == 2 and county.rules["power_without_tax"].would_fire == 1


# --- the service's two passes, in process --------------------------------------------------------

PERIODS = months("2025-11", "2026-02")
CLOSED = Closure(frozenset({TAX, POWER}))


def _steady(i: int, industry: str = "C17") -> History:
    figures = {p: Month(p, 10_000.0 + 100 * i, 900.0 + 10 * i) for p in PERIODS}
    if i % 7 == 0:
        figures["2026-01"] = Month("2026-01", 10_000.0, 0.0)  # 用电无税
    return History(Entity(f"U{i:03d}", "丁公司", HOME if i % 2 else OTHER, industry), figures, {})


@dataclass(frozen=True)
class _Given:
    """Histories and alerts in memory, in pages of ten."""

    given: tuple[History, ...]
    stored: tuple[StoredAlert, ...]

    async def pages(self):
        for start in range(0, len(self.given), 10):
            yield start

    async def closures(self, periods):
        return dict.fromkeys(periods, CLOSED)

    def histories(self, page, first, last):
        """Only the months asked for, as the database reads them."""
        return [History(h.entity, {p: m for p, m in h.months.items() if first <= p <= last}, h.finance)
                for h in self.given[page:page + 10]]

    def alerts(self, page):
        usccs = {h.entity.uscc for h in self.given[page:page + 10]}
        return [a for a in self.stored if a.uscc in usccs]


def test_the_service_pages_fit_and_judge_as_judging_everything_at_once_does():
    text = DEFAULT_RULESET.read_text(encoding="utf-8")
    ruleset = load_ruleset()
    histories = tuple(_steady(i) for i in range(45))
    stored = (_alert("power_without_tax", "U007", "2026-01", OTHER, status="resolved"), _alert("power_drop", "U003", "2026-01"))
    report = asyncio.run(backtest(_Given(histories, stored), text, "ruleset.yaml", "2025-11", "2026-02", workers=0))
    at_once = judge_all(ruleset, histories, PERIODS, dict.fromkeys(PERIODS, CLOSED))
    assert report == Report.of(compare((f for j in at_once for f in j.findings), stored, set(PERIODS)))
    assert report.rules["power_without_tax"].would_fire == 7 and report.rules["power_drop"].would_disappear == 1
    scoped = asyncio.run(backtest(_Given(histories, stored), text, "ruleset.yaml", "2025-11", "2026-02", workers=0, within=HOME))
    assert scoped == report.within(HOME)
    printed = table(BacktestOut.of(report, ruleset, "2025-11", "2026-02"))
    assert "用电无税（power_without_tax）" in printed and "100%" in printed and "合计" in printed
