"""Record kinds declared as data (数据扩展): a JSON file per department, no code.

    {"name": "commerce_indicator", "department": "commerce", "title_zh": "商务指标",
     "frequency": "monthly" | "quarterly" | "yearly" | "event",
     "source_key": ["uscc", "registration_number", "indicator"],
     "fields": [{"name": "value", "type": "decimal", "title_zh": "指标值", "required": true,
                 "min": 0, "aliases": ["数值"], "personal": "person_name"}, ...]}

Every declared kind also has `township_code`, `uscc` and `registration_number` (so the matcher
can link it), and `period` in the format of its frequency. Field types: text (at most
"max_length" characters, 500 unless declared), integer (within ±(2^53 − 1)), decimal (at most 24
digits, 6 after the point), date, enum (with "values"), mobile, resident_id, bank_account.
A decimal or integer may be negative unless the declaration sets "min".
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.records.fields import (
    PERIOD_TYPES,
    TEXT_MAX,
    SAFE_INTEGER,
    BankAccount,
    Frequency,
    Mobile,
    PersonalField,
    Quantity,
    ResidentId,
    text_of,
)
from shared.records.kinds import CodedRecord, RecordKind

_TYPES: dict[str, Any] = {
    "integer": int,  # within ±SAFE_INTEGER, and the declared min/max (see to_kind)
    "decimal": Quantity,
    "date": date,
    "mobile": Mobile,
    "resident_id": ResidentId,
    "bank_account": BankAccount,
}


class FieldDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    type: Literal["text", "integer", "decimal", "date", "enum", "mobile", "resident_id", "bank_account"]
    title_zh: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: Annotated[int, Field(ge=1, le=10_000)] = TEXT_MAX
    values: list[str] = []
    aliases: list[str] = []
    personal: PersonalField | None = None


class KindDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    department: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title_zh: str
    frequency: Frequency
    source_key: list[str] = Field(min_length=1)
    fields: list[FieldDeclaration]

    def to_kind(self) -> RecordKind:
        definitions: dict[str, Any] = {}
        if self.frequency is not Frequency.EVENT:
            definitions["period"] = (PERIOD_TYPES[self.frequency], Field(title="所属期", json_schema_extra={"aliases": ["期间"]}))
        for f in self.fields:
            annotation = (
                Literal[tuple(f.values)] if f.type == "enum"  # type: ignore[misc]
                else text_of(f.max_length) if f.type == "text"
                else _TYPES[f.type]
            )
            constraints = {k: v for k, v in (("ge", f.min), ("le", f.max)) if v is not None}
            if f.type == "integer":
                constraints = {"ge": max(f.min, -SAFE_INTEGER) if f.min is not None else -SAFE_INTEGER,
                               "le": min(f.max, SAFE_INTEGER) if f.max is not None else SAFE_INTEGER}
            info = {"title": f.title_zh, "json_schema_extra": {"aliases": f.aliases}, **constraints}
            definitions[f.name] = (annotation, Field(**info)) if f.required else (annotation | None, Field(None, **info))
        model = create_model(f"Declared_{self.name}", __base__=CodedRecord, **definitions)
        known = set(model.model_fields)
        if missing := [k for k in self.source_key if k not in known]:
            raise ValueError(f"{self.name}: source_key names unknown fields {missing}")
        keys = tuple(self.source_key)
        return RecordKind(
            name=self.name,
            department=self.department,
            title_zh=self.title_zh,
            model=model,
            frequency=self.frequency,
            source_key=lambda record: "|".join(str(getattr(record, k) or "") for k in keys),
            personal_fields={f.name: f.personal for f in self.fields if f.personal},
        )


def load_declarations(source: Path) -> list[RecordKind]:
    """Every *.json declaration in a folder (or one file); a bad declaration fails loudly at start."""
    files = sorted(source.glob("*.json")) if source.is_dir() else [source]
    kinds = []
    for path in files:
        try:
            kinds.append(KindDeclaration.model_validate_json(path.read_bytes()).to_kind())
        except (ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"invalid record kind declaration {path}: {exc}") from exc
    return kinds
