"""效能监测: how well each township, county and the city handled the cases received in a month.

A case's figures go to its *answerable township*: the township it was routed to, or the one that
accepted it by 转办 (the sender is not assessed on a case that was not its own). The clock is
charged to whoever holds the case, so a township's times count only the hours it held the case
itself: hours with a department awaiting a correction, or with the county deciding a transfer,
are theirs, not the township's.

Times are summarised by median and p90 (means mislead: one case forgotten for a month would
drown the rest), by linear interpolation between the ranked durations, the method of Excel's
MEDIAN and PERCENTILE.INC, so a 督查组 can check any figure in the exported workbook by hand.

A department asked to correct records a township found wrong (数据错误) holds that part of the case from
the request until it sends them again: its own figures (asked, answered, still open, hours to answer and
the oldest open request's age) stand beside the townships', one row per department.

Ranking (townships within their county, counties within the city) compares, in this order:
higher on-time resolution rate, higher on-time acknowledgement rate, fewer cases overdue now,
lower median hours to resolve; then the lower code. A figure that cannot be computed (no case to
judge, nothing resolved) ranks after any that can.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

import numpy as np

from shared.working_days import LOCAL_TZ

DONE_STATES = frozenset({"resolved", "reviewed"})
REFIRE_MONTHS = 3


@dataclass(frozen=True)
class Hold:
    """From `since`, the case is with 'township:<code>', 'county:<division_code>',
    'department:<code>' (awaiting its correction) or 'closed'."""

    holder: str
    since: datetime


@dataclass(frozen=True)
class Step:
    """One recorded act: received, acknowledge, verify, resolve, review, return, transfer,
    accept_transfer, refuse_transfer, correction_requested, correction_done."""

    at: datetime
    act: str
    state_after: str  # pending, acknowledged, verifying, resolved, reviewed, transferring
    holder_after: str  # as Hold.holder; a resolution awaiting review is held by its reviewer


@dataclass(frozen=True)
class CaseTimeline:
    case_id: str
    kind: Literal["alert", "match_case"]
    rule: str | None
    uscc: str | None
    township_code: str  # the township the case was routed to on arrival
    received_at: datetime
    acknowledge_due: date | None  # local dates; None: no deadline, the case is not judged on it
    resolve_due: date | None
    steps: tuple[Step, ...]  # in the order they happened

    def holds(self) -> tuple[Hold, ...]:
        """Who held the case from when, starting with the township it was routed to."""
        result = [Hold(_township(self.township_code), self.received_at)]
        for step in self.steps:
            if step.holder_after != result[-1].holder:
                result.append(Hold(step.holder_after, step.at))
        return tuple(result)

    def answerable_township(self) -> str:
        """The routed township, or the last one that accepted the case by 转办."""
        code = self.township_code
        for step in self.steps:
            if step.act == "accept_transfer":
                code = step.holder_after.removeprefix("township:")
        return code

    def as_of(self, moment: datetime) -> CaseTimeline:
        """The case as it stood at `moment`: what happened later is not known yet."""
        return replace(self, steps=tuple(s for s in self.steps if s.at <= moment))


@dataclass(frozen=True)
class Figures:
    """One area's month; the raw durations are kept so that higher levels recompute their
    medians from every case instead of averaging their parts' medians."""

    received: int = 0
    acknowledge_judged: int = 0  # cases with a due date that were acknowledged or are past it
    acknowledged_on_time: int = 0
    resolve_judged: int = 0
    resolved_on_time: int = 0
    overdue: int = 0
    returned: int = 0  # 'return' steps: resolutions sent back by review
    refired: int = 0  # resolutions followed by an alert of the same rule × entity within 3 months
    acknowledge_hours: tuple[float, ...] = ()
    resolve_hours: tuple[float, ...] = ()

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))

    @property
    def acknowledged_on_time_rate(self) -> float | None:
        return self.acknowledged_on_time / self.acknowledge_judged if self.acknowledge_judged else None

    @property
    def resolved_on_time_rate(self) -> float | None:
        return self.resolved_on_time / self.resolve_judged if self.resolve_judged else None

    @property
    def acknowledge_median_hours(self) -> float | None:
        return _percentile(self.acknowledge_hours, 50)

    @property
    def acknowledge_p90_hours(self) -> float | None:
        return _percentile(self.acknowledge_hours, 90)

    @property
    def resolve_median_hours(self) -> float | None:
        return _percentile(self.resolve_hours, 50)

    @property
    def resolve_p90_hours(self) -> float | None:
        return _percentile(self.resolve_hours, 90)


@dataclass(frozen=True)
class TownshipRow:
    code: str
    division_code: str
    figures: Figures
    rank_in_county: int


@dataclass(frozen=True)
class CountyRow:
    division_code: str
    figures: Figures
    rank_in_city: int


@dataclass(frozen=True)
class CityRow:
    city_code: str
    figures: Figures


@dataclass(frozen=True)
class CorrectionHold:
    """数据错误: a department asked (for a township's finding) to correct records; it holds the request
    until it sends one of them again changed (`answered_at`)."""

    department: str
    township_code: str  # whose finding asked for it
    requested_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class DepartmentRow:
    department: str
    asked: int
    answered: int  # by as_of
    answer_hours: tuple[float, ...]  # request to answer, of the answered ones
    open_hours: tuple[float, ...]  # age at as_of of the ones still open

    @property
    def open_now(self) -> int:
        return len(self.open_hours)

    @property
    def answer_median_hours(self) -> float | None:
        return _percentile(self.answer_hours, 50)

    @property
    def answer_p90_hours(self) -> float | None:
        return _percentile(self.answer_hours, 90)

    @property
    def oldest_open_hours(self) -> float | None:
        return max(self.open_hours, default=None)


def department_rows(corrections: Iterable[CorrectionHold], as_of: datetime) -> tuple[DepartmentRow, ...]:
    """One row per department asked, by department code; what happened after `as_of` is not known yet."""
    answer_hours: dict[str, list[float]] = defaultdict(list)
    open_hours: dict[str, list[float]] = defaultdict(list)
    for hold in corrections:
        if hold.requested_at > as_of:
            continue
        if hold.answered_at is not None and hold.answered_at <= as_of:
            answer_hours[hold.department].append(_hours(hold.requested_at, hold.answered_at))
        else:
            open_hours[hold.department].append(_hours(hold.requested_at, as_of))
    return tuple(
        DepartmentRow(department, len(answer_hours[department]) + len(open_hours[department]),
                      len(answer_hours[department]), tuple(answer_hours[department]), tuple(open_hours[department]))
        for department in sorted(answer_hours.keys() | open_hours.keys())
    )


@dataclass(frozen=True)
class Assessment:
    month: str  # 'YYYY-MM', local time
    as_of: datetime
    townships: tuple[TownshipRow, ...]  # by county, then rank within it
    counties: tuple[CountyRow, ...]  # by rank within the city
    city: CityRow | None  # None in a cut for a county or a township (assessing.within)
    corrections: tuple[CorrectionHold, ...] = ()  # the month's requests to departments (数据错误)

    @property
    def departments(self) -> tuple[DepartmentRow, ...]:
        return department_rows(self.corrections, self.as_of)


def assess(
    timelines: Iterable[CaseTimeline], month: str, as_of: datetime, townships: Iterable[str] = (),
    corrections: Iterable[CorrectionHold] = (),
) -> Assessment:
    """The month's assessment as it stood at `as_of`. `timelines` may hold cases of any month:
    later ones are needed to see which of this month's resolutions did not hold. `townships`
    are listed (with zeros) even when they received nothing. The departments are judged on the
    `corrections` requested in the month."""
    cases = [case.as_of(as_of) for case in timelines if case.received_at <= as_of]
    refired = _refired_case_ids(cases)
    by_township: dict[str, Figures] = {code: Figures() for code in townships}
    for case in cases:
        if _month(case.received_at) == month:
            code = case.answerable_township()
            by_township[code] = by_township.get(code, Figures()) + _case_figures(case, code, as_of, refired)
    by_county: dict[str, Figures] = defaultdict(Figures)
    for code, figures in by_township.items():
        by_county[division_of(code)] += figures
    township_rows = [
        TownshipRow(code, division, by_township[code], rank)
        for division in sorted(by_county)
        for rank, code in enumerate(_ranked({c: f for c, f in by_township.items() if division_of(c) == division}), 1)
    ]
    county_rows = [CountyRow(code, by_county[code], rank) for rank, code in enumerate(_ranked(by_county), 1)]
    cities = {city_of(code) for code in by_township}
    if len(cities) > 1:
        raise ValueError(f"an assessment covers one city, got {sorted(cities)}")
    city = CityRow(cities.pop() if cities else "", sum(by_county.values(), Figures()))
    asked = tuple(c for c in corrections if _month(c.requested_at) == month and c.requested_at <= as_of)
    return Assessment(month, as_of, tuple(township_rows), tuple(county_rows), city, asked)


def division_of(township_code: str) -> str:
    return township_code[:6]


def city_of(township_code: str) -> str:
    return township_code[:4] + "00"


def ranking_key(figures: Figures) -> tuple:
    """The composite score of the module docstring; smaller ranks first."""
    resolved, acknowledged = figures.resolved_on_time_rate, figures.acknowledged_on_time_rate
    median = figures.resolve_median_hours
    return (
        resolved is None, -(resolved or 0.0),
        acknowledged is None, -(acknowledged or 0.0),
        figures.overdue,
        median is None, median or 0.0,
    )


def charged_hours(holds: Sequence[Hold], holder: str, until: datetime) -> float:
    """Hours `holder` held the case before `until`: its clock stops while anyone else holds it."""
    ends = [hold.since for hold in holds[1:]] + [until]
    seconds = sum(
        max(0.0, (min(end, until) - hold.since).total_seconds())
        for hold, end in zip(holds, ends, strict=True)
        if hold.holder == holder
    )
    return seconds / 3600


def _case_figures(case: CaseTimeline, code: str, as_of: datetime, refired: frozenset[str]) -> Figures:
    holder = _township(code)
    acknowledgement = next((s for s in case.steps if s.act == "acknowledge" and s.holder_after == holder), None)
    resolution = _standing_resolution(case)
    today = _local_date(as_of)
    ack_late = _late(acknowledgement, case.acknowledge_due, today)
    resolve_late = _late(resolution, case.resolve_due, today)
    holds = case.holds()
    return Figures(
        received=1,
        acknowledge_judged=ack_late is not None,
        acknowledged_on_time=ack_late is False,
        resolve_judged=resolve_late is not None,
        resolved_on_time=resolve_late is False,
        overdue=(ack_late is True and acknowledgement is None) or (resolve_late is True and resolution is None),
        returned=sum(s.act == "return" for s in case.steps),
        refired=case.case_id in refired,
        acknowledge_hours=() if acknowledgement is None else (charged_hours(holds, holder, acknowledgement.at),),
        resolve_hours=() if resolution is None else (charged_hours(holds, holder, resolution.at),),
    )


def _late(done: Step | None, due: date | None, today: date) -> bool | None:
    """Whether a deadline was missed; None while it cannot be judged (none, or not yet due)."""
    if due is None:
        return None
    if done is not None:
        return _local_date(done.at) > due
    return True if today > due else None


def _standing_resolution(case: CaseTimeline) -> Step | None:
    """The last resolution, unless review sent it back: a returned one is not a resolution."""
    last = next((s for s in reversed(case.steps) if s.act in ("resolve", "return")), None)
    return last if last is not None and last.act == "resolve" else None


def _refired_case_ids(cases: Sequence[CaseTimeline]) -> frozenset[str]:
    """Alerts whose resolution did not hold: the same rule fired for the same entity again
    within 3 calendar months after it."""
    received_by_finding: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for case in cases:
        if case.kind == "alert" and case.rule and case.uscc:
            received_by_finding[case.rule, case.uscc].append(case.received_at)
    refired = set()
    for case in cases:
        resolution = _standing_resolution(case)
        if resolution is None or case.kind != "alert":
            continue
        horizon = _plus_months(_local_date(resolution.at), REFIRE_MONTHS)
        if any(resolution.at < received and _local_date(received) <= horizon
               for received in received_by_finding.get((case.rule, case.uscc), ())):
            refired.add(case.case_id)
    return frozenset(refired)


def _ranked(figures_by_code: dict[str, Figures]) -> list[str]:
    return sorted(figures_by_code, key=lambda code: (ranking_key(figures_by_code[code]), code))


def _percentile(hours: Sequence[float], q: float) -> float | None:
    return float(np.percentile(hours, q)) if hours else None


def _fields(figures: Figures) -> tuple:
    return tuple(getattr(figures, name) for name in Figures.__dataclass_fields__)


def _plus_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds()) / 3600


def _local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _month(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m")


def _township(code: str) -> str:
    return f"township:{code}"
