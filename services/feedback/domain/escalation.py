"""When an overdue case is told upward (督办): to the county supervisor as soon as a deadline has
passed undone, to the city when it is still undone a number of working days after that. Each level
is told once; a case that is done, or was never due, is not escalated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from shared.contracts import CaseState
from shared.working_days import WorkingCalendar

_OPEN = (CaseState.PENDING, CaseState.ACKNOWLEDGED, CaseState.VERIFYING, CaseState.TRANSFERRING)


@dataclass(frozen=True)
class Escalation:
    level: Literal["county", "city"]
    deadline: Literal["acknowledge", "resolve"]
    due: date

    def message_zh(self, title: str) -> str:
        what = "签收" if self.deadline == "acknowledge" else "办结"
        to = "县（区）" if self.level == "county" else "市"
        return f"“{title}”已超过{what}时限（{self.due.isoformat()}）仍未{what}，提请{to}督办"


def escalation(state: CaseState, acknowledge_due: date | None, resolve_due: date | None,
               escalated: str | None, escalated_on: date | None, today: date,
               calendar: WorkingCalendar, city_after_working_days: int) -> Escalation | None:
    """The escalation due today, if any."""
    if state not in _OPEN:
        return None
    deadline, due = ("acknowledge", acknowledge_due) if state is CaseState.PENDING else ("resolve", resolve_due)
    if due is None or today <= due:
        return None
    if escalated is None:
        return Escalation("county", deadline, due)
    if escalated == "county" and escalated_on is not None:
        city_on = calendar.deadline(escalated_on, city_after_working_days)
        if city_on is not None and today > city_on:
            return Escalation("city", deadline, due)
    return None
