"""The record kinds departments submit (see DESIGN.md, "data collection")."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared import uscc as uscc_code
from shared.reference import is_known_township

_PERIOD_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Frequency(enum.StrEnum):
    EVENT = "event"  # registrations: one record per change, no reporting period
    MONTHLY = "monthly"


class RegistrationStatus(enum.StrEnum):
    ACTIVE = "active"
    DEREGISTERED = "deregistered"
    REVOKED = "revoked"


class PersonalField(enum.StrEnum):
    """How a field holding personal data is desensitised at import."""

    PERSON_NAME = "person_name"


def _check_uscc(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    code = uscc_code.normalise(value)
    if not uscc_code.is_valid(code):
        raise ValueError("uscc_invalid")
    return code


def _check_township(value: str) -> str:
    if not is_known_township(value):
        raise ValueError("township_unknown")
    return value


def _check_period(value: str) -> str:
    if not _PERIOD_MONTH.match(value):
        raise ValueError("period_invalid")
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    township_code: str

    _township = field_validator("township_code")(_check_township)


class Registration(_Record):
    """A business registration (market regulation): the entity itself."""

    uscc: str
    name: Annotated[str, Field(min_length=2, max_length=200)]
    address: str = ""
    industry_code: Annotated[str, Field(pattern=r"^[A-T]?\d{2,4}$")] | None = None  # GB/T 4754
    status: RegistrationStatus = RegistrationStatus.ACTIVE
    established_on: date | None = None
    legal_representative: str = ""

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, v: str) -> str:
        code = _check_uscc(v)
        if code is None:
            raise ValueError("uscc_required")
        return code


class _MonthlyRecord(_Record):
    """A department's figure for one month, tied to an entity by its code when the department knows it."""

    uscc: str | None = None
    period: str

    _uscc = field_validator("uscc")(_check_uscc)
    _period = field_validator("period")(_check_period)


class TaxPayment(_MonthlyRecord):
    """Tax paid by one taxpayer in one month (tax department)."""

    taxpayer_id: Annotated[str, Field(min_length=1, max_length=40)]
    taxpayer_name: str = ""
    amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]


class PowerUsage(_MonthlyRecord):
    """Electricity used on one power account (meter) in one month (power supply)."""

    power_account: Annotated[str, Field(min_length=1, max_length=40)]
    account_name: str = ""
    kwh: Annotated[float, Field(ge=0)]


@dataclass(frozen=True)
class RecordKind:
    """Declaration of one kind: the contract between a department and the platform."""

    name: str
    department: str
    model: type[_Record]
    source_key_field: str  # identifies the real-world thing within the department
    frequency: Frequency
    personal_fields: dict[str, PersonalField]
    title_zh: str

    def source_key(self, record: BaseModel) -> str:
        return str(getattr(record, self.source_key_field))

    def period(self, record: BaseModel) -> str | None:
        return getattr(record, "period", None) if self.frequency is not Frequency.EVENT else None


KINDS: dict[str, RecordKind] = {
    k.name: k
    for k in (
        RecordKind(
            name="registration",
            department="market_regulation",
            model=Registration,
            source_key_field="uscc",
            frequency=Frequency.EVENT,
            personal_fields={"legal_representative": PersonalField.PERSON_NAME},
            title_zh="商事主体登记",
        ),
        RecordKind(
            name="tax_payment",
            department="tax",
            model=TaxPayment,
            source_key_field="taxpayer_id",
            frequency=Frequency.MONTHLY,
            personal_fields={},
            title_zh="月度纳税",
        ),
        RecordKind(
            name="power_usage",
            department="power_supply",
            model=PowerUsage,
            source_key_field="power_account",
            frequency=Frequency.MONTHLY,
            personal_fields={},
            title_zh="月度用电",
        ),
    )
}


def kind(name: str) -> RecordKind:
    return KINDS[name]
