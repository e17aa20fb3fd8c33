"""部门记录 (#13): a record's link state from the matcher's verdict, the filter's verdict, and what
the list can say about an unlinked or pending record (domain/records.py)."""

import pytest

from services.analytics.domain import records as r
from services.analytics.domain.overview import MATCH_FAILED, MATCH_OK, MATCH_PENDING


@pytest.mark.parametrize(("rank", "link", "zh"), [
    (MATCH_PENDING, r.LinkState.PENDING, "待匹配"), (MATCH_FAILED, r.LinkState.UNLINKED, "未关联"), (MATCH_OK, r.LinkState.LINKED, "已关联"),
])
def test_a_verdict_is_a_link_state_and_the_filter_asks_for_that_verdict(rank, link, zh):
    assert r.link_of(rank) is link
    assert r.LINK_RANKS[link] == rank
    assert r.LINK_ZH[link] == zh


def test_every_state_says_what_the_township_can_do_and_an_unlinked_record_points_to_the_workbench():
    assert set(r.ACTION_ZH) == set(r.LinkState) == set(r.LINK_ZH)
    assert "工作台" in r.ACTION_ZH[r.LinkState.UNLINKED] and "待核实记录" in r.ACTION_ZH[r.LinkState.UNLINKED]
    assert r.identification_zh(r.LinkState.LINKED, None) is None  # its entity says who it is
    for link in (r.LinkState.UNLINKED, r.LinkState.PENDING):  # the row shows its 户号 and name
        assert r.identification_zh(link, "0412345678") is None
    # kept before analytics stored keys: where to find who it is
    assert "待核实记录" in r.identification_zh(r.LinkState.UNLINKED, None)
    assert r.identification_zh(r.LinkState.PENDING, None) == "尚待匹配核查"
