"""效能监测 figures on hand-made case timelines: deadlines over the official calendar, the clock
charged to whoever holds the case, returns and re-fires, percentiles, rankings, aggregates."""

import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from services.feedback.assessing import within
from services.feedback.domain.assessment import CaseTimeline, CorrectionHold, Step, assess
from services.feedback.domain.assessment_xlsx import assessment_workbook
from shared.working_days import LOCAL_TZ, WorkingCalendar

RONGHUA, XINXING, ZHONGSHAN = "445202001", "445202002", "445202003"  # 榕城区
HEPO = "445222001"  # 揭西县
ACME = "91350100M000100Y43"
MONTH = "2026-04"
LATER = datetime(2026, 8, 1, tzinfo=LOCAL_TZ)


def _at(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


def _step(at: datetime, act: str, state: str, holder: str) -> Step:
    return Step(at, act, state, holder)


def _case(case_id: str, *steps: Step, township: str = RONGHUA, received: datetime = _at(1, 9),
          ack_due: date | None = None, resolve_due: date | None = None, rule: str | None = "power_drop",
          uscc: str | None = ACME) -> CaseTimeline:
    arrival = _step(received, "received", "pending", f"township:{township}")
    return CaseTimeline(case_id, "alert", rule, uscc, township, received, ack_due, resolve_due, (arrival, *steps))


def _handled(case_id: str, hours: float, township: str = RONGHUA, **kwargs) -> CaseTimeline:
    """Acknowledged and resolved `hours` after arrival, never leaving the township."""
    done = _at(1, 9) + timedelta(hours=hours)
    holder = f"township:{township}"
    return _case(case_id, _step(done, "acknowledge", "acknowledged", holder),
                 _step(done, "resolve", "resolved", "county:" + township[:6]), township=township, **kwargs)


def _township(assessment, code):
    return next(row for row in assessment.townships if row.code == code)


def test_acknowledging_is_on_time_through_the_local_due_date_after_a_weekend_and_a_holiday():
    received = _at(3, 10)  # Friday; Saturday, Sunday, then 清明 on Monday 6 April
    due = WorkingCalendar.china().add_working_days(received.date(), 1)
    assert due == date(2026, 4, 7)
    holder = f"township:{RONGHUA}"
    late_evening = _case("a", _step(_at(7, 23, 30), "acknowledge", "acknowledged", holder), received=received, ack_due=due)
    after_midnight = _case("b", _step(_at(8, 0, 30), "acknowledge", "acknowledged", holder), received=received, ack_due=due)
    assert after_midnight.steps[1].at.astimezone(UTC).date() == due  # still the 7th in UTC: local dates count

    figures = _township(assess([late_evening, after_midnight], MONTH, LATER), RONGHUA).figures

    assert (figures.received, figures.acknowledge_judged, figures.acknowledged_on_time) == (2, 2, 1)
    assert figures.acknowledged_on_time_rate == 0.5


def test_the_township_is_not_charged_while_a_department_corrects_its_data():
    holder = f"township:{RONGHUA}"
    case = _case(
        "c",
        _step(_at(1, 11), "acknowledge", "acknowledged", holder),
        _step(_at(1, 12), "correction_requested", "verifying", "department:tax"),
        _step(_at(2, 12), "correction_done", "verifying", holder),
        _step(_at(2, 14), "resolve", "resolved", "county:445202"),
    )
    assert [h.holder for h in case.holds()] == [holder, "department:tax", holder, "county:445202"]

    figures = _township(assess([case], MONTH, LATER), RONGHUA).figures

    assert figures.acknowledge_hours == (2.0,)
    assert figures.resolve_hours == (5.0,)  # 3 hours before the correction, 2 after; not the department's day


def test_a_county_deciding_a_transfer_is_not_charged_and_an_accepted_case_belongs_to_its_new_township():
    refused = _case(
        "refused",
        _step(_at(1, 10), "transfer", "transferring", "county:445202"),
        _step(_at(3, 10), "refuse_transfer", "pending", f"township:{RONGHUA}"),
        _step(_at(3, 11), "acknowledge", "acknowledged", f"township:{RONGHUA}"),
        _step(_at(3, 12), "resolve", "resolved", "county:445202"),
    )
    accepted = _case(
        "accepted",
        _step(_at(1, 10), "transfer", "transferring", "county:445202"),
        _step(_at(2, 10), "accept_transfer", "pending", f"township:{XINXING}"),
        _step(_at(2, 11), "acknowledge", "acknowledged", f"township:{XINXING}"),
        _step(_at(2, 13), "resolve", "resolved", "county:445202"),
    )

    assessment = assess([refused, accepted], MONTH, LATER)

    ronghua, xinxing = _township(assessment, RONGHUA).figures, _township(assessment, XINXING).figures
    assert (ronghua.received, ronghua.acknowledge_hours, ronghua.resolve_hours) == (1, (2.0,), (3.0,))
    assert (xinxing.received, xinxing.acknowledge_hours, xinxing.resolve_hours) == (1, (1.0,), (3.0,))


def test_a_returned_resolution_is_counted_and_only_the_resolution_that_stands_is_judged():
    holder = f"township:{RONGHUA}"
    returned_then_late = _case(
        "r",
        _step(_at(1, 10), "acknowledge", "acknowledged", holder),
        _step(_at(8, 10), "resolve", "resolved", "county:445202"),
        _step(_at(9, 10), "return", "verifying", holder),
        _step(_at(13, 10), "resolve", "resolved", "county:445202"),
        resolve_due=date(2026, 4, 10),
    )
    still_returned = _case(
        "s",
        _step(_at(1, 10), "acknowledge", "acknowledged", holder),
        _step(_at(2, 10), "resolve", "resolved", "county:445202"),
        _step(_at(3, 10), "return", "verifying", holder),
        resolve_due=date(2026, 4, 10),
    )

    figures = _township(assess([returned_then_late, still_returned], MONTH, _at(20, 9)), RONGHUA).figures

    assert figures.returned == 2
    assert (figures.resolve_judged, figures.resolved_on_time) == (2, 0)
    assert figures.overdue == 1  # the one still sent back
    assert figures.resolve_hours == (12 * 24 + 1 - 24,)  # arrival to the last resolution, less review's day


def test_a_resolution_that_did_not_hold_is_counted_against_the_township_that_resolved_it():
    resolved = _step(_at(10, 15), "resolve", "resolved", "county:445202")
    held_not = _case("x", resolved)
    held = _case("y", resolved, uscc="91445200MA0000001X")
    other_rule = _case("z", resolved, rule="tax_without_power", uscc="91445200MA0000002X")
    refire = _case("x2", township=XINXING, received=_at(10, 9, month=7))  # 3 calendar months after 10 April
    too_late = _case("y2", uscc=held.uscc, received=_at(11, 9, month=7))
    another_rule = _case("z2", uscc=other_rule.uscc, received=_at(1, 9, month=5))

    assessment = assess([held_not, held, other_rule, refire, too_late, another_rule], MONTH, LATER)

    assert _township(assessment, RONGHUA).figures.refired == 1
    assert all(row.figures.refired == 0 for row in assessment.townships if row.code != RONGHUA)
    assert assess([held_not, refire], MONTH, _at(9, 9, month=7)).city.figures.refired == 0  # not yet received


def test_median_and_p90_interpolate_linearly_between_ranked_durations():
    cases = [_handled(str(h), h) for h in (10, 1, 3, 2, 4)]

    figures = assess(cases, MONTH, LATER).city.figures

    assert figures.acknowledge_median_hours == pytest.approx(3.0)
    assert figures.resolve_p90_hours == pytest.approx(7.6)  # 4 + 0.6 × (10 − 4); nearest rank would say 10
    assert assess([], MONTH, LATER).city.figures.resolve_median_hours is None


def test_overdue_is_judged_on_the_local_date_of_as_of_and_ignores_what_came_later():
    late_ack = _case("o", _step(_at(9, 9), "acknowledge", "acknowledged", f"township:{RONGHUA}"),
                     ack_due=date(2026, 4, 7), resolve_due=date(2026, 4, 30))

    def overdue(as_of):
        return assess([late_ack], MONTH, as_of).city.figures.overdue

    assert overdue(_at(7, 23, 59)) == 0
    assert overdue(_at(8, 0, 1)) == 1
    assert overdue(_at(9, 9)) == 0  # acknowledged, late; nothing is overdue now
    assert assess([late_ack], MONTH, _at(8, 9)).city.figures.acknowledge_hours == ()


def test_townships_rank_within_their_county_by_the_composite_score_ties_by_code():
    due = {"resolve_due": date(2026, 4, 2), "ack_due": date(2026, 4, 1)}
    cases = [
        _handled("1", 5, township=XINXING, **due), _handled("2", 5, township=RONGHUA, **due),  # a tie
        _handled("3", 4, township=ZHONGSHAN, **due), _handled("4", 48, township=ZHONGSHAN, **due),  # one late
        _handled("5", 2, township=HEPO, **due),
    ]
    quiet = "445202004"

    assessment = assess(cases, MONTH, LATER, townships=[quiet])

    assert [(row.code, row.rank_in_county) for row in assessment.townships] == [
        (RONGHUA, 1), (XINXING, 2), (ZHONGSHAN, 3), (quiet, 4), (HEPO, 1)]
    assert [(row.division_code, row.rank_in_city) for row in assessment.counties] == [("445222", 1), ("445202", 2)]


def test_county_and_city_percentiles_are_recomputed_from_every_case():
    cases = [_handled("a", 1), _handled("b", 2), _handled("c", 3),
             _handled("d", 10, township=XINXING), _handled("e", 100, township=HEPO)]

    assessment = assess(cases, MONTH, LATER)

    rongcheng = next(row for row in assessment.counties if row.division_code == "445202")
    assert rongcheng.figures.resolve_median_hours == pytest.approx(2.5)  # the townships' medians average 6
    assert rongcheng.figures.received == 4
    assert assessment.city.city_code == "445200"
    assert assessment.city.figures.resolve_median_hours == pytest.approx(3.0)
    assert assessment.city.figures.received == 5


def test_only_cases_received_in_the_month_in_local_time_are_assessed():
    first_of_may_local = datetime(2026, 4, 30, 16, 30, tzinfo=UTC)

    assessment = assess([_case("m", received=first_of_may_local), _handled("n", 1)], MONTH, LATER)

    assert assessment.city.figures.received == 1


def test_the_workbook_has_a_sheet_per_level_with_chinese_headers_and_the_figures():
    due = {"ack_due": date(2026, 4, 1), "resolve_due": date(2026, 4, 2)}
    cases = [_handled("a", 1, **due), _handled("b", 40, **due), _handled("c", 2, township=HEPO, **due)]
    assessment = assess(cases, MONTH, _at(30, 18))

    workbook = openpyxl.load_workbook(io.BytesIO(assessment_workbook(assessment, _at(30, 18, 5))))

    assert workbook.sheetnames == ["乡镇", "县区", "全市", "部门更正"]
    townships = workbook["乡镇"]
    assert "2026年4月" in townships["A1"].value and "2026-04-30 18:05" in townships["A1"].value
    headers = [cell.value for cell in townships[2]]
    assert headers[:4] == ["乡镇代码", "乡镇名称", "所属县区", "接收数"]
    assert headers[-1] == "县内排名"
    assert {"按时签收率", "办结后3个月内再次预警数", "办结用时P90(小时)"} <= set(headers)
    row = dict(zip(headers, (cell for cell in townships[3]), strict=True))
    assert [row[h].value for h in ("乡镇代码", "乡镇名称", "所属县区", "接收数", "按时办结数", "县内排名")] == [
        RONGHUA, "榕华街道", "榕城区", 2, 1, 1]
    assert row["按时办结率"].value == 0.5 and row["按时办结率"].number_format == "0.0%"
    assert row["办结用时中位数(小时)"].value == pytest.approx(20.5)
    assert townships.freeze_panes == "A3"
    counties = workbook["县区"]
    assert [c.value for c in counties[2]][:2] == ["县区代码", "县区名称"]
    assert [c.value for c in counties[3]][:3] == ["445222", "揭西县", 1]  # no deadline missed: first
    assert [c.value for c in workbook["全市"][3]][:2] == ["445200", 3]


def test_a_department_is_charged_from_its_correction_request_until_it_sends_the_record_again():
    asked = [
        CorrectionHold("tax", RONGHUA, _at(2, 9), _at(2, 21)),  # 12 hours
        CorrectionHold("tax", RONGHUA, _at(3, 9), _at(5, 9)),  # 48 hours
        CorrectionHold("tax", HEPO, _at(10, 9), None),  # open: 20 days old at the end of the month
        CorrectionHold("power_supply", XINXING, _at(29, 9), _at(30, 21)),  # answered after as_of: still open
        CorrectionHold("power_supply", XINXING, _at(28, 9, month=3), _at(2, 9)),  # asked in March: not April's
    ]
    assessment = assess([], MONTH, _at(30, 9), [RONGHUA, XINXING, HEPO], asked)

    power, tax = assessment.departments
    assert (tax.department, tax.asked, tax.answered, tax.open_now) == ("tax", 3, 2, 1)
    assert tax.answer_median_hours == pytest.approx(30.0) and tax.answer_p90_hours == pytest.approx(44.4)
    assert tax.oldest_open_hours == pytest.approx(20 * 24)
    assert (power.asked, power.answered, power.open_now, power.answer_median_hours) == (1, 0, 1, None)
    assert power.oldest_open_hours == pytest.approx(24)
    # the townships' own figures are untouched: the wait is the departments'
    assert all(row.figures.received == 0 for row in assessment.townships)


def test_a_county_sees_the_departments_only_as_they_answered_its_own_townships():
    asked = [CorrectionHold("tax", RONGHUA, _at(2, 9), _at(2, 21)), CorrectionHold("tax", HEPO, _at(3, 9), None)]
    assessment = assess([], MONTH, _at(30, 9), [RONGHUA, HEPO], asked)

    (rongcheng,) = within(assessment, "445202").departments
    assert (rongcheng.asked, rongcheng.answered, rongcheng.open_now) == (1, 1, 0)
    (hepo,) = within(assessment, HEPO).departments
    assert (hepo.asked, hepo.open_now) == (1, 1)
    assert within(assessment, "4452").departments == assessment.departments  # the city's prefix


def test_the_workbook_lists_the_departments_corrections():
    asked = [CorrectionHold("power_supply", RONGHUA, _at(2, 9), _at(3, 9)), CorrectionHold("tax", RONGHUA, _at(2, 9), None)]
    assessment = assess([], MONTH, _at(30, 9), [RONGHUA], asked)

    sheet = openpyxl.load_workbook(io.BytesIO(assessment_workbook(assessment, _at(30, 10))))["部门更正"]

    assert [c.value for c in sheet[2]][:5] == ["部门代码", "部门", "请求更正数", "已重新报送数", "待更正数"]
    assert [c.value for c in sheet[3]][:6] == ["power_supply", "供电", 1, 1, 0, 24]
    assert [c.value for c in sheet[4]][:5] == ["tax", "税务", 1, 0, 1]
