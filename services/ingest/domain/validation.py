"""Row validation against a kind's declared schema, with one error per field: row, field, code, 中文说明."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from shared import uscc
from shared.records import RecordKind
from shared.text import UNSTORABLE_CODE, UNSTORABLE_MESSAGE_ZH, printable

MESSAGES_ZH = {
    "required": "必填字段缺失",
    "entity_code_required": "统一社会信用代码与注册号至少填写一项",
    "registration_number_invalid": "注册号无效（应为15位数字且校验位正确）",
    "resident_id_invalid": "身份证号码无效（应为18位且校验码正确）",
    "mobile_invalid": "手机号码无效（应为11位，以1开头）",
    "bank_account_invalid": "银行账号无效（应为10至30位数字）",
    "amounts_inconsistent": "各税种税额之和与实缴税额不一致",
    "value_not_allowed": "取值不在允许范围内",
    "too_large": "数值超出允许范围",
    "uscc_invalid": "统一社会信用代码无效（应为18位，字符集不含 I、O、Z、S、V）",
    "uscc_check_character": "统一社会信用代码校验位错误（商事登记的代码须校验正确）",
    "deadline_unknown": "本所属期的报送截止日暂无法判定（尚无该年度国务院节假日安排）：本行已接收，及时性待日历补充后评定",
    "uscc_check_character_kept": "统一社会信用代码校验位错误：本行已接收，对应主体由比对确定或交乡镇（街道）核实，请在源数据中更正",
    "township_unknown": "乡镇（街道）代码不在本市乡镇代码表中",
    "period_invalid": "所属期格式不正确（月度为 YYYY-MM，季度为 YYYY-Qn，年度为 YYYY）",
    "negative": "数值不能为负数",
    "too_small": "数值低于允许范围",
    "not_a_number": "应为数字",
    "number_not_finite": "数值无效（不能为无穷大或 NaN）",
    "too_many_digits": "数值位数或小数位数超出范围",
    "format_invalid": "格式不正确",
    "too_short": "内容过短",
    "too_long": "内容过长",
    UNSTORABLE_CODE: UNSTORABLE_MESSAGE_ZH,
    "unknown_field": "不属于该数据类型的字段",
    "not_an_object": "每一行应为一个 JSON 对象",
    "invalid": "字段值无效",
}

_PYDANTIC_CODES = {
    "missing": "required",
    "decimal_parsing": "not_a_number",
    "float_parsing": "not_a_number",
    "float_type": "not_a_number",
    "decimal_type": "not_a_number",
    "decimal_max_digits": "too_many_digits",
    "decimal_max_places": "too_many_digits",
    "decimal_whole_digits": "too_many_digits",
    "string_pattern_mismatch": "format_invalid",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "string_unicode": UNSTORABLE_CODE,
    "finite_number": "number_not_finite",
    "less_than": "too_large",
    "greater_than": "too_small",
    "extra_forbidden": "unknown_field",
    "int_parsing": "not_a_number",
    "int_type": "not_a_number",
    "int_from_float": "not_a_number",
    "less_than_equal": "too_large",
    "date_from_datetime_parsing": "format_invalid",
    "date_from_datetime_inexact": "format_invalid",
    "date_parsing": "format_invalid",
    "date_type": "format_invalid",
    "string_type": "format_invalid",
    "enum": "value_not_allowed",
    "literal_error": "value_not_allowed",
}


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based position in the submission, as the sender counts rows
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class ValidRow:
    row: int
    record: BaseModel


def validate_rows(
    kind: RecordKind, rows: Sequence[Any], row_numbers: Sequence[int] | None = None
) -> tuple[list[ValidRow], list[RowError]]:
    """`row_numbers`: how the sender counts its rows (a file's line numbers); 1, 2, … by default."""
    numbers = row_numbers or range(1, len(rows) + 1)
    try:  # most batches are clean: validated in one pass of pydantic-core
        return [ValidRow(n, r) for n, r in zip(numbers, _batch_of(kind.model).validate_python(rows))], []
    except ValidationError:
        pass
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    for row_number, row in zip(numbers, rows):
        if not isinstance(row, dict):
            errors.append(_error(row_number, "", "not_an_object"))
            continue
        try:
            valid.append(ValidRow(row_number, kind.model.model_validate(row)))
        except ValidationError as exc:
            errors += _row_errors(row_number, exc)
    return valid, errors


def warnings_of(valid: Sequence[ValidRow]) -> list[RowError]:
    """Accepted rows the department should still correct at the source: a USCC failing its check
    character is kept for the matcher (see `shared.records.fields`), and said so here."""
    return [
        _error(v.row, "uscc", "uscc_check_character_kept")
        for v in valid
        if (code := getattr(v.record, "uscc", None)) and not uscc.is_valid(code)
    ]


def period_warning(row: int, period: str) -> RowError:
    """An accepted row whose period's deadline cannot be judged yet (see Intake)."""
    return RowError(row, "period", "deadline_unknown", f"{period}：{MESSAGES_ZH['deadline_unknown']}")


@functools.cache
def _batch_of(model: type[BaseModel]) -> TypeAdapter:
    return TypeAdapter(list[model])


def _row_errors(row: int, exc: ValidationError) -> Sequence[RowError]:
    # a model-level rule (loc empty) concerns the row as a whole: field ""; a column name is the
    # sender's text and is echoed only in a form every reply can encode
    return [_error(row, printable(".".join(map(str, e["loc"]))), _code(e)) for e in exc.errors()]


def _code(error: Any) -> str:
    if error["type"] == "value_error":
        reason = str(error.get("ctx", {}).get("error", ""))
        return reason if reason in MESSAGES_ZH else "invalid"
    if error["type"] == "greater_than_equal":  # most bounds are "not negative"; a declared one may be another
        return "negative" if error.get("ctx", {}).get("ge") == 0 else "too_small"
    return _PYDANTIC_CODES.get(error["type"], "invalid")


def _error(row: int, field: str, code: str) -> RowError:
    return RowError(row, field, code, MESSAGES_ZH[code])
