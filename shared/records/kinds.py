"""The record kinds departments submit (DESIGN.md, "data collection"), in one registry.

Registration, tax and power kinds are typed models here because downstream services read their
fields. Every other kind is declared as data (declarations/*.json, see `declared.py`): adding a
department or a kind is a declaration — fields, column titles, desensitisation policy — and no
service code changes.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.records.fields import (
    Address,
    Frequency,
    Identifier,
    Mobile,
    MonthPeriod,
    Money,
    Name,
    OptionalIdentifier,
    SignedMoney,
    OptionalRegistrationNumber,
    OptionalReportedUscc,
    OptionalUscc,
    PersonalField,
    ResidentId,
    TownshipCode,
    BankAccount,
    labelled,
)


class Record(BaseModel):
    """Base of every kind: unknown columns are errors, text is trimmed, records are values."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, allow_inf_nan=False)

    township_code: TownshipCode = Field(title="乡镇（街道）代码", json_schema_extra={"aliases": ["乡镇代码", "街道代码"]})


def _uscc_field() -> Any:
    return Field(default=None, title="统一社会信用代码", json_schema_extra={"aliases": ["信用代码", "社会信用代码"]})


class CodedRecord(Record):
    """Carries the entity's code when the department knows it (as the department typed it: a wrong
    check character is the matcher's to route); the old registration number otherwise."""

    uscc: OptionalReportedUscc = _uscc_field()
    registration_number: OptionalRegistrationNumber = Field(default=None, title="注册号", json_schema_extra={"aliases": ["工商注册号"]})


# --- market regulation ----------------------------------------------------------------------


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"
    DEREGISTERED = "deregistered"
    REVOKED = "revoked"


class RegistrationEvent(enum.StrEnum):
    ESTABLISHMENT = "establishment"
    CHANGE = "change"
    DEREGISTRATION = "deregistration"
    REVOCATION = "revocation"


RegistrationStatusField = labelled(
    RegistrationStatus,
    {"存续": RegistrationStatus.ACTIVE, "在业": RegistrationStatus.ACTIVE, "开业": RegistrationStatus.ACTIVE,
     "注销": RegistrationStatus.DEREGISTERED, "吊销": RegistrationStatus.REVOKED},
)
RegistrationEventField = labelled(
    RegistrationEvent,
    {"设立": RegistrationEvent.ESTABLISHMENT, "变更": RegistrationEvent.CHANGE,
     "注销": RegistrationEvent.DEREGISTRATION, "吊销": RegistrationEvent.REVOCATION},
)


class Registration(CodedRecord):
    """A business registration (商事主体登记): the entity itself, one version per registration event."""

    uscc: OptionalUscc = _uscc_field()  # the registry's own code: its check character must be right
    name: Annotated[Name, Field(min_length=2, title="企业名称", json_schema_extra={"aliases": ["名称", "主体名称"]})]
    former_name: Name | None = Field(default=None, title="曾用名")
    address: Address = Field(default="", title="住所", json_schema_extra={"aliases": ["地址", "经营场所"]})
    industry_code: Annotated[str, Field(pattern=r"^[A-T]?\d{2,4}$")] | None = Field(
        default=None, title="行业代码", json_schema_extra={"aliases": ["国民经济行业代码"]}
    )
    status: RegistrationStatusField = Field(default=RegistrationStatus.ACTIVE, title="登记状态")
    event: RegistrationEventField = Field(default=RegistrationEvent.ESTABLISHMENT, title="登记事项")
    event_date: date | None = Field(default=None, title="登记日期")
    established_on: date | None = Field(default=None, title="成立日期")
    registered_capital: Money | None = Field(default=None, title="注册资本（万元）", json_schema_extra={"aliases": ["注册资本"]})
    legal_representative: Name = Field(default="", title="法定代表人", json_schema_extra={"aliases": ["经营者", "负责人"]})
    legal_representative_id: ResidentId | None = Field(default=None, title="法定代表人身份证号")
    contact_mobile: Mobile | None = Field(default=None, title="联系电话", json_schema_extra={"aliases": ["手机号码"]})

    @model_validator(mode="after")
    def _identified(self) -> Registration:
        if self.uscc is None and self.registration_number is None:
            raise ValueError("entity_code_required")
        return self


# --- tax ------------------------------------------------------------------------------------


class TaxRegistrationStatus(enum.StrEnum):
    NORMAL = "normal"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


TaxRegistrationStatusField = labelled(
    TaxRegistrationStatus,
    {"正常": TaxRegistrationStatus.NORMAL, "非正常": TaxRegistrationStatus.SUSPENDED,
     "停业": TaxRegistrationStatus.SUSPENDED, "注销": TaxRegistrationStatus.CANCELLED},
)


class TaxRegistration(CodedRecord):
    """A taxpayer's registration with the tax office (税务登记)."""

    taxpayer_id: Annotated[Identifier, Field(title="纳税人识别号")]
    taxpayer_name: Name = Field(default="", title="纳税人名称")
    address: Address = Field(default="", title="生产经营地址", json_schema_extra={"aliases": ["地址"]})
    status: TaxRegistrationStatusField = Field(default=TaxRegistrationStatus.NORMAL, title="纳税人状态")
    registered_on: date | None = Field(default=None, title="登记日期")


class _Monthly(CodedRecord):
    period: MonthPeriod = Field(title="所属期", json_schema_extra={"aliases": ["所属月份", "期间"]})


class TaxPayment(_Monthly):
    """Tax paid by one taxpayer in one month; the total and, when known, its parts by tax type.
    A month's amounts may be negative: a refund (退税) larger than what was paid."""

    taxpayer_id: Annotated[Identifier, Field(title="纳税人识别号")]
    taxpayer_name: Name = Field(default="", title="纳税人名称")
    amount: SignedMoney = Field(title="实缴税额（元）", json_schema_extra={"aliases": ["实缴税额", "税额", "纳税额"]})
    vat: SignedMoney | None = Field(default=None, title="增值税")
    corporate_income_tax: SignedMoney | None = Field(default=None, title="企业所得税")
    individual_income_tax: SignedMoney | None = Field(default=None, title="个人所得税")
    other_taxes: SignedMoney | None = Field(default=None, title="其他税费")

    @model_validator(mode="after")
    def _parts_add_up(self) -> TaxPayment:
        parts = [p for p in (self.vat, self.corporate_income_tax, self.individual_income_tax, self.other_taxes) if p is not None]
        if parts and len(parts) == 4 and sum(parts, Decimal(0)) != self.amount:
            raise ValueError("amounts_inconsistent")
        return self


# --- power supply ---------------------------------------------------------------------------


class UsageClass(enum.StrEnum):
    INDUSTRIAL = "industrial"
    COMMERCIAL = "commercial"
    RESIDENTIAL = "residential"
    AGRICULTURAL = "agricultural"
    OTHER = "other"


UsageClassField = labelled(
    UsageClass,
    {"工业": UsageClass.INDUSTRIAL, "大工业": UsageClass.INDUSTRIAL, "一般工商业": UsageClass.COMMERCIAL,
     "商业": UsageClass.COMMERCIAL, "居民": UsageClass.RESIDENTIAL, "农业": UsageClass.AGRICULTURAL,
     "农业生产": UsageClass.AGRICULTURAL, "其他": UsageClass.OTHER},
)


class PowerAccount(CodedRecord):
    """A power account (用电户) and its meter, as the power supply company registers it."""

    power_account: Annotated[Identifier, Field(title="用电户号", json_schema_extra={"aliases": ["户号"]})]
    meter_number: OptionalIdentifier = Field(default="", title="电表编号", json_schema_extra={"aliases": ["表号"]})
    account_name: Name = Field(default="", title="户名", json_schema_extra={"aliases": ["用电户名称"]})
    address: Address = Field(default="", title="用电地址", json_schema_extra={"aliases": ["地址"]})
    usage_class: UsageClassField = Field(default=UsageClass.OTHER, title="用电类别")
    holder_mobile: Mobile | None = Field(default=None, title="联系电话")
    bank_account: BankAccount | None = Field(default=None, title="代扣银行账号", json_schema_extra={"aliases": ["银行账号"]})


class PowerUsage(_Monthly):
    """Electricity used on one power account (meter) in one month."""

    power_account: Annotated[Identifier, Field(title="用电户号", json_schema_extra={"aliases": ["户号"]})]
    meter_number: OptionalIdentifier = Field(default="", title="电表编号", json_schema_extra={"aliases": ["表号"]})
    account_name: Name = Field(default="", title="户名", json_schema_extra={"aliases": ["用电户名称"]})
    # a month of the largest plant is ~10^9 kWh; far beyond that is a typo, not a measurement
    kwh: Annotated[float, Field(ge=0, le=1e12, title="用电量（千瓦时）", json_schema_extra={"aliases": ["用电量", "电量"]})]


# --- the registry ---------------------------------------------------------------------------


# where a record names the business it is about, in the order they are tried
NAME_FIELDS = ("taxpayer_name", "account_name", "entity_name", "name")
_CODE_FIELDS = frozenset({"township_code", "uscc", "registration_number", "period"})


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_is_text(a) for a in typing.get_args(annotation) if a is not type(None))
    return False


def _entity_key(record: Any) -> str:
    return record.uscc or f"reg:{record.registration_number}"


@dataclass(frozen=True)
class RecordKind:
    """Declaration of one kind: the contract between a department and the platform."""

    name: str
    department: str
    title_zh: str
    model: type[Record]
    frequency: Frequency
    source_key: Callable[[Any], str]  # identifies the real-world thing within the department
    personal_fields: Mapping[str, PersonalField] = field(default_factory=dict)

    @functools.cached_property
    def text_fields(self) -> tuple[str, ...]:
        """Free text (names, addresses, a department's own keys) that is not declared personal: where
        personal values nobody declared can hide. Codes, periods, enums, numbers and dates cannot."""
        return tuple(
            name for name, info in self.model.model_fields.items()
            if _is_text(info.annotation) and name not in self.personal_fields and name not in _CODE_FIELDS
        )

    @functools.cached_property
    def name_fields(self) -> tuple[str, ...]:
        """The fields naming the business or the account holder: a person's name there is personal."""
        return tuple(f for f in (*NAME_FIELDS, "former_name") if f in self.text_fields)

    def read(self, data: Mapping[str, Any]) -> Record:
        """A published record (`record-imported` data) as a model. Personal fields were masked at
        import, so their validators would refuse them: they are left out (they stay in `data`);
        everything else is validated again, so a malformed event is caught as such."""
        return self.model.model_validate({k: v for k, v in data.items() if k not in self.personal_fields})

    def period(self, record: Any) -> str | None:
        return None if self.frequency is Frequency.EVENT else record.period

    def columns(self) -> dict[str, str]:
        """Accepted spreadsheet headers (field name, Chinese title, aliases) → field name."""
        out: dict[str, str] = {}
        for name, info in self.model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            for header in (name, info.title, *extra.get("aliases", ())):
                if header:
                    out[header] = name
        return out


BUILT_IN = (
    RecordKind("registration", "market_regulation", "商事主体登记", Registration, Frequency.EVENT, _entity_key,
               {"legal_representative": PersonalField.PERSON_NAME,
                "legal_representative_id": PersonalField.RESIDENT_ID,
                "contact_mobile": PersonalField.MOBILE}),
    RecordKind("tax_registration", "tax", "税务登记", TaxRegistration, Frequency.EVENT, lambda r: r.taxpayer_id),
    RecordKind("tax_payment", "tax", "月度纳税", TaxPayment, Frequency.MONTHLY, lambda r: r.taxpayer_id),
    RecordKind("power_account", "power_supply", "用电户档案", PowerAccount, Frequency.EVENT, lambda r: r.power_account,
               {"holder_mobile": PersonalField.MOBILE, "bank_account": PersonalField.BANK_ACCOUNT}),
    RecordKind("power_usage", "power_supply", "月度用电", PowerUsage, Frequency.MONTHLY, lambda r: r.power_account),
)

DECLARATIONS = Path(__file__).with_name("declarations")


def registry(extra_declarations: Path | None = None) -> dict[str, RecordKind]:
    """Built-in kinds, the declared ones shipped in declarations/, and any in `extra_declarations`."""
    from shared.records.declared import load_declarations

    kinds = {k.name: k for k in BUILT_IN}
    for source in (DECLARATIONS, extra_declarations):
        for declared in load_declarations(source) if source else ():
            if declared.name in kinds:
                raise ValueError(f"record kind {declared.name!r} is declared twice")
            kinds[declared.name] = declared
    return kinds


