"""Deadlines of an alert (签收、办结时限) in working days of the official calendar, from its
severity in the rule set: a township gets N working days, not N calendar days, over 国庆 or 春节."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.working_days import WorkingCalendar

from services.alerting.domain.ruleset import Severity

ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"


@dataclass(frozen=True)
class Deadlines:
    acknowledge_due: date | None  # None: the official calendar for that year is not published yet
    resolve_due: date | None


def deadlines(severity: Severity, detected_on: date, calendar: WorkingCalendar) -> Deadlines:
    return Deadlines(calendar.deadline(detected_on, severity.acknowledge_working_days),
                     calendar.deadline(detected_on, severity.resolve_working_days))


def passed(due: date | None, status: str, deadline: str, today: date) -> bool:
    """Whether `deadline` has passed undone: acknowledging is done by acknowledging or resolving."""
    done = {ACKNOWLEDGE: ("acknowledged", "resolved"), RESOLVE: ("resolved",)}[deadline]
    return due is not None and due < today and status not in done
