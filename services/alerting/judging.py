"""Service layer: which entity-months to judge when data arrives or a period closes, and what the
judgements change. The rules themselves are `domain.catalogue`; this module only loads what they
read and stores what they found.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import Event, SubmissionAssessed
from shared.messaging import codec
from shared.working_days import LOCAL_TZ, WorkingCalendar

from services.alerting.domain.catalogue import Finding, Judgement, absence_rules, judge
from services.alerting.domain.deadlines import deadlines
from services.alerting.domain.history import (
    EMPTY_POPULATION,
    OPEN,
    POWER,
    TAX,
    History,
    finance_periods_ending,
    month_of_period,
    shift,
)
from services.alerting.domain.intervals import fit_population
from services.alerting.domain.reconcile import Outcome, reconcile
from services.alerting.domain.ruleset import RuleSet, Severity
from services.alerting.domain.silences import silencing
from services.alerting.storage import repository

# A month's figures are read by the judgement of later months: month on month (1), year on year
# against the festival-aligned month (up to 13), and runs of inactive months (long_term_suspension).
LOOKBACK_MONTHS = 14
LOOKAHEAD_MONTHS = 13
EVERY_PERIOD = ("0000-01", "9999-12")


@dataclass(frozen=True)
class Detection:
    finding: Finding
    entity_name: str
    record_ids: tuple[uuid.UUID, ...]  # the month's records that the finding rests on
    severity: Severity  # how long the township has: feedback runs the clock from these
    history: History  # what the township verifies: the entity and its months, as judged


@dataclass
class Changes:
    """What to tell the townships: alerts raised (or raised again), alerts whose figures changed
    (with the facts told before), and alerts withdrawn."""

    detected: list[Detection] = field(default_factory=list)
    resolved: list[uuid.UUID] = field(default_factory=list)
    updated: list[tuple[Detection, Mapping]] = field(default_factory=list)

    def add(self, other: Changes) -> None:
        self.detected += other.detected
        self.resolved += other.resolved
        self.updated += other.updated


async def rejudge(
    session: AsyncSession, ruleset: RuleSet, touched: Mapping[str, Iterable[str]], whole: Iterable[str] = ()
) -> Changes:
    """Judge again every entity-month the new facts can change: the touched months and the later
    ones that read them; for `whole` entities (their registration changed) every period known."""
    whole = set(whole)
    periods = {uscc: {month_of_period(p) for p in ps} for uscc, ps in touched.items() if uscc not in whole}
    months = [p for ps in periods.values() for p in ps]
    changes = Changes()
    if months:
        first, last = shift(min(months), -LOOKBACK_MONTHS), shift(max(months), LOOKAHEAD_MONTHS)
        changes.add(await _judge_window(session, ruleset, periods, first, last, whole=False))
    if whole:
        changes.add(await _judge_window(session, ruleset, {uscc: set() for uscc in whole}, *EVERY_PERIOD, whole=True))
    return changes


async def _judge_window(
    session: AsyncSession, ruleset: RuleSet, periods: Mapping[str, set[str]], first: str, last: str, *, whole: bool
) -> Changes:
    histories = await repository.histories(session, periods, first, last)
    alerted = await repository.periods_with_alerts(session, periods, first, last)
    # a closed month with nothing of the entity's in it is where absence rules speak: data arriving
    # for an earlier month (late, or matched after the closing) changes what they say there
    closed = set() if whole else await repository.closed_periods(session, first, last)
    judged: dict[str, set[str]] = {}
    for uscc, history in histories.items():
        known = set(history.months) | {month_of_period(p) for p in history.finance} | {
            month_of_period(p) for p in alerted.get(uscc, ())} | closed
        if whole:
            judged[uscc] = known
        else:
            touched = periods[uscc]
            judged[uscc] = touched | {p for p in known for m in touched if m < p <= shift(m, LOOKAHEAD_MONTHS)}
    return await _judge(session, ruleset, histories, judged)


async def _judge(
    session: AsyncSession, ruleset: RuleSet, histories, judged: Mapping[str, set[str]], *, closing: bool = False
) -> Changes:
    """`closing`: these are a closing's own judgements. Any other judgement of an entity-month that
    a closing under way has yet to reach leaves its absence rules to that closing: the records of
    the submission that closed the period may still be in the matcher, and an absence raised now
    (用电无税 "无纳税记录" on the power record, the tax record seconds behind) would be withdrawn
    before the township could open it."""
    all_periods = {p for ps in judged.values() for p in ps}
    closures = await repository.closures_of(session, all_periods)
    under_way = {} if closing else await repository.closings_under_way(session, all_periods)
    populations = await repository.populations_of(session, all_periods)
    keys = [(uscc, key) for uscc, ps in judged.items() for p in ps for key in (p, *finance_periods_ending(p))]
    # the consumers, the closing pages and the sweep may judge one entity at once: one at a time,
    # or both would see an alert unpublished and publish it
    await repository.lock_entities(session, judged)
    raised = await repository.alerts_of(session, keys)
    now = datetime.now(UTC)
    silences = await repository.active_silences(session, now)
    enabled = frozenset(rule for rule, spec in ruleset.rules.items() if spec.enabled)
    present_only = enabled - absence_rules()  # what a deferred judgement decides
    outcome, changes, silenced = Outcome(), Changes(), {}
    for uscc, ps in judged.items():
        history = histories[uscc]
        for period in ps:
            deferred = period in under_way and uscc > under_way[period]
            closure = OPEN if deferred else closures[period]
            judgement = judge(ruleset, history, period, closure, populations.get(period, EMPTY_POPULATION))
            before = [r for key in (period, *finance_periods_ending(period)) for r in raised.get((uscc, key), ())]
            if silences:
                judgement, held = _silenced(judgement, history.entity, silences, now, {r.alert_id for r in before if r.published})
                silenced |= held
            found = reconcile(judgement, before, present_only if deferred else enabled)
            outcome.add(found)
            month = history.month(period)
            changes.detected += [Detection(f, history.entity.name, month.record_ids,
                                          ruleset.severities[f.severity], history) for f in found.detected]
            changes.updated += [(Detection(f, history.entity.name, month.record_ids, ruleset.severities[f.severity],
                                           history), before_facts) for f, before_facts in found.updated]
    today = now.astimezone(LOCAL_TZ).date()
    calendar = WorkingCalendar.china()
    due = {f.alert_id: deadlines(ruleset.severities[f.severity], today, calendar) for f, _ in outcome.recorded}
    await repository.record_findings(session, outcome.recorded, silenced, due)
    await repository.withdraw(session, outcome.withdrawn)
    changes.resolved = outcome.resolved
    return changes


def _silenced(judgement: Judgement, entity, silences, now, published: set[uuid.UUID]) -> tuple[Judgement, dict]:
    """A silenced finding is held back like an inhibited one, and remembers which silence holds it.
    A silence holds back what is not out yet; it does not take back what a township already has."""
    held = {f.alert_id: s.silence_id for f in judgement.findings
            if f.alert_id not in published and (s := silencing(f, entity, silences, now))}
    if not held:
        return judgement, held
    kept = [f for f in judgement.findings if f.alert_id not in held]
    return Judgement(kept, judgement.inhibited + [f for f in judgement.findings if f.alert_id in held]), held


async def rejudge_exactly(session: AsyncSession, ruleset: RuleSet, entity_periods: Iterable[tuple[str, str]]) -> Changes:
    """Judge these entity-periods again and nothing else (what an ended silence held back)."""
    judged: dict[str, set[str]] = {}
    for uscc, period in entity_periods:
        judged.setdefault(uscc, set()).add(month_of_period(period))
    months = [p for ps in judged.values() for p in ps]
    if not months:
        return Changes()
    histories = await repository.histories(session, judged, shift(min(months), -LOOKBACK_MONTHS), max(months))
    return await _judge(session, ruleset, histories, {u: judged[u] for u in histories})


async def close_period(session: AsyncSession, period: str, cause: Event | None) -> None:
    """Judge every entity for the period (absence rules need the ones that sent nothing): when a
    department closes it, and again when its facts changed after that (records the matcher links
    after the closing, corrections). Only noted here; `judge_closing` does it page by page."""
    if len(period) == 7 and period[4] == "-":  # a quarter or a year is judged with the month that ends it
        await repository.open_closing(session, period, None if cause is None else codec.encode(cause))


async def judge_closing(
    session: AsyncSession, ruleset: RuleSet, page: int, settle: timedelta = timedelta(0), settle_max: timedelta = timedelta(0)
) -> tuple[Changes, Event | None] | None:
    """One transaction's step of an open closing: fit the period's intervals and peers, or judge its
    next `page` entities from where the last step stopped; what changed, and its cause. None when
    no closing is ready: none open, or its period's facts not yet quiet for `settle` (the records of
    the submission that closed it are still being matched; at most `settle_max` after it opened)."""
    closing = await repository.take_closing(session, settle, settle_max)
    if closing is None:
        return None
    period = closing.period
    cause = None if closing.cause is None else codec.decode(closing.cause, {SubmissionAssessed.type_name(): SubmissionAssessed})
    if not closing.fitted:
        histories, after = [], ""
        while fitted_page := await repository.month_population(session, period, after, page):
            histories += fitted_page
            after = fitted_page[-1].entity.uscc
        await repository.save_population(session, period, ruleset.version, fit_population(ruleset, histories, period))
        await repository.closing_fitted(session, period)
        return Changes(), cause
    first = shift(period, -LOOKBACK_MONTHS)
    usccs = await repository.usccs_after(session, closing.after, page, (first, period))
    if not usccs:
        await repository.closing_judged(session, period, None, 0)
        return Changes(), cause
    histories = await repository.histories(session, usccs, first, period)
    changes = await _judge(session, ruleset, histories, {uscc: {period} for uscc in histories}, closing=True)
    await repository.closing_judged(session, period, usccs[-1], len(usccs))
    return changes, cause


CLOSING_STATUSES = {"on_time": False, "late": False, "missing": True}  # status → nothing received
DEPARTMENTS_JUDGED = {TAX: "tax_payment", POWER: "power_usage"}  # whose timeliness closes a period for the rules
