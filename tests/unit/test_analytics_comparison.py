"""公共信息对比分析's arithmetic (services/analytics/domain/comparison.py): shares, coverage and its flag."""

from services.analytics.domain import comparison as c
from services.analytics.domain.overview import MATCH_FAILED, MATCH_OK, MATCH_PENDING

HOME, NEIGHBOUR, FAR = "445202001", "445202002", "445281001"


def test_shares_of_linked_unlinked_and_pending_add_up_and_nothing_is_unknown():
    links = c.Links(linked=6, unlinked=3, pending=1)
    assert links.shares() == {"linked_pct": 60.0, "unlinked_pct": 30.0, "pending_pct": 10.0}
    assert c.Links().shares() == {"linked_pct": None, "unlinked_pct": None, "pending_pct": None}
    assert c.share_pct(1, 3) == 33.3


def test_every_township_of_the_area_is_answered_with_its_departments_records():
    rows, totals = c.comparison(
        registered={HOME: 10, NEIGHBOUR: 4, FAR: 99},
        with_figures=[(HOME, 7, 8), (FAR, 1, 1)],
        records=[(HOME, "tax_payment", MATCH_OK, 7), (HOME, "tax_payment", MATCH_FAILED, 3),
                 (HOME, "power_usage", MATCH_OK, 8), (HOME, "power_account", MATCH_PENDING, 2),
                 (HOME, "registration", MATCH_PENDING, 10),  # not compared: registrations are the entities
                 (NEIGHBOUR, "tax_registration", MATCH_FAILED, 4), (FAR, "tax_payment", MATCH_OK, 1)],
        township_prefix="445202",
    )
    assert FAR not in rows and NEIGHBOUR in rows and "445202003" in rows  # zeros are information too
    home = rows[HOME]
    assert (home.registered, home.with_tax, home.with_power) == (10, 7, 8)
    assert home.department("tax") == c.Links(linked=7, unlinked=3)
    assert home.department("power_supply") == c.Links(linked=8, pending=2)
    assert home.coverage_pct == 75.0  # 15 of 20
    assert rows[NEIGHBOUR].coverage_pct == 0.0
    assert rows["445202003"].coverage_pct is None
    assert (totals.registered, totals.with_tax, totals.department("tax").total) == (14, 7, 14)
    assert totals.coverage_pct == 62.5  # 15 of 24


def test_a_township_is_flagged_only_when_its_records_are_linked_below_the_threshold():
    assert c.low_coverage(79.9, 80.0)
    assert not c.low_coverage(80.0, 80.0)
    assert not c.low_coverage(None, 80.0)  # no records: nothing to distrust
    assert c.entity_pct(12, 10) == 120.0 and c.entity_pct(3, 0) is None
