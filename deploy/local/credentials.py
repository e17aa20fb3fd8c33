"""Credentials of a local platform: an API key per department, per township and for the city supervisor, and a
Kafka password per principal (each service, township and department: deploy/kafka_access.py).

Only the keys' hashes go into the services' configuration, and each service process gets only its own Kafka
password; everything is written to the run directory's credentials.json (0600) for the person (or test)
driving the platform and for the townships' and departments' own systems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from deploy import kafka_access
from deploy.topics import platform_departments, platform_principals
from shared.auth import ApiKey, Role, hash_key, new_key
from shared.messaging.connection import SCRAM_MECHANISM, KafkaConnection
from shared.reference import TOWNSHIPS

CITY_CODE = "445200"


@dataclass(frozen=True)
class Credentials:
    departments: dict[str, str]  # department code → key
    townships: dict[str, str]  # township code → key
    supervisor: str  # city-wide, read-only
    kafka: dict[str, str]  # Kafka principal → password

    @classmethod
    def generate(cls) -> Credentials:
        return cls(
            departments={d: new_key() for d in platform_departments()},
            townships={code: new_key() for code in TOWNSHIPS},
            supervisor=new_key(),
            kafka={p: kafka_access.new_password() for p in platform_principals()},
        )

    def api_keys_json(self) -> str:
        """Value of BIZPULSE_API_KEYS."""
        keys = [ApiKey(sha256=hash_key(k), role=Role.DEPARTMENT, code=c) for c, k in self.departments.items()]
        keys += [ApiKey(sha256=hash_key(k), role=Role.TOWNSHIP, code=c) for c, k in self.townships.items()]
        keys.append(ApiKey(sha256=hash_key(self.supervisor), role=Role.SUPERVISOR, code=CITY_CODE))
        return json.dumps([k.model_dump(mode="json") for k in keys])

    def to_json(self, kafka_admin: KafkaConnection) -> str:
        def user(connection: KafkaConnection) -> dict[str, str]:
            return {"username": connection.username, "password": connection.password.get_secret_value()}

        def principal(name: str) -> dict[str, str]:
            return user(kafka_admin.as_principal(name, self.kafka[name]))

        kafka = {
            "bootstrap": kafka_admin.bootstrap,
            "security_protocol": kafka_admin.security_protocol,
            "sasl_mechanism": SCRAM_MECHANISM,
            "admin": user(kafka_admin),
            "services": {name: principal(name) for name in kafka_access.service_flows(self.departments)},
            "townships": {code: principal(kafka_access.township_principal(code)) for code in self.townships},
            "departments": {d: principal(kafka_access.department_principal(d)) for d in self.departments},
        }
        return json.dumps(
            {"departments": self.departments, "townships": self.townships, "supervisor": self.supervisor,
             "kafka": kafka},
            ensure_ascii=False,
            indent=2,
        )
