"""Service layer of 效能监测: the month's cases and acts from storage, as the timelines the
assessment arithmetic reads, and the assessment cut to what the caller may see."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from itertools import groupby

from shared.contracts import CaseState, FeedbackAction
from shared.working_days import LOCAL_TZ

from services.feedback.domain.assessment import (
    REFIRE_MONTHS,
    Assessment,
    CaseTimeline,
    CorrectionHold,
    Step,
    assess,
    division_of,
)
from services.feedback.storage import casework as storage

_RESOLUTIONS = {a.value for a in FeedbackAction if a.decides_match} | {FeedbackAction.RESOLVE.value}


def timeline(rows) -> CaseTimeline:
    """One case's acts in the assessment's words: a match decision is its resolution, and the first
    act that takes a case on without a separate 签收 acknowledges it at that moment."""
    first = rows[0]
    holder, state, steps = f"township:{first['received_by']}", CaseState.PENDING.value, []
    for row in rows:
        if row["action"] is None:
            break  # a case nobody has touched
        act = "resolve" if row["action"] in _RESOLUTIONS else row["action"]
        if state == CaseState.PENDING.value and act != "acknowledge" and row["state_after"] not in (
                CaseState.PENDING.value, CaseState.TRANSFERRING.value):
            steps.append(Step(row["submitted_at"], "acknowledge", CaseState.ACKNOWLEDGED.value, holder))
        steps.append(Step(row["submitted_at"], act, row["state_after"], row["holder_after"]))
        holder, state = row["holder_after"], row["state_after"]
    return CaseTimeline(
        case_id=str(first["case_id"]), kind=first["kind"], rule=first["subject"] if first["kind"] == "alert" else None,
        uscc=first["uscc"], township_code=first["received_by"], received_at=first["received_at"],
        acknowledge_due=first["acknowledge_due"], resolve_due=first["resolve_due"], steps=tuple(steps),
    )


def _month_start(month: str, plus: int = 0) -> datetime:
    year, number = map(int, month.split("-"))
    year, number = year + (number - 1 + plus) // 12, (number - 1 + plus) % 12 + 1
    return datetime(year, number, 1, tzinfo=LOCAL_TZ)


async def assessment_of(session, month: str, townships: list[str]) -> Assessment:
    """The month as it stands now, over the whole city (ranks need every peer); the cases of the
    next three months are read too, to see which resolutions did not hold."""
    rows = await storage.timelines(session, _month_start(month), _month_start(month, REFIRE_MONTHS + 1))
    timelines = [timeline(list(group)) for _, group in groupby(rows, key=lambda row: row["case_id"])]
    asked = await storage.corrections_requested(session, _month_start(month), _month_start(month, 1))
    return assess(timelines, month, datetime.now(UTC), townships, map(correction_hold, asked))


def correction_hold(row) -> CorrectionHold:
    return CorrectionHold(row["department"], row["township_code"], row["requested_at"], row["answered_at"])


def within(assessment: Assessment, township_prefix: str) -> Assessment:
    """Only the rows the caller may see: a township its own, a county its townships and itself, the
    city everything; the departments as they answered the findings of the caller's townships."""
    city_wide = len(township_prefix) <= 4
    return dataclasses.replace(
        assessment,
        townships=tuple(row for row in assessment.townships if row.code.startswith(township_prefix)),
        counties=tuple(row for row in assessment.counties
                       if city_wide or (len(township_prefix) == 6 and row.division_code == division_of(township_prefix))),
        city=assessment.city if city_wide else None,
        corrections=tuple(c for c in assessment.corrections if c.township_code.startswith(township_prefix)),
    )
