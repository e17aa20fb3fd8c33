"""Field types shared by every record kind: codes, periods, amounts and personal data.

Validators raise ValueError with a stable code as the message; ingest turns that code into a
row error with a Chinese explanation.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from shared import uscc as uscc_code
from shared.reference import is_known_township
from shared.text import StorableText

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
_YEAR = re.compile(r"^\d{4}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class Frequency(enum.StrEnum):
    EVENT = "event"  # registrations and accounts: one record per change, no reporting period
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class PersonalField(enum.StrEnum):
    """How a field holding personal data is desensitised at import."""

    PERSON_NAME = "person_name"
    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    BANK_ACCOUNT = "bank_account"


def _compact(value: object) -> object:
    """Codes as typed by people: full-width characters, spaces and lower case are forgiven."""
    if isinstance(value, str):
        return "".join(unicodedata.normalize("NFKC", value).split()).upper()
    return value


def _empty_to_none(value: object) -> object:
    return None if value == "" else value


def _uscc(value: str) -> str:
    if not uscc_code.is_well_formed(value):
        raise ValueError("uscc_invalid")
    if not uscc_code.is_valid(value):
        raise ValueError("uscc_check_character")
    return value


def _reported_uscc(value: str) -> str:
    """A department's copy of a code: one with a mistyped check character is kept, not refused, so the
    record still counts; the matcher recovers its entity or sends it to the township (invalid_code)."""
    if not uscc_code.is_well_formed(value):
        raise ValueError("uscc_invalid")
    return value


def registration_number_is_valid(number: str) -> bool:
    """The 15-digit business registration number (工商注册号), check digit ISO 7064 MOD 11,10."""
    if len(number) != 15 or not number.isdigit():
        return False
    p = 10
    for ch in number[:14]:
        s = (p + int(ch)) % 10 or 10
        p = (s * 2) % 11
    return (11 - p) % 10 == int(number[14])


def _registration_number(value: str) -> str:
    if not registration_number_is_valid(value):
        raise ValueError("registration_number_invalid")
    return value


def _township(value: str) -> str:
    if not is_known_township(value):
        raise ValueError("township_unknown")
    return value


def _period(pattern: re.Pattern[str]):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError("period_invalid")
        return value

    return check


def resident_id_is_valid(value: str) -> bool:
    """18-character resident ID (GB 11643) with its check character; 15-digit old IDs too."""
    if len(value) == 15:
        return value.isdigit()
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == value[17]


def _resident_id(value: str) -> str:
    if not resident_id_is_valid(value):
        raise ValueError("resident_id_invalid")
    return value


def _mobile(value: str) -> str:
    if not re.fullmatch(r"1[3-9]\d{9}", value):
        raise ValueError("mobile_invalid")
    return value


def _bank_account(value: str) -> str:
    if not re.fullmatch(r"\d{10,30}", value):
        raise ValueError("bank_account_invalid")
    return value


# Text and numbers are bounded where they enter: every later stage (JSON, Kafka's message size,
# PostgreSQL, a township officer's phone) must be able to carry what ingest accepts. The limits
# are part of each kind's contract (docs/record-kinds.md).
NAME_MAX = 200  # a business or a person's name
ADDRESS_MAX = 300
IDENTIFIER_MAX = 40  # a department's own keys: taxpayer id, power account, meter, licence
TEXT_MAX = 500  # any other text, unless a declaration says otherwise
Name = Annotated[StorableText, Field(max_length=NAME_MAX)]
Address = Annotated[StorableText, Field(max_length=ADDRESS_MAX)]
Identifier = Annotated[StorableText, Field(min_length=1, max_length=IDENTIFIER_MAX)]
OptionalIdentifier = Annotated[StorableText, Field(max_length=IDENTIFIER_MAX)]  # "" when not given


def text_of(max_length: int = TEXT_MAX):
    return Annotated[StorableText, Field(max_length=max_length)]


Uscc = Annotated[str, BeforeValidator(_compact), AfterValidator(_uscc)]
OptionalUscc = Annotated[Uscc | None, BeforeValidator(_empty_to_none)]
ReportedUscc = Annotated[str, BeforeValidator(_compact), AfterValidator(_reported_uscc)]
OptionalReportedUscc = Annotated[ReportedUscc | None, BeforeValidator(_empty_to_none)]
RegistrationNumber = Annotated[str, BeforeValidator(_compact), AfterValidator(_registration_number)]
OptionalRegistrationNumber = Annotated[RegistrationNumber | None, BeforeValidator(_empty_to_none)]
TownshipCode = Annotated[str, AfterValidator(_township)]
MonthPeriod = Annotated[str, BeforeValidator(_compact), AfterValidator(_period(_MONTH))]
QuarterPeriod = Annotated[str, BeforeValidator(_compact), AfterValidator(_period(_QUARTER))]
YearPeriod = Annotated[str, BeforeValidator(_compact), AfterValidator(_period(_YEAR))]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
# Where a department's figure may be negative: a tax refund (退税) in real exports.
SignedMoney = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
# The largest integer every JSON reader (JavaScript included) holds exactly.
SAFE_INTEGER = 2**53 - 1
# A declared decimal: as many digits as a decimal(24, 6) column takes; no NaN or infinity.
Quantity = Annotated[Decimal, Field(max_digits=24, decimal_places=6)]
ResidentId = Annotated[str, BeforeValidator(_compact), AfterValidator(_resident_id)]
Mobile = Annotated[str, BeforeValidator(_compact), AfterValidator(_mobile)]
BankAccount = Annotated[str, BeforeValidator(_compact), AfterValidator(_bank_account)]

PERIOD_TYPES = {Frequency.MONTHLY: MonthPeriod, Frequency.QUARTERLY: QuarterPeriod, Frequency.YEARLY: YearPeriod}


def labelled(enum_type: type[enum.StrEnum], labels_zh: dict[str, enum.StrEnum]):
    """An enum field that also accepts the Chinese labels departments' exports use (存续 → active)."""
    return Annotated[
        enum_type,
        BeforeValidator(lambda v: labels_zh.get(v.strip(), v) if isinstance(v, str) else v),
        Field(json_schema_extra={"labels_zh": {label: str(value) for label, value in labels_zh.items()}}),
    ]
