import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.matcher.domain.names import NormalisedName, normalise_address, normalise_name, normalise_place

BRACKETS = ["（）", "()", "【】", "〔〕", "「」", "『』", "[]", "<>", "《》", "［］", "＜＞", "〈〉"]


def core(raw: str) -> str:
    return normalise_name(raw).core


def test_full_width_and_half_width_give_the_same_name():
    assert normalise_name("ＡＢＣ电子（普宁）有限公司") == normalise_name("ABC电子(普宁)有限公司")
    assert normalise_name("abc电子（普宁）有限公司") == NormalisedName(
        "ABC电子", "普宁", "有限公司", "", "普宁ABC电子有限公司"
    )
    assert core("揭阳市恒发２号塑料厂") == "恒发2号塑料厂"


@pytest.mark.parametrize("pair", BRACKETS)
def test_bracketed_region_counts_as_region_in_every_bracket_kind(pair):
    name = normalise_name(f"恒发{pair[0]}揭阳{pair[1]}塑料有限公司")
    assert (name.core, name.region, name.legal_form) == ("恒发塑料", "揭阳", "有限公司")


@pytest.mark.parametrize("pair", BRACKETS)
def test_bracketed_non_region_stays_in_core_without_brackets(pair):
    assert core(f"揭阳市{pair[0]}恒发{pair[1]}贸易有限公司") == "恒发贸易"


@pytest.mark.parametrize(
    "raw",
    [
        "恒发塑料有限公司",
        "揭阳市恒发塑料有限公司",
        "揭阳恒发塑料有限公司",
        "广东省揭阳市恒发塑料有限公司",
        "广东揭阳恒发塑料有限公司",
        "普宁市恒发塑料有限公司",
        "恒发（揭阳）塑料有限公司",
        "恒发(普宁市)塑料有限公司",
        "恒发（广东揭阳）塑料有限公司",
        "揭阳市 恒发·塑料 有限公司",
        "揭阳市恒发塑料有限责任公司",
    ],
)
def test_region_anywhere_or_nowhere_leaves_the_same_core(raw):
    assert core(raw) == "恒发塑料"


def test_region_prefixes_are_stripped_repeatedly():
    name = normalise_name("广东省揭阳市榕城区仙桥街道恒发五金店")
    assert (name.region, name.core) == ("广东省揭阳市榕城区仙桥街道", "恒发五金店")


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("榕城区恒发塑料有限公司", "榕城区"),
        ("揭东区恒发塑料有限公司", "揭东区"),
        ("揭西县恒发塑料有限公司", "揭西县"),
        ("惠来县恒发塑料有限公司", "惠来县"),
        ("普宁市恒发塑料有限公司", "普宁市"),
        ("榕城恒发塑料有限公司", "榕城"),
        ("揭东恒发塑料有限公司", "揭东"),
        ("揭西恒发塑料有限公司", "揭西"),
        ("惠来恒发塑料有限公司", "惠来"),
        ("普宁恒发塑料有限公司", "普宁"),
        ("棉湖镇恒发塑料有限公司", "棉湖镇"),
        ("揭西县棉湖镇恒发塑料有限公司", "揭西县棉湖镇"),
        ("普宁市后溪乡恒发塑料有限公司", "普宁市后溪乡"),
    ],
)
def test_each_division_and_township_is_a_region(raw, region):
    name = normalise_name(raw)
    assert (name.region, name.core) == (region, "恒发塑料")


def test_market_after_a_city_name_is_not_the_city():
    name = normalise_name("普宁市场服务有限公司")
    assert (name.region, name.core) == ("普宁", "市场服务")


def test_township_without_suffix_counts_only_after_a_region_in_individual_business_names():
    assert core("榕城区新兴阿强五金店") == "阿强五金店"
    assert core("普宁市流沙东恒发商行") == "恒发商行"
    assert core("新兴阿强五金店") == "新兴阿强五金店"  # 新兴 is the trade name here
    assert core("揭阳市新兴塑料有限公司") == "新兴塑料"  # companies carry county-level regions only
    assert core("新兴街道阿强五金店") == "阿强五金店"  # with its suffix it is unambiguous


@pytest.mark.parametrize(
    ("suffix", "canonical"),
    [
        ("有限公司", "有限公司"),
        ("有限责任公司", "有限公司"),
        ("股份有限公司", "股份有限公司"),
        ("股份公司", "股份有限公司"),
        ("股份合作公司", "股份合作公司"),
        ("合伙企业（普通合伙）", "普通合伙企业"),
        ("合伙企业（特殊普通合伙）", "特殊普通合伙企业"),
        ("合伙企业（有限合伙）", "有限合伙企业"),
        ("（有限合伙）", "有限合伙企业"),
        ("合伙企业", "合伙企业"),
        ("个人独资企业", "个人独资企业"),
        ("专业合作社", "农民专业合作社"),
        ("农民专业合作社", "农民专业合作社"),
        ("农民专业合作社联合社", "农民专业合作社联合社"),
        ("（个体工商户）", "个体工商户"),
    ],
)
def test_each_legal_form_is_removed_and_canonical(suffix, canonical):
    name = normalise_name(f"揭西县恒发种养{suffix}")
    assert (name.region, name.core, name.legal_form, name.branch) == ("揭西县", "恒发种养", canonical, "")


def test_bare_company_word_is_the_common_legal_form_but_not_in_branch_markers():
    assert normalise_name("揭阳市恒发贸易公司") == normalise_name("揭阳市恒发贸易有限公司")
    assert normalise_name("恒发公司普宁分公司").branch == "普宁分公司"
    assert core("恒发贸易总公司") == "恒发贸易总公司"


@pytest.mark.parametrize(
    ("raw", "county"),
    [
        ("普宁市恒发塑料有限公司", "445281"),
        ("揭阳市揭东区恒发塑料有限公司", "445203"),
        ("恒发（揭西）塑料有限公司", "445222"),
        ("揭西县棉湖镇恒发塑料有限公司", "445222"),
        ("揭阳市恒发塑料有限公司", ""),
        ("恒发塑料有限公司", ""),
    ],
)
def test_county_is_where_the_region_of_the_name_places_the_business(raw, county):
    assert normalise_name(raw).county == county


def test_short_township_counts_only_in_the_county_named_before_it():
    assert core("榕城区新兴阿强五金店") == "阿强五金店"  # 新兴街道 is in Rongcheng
    assert core("揭东区新兴百货商行") == "新兴百货商行"  # but not in Jiedong: the trade name 新兴


def test_registered_form_of_a_name_without_legal_form_is_individual_business():
    assert normalise_name("揭西县恒发五金店").registered_form == "个体工商户"
    assert normalise_name("揭西县恒发五金店（个体工商户）").registered_form == "个体工商户"
    assert normalise_name("揭西县恒发五金有限公司").registered_form == "有限公司"


def test_group_stays_in_core_as_it_is_not_a_legal_form():
    assert normalise_name("揭阳市恒发集团有限公司").core == "恒发集团"
    assert normalise_name("广东恒发（集团）有限公司").core == "恒发集团"
    assert core("揭阳市恒发集团有限公司") != core("揭阳市恒发有限公司")


@pytest.mark.parametrize("shop", ["五金店", "商行", "经营部", "门市部", "塑料厂", "士多店"])
def test_shop_words_of_individual_businesses_stay_in_core(shop):
    name = normalise_name(f"榕城区阿强{shop}")
    assert (name.core, name.legal_form) == (f"阿强{shop}", "")


@pytest.mark.parametrize(
    ("raw", "branch"),
    [
        ("揭阳市恒发塑料有限公司普宁分公司", "普宁分公司"),
        ("揭阳市恒发塑料有限公司揭阳营业部", "揭阳营业部"),
        ("揭阳市恒发塑料有限公司第一分店", "第一分店"),
        ("揭阳市恒发塑料有限公司普宁第2分店", "普宁第2分店"),
        ("揭阳市恒发塑料有限公司广州办事处", "广州办事处"),
        ("揭阳市恒发塑料有限公司揭东分厂", "揭东分厂"),
        ("揭阳市恒发塑料有限公司华南销售分部", "华南销售分部"),
        ("揭阳市恒发塑料有限公司揭阳经营部", "揭阳经营部"),
        ("揭阳市恒发塑料有限公司（普宁分公司）", "普宁分公司"),
        ("揭陽市恆發塑料有限公司普寧分公司", "普宁分公司"),
    ],
)
def test_branch_is_kept_apart_and_the_core_is_the_head_offices(raw, branch):
    name = normalise_name(raw)
    head = normalise_name("揭阳市恒发塑料有限公司")
    assert name.branch == branch
    assert (name.core, name.region, name.legal_form) == (head.core, head.region, head.legal_form)
    assert name.full != head.full  # a branch is its own entity


def test_branch_without_legal_form_takes_place_names_and_marker_only():
    name = normalise_name("恒发超市普宁第一分店")
    assert (name.core, name.branch) == ("恒发超市", "普宁第一分店")
    assert normalise_name("中国工商银行股份有限公司揭阳榕城支行").branch == "揭阳榕城支行"


def test_traditional_characters_give_the_simplified_name():
    assert normalise_name("揭陽市恆發塑膠有限公司") == normalise_name("揭阳市恒发塑胶有限公司")
    assert core("揭陽市恆發塑膠有限公司") == "恒发塑胶"
    assert core("普寧市陳記五金商行") == "陈记五金商行"


@pytest.mark.parametrize(
    "raw", ["揭阳市有限公司", "普宁市有限公司", "广东省揭阳市有限公司", "揭阳市普宁有限公司", "有限公司", "普宁分公司", "揭阳"]
)
def test_core_never_becomes_shorter_than_two_characters(raw):
    assert len(core(raw)) >= 2


def test_region_only_names_keep_the_region_as_core():
    assert normalise_name("揭阳市有限公司") == NormalisedName("揭阳市", "", "有限公司", "", "揭阳市有限公司")
    assert normalise_name("揭阳市普宁有限公司").core == "普宁"


@pytest.mark.parametrize("raw", ["恒发、塑料有限公司", "恒发-塑料有限公司", "恒发_塑料 有限公司", "“恒发”塑料有限公司", "恒发/塑料＆有限公司"])
def test_punctuation_and_spaces_are_dropped(raw):
    assert normalise_name(raw).full == "恒发塑料有限公司"


def test_ascii_letters_are_upper_cased_and_ampersand_dropped():
    assert core("揭阳市a&b Trading有限公司") == "ABTRADING"


def test_full_is_one_spelling_for_exact_comparisons():
    assert normalise_name("恒发（揭阳）塑料有限公司").full == normalise_name("揭阳恒发塑料有限公司").full
    assert normalise_name("揭阳市恒发塑料有限责任公司").full == "揭阳市恒发塑料有限公司"


NAMES = [
    "揭阳市恒发塑料有限公司普宁分公司",
    "恒发（揭阳）塑料有限公司",
    "新兴阿强五金店（榕城区）",
    "揭陽市恆發塑膠有限公司",
    "揭阳恒发投资合伙企业（有限合伙）",
    "中国工商银行股份有限公司揭阳榕城支行",
    "揭阳市有限公司",
    "A有限公司揭阳分公司",
    "普宁市场服务有限公司",
    "榕城区新兴阿强五金店",
]


@pytest.mark.parametrize("raw", NAMES)
def test_normalising_full_again_gives_the_same_name(raw):
    name = normalise_name(raw)
    assert normalise_name(name.full) == name


_PARTS = st.tuples(
    st.sampled_from(["", "揭阳市", "广东省揭阳市", "普宁", "榕城区新兴", "仙桥街道", "揭陽市"]),
    st.sampled_from(["恒发", "阿强", "新兴", "东升", "abc", "恆發", "Ａ", "普宁"]),
    st.sampled_from(["", "（揭阳）", "【普宁】", "(榕城区新兴)", "「集团」", "〔东升〕"]),
    st.sampled_from(["", "塑料", "五金店", "商行", "贸易", "集团"]),
    st.sampled_from(["", "有限公司", "有限责任公司", "股份有限公司", "合伙企业（有限合伙）", "专业合作社", "（个体工商户）"]),
    st.sampled_from(["", "普宁分公司", "第一分店", "揭阳营业部", "揭东经营部"]),
    st.sampled_from(["", " ", "·", "　"]),
)


@given(_PARTS)
def test_normalising_full_again_gives_the_same_name_for_composed_names(parts):
    *pieces, separator = parts
    name = normalise_name(separator.join(pieces))
    assert normalise_name(name.full) == name
    assert name.core


ALPHABET = "揭阳市普宁榕城区新兴街道恒发有限公司分店第一集团合伙企业（）()【】 ·-Aa1"


@given(st.text(alphabet=ALPHABET, max_size=30))
def test_normalisation_is_stable_for_any_mix_of_the_tricky_characters(raw):
    name = normalise_name(raw)
    assert normalise_name(name.full) == name
    assert name.full == name.region + name.core + name.legal_form + name.branch


@pytest.mark.parametrize(
    "raw",
    [
        "广东省揭阳市榕城区新阳路12号",
        "揭阳市榕城区新阳路１２号",
        "榕城区 新阳路 12#",
        "广东揭阳榕城区新阳路１２＃",
        "揭陽市榕城區新陽路12號",
        "揭阳市榕城区，新阳路12号。",
    ],
)
def test_addresses_of_the_same_place_normalise_alike(raw):
    assert normalise_address(raw) == "榕城区新阳路12号"


def test_address_keeps_what_tells_places_apart():
    assert normalise_address("揭阳大道12－3号") == normalise_address("揭阳大道12—3號") == "揭阳大道12-3号"
    assert normalise_address("揭阳大道12-3号") != normalise_address("揭阳大道123号")
    assert normalise_address("榕城区 X-路 3#楼") == "榕城区X路3号楼"
    assert normalise_address("揭阳市场路5号") == "揭阳市场路5号"
    assert normalise_address("广东省揭阳市") == ""


@pytest.mark.parametrize(
    "raw", ["广东省揭阳市普宁市流沙东街道新阳路12号", "普宁市新阳路１２＃", "流沙东街道新阳路12号", "新阳路12号"]
)
def test_place_is_the_address_within_its_township(raw):
    assert normalise_place(raw) == "新阳路12号"


def test_place_keeps_a_market_road_that_reads_like_a_city():
    assert normalise_place("普宁市场路5号") == "普宁市场路5号"


def test_speed_is_reported():
    names = NAMES * 500
    start = time.perf_counter()
    for raw in names:
        normalise_name(raw)
    elapsed = time.perf_counter() - start
    print(f"\nnormalise_name: {elapsed / len(names) * 1e6:.1f} µs per name")
