"""Record kinds as declared schemas: which department sends them, their fields, their identity.

Adding a department or a kind is one `RecordKind` entry here; ingest validates against the
model, and downstream services read `RecordImported.payload.data` back through the same model.
"""

from shared.records.kinds import (
    KINDS,
    Frequency,
    PersonalField,
    PowerUsage,
    RecordKind,
    Registration,
    RegistrationStatus,
    TaxPayment,
    kind,
)

__all__ = [
    "KINDS",
    "Frequency",
    "PersonalField",
    "PowerUsage",
    "RecordKind",
    "Registration",
    "RegistrationStatus",
    "TaxPayment",
    "kind",
]
