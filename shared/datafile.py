"""Data files a city tunes (rule sets, disposition lists): YAML validated by a pydantic model and
refused precisely when wrong.

A refusal names the file, the line and the field ("ruleset.yaml:42: rules[3].params.min_kwh: 应为数字
(…)"), because the person editing the file is an analyst, not the developer: pydantic's error
locations are mapped back to the YAML nodes they came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)
REPOSITORY = Path(__file__).resolve().parents[1]


class DataFileError(ValueError):
    def __init__(self, file: str, line: int, field: str, reason: str) -> None:
        self.file, self.line, self.field, self.reason = file, line, field, reason
        super().__init__(f"{file}:{line}: {field}: {reason}" if field else f"{file}:{line}: {reason}")


def parse_yaml(
    text: str, name: str, model: type[Model],
    inconsistencies: Callable[[Model], Iterator[tuple[Loc, str]]] = lambda _: iter(()),
    error: type[DataFileError] = DataFileError,
) -> Model:
    """`model` from YAML text, or `error` at the first wrong line: syntax, a key given twice, a field
    the model refuses, or what `inconsistencies` finds across fields (ids used twice, …)."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise error(name, mark.line + 1 if mark else 1, "", f"YAML 语法错误：{e.problem or e}") from None
    errors = list(_duplicate_keys(root)) if root is not None else []
    if not errors:
        try:
            document = model.model_validate(data)
        except ValidationError as e:
            errors = [_located(root, _loc(err), _reason(err)) for err in e.errors()]
        else:
            errors = [_located(root, loc, reason) for loc, reason in inconsistencies(document)]
    if errors:
        raise error(name, *min(errors, key=lambda e: e[0]))
    return document


def display(path: Path) -> str:
    """The path as the repository names it when the file is in it, else as given."""
    try:
        return str(path.resolve().relative_to(REPOSITORY))
    except ValueError:
        return str(path)


_REASONS = {
    "extra_forbidden": "未知字段",
    "missing": "缺少必填字段",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不对",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为映射",
    "model_type": "应为映射",
    "model_attributes_type": "应为映射",
    "union_tag_not_found": "缺少规则 id",
    "literal_error": "取值不在允许范围内",
    "greater_than": "取值过小",
    "greater_than_equal": "取值过小",
    "less_than": "取值过大",
    "less_than_equal": "取值过大",
}


def _loc(err: Any) -> Loc:
    """Where an error is: an unknown rule id is its `id` field's fault, not the whole entry's."""
    return (*err["loc"], "id") if err["type"] == "union_tag_invalid" else tuple(err["loc"])


def _reason(err: Any) -> str:
    if err["type"] == "value_error":
        return str(err["ctx"]["error"])
    if err["type"] == "union_tag_invalid":
        return f"未知规则 {err['ctx']['tag']}（规则目录中没有）"
    zh = _REASONS.get(err["type"], "取值无效")
    return f"{zh} ({err['msg']})"


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _walk(root: yaml.Node, loc: Loc) -> Iterator[tuple[str | int, yaml.Node | None]]:
    """The located nodes along an error location; a discriminator tag (the rule's id, which pydantic
    inserts after the list index) is skipped, a key absent from the file ends the walk."""
    node: yaml.Node | None = root
    for part in loc:
        if node is None:
            return
        if _child(node, part) is None and getattr(_child(node, "id"), "value", None) == part:
            continue
        node = _child(node, part)
        yield part, node


def _located(root: yaml.Node | None, loc: Loc, reason: str) -> tuple[int, str, str]:
    """(line, field path, reason): the line of the deepest node the location reaches — for a
    missing field, the mapping that lacks it."""
    line, parts = 1, list(loc)
    if root is not None:
        line, parts = root.start_mark.line + 1, []
        for part, node in _walk(root, loc):
            parts.append(part)
            if node is not None:
                line = node.start_mark.line + 1
    return line, _field_path(parts), reason


def _field_path(parts: list[str | int] | Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def _duplicate_keys(node: yaml.Node, loc: Loc = ()) -> Iterator[tuple[int, str, str]]:
    """PyYAML keeps the last of two equal keys silently; a rule file with two `min_kwh` is a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if key.value in seen:
                yield key.start_mark.line + 1, _field_path((*loc, key.value)), f"键 {key.value} 重复"
            seen.add(key.value)
            yield from _duplicate_keys(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            yield from _duplicate_keys(value, (*loc, i))
