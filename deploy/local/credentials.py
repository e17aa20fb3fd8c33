"""API keys for a local platform: one per department, per township and for the city supervisor.

Only the hashes go into the services' configuration; the plain keys are written to the run
directory for the person (or test) driving the platform.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.auth import ApiKey, Role, hash_key, new_key
from shared.records import KINDS
from shared.reference import TOWNSHIPS

CITY_CODE = "445200"


@dataclass(frozen=True)
class Credentials:
    departments: dict[str, str]  # department code → key
    townships: dict[str, str]  # township code → key
    supervisor: str  # city-wide, read-only

    @classmethod
    def generate(cls) -> Credentials:
        return cls(
            departments={k.department: new_key() for k in KINDS.values()},
            townships={code: new_key() for code in TOWNSHIPS},
            supervisor=new_key(),
        )

    def api_keys_json(self) -> str:
        """Value of BIZPULSE_API_KEYS."""
        keys = [ApiKey(sha256=hash_key(k), role=Role.DEPARTMENT, code=c) for c, k in self.departments.items()]
        keys += [ApiKey(sha256=hash_key(k), role=Role.TOWNSHIP, code=c) for c, k in self.townships.items()]
        keys.append(ApiKey(sha256=hash_key(self.supervisor), role=Role.SUPERVISOR, code=CITY_CODE))
        return json.dumps([k.model_dump(mode="json") for k in keys])

    def to_json(self) -> str:
        return json.dumps(
            {"departments": self.departments, "townships": self.townships, "supervisor": self.supervisor},
            ensure_ascii=False,
            indent=2,
        )
