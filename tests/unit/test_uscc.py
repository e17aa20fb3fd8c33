import pytest

from shared import uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_codes_are_valid(code):
    assert uscc.is_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341M",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100I000100Y43",  # I is not in the alphabet
        "91350100o000100Y43",  # lower case is normalised before, not accepted here
        "",
    ],
)
def test_invalid_codes_are_rejected(code):
    assert not uscc.is_valid(code)


def test_normalise_strips_spaces_and_upper_cases():
    assert uscc.normalise(" 91350100m000100y43\u3000") == "91350100M000100Y43"


def test_build_gives_valid_codes_for_every_entity_type():
    for entity_type in "123":
        code = uscc.build("9", entity_type, "445202", "MA4W1234")
        assert uscc.is_valid(code)
        assert code[2:8] == "445202"


def test_single_character_change_is_detected():
    code = "91350100M000100Y43"
    for i in range(17):
        for ch in uscc.ALPHABET:
            if ch != code[i]:
                assert not uscc.is_valid(code[:i] + ch + code[i + 1 :])


def test_a_code_one_slip_from_a_valid_one_finds_it_among_its_near_valid_codes():
    code = "91350100M000100Y43"
    for i in range(18):
        for ch in uscc.ALPHABET.replace(code[i], ""):
            slipped = code[:i] + ch + code[i + 1 :]
            near = uscc.near_valid_codes(slipped)
            assert code in near and all(uscc.is_valid(n) for n in near)
    for swapped in ("91351000M000100Y43", "91350100M000100Y34"):  # the check character can be swapped too
        assert not uscc.is_valid(swapped) and code in uscc.near_valid_codes(swapped)


def test_the_entity_type_is_read_from_the_codes_first_two_characters():
    from shared.reference import entity_type, entity_type_name

    enterprise = uscc.build("9", "1", "445202", "MA4UXK3P")
    household = uscc.build("9", "2", "445202", "MA4UXK3P")
    assert (entity_type(enterprise), entity_type_name(entity_type(enterprise))) == ("91", "企业")
    assert (entity_type(household), entity_type_name(entity_type(household))) == ("92", "个体工商户")
    # registered without a USCC, or a category the list does not know: counted, under 未知
    assert entity_type(None) == entity_type("Y1445202MA4UXK3P0") == "unknown"
    assert entity_type_name("unknown") == "未知"
