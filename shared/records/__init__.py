"""Record kinds as declared schemas: which department sends them, their fields, their identity.

Ingest validates against a kind's model; downstream services read `RecordImported.payload.data`
back through the same model (typed kinds) or generically (declared kinds).
"""

from shared.records.fields import Frequency, PersonalField
from shared.records.kinds import (
    BUILT_IN,
    NAME_FIELDS,
    PowerAccount,
    PowerUsage,
    RecordKind,
    Registration,
    RegistrationStatus,
    TaxPayment,
    TaxRegistration,
    registry,
)

KINDS = registry()



def _name_field(data: dict) -> str | None:
    return next((f for f in NAME_FIELDS if data.get(f)), None)


def record_name(data: dict) -> str:
    """The business name a record carries (taxpayer, power account holder, …), or ""."""
    field = _name_field(data)
    return str(data[field]) if field else ""


def record_name_hash(data: dict, pii_hashes: dict[str, str]) -> str | None:
    """The keyed hash of the record's name when that name was a person's (masked at import): the
    only form in which it can still be compared with a registered one."""
    field = _name_field(data)
    return pii_hashes.get(field) if field else None

__all__ = [
    "BUILT_IN",
    "KINDS",
    "NAME_FIELDS",
    "Frequency",
    "PersonalField",
    "PowerAccount",
    "PowerUsage",
    "RecordKind",
    "Registration",
    "RegistrationStatus",
    "TaxPayment",
    "TaxRegistration",
    "record_name",
    "record_name_hash",
    "registry",
]
