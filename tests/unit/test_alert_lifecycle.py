"""An alert's lifecycle around the rules: silences, deadlines in working days, the daily digest."""

import uuid
from datetime import UTC, date, datetime, timedelta

from shared.contracts import DispositionEffect, FeedbackAction, FeedbackPayload

from services.alerting.domain.backtest import StoredAlert, confirmed
from services.alerting.domain.catalogue import Finding, alert_id
from services.alerting.domain.deadlines import ACKNOWLEDGE, RESOLVE, deadlines, passed
from services.alerting.domain.digest import OpenAlert, digest, digest_id
from services.alerting.domain.history import Entity
from services.alerting.domain.ruleset import load_ruleset
from services.alerting.domain.silences import Silence, silence_for, silencing
from shared.working_days import WorkingCalendar

NOW = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
ACME = Entity("91350100M000100Y43", "揭阳市甲纺织有限公司", "445202001", "C1711")


def _finding(rule: str = "power_drop", township: str = "445202001") -> Finding:
    return Finding(alert_id(rule, ACME.uscc, "2026-09"), rule, "2026.12.1", "low", ACME.uscc, "2026-09", township, {}, "…")


def _silence(**matchers) -> Silence:
    window = {"starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=30)}
    return Silence(uuid.uuid4(), **({"township_prefix": "445202"} | window | matchers), reason="汛期停产",
                   created_by="supervisor:445202")


def test_a_silence_holds_what_every_matcher_matches_while_it_lasts():
    assert silencing(_finding(), ACME, [_silence(rule="power_drop")], NOW) is not None
    assert silencing(_finding(), ACME, [_silence(industry="C17")], NOW) is not None  # 1711 is in 大类 C17
    assert silencing(_finding(), ACME, [_silence(uscc=ACME.uscc, rule=None)], NOW) is not None
    assert silencing(_finding(), ACME, [_silence(rule="power_without_tax")], NOW) is None
    assert silencing(_finding(), ACME, [_silence(industry="C13")], NOW) is None
    assert silencing(_finding(township="445203001"), ACME, [_silence()], NOW) is None  # another county
    ended = _silence(ends_at=NOW)
    lifted = Silence(**{**_silence().__dict__, "lifted_at": NOW - timedelta(minutes=1)})
    later = _silence(starts_at=NOW + timedelta(hours=1))
    assert silencing(_finding(), ACME, [ended, lifted, later], NOW) is None
    longest = _silence(ends_at=NOW + timedelta(days=90))
    assert silencing(_finding(), ACME, [_silence(), longest], NOW) is longest


def test_deadlines_count_working_days_of_the_official_calendar():
    severities = load_ruleset().severities
    # raised on the last working day before 国庆: 2 working days to acknowledge land after the holiday
    due = deadlines(severities["high"], date(2026, 9, 30), WorkingCalendar.china())
    assert due.acknowledge_due == date(2026, 10, 9) and due.resolve_due > due.acknowledge_due
    # a year whose calendar is not published yet: no deadline rather than a wrong one
    assert deadlines(severities["high"], date(2027, 12, 30), WorkingCalendar.china()).acknowledge_due is None


def test_a_deadline_passes_only_when_its_work_is_undone():
    day = date(2026, 10, 10)
    assert passed(date(2026, 10, 9), "open", ACKNOWLEDGE, day)
    assert not passed(date(2026, 10, 9), "acknowledged", ACKNOWLEDGE, day)
    assert not passed(date(2026, 10, 9), "resolved", ACKNOWLEDGE, day)  # resolving acknowledges too
    assert passed(date(2026, 10, 9), "acknowledged", RESOLVE, day)
    assert not passed(date(2026, 10, 10), "open", RESOLVE, day)  # the due day itself is still in time
    assert not passed(None, "open", ACKNOWLEDGE, day)


def test_a_digest_counts_open_new_and_overdue_alerts_per_rule():
    def alert(rule, hours, overdue=False):
        return OpenAlert(str(uuid.uuid4()), rule, ACME.uscc, "2026-09", NOW - timedelta(hours=hours), overdue)
    alerts = [alert("power_drop", 48, overdue=True), alert("power_drop", 2), alert("power_without_tax", 1)]
    found = digest("445202001", date(2026, 10, 20), alerts, NOW - timedelta(hours=24), {"power_drop": "用电骤降"})
    assert found.open_by_rule == {"power_drop": 2, "power_without_tax": 1}
    assert found.new_by_rule == {"power_drop": 1, "power_without_tax": 1} and found.overdue == 1
    assert [a.rule for a in found.new] == ["power_drop", "power_without_tax"]  # oldest first
    assert "待办 3 条" in found.message_zh and "用电骤降 2 条" in found.message_zh and "逾期 1 条" in found.message_zh
    assert digest("445202001", date(2026, 10, 20), [], None, {}) is None
    assert digest_id("445202001", date(2026, 10, 20)) == digest_id("445202001", date(2026, 10, 20))


def test_a_townships_finding_becomes_a_silence_only_when_it_asks_for_one():
    def finding(effect, **more):
        return FeedbackPayload(
            feedback_id=uuid.uuid4(), alert_id=uuid.uuid4(), action=FeedbackAction.RESOLVE, township_code="445202001",
            actor="township:445202001:zhangwei", note="旺季生产", submitted_at=datetime(2026, 12, 2, tzinfo=UTC),
            effect=effect, rule="power_without_tax", uscc="91445202MA0000000X", **more)

    event_id = uuid.uuid4()
    until = datetime(2027, 6, 2, tzinfo=UTC)
    suppress = silence_for(finding(DispositionEffect.SUPPRESS, suppress_until=until), event_id)
    assert (suppress["rule"], suppress["uscc"], suppress["ends_at"]) == ("power_without_tax", "91445202MA0000000X", until)
    assert suppress["silence_id"] == silence_for(finding(DispositionEffect.SUPPRESS, suppress_until=until), event_id)["silence_id"]
    assert "误报" in suppress["reason"] and suppress["created_by"].endswith("zhangwei")
    gone = silence_for(finding(DispositionEffect.STOP_JUDGING), event_id)
    assert gone["rule"] is None and gone["ends_at"].year >= 2126  # every rule, from now on
    assert silence_for(finding(DispositionEffect.CONFIRMED), event_id) is None


def test_backtests_count_as_confirmed_only_what_townships_found_real():
    def alert(status, finding):
        return StoredAlert(uuid.uuid4(), "power_without_tax", "X", "2026-10", "445202001", status, True, False, finding)

    assert confirmed(alert("resolved", "confirmed")) and confirmed(alert("resolved", None))  # before dispositions
    assert not confirmed(alert("resolved", "suppress")) and not confirmed(alert("acknowledged", None))
