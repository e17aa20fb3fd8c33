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

__all__ = [
    "BUILT_IN",
    "KINDS",
    "Frequency",
    "PersonalField",
    "PowerAccount",
    "PowerUsage",
    "RecordKind",
    "Registration",
    "RegistrationStatus",
    "TaxPayment",
    "TaxRegistration",
    "registry",
]
