"""The registry index and the link/review/no-match decision on its candidates.

The index is given a tiny stand-in normaliser, so these tests pin the index's own behaviour
(blocking, scoring, bookkeeping) independently of the real name rules in `names.py`.
"""

import random
import re
import statistics
import time
import tracemalloc
from dataclasses import dataclass

import pytest

from services.matcher.domain.decision import Outcome, Thresholds, decide
from services.matcher.domain.index import Candidate, EntityIndex, RegisteredEntity
from shared.reference import TOWNSHIPS


@dataclass(frozen=True)
class _Name:
    core: str
    region: str
    legal_form: str
    branch: str
    full: str
    county: str
    registered_form: str


_NAME = re.compile(r"(?P<region>揭阳市|揭西县)?(?P<core>.*?)(?P<form>股份有限公司|有限公司)?(?P<branch>[\u4e00-\u9fff]{2,4}分公司)?")
_COUNTY = {"揭西县": "445222"}


def stand_in_name(raw: str) -> _Name:
    m = _NAME.fullmatch(raw.strip())
    region, form = m["region"] or "", m["form"] or ""
    return _Name(m["core"], region, form, m["branch"] or "", raw.strip(), _COUNTY.get(region, ""), form)


def stand_in_address(raw: str) -> str:
    return re.sub(r"\s|广东省|揭阳市", "", raw)


RONGCHENG, RONGCHENG_2, PUNING, JIEXI = "445202001", "445202002", "445281100", "445222001"


def entity(name, uscc=None, reg=None, address="榕城区进贤门大道1号", township=RONGCHENG, former=()):
    return RegisteredEntity(uscc, reg, name, address, township, "active", tuple(former))


@pytest.fixture
def index():
    return EntityIndex(stand_in_name, stand_in_address)


def test_exact_lookups_follow_upserts_and_removals(index):
    index.upsert(entity("揭阳市华兴电子有限公司", reg="445200000012345"))
    assert index.by_registration_number("445200000012345").name == "揭阳市华兴电子有限公司"
    assert index.by_uscc("91445200MA0000001X") is None

    # the same registration, now with a USCC, replaces rather than duplicates
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="91445200MA0000001X", reg="445200000012345"))
    assert len(index) == 1
    assert index.by_uscc("91445200MA0000001X") is index.by_registration_number("445200000012345")

    index.remove("91445200MA0000001X")
    index.remove("91445200MA0000001X")  # a replayed removal is harmless
    assert len(index) == 0
    assert index.by_registration_number("445200000012345") is None
    assert index.candidates("揭阳市华兴电子有限公司") == []


def test_codes_held_by_two_entries_merge_into_the_upserted_one(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="U1"))
    index.upsert(entity("揭阳市华兴电子有限公司", reg="R1"))
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="U1", reg="R1"))
    assert len(index) == 1 and index.by_uscc("U1") is index.by_registration_number("R1")
    assert len(index.candidates("揭阳市华兴电子有限公司")) == 1


def test_entity_without_any_code_is_refused(index):
    with pytest.raises(ValueError):
        index.upsert(entity("揭阳市华兴电子有限公司"))


def test_rename_moves_postings_and_former_names_still_find_the_entity(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="U1"))
    index.upsert(entity("揭阳市鸿达塑料有限公司", uscc="U1"))
    assert index.candidates("揭阳市华兴电子有限公司") == []
    assert [c.entity.uscc for c in index.candidates("揭阳市鸿达塑料有限公司")] == ["U1"]

    index.upsert(entity("揭阳市鸿达塑料有限公司", uscc="U1", former=["揭阳市华兴电子有限公司"]))
    (found,) = index.candidates("揭阳市华兴电子有限公司")
    assert found.entity.uscc == "U1" and found.explanation["name"] == 1.0
    assert len(index) == 1


def test_freed_ids_are_reused_without_leaking_old_postings(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="U1"))
    index.remove("U1")
    index.upsert(entity("揭阳市鸿达塑料有限公司", uscc="U2"))
    assert index.candidates("揭阳市华兴电子有限公司") == []
    assert index.by_uscc("U2").name == "揭阳市鸿达塑料有限公司"


def test_typo_in_name_still_ranks_the_right_entity_first(index):
    for n, name in enumerate(["华兴电子", "华星塑料", "兴华电器", "华兴五金", "振华电子", "华兴电子科技"]):
        index.upsert(entity(f"揭阳市{name}有限公司", uscc=f"U{n}", address=f"榕城区进贤门大道{n}号"))
    best, *_ = index.candidates("揭阳市华星电子有限公司", "广东省揭阳市榕城区进贤门大道0号", RONGCHENG)
    assert best.entity.uscc == "U0"
    assert set(best.explanation) >= {"name", "address", "township", "branch"}
    assert 0 <= best.score <= 1


def test_branch_record_prefers_the_branch_and_never_the_head_office(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="HEAD"))
    index.upsert(entity("揭阳市华兴电子有限公司普宁分公司", uscc="BRANCH"))
    thresholds = Thresholds()

    branch, head = index.candidates("揭阳市华兴电子有限公司普宁分公司", township_code=RONGCHENG)
    assert branch.entity.uscc == "BRANCH" and decide([branch, head], thresholds)[0] is Outcome.AUTO_LINK
    assert head.explanation["branch"] == 0.0 and head.score < thresholds.review

    head, branch = index.candidates("揭阳市华兴电子有限公司", township_code=RONGCHENG)
    assert head.entity.uscc == "HEAD" and branch.score < thresholds.review


def test_same_name_in_different_townships_is_separated_by_township(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="RC", township=RONGCHENG))
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="PN", township=PUNING))
    thresholds = Thresholds()

    here = index.candidates("揭阳市华兴电子有限公司", township_code=PUNING)
    assert [c.entity.uscc for c in here] == ["PN", "RC"]
    assert decide(here, thresholds) == (Outcome.AUTO_LINK, "confident")

    nearby = index.candidates("揭阳市华兴电子有限公司", township_code=RONGCHENG_2)
    assert nearby[0].entity.uscc == "RC" and nearby[0].explanation["township"] == 0.5


def test_different_legal_form_costs_a_little(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="A"))
    (found,) = index.candidates("揭阳市华兴电子股份有限公司", township_code=RONGCHENG)
    assert found.explanation["legal_form"] == 0.0
    assert Thresholds().review < found.score < 1.0


def test_swapped_characters_keep_a_blocking_key(index):
    index.upsert(entity("揭阳市旺昌贸易有限公司", uscc="TRUTH", township=RONGCHENG_2))
    others = [a + b for a in "宏盛兴华鑫达信恒泰源" for b in "富永嘉丰德利祥隆"]
    for n, trade_name in enumerate(others):  # more than the shortlist, sharing only the common 贸易
        index.upsert(entity(f"揭阳市{trade_name}贸易有限公司", uscc=f"U{n}", township=PUNING))
    best, *_ = index.candidates("揭阳市昌旺贸易有限公司", township_code=RONGCHENG)
    assert best.entity.uscc == "TRUTH"


def test_the_records_own_township_is_searched_past_the_shortlist(index):
    index.upsert(entity("揭阳市华兴电器有限公司", uscc="TRUTH", township=RONGCHENG))
    suffixes = "厂店行部社坊铺馆站所城园场楼轩阁堂居苑庄院室库仓廊厅台港湾岛峰岭山川河湖海江溪泉林森村镇乡街路巷门桥塔"
    for n, suffix in enumerate(suffixes):  # more than the shortlist, each sharing more keys than the truth
        index.upsert(entity(f"揭阳市华兴电子{suffix}有限公司", uscc=f"U{n}", township=PUNING))
    assert len(suffixes) > 50
    best, *_ = index.candidates("揭阳市华兴电子有限公司", township_code=RONGCHENG)
    assert best.entity.uscc == "TRUTH"


def test_a_slip_in_the_trade_name_needs_the_address_behind_it(index):
    index.upsert(entity("揭阳市宏盛塑料制品有限公司", uscc="A", address="榕城区进贤门大道72号"))
    thresholds = Thresholds()

    def outcome(name, address=""):
        return decide(index.candidates(name, address, RONGCHENG), thresholds)[0]

    assert outcome("揭阳市宏盛塑制品有限公司") is Outcome.AUTO_LINK  # the trade name is intact
    assert outcome("揭阳市宏达塑料制品有限公司") is Outcome.REVIEW  # 宏达 may be another business
    assert outcome("揭阳市宏达塑料制品有限公司", "广东省揭阳市榕城区进贤门大道72号") is Outcome.AUTO_LINK
    assert outcome("揭阳市宏达塑料制品有限公司", "榕城区进贤门大道2号") is not Outcome.AUTO_LINK  # another house


def test_slips_of_typing_chinese_link_in_the_township(index):
    """A homophone the pinyin input method offered, or two characters swapped, is a clerk's slip far
    more often than another business; a character of another sound is not (see the test above)."""
    index.upsert(entity("揭阳市宏盛塑料制品有限公司", uscc="A", address="榕城区进贤门大道72号"))

    def outcome(name, township_code=RONGCHENG):
        return decide(index.candidates(name, "", township_code), Thresholds())[0]

    assert outcome("揭阳市鸿盛塑料制品有限公司") is Outcome.AUTO_LINK  # hong = hong
    assert outcome("揭阳市宏胜塑料制品有限公司") is Outcome.AUTO_LINK  # sheng = sheng
    assert outcome("揭阳市盛宏塑料制品有限公司") is Outcome.AUTO_LINK  # swapped
    assert outcome("揭阳市鸿盛塑料制品有限公司", JIEXI) is not Outcome.AUTO_LINK  # but not from another county


def test_a_name_placing_the_business_in_another_county_is_not_linked(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="A"))  # in Rongcheng
    (found,) = index.candidates("揭西县华兴电子有限公司", township_code=JIEXI)
    assert found.explanation["region"] == 0.0
    assert decide([found], Thresholds())[0] is Outcome.NO_MATCH


def test_indistinguishable_pair_is_ambiguous(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="A"))
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="B"))
    candidates = index.candidates("揭阳市华兴电子有限公司", "榕城区进贤门大道1号", RONGCHENG)
    assert candidates[0].explanation == candidates[1].explanation
    assert candidates[0].score == candidates[1].score < 0.5  # they split the odds, with "neither" keeping a little
    assert decide(candidates, Thresholds()) == (Outcome.REVIEW, "ambiguous")


def test_unknown_name_has_no_candidate(index):
    index.upsert(entity("揭阳市华兴电子有限公司", uscc="A"))
    assert index.candidates("揭阳市鸿达塑料有限公司", township_code=RONGCHENG) == []
    assert decide([], Thresholds()) == (Outcome.NO_MATCH, "no_candidate")


def _candidates(*scores):
    return [Candidate(entity(f"公司{n}", uscc=f"U{n}"), s, {"name": s}) for n, s in enumerate(scores)]


@pytest.mark.parametrize(
    ("scores", "thresholds", "expected"),
    [
        ((0.95,), Thresholds(), (Outcome.AUTO_LINK, "confident")),
        ((0.95, 0.80), Thresholds(), (Outcome.AUTO_LINK, "confident")),
        ((0.80, 0.95), Thresholds(), (Outcome.AUTO_LINK, "confident")),  # order of input does not matter
        ((0.95, 0.92), Thresholds(), (Outcome.REVIEW, "ambiguous")),
        ((0.85,), Thresholds(), (Outcome.REVIEW, "low_confidence")),
        ((0.74,), Thresholds(), (Outcome.NO_MATCH, "low_confidence")),
        ((0.40, 0.30), Thresholds(), (Outcome.NO_MATCH, "low_confidence")),
        ((0.48, 0.46), Thresholds(), (Outcome.REVIEW, "ambiguous")),  # together likely, apart undecidable
        ((0.85,), Thresholds(auto_link=0.85, review=0.5), (Outcome.AUTO_LINK, "confident")),
        ((0.95, 0.92), Thresholds(margin=0.02), (Outcome.AUTO_LINK, "confident")),
        ((0.74,), Thresholds(review=0.7), (Outcome.REVIEW, "low_confidence")),
    ],
)
def test_decision_respects_thresholds(scores, thresholds, expected):
    assert decide(_candidates(*scores), thresholds) == expected


def test_inconsistent_thresholds_are_refused():
    with pytest.raises(ValueError):
        Thresholds(auto_link=0.7, review=0.8)


# ---- performance report (loose asserts only: run with -s to see the numbers) ----

_TRADE_CHARS = (
    "华兴鸿达宏泰金源盛昌隆顺丰恒信荣发永利嘉俊德明新广东南海龙凤祥瑞天宝安富强亿万佳和美雅"
    "致远宇辉光耀中国建成立志豪杰锦绣春秋山水林森江河湖潭洋晨星月日阳城乡村镇街巷里坊园区"
)
_TRADES = (
    "电子 塑料 五金 服装 食品 贸易 科技 实业 建材 纺织 陶瓷 不锈钢制品 玩具 鞋业 印刷 包装 药业 物流 "
    "餐饮 酒店 房地产开发 汽车维修 农业发展 水产养殖 家具 灯饰 化工 机械设备 文化传媒 信息技术"
).split()


def _synthetic_entities(n, rng):
    townships = sorted(TOWNSHIPS)
    for k in range(n):
        trade_name = "".join(rng.choices(_TRADE_CHARS, k=rng.choice((2, 2, 3, 4))))
        name = f"揭阳市{trade_name}{rng.choice(_TRADES)}有限公司"
        if k % 20 == 0:
            name += "普宁分公司"
        address = f"揭阳市榕城区{rng.choice(_TRADE_CHARS)}{rng.choice(_TRADE_CHARS)}路{rng.randint(1, 999)}号"
        yield RegisteredEntity(f"U{k:017d}", f"R{k:014d}", name, address, rng.choice(townships), "active")


def _typo(name, rng):
    core = stand_in_name(name).core
    i = rng.randrange(len(core))
    return name.replace(core, core[:i] + rng.choice(_TRADE_CHARS) + core[i + 1 :], 1)


def test_performance_report_100k_entities():
    rng = random.Random(7)
    n = 100_000
    entities = list(_synthetic_entities(n, rng))

    started = time.perf_counter()
    index = EntityIndex(stand_in_name, stand_in_address)
    for e in entities:
        index.upsert(e)
    build_s = time.perf_counter() - started

    # Memory is measured on a second build: tracemalloc slows allocation and would inflate build time.
    del index
    tracemalloc.start()
    index = EntityIndex(stand_in_name, stand_in_address)
    for e in entities:
        index.upsert(e)
    index_bytes, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    queries = [rng.choice(entities) for _ in range(1_000)]
    latencies, hits = [], 0
    for e in queries:
        t0 = time.perf_counter()
        found = index.candidates(_typo(e.name, rng), e.address, e.township_code)
        latencies.append(time.perf_counter() - t0)
        hits += bool(found) and found[0].entity is e
    latencies.sort()
    p50, p99 = statistics.median(latencies) * 1e3, latencies[int(len(latencies) * 0.99)] * 1e3

    print(
        f"\n[matcher index, {n:,} entities] build {build_s:.2f} s, index memory {index_bytes / 2**20:.0f} MiB "
        f"(entities themselves excluded), candidates() p50 {p50:.2f} ms p99 {p99:.2f} ms, "
        f"one-typo query ranks the true entity first in {hits / len(queries):.0%}"
    )
    assert len(index) == n
    assert p50 < 20 and p99 < 200
    assert hits / len(queries) > 0.8
