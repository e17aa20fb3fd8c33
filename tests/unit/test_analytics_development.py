"""区域企业发展概况's arithmetic (services/analytics/domain/development.py) on hand-made entities:
month-end existence, the month's flow, net growth, the series and year on year."""

from datetime import date

from services.analytics.domain import development as d

R = d.Registration


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _flows(entities: list[d.Registration]) -> dict[str, d.Flow]:
    """What repository.registration_flows counts in SQL, counted here from the entities themselves."""
    found: dict[str, d.Flow] = {}
    for e in entities:
        if e.established_on is not None:
            found[_month(e.established_on)] = found.get(_month(e.established_on), d.Flow()) + d.Flow(new=1)
        if e.status != d.ACTIVE and e.ended_on is not None:
            ended = d.Flow(deregistered=1) if e.status == d.DEREGISTERED else d.Flow(revoked=1)
            found[_month(e.ended_on)] = found.get(_month(e.ended_on), d.Flow()) + ended
    return found


def _active(entities: list[d.Registration], period: str) -> int:
    return sum(d.active_at(e, d.month_end(period)) for e in entities)


OLD = R(None, d.ACTIVE)  # registered before the series, without 成立日期
FOUNDED = R(date(2026, 3, 10), d.ACTIVE)
BRIEF = R(date(2026, 4, 2), d.DEREGISTERED, date(2026, 4, 28))  # founded and deregistered in April
REVOKED = R(date(2020, 1, 1), d.REVOKED, date(2026, 5, 31))  # revoked on the month's last day
REVOKED_THEN_DEREGISTERED = R(date(2019, 6, 1), d.DEREGISTERED, date(2026, 6, 15))  # revoked in March, deregistered in June
UNDATED_END = R(date(2018, 1, 1), d.DEREGISTERED, None)
JANUARY = R(date(2026, 1, 5), d.ACTIVE)
DECEMBER_END = R(None, d.REVOKED, date(2025, 12, 31))
EVERYONE = [OLD, FOUNDED, BRIEF, REVOKED, REVOKED_THEN_DEREGISTERED, UNDATED_END, JANUARY, DECEMBER_END]


def test_month_ends_and_months_across_the_year_boundary():
    assert d.month_end("2026-02") == date(2026, 2, 28) and d.month_end("2024-02") == date(2024, 2, 29)
    assert d.month_end("2025-12") == date(2025, 12, 31) and d.month_start("2026-01") == date(2026, 1, 1)


def test_an_entity_is_active_from_its_founding_up_to_the_day_before_it_ended():
    assert d.active_at(OLD, date(1990, 1, 31))  # no 成立日期: existing since before any month asked about
    assert not d.active_at(FOUNDED, date(2026, 2, 28)) and d.active_at(FOUNDED, date(2026, 3, 31))
    assert not d.active_at(BRIEF, d.month_end("2026-03")) and not d.active_at(BRIEF, d.month_end("2026-04"))
    assert d.active_at(BRIEF, date(2026, 4, 27)) and not d.active_at(BRIEF, date(2026, 4, 28))
    assert d.active_at(REVOKED, date(2026, 5, 30)) and not d.active_at(REVOKED, d.month_end("2026-05"))
    assert not d.active_at(UNDATED_END, date(2018, 12, 31))  # ended, date unknown: at no month end
    assert d.active_at(REVOKED_THEN_DEREGISTERED, d.month_end("2026-05"))  # counted once, at its deregistration
    assert d.active_at(DECEMBER_END, date(2025, 12, 30)) and not d.active_at(DECEMBER_END, d.month_end("2025-12"))


def test_standing_at_a_month_end_names_what_the_entity_was_then():
    assert d.standing_at(FOUNDED, d.month_end("2026-02")) == "not_yet"
    assert d.standing_at(FOUNDED, d.month_end("2026-03")) == d.ACTIVE
    assert d.standing_at(REVOKED, d.month_end("2026-04")) == d.ACTIVE
    assert d.standing_at(REVOKED, d.month_end("2026-05")) == d.REVOKED
    assert d.standing_at(BRIEF, d.month_end("2026-04")) == d.DEREGISTERED
    assert d.STANDING_ZH["not_yet"] == "未成立"


def test_net_growth_is_new_less_ended_and_one_founded_and_ended_in_a_month_nets_to_nothing():
    flows = _flows(EVERYONE)
    assert flows["2026-04"] == d.Flow(new=1, deregistered=1) and flows["2026-04"].net == 0
    assert flows["2026-05"] == d.Flow(revoked=1) and flows["2026-05"].ended == 1 and flows["2026-05"].net == -1
    assert flows["2026-06"] == d.Flow(deregistered=1)  # the revocation before it is not counted as well
    assert "2026-03" in flows and flows["2026-03"].net == 1
    assert d.Flow(3, 1, 1) + d.Flow(1, 0, 2) == d.Flow(4, 1, 3)


def test_the_series_carries_the_active_count_by_net_growth_across_the_year_boundary():
    first, last = "2025-11", "2026-07"
    points = d.series(_active(EVERYONE, "2025-10"), _flows(EVERYONE), first, last)
    assert [p.period for p in points][:4] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert [p.active for p in points] == [_active(EVERYONE, p.period) for p in points]  # the rule, month by month
    by_month = {p.period: p for p in points}
    assert by_month["2025-12"].flow == d.Flow(revoked=1) and by_month["2025-12"].active == by_month["2025-11"].active - 1
    assert by_month["2026-01"].flow == d.Flow(new=1) and by_month["2026-01"].active == by_month["2025-12"].active + 1
    assert by_month["2026-02"].flow == d.Flow()  # a quiet month is in the series too
    assert by_month["2026-04"].active == by_month["2026-03"].active


def test_year_on_year_is_none_without_a_base_not_a_division_by_zero():
    assert d.yoy_pct(12, 10) == 20.0 and d.yoy_pct(9, 12) == -25.0 and d.yoy_pct(1, 3) == -66.7
    assert d.yoy_pct(5, 0) is None and d.yoy_pct(0, 0) is None
    count = d.Count(active=_active(EVERYONE, "2026-06"), active_year_before=_active(EVERYONE, "2025-06"))
    assert (count.active, count.active_year_before) == (3, 4)  # DECEMBER_END and REVOKED gone, FOUNDED and JANUARY come
    assert count.yoy_pct == -25.0
    assert d.Count(active=2).yoy_pct is None


def test_counts_roll_up_by_any_part_of_their_key():
    cells = [(("445202001", "91", "C"), d.Count(3, 2, d.Flow(1, 0, 0))), (("445202001", "92", "F"), d.Count(1, 1, d.Flow(0, 1, 0))),
             (("445202002", "91", "C"), d.Count(4, 0, d.Flow(2, 0, 1)))]
    by_township = d.rollup(cells, 0)
    assert by_township["445202001"] == d.Count(4, 3, d.Flow(1, 1, 0)) and by_township["445202001"].yoy_pct == 33.3
    by_type = d.rollup(cells, 1)
    assert by_type["91"] == d.Count(7, 2, d.Flow(3, 0, 1)) and by_type["91"].flow.net == 2
    assert by_type["92"].flow.net == -1
    assert d.rollup(cells, 2)["C"].yoy_pct == 250.0
    assert d.rollup(cells, 2)["C"] + d.rollup(cells, 2)["F"] == sum((c for _, c in cells), d.Count())
