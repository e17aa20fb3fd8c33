"""Record kinds as declared schemas: which department sends them, their fields, their identity.

Ingest validates against a kind's model; downstream services read `RecordImported.payload.data`
back through the same model (typed kinds) or generically (declared kinds).
"""

from shared.records.fields import Frequency, PersonalField
from shared.records.kinds import (
    BUILT_IN,
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

# where a record names the business it is about, in the order they are tried
NAME_FIELDS = ("taxpayer_name", "account_name", "entity_name", "name")


def record_name(data: dict) -> str:
    """The business name a record carries (taxpayer, power account holder, …), or ""."""
    return next((str(data[f]) for f in NAME_FIELDS if data.get(f)), "")

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
    "registry",
]
