"""Jieyang's townships and sub-districts (乡镇/街道), and the departments that send data.

Every record carries a township code and alerts are routed by it, so all services validate
against this one list. It is read once from the CSV beside this file, which keeps the data
reviewable by people who do not read Python.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Township:
    code: str  # 9 digits: division code + 3-digit sequence
    name: str
    division_code: str  # county-level division (区/县/县级市), 6 digits
    division_name: str


def _load() -> dict[str, Township]:
    text = files(__name__).joinpath("jieyang_townships.csv").read_text(encoding="utf-8")
    return {
        row["township_code"]: Township(
            row["township_code"], row["township_name"], row["division_code"], row["division_name"]
        )
        for row in csv.DictReader(io.StringIO(text))
    }


TOWNSHIPS: Mapping[str, Township] = MappingProxyType(_load())
DIVISIONS: Mapping[str, str] = MappingProxyType({t.division_code: t.division_name for t in TOWNSHIPS.values()})


def _departments() -> dict[str, str]:
    text = files(__name__).joinpath("departments.csv").read_text(encoding="utf-8")
    return {row["department"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


DEPARTMENT_NAMES: Mapping[str, str] = MappingProxyType(_departments())  # department code → 中文简称 for people


def department_name(department: str) -> str:
    """The department's Chinese name for a page or a message; its code when the list does not know it."""
    return DEPARTMENT_NAMES.get(department, department)


def _entity_types() -> dict[str, str]:
    text = files(__name__).joinpath("entity_types.csv").read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(io.StringIO(text))}


# 市场主体类型 by the USCC's first two characters (GB 32100-2015: 登记管理部门 + 机构类别)
ENTITY_TYPE_NAMES: Mapping[str, str] = MappingProxyType(_entity_types())
UNKNOWN_ENTITY_TYPE = "unknown"


def entity_type(uscc: str | None) -> str:
    """The entity's type from its code; `unknown` for an entity registered without a USCC or a
    category the list does not know (a figure with no type is still counted, under 未知)."""
    kind = (uscc or "")[:2]
    return kind if kind in ENTITY_TYPE_NAMES else UNKNOWN_ENTITY_TYPE


def entity_type_name(code: str) -> str:
    return ENTITY_TYPE_NAMES.get(code, "未知")


def township(code: str) -> Township | None:
    return TOWNSHIPS.get(code)


def is_known_township(code: str) -> bool:
    return code in TOWNSHIPS
