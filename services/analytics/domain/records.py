"""部门记录 (#13): the department records behind 公共信息对比分析's counts, by the matcher's verdict.

A record's link state is analytics.records' match_rank (only ever raised): 待匹配 (the matcher has
not judged it), 未关联 (it found no entity: match-failed, which opens a case on the township's
workbench, listed among its 事项 as 待核实记录) or 已关联 (linked to an entity). The list of a month holds what the comparison counts of
it: the department's records of that month and its registers (records without a period).

What identifies an unlinked record: analytics keeps of a record only its id, department, kind,
township, period, version and verdict — not its 户号 / 纳税人识别号 nor its name. Those travel in
match-failed to feedback, whose case (one per source key) shows them; the list says so.
"""

from __future__ import annotations

import enum

from services.analytics.domain.overview import MATCH_FAILED, MATCH_OK, MATCH_PENDING


class LinkState(enum.StrEnum):
    LINKED = "linked"
    UNLINKED = "unlinked"
    PENDING = "pending"


LINK_RANKS = {LinkState.LINKED: MATCH_OK, LinkState.UNLINKED: MATCH_FAILED, LinkState.PENDING: MATCH_PENDING}
LINK_ZH = {LinkState.LINKED: "已关联", LinkState.UNLINKED: "未关联", LinkState.PENDING: "待匹配"}

# what a township can do about a record in each state (the page's explanation and each row's hint)
ACTION_ZH = {
    LinkState.LINKED: "已关联到主体，其数据计入该主体的企业全景。",
    LinkState.UNLINKED: "匹配核查未找到对应主体（户号、纳税人识别号、名称均未对上）：请在工作台「事项」的待核实记录中按户号或纳税人识别号找到它，"
                   "现场核实后关联主体、认定无商事登记、分户或认定非同一主体。核实前，辖区主体“无税”“无电”的数字不可尽信。",
    LinkState.PENDING: "记录已导入，匹配核查尚未判定（通常几分钟内完成）；长时间待匹配请联系平台运维。",
}


def link_of(match_rank: int) -> LinkState:
    """The link state of a record whose verdict is `match_rank`."""
    return next(link for link, rank in LINK_RANKS.items() if rank == match_rank)


def identification_zh(link: LinkState, source_key: str | None) -> str | None:
    """What the list says about who a record is of when its entity does not: nothing while its key is
    known (the row shows it); for a record kept before analytics stored keys (migration 0013, until a
    rebuild), where to find it."""
    if link is LinkState.LINKED or source_key:
        return None
    return "户号、纳税人识别号和名称未存入分析库：见工作台的待核实记录" if link is LinkState.UNLINKED else "尚待匹配核查"
