import csv
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.ingest.domain import timeliness
from shared import working_days
from shared.working_days import CalendarUnknown, WorkingCalendar
from services.ingest.domain.timeliness import (
    Frequency,
    SubmissionStatus,
    deadline,
    due_periods,
    period_end,
    periods_between,
    status,
)

CN = WorkingCalendar.china()
SHANGHAI = timezone(timedelta(hours=8))


def _rows() -> list[dict[str, str]]:
    path = Path(working_days.__file__).with_name("working_days.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- calendar data ---------------------------------------------------------------------------


def test_holiday_rows_are_weekdays_and_workday_rows_are_weekends():
    rows = _rows()
    assert rows and {r["kind"] for r in rows} == {"holiday", "workday"}
    for r in rows:
        weekday = date.fromisoformat(r["date"]).weekday()
        assert (weekday < 5) == (r["kind"] == "holiday"), r


def test_calendar_rows_are_unique_sorted_and_cover_every_festival_each_year():
    rows = _rows()
    days = [r["date"] for r in rows]
    assert days == sorted(set(days))
    for year in ("2024", "2025", "2026"):
        names = "".join(r["name"] for r in rows if r["date"].startswith(year))
        for festival in ("元旦", "春节", "清明", "劳动", "端午", "中秋", "国庆"):
            assert festival in names, (year, festival)


def test_2025_national_day_matches_the_official_notice():
    # 10月1日至8日放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
    assert all(not CN.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert CN.is_working_day(date(2025, 9, 28))
    assert CN.is_working_day(date(2025, 10, 11))


def test_2025_rule_change_gives_spring_festival_and_labour_day_an_extra_day():
    # 春节 1月28日至2月4日共8天 (1月26日、2月8日上班); 劳动节 5月1日至5日共5天 (4月27日上班)
    assert [d for d in range(28, 32) if not CN.is_working_day(date(2025, 1, d))] == [28, 29, 30, 31]
    assert [d for d in range(1, 9) if not CN.is_working_day(date(2025, 2, d))] == [1, 2, 3, 4]
    assert [d for d in range(1, 6) if not CN.is_working_day(date(2025, 5, d))] == [1, 2, 3, 4, 5]
    assert CN.is_working_day(date(2025, 4, 27))


def test_weekend_workday_counts_and_weekday_holiday_does_not():
    assert CN.is_working_day(date(2025, 10, 11))  # Saturday, 调休上班
    assert not CN.is_working_day(date(2025, 10, 1))  # Wednesday, 国庆节
    assert not CN.is_working_day(date(2025, 11, 1))  # ordinary Saturday
    assert CN.is_working_day(date(2025, 11, 3))  # ordinary Monday


def test_unknown_year_raises_instead_of_guessing_weekends():
    with pytest.raises(CalendarUnknown):
        CN.is_working_day(date(2027, 1, 4))
    with pytest.raises(CalendarUnknown):
        CN.is_working_day(date(2023, 12, 29))
    with pytest.raises(CalendarUnknown):
        deadline("2026-12", "monthly", CN)  # due in January 2027: add 2027 once announced


def test_custom_calendar_and_add_working_days_bounds():
    cal = WorkingCalendar(holidays={date(2030, 1, 1)}, workdays={date(2030, 1, 5)}, known_years={2030})
    assert cal.add_working_days(date(2029, 12, 31), 2) == date(2030, 1, 3)
    assert cal.add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 5)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2030, 1, 4), 0)


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "frequency", "end"),
    [
        ("2025-10", "monthly", date(2025, 10, 31)),
        ("2024-02", "monthly", date(2024, 2, 29)),
        ("2026-12", Frequency.MONTHLY, date(2026, 12, 31)),
        ("2026-Q1", "quarterly", date(2026, 3, 31)),
        ("2026-Q3", "quarterly", date(2026, 9, 30)),
        ("2025", "yearly", date(2025, 12, 31)),
    ],
)
def test_period_end(period, frequency, end):
    assert period_end(period, frequency) == end


@pytest.mark.parametrize(
    ("period", "frequency"),
    [
        ("2026-13", "monthly"),
        ("2026-00", "monthly"),
        ("2026-1", "monthly"),
        ("2026/10", "monthly"),
        (" 2026-10", "monthly"),
        ("2026-10\n", "monthly"),
        ("2026-Q3", "monthly"),
        ("2026-Q5", "quarterly"),
        ("2026-10", "quarterly"),
        ("2026-10", "yearly"),
        ("26", "yearly"),
        ("2026-10", "weekly"),
    ],
)
def test_bad_period_or_frequency_raises(period, frequency):
    with pytest.raises(ValueError):
        period_end(period, frequency)


def test_periods_between_is_inclusive_and_crosses_years():
    assert periods_between("2025-11", "2026-02", "monthly") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert periods_between("2025-Q4", "2026-Q1", "quarterly") == ["2025-Q4", "2026-Q1"]
    assert periods_between("2024", "2026", "yearly") == ["2024", "2025", "2026"]
    assert periods_between("2026-03", "2026-03", "monthly") == ["2026-03"]
    with pytest.raises(ValueError):
        periods_between("2026-03", "2026-01", "monthly")


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "frequency", "due"),
    [
        # Oct 31 2025 is a Friday: Nov 3, 4, 5, 6, 7
        ("2025-10", "monthly", date(2025, 11, 7)),
        # Oct 1-8 off; Oct 9 (Thu), 10 (Fri), 11 (Sat, 调休上班), 13, 14
        ("2025-09", "monthly", date(2025, 10, 14)),
        # Jan 31 2025 and Feb 3-4 are Spring Festival; Feb 5, 6, 7, 8 (Sat, 调休上班), 10
        ("2025-01", "monthly", date(2025, 2, 10)),
        # Jan 31 2026 is a Saturday; Feb 2-6 all work before Spring Festival (Feb 15-23)
        ("2026-01", "monthly", date(2026, 2, 6)),
        # Jan 1-2 2026 off; Jan 4 (Sun, 调休上班), 5, 6, 7, 8
        ("2025-12", "monthly", date(2026, 1, 8)),
        ("2025", "yearly", date(2026, 1, 8)),
        # Apr 6 2026 (Mon) is 清明: Apr 1, 2, 3, 7, 8
        ("2026-Q1", "quarterly", date(2026, 4, 8)),
    ],
)
def test_deadline_real_cases(period, frequency, due):
    assert deadline(period, frequency, CN) == due


def test_spring_festival_2026_is_skipped_and_its_workday_counts():
    # Feb 14 (Sat) worked, Feb 15-23 off, Feb 24-27 worked
    assert CN.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_working_days_is_configurable():
    assert deadline("2025-10", "monthly", CN, working_days=1) == date(2025, 11, 3)


# --- status ----------------------------------------------------------------------------------

# 2025-10 is due on Nov 7 2025; Shanghai midnight is 16:00 UTC the day before.
LAST_MINUTE = datetime(2025, 11, 7, 15, 59, tzinfo=UTC)  # 23:59 Nov 7 in Shanghai
NEXT_MIDNIGHT = datetime(2025, 11, 7, 16, 0, tzinfo=UTC)  # 00:00 Nov 8 in Shanghai, still Nov 7 UTC


def test_arrival_on_the_deadline_day_is_on_time_until_shanghai_midnight():
    later = datetime(2025, 12, 1, tzinfo=UTC)
    assert status("2025-10", "monthly", LAST_MINUTE, later, CN) is SubmissionStatus.ON_TIME
    assert status("2025-10", "monthly", NEXT_MIDNIGHT, later, CN) is SubmissionStatus.LATE


def test_early_arrival_in_another_zone_is_judged_in_shanghai():
    # 08:30 Nov 7 in Los Angeles is 00:30 Nov 8 in Shanghai
    la = timezone(timedelta(hours=-8))
    arrival = datetime(2025, 11, 7, 8, 30, tzinfo=la)
    assert status("2025-10", "monthly", arrival, arrival, CN) is SubmissionStatus.LATE


def test_nothing_received_is_pending_until_the_deadline_day_ends_then_missing():
    assert status("2025-10", "monthly", None, LAST_MINUTE, CN) is SubmissionStatus.PENDING
    assert status("2025-10", "monthly", None, NEXT_MIDNIGHT, CN) is SubmissionStatus.MISSING


def test_naive_timestamps_are_rejected():
    with pytest.raises(ValueError):
        status("2025-10", "monthly", None, datetime(2025, 11, 8), CN)


def test_status_values_are_stable_strings():
    assert [s.value for s in SubmissionStatus] == ["on_time", "late", "missing", "pending"]


# --- due periods -----------------------------------------------------------------------------


def test_due_periods_switch_over_the_day_after_the_deadline():
    on_deadline = datetime(2025, 11, 7, 12, 0, tzinfo=SHANGHAI)
    after = datetime(2025, 11, 8, 0, 0, tzinfo=SHANGHAI)
    assert due_periods(on_deadline, "monthly", CN) == ["2025-07", "2025-08", "2025-09"]
    assert due_periods(after, "monthly", CN) == ["2025-08", "2025-09", "2025-10"]


def test_due_periods_quarterly_and_yearly():
    now = datetime(2026, 4, 9, 9, 0, tzinfo=SHANGHAI)
    assert due_periods(now, "quarterly", CN, lookback=2) == ["2025-Q4", "2026-Q1"]
    assert due_periods(datetime(2026, 1, 9, tzinfo=SHANGHAI), "yearly", CN, lookback=1) == ["2025"]


def test_due_periods_in_december_does_not_need_next_years_calendar():
    now = datetime(2026, 12, 15, tzinfo=SHANGHAI)
    assert due_periods(now, "monthly", CN) == ["2026-09", "2026-10", "2026-11"]
