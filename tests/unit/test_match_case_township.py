"""A match case belongs to exactly one township at a time: its newest record's."""

from datetime import UTC, datetime, timedelta

from services.feedback.domain.match_cases import Case, CaseStatus, Failure, basis, case_id, follow

T0 = datetime(2026, 11, 3, 8, tzinfo=UTC)
KEY = {"department": "power_supply", "kind": "power_usage", "source_key": "0300777"}


def _failure(township: str, period: str, minutes: int, record: str) -> Failure:
    at = T0 + timedelta(minutes=minutes)
    return Failure(township, basis(period, at), record, {"name": f"record {record}"}, at)


def test_a_new_case_takes_its_records_township():
    case, moves = follow(None, [_failure("445202001", "2026-09", 0, "r1")], **KEY)
    assert (case.case_id, case.township_code, case.record_ids, case.status) == (
        case_id("power_supply", "0300777"), "445202001", ("r1",), CaseStatus.OPEN)
    assert moves == []


def test_a_newer_record_in_another_township_moves_the_whole_case_and_says_so():
    case, _ = follow(None, [_failure("445202001", "2026-09", 0, "r1")], **KEY)
    case, moves = follow(case, [_failure("445203101", "2026-10", 5, "r2")], **KEY)
    assert case.township_code == "445203101" and case.record_ids == ("r1", "r2")  # everything goes with it
    assert case.details == {"name": "record r2"}
    assert [(m.from_township_code, m.to_township_code, m.record_id) for m in moves] == [("445202001", "445203101", "r2")]


def test_a_late_record_of_an_older_period_joins_the_case_where_it_is():
    case, _ = follow(None, [_failure("445203101", "2026-10", 0, "r2")], **KEY)
    case, moves = follow(case, [_failure("445202001", "2026-09", 10, "r1")], **KEY)
    assert case.township_code == "445203101" and moves == [] and case.record_ids == ("r1", "r2")


def test_a_correction_back_moves_it_back_and_both_moves_are_kept():
    case, first = follow(None, [_failure("445202001", "2026-10", 0, "r1"), _failure("445203101", "2026-10", 1, "r1")], **KEY)
    case, second = follow(case, [_failure("445202001", "2026-10", 2, "r1")], **KEY)
    assert case.township_code == "445202001"
    assert [(m.from_township_code, m.to_township_code) for m in first + second] == [
        ("445202001", "445203101"), ("445203101", "445202001")]


def test_a_decided_case_is_not_reopened_by_a_record_sent_before_the_decision():
    case, _ = follow(None, [_failure("445202001", "2026-10", 0, "r1")], **KEY)
    decided = Case(**{**case.__dict__, "status": CaseStatus.DECIDED, "updated_at": T0 + timedelta(minutes=30)})
    case, _ = follow(decided, [_failure("445202001", "2026-10", 20, "r2")], **KEY)
    assert case.status is CaseStatus.DECIDED
    case, _ = follow(case, [_failure("445202001", "2026-11", 40, "r3")], **KEY)
    assert case.status is CaseStatus.OPEN  # the decision could not be applied to it: the township looks again
