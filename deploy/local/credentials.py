"""Credentials of a local platform: an API key per department, per township and for the city supervisor, a
Kafka password per principal (each service, township and department: deploy/kafka_access.py), and the demo
people who log in to the pages (DEMO_PEOPLE, all with DEMO_PASSWORD: for demos and tests only).

Only the keys' hashes go into the services' configuration, and each service process gets only its own Kafka
password; everything is written to the run directory's credentials.json (0600) for the person (or test)
driving the platform and for the townships' and departments' own systems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from deploy import kafka_access
from deploy.topics import platform_departments, platform_principals
from shared.accounts import Account, hash_password
from shared.auth import ApiKey, Role, hash_key, new_key
from shared.messaging.connection import SCRAM_MECHANISM, KafkaConnection
from shared.reference import TOWNSHIPS

CITY_CODE = "445200"
DEMO_PASSWORD = "bizpulse-demo"  # known to anyone who reads this: never configure these people on a real platform


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: Role
    code: str
    leads_township: bool = False


# two townships of one county (an officer and a lead each), the county's supervisor and the city's
DEMO_PEOPLE = (
    DemoPerson("zhangwei", "张伟", Role.TOWNSHIP, "445202001"),
    DemoPerson("lina", "李娜", Role.TOWNSHIP, "445202001", leads_township=True),
    DemoPerson("wangfang", "王芳", Role.TOWNSHIP, "445202002"),
    DemoPerson("liuyang", "刘洋", Role.TOWNSHIP, "445202002", leads_township=True),
    DemoPerson("chenjing", "陈静", Role.SUPERVISOR, "445202"),
    DemoPerson("zhaolei", "赵磊", Role.SUPERVISOR, CITY_CODE),
)


@dataclass(frozen=True)
class Credentials:
    departments: dict[str, str]  # department code → key
    townships: dict[str, str]  # township code → key
    supervisor: str  # city-wide, read-only
    kafka: dict[str, str]  # Kafka principal → password
    accounts: list[Account]  # DEMO_PEOPLE, with DEMO_PASSWORD's hash

    @classmethod
    def generate(cls) -> Credentials:
        return cls(
            departments={d: new_key() for d in platform_departments()},
            townships={code: new_key() for code in TOWNSHIPS},
            supervisor=new_key(),
            kafka={p: kafka_access.new_password() for p in platform_principals()},
            accounts=[
                Account(**vars(person), password_hash=hash_password(DEMO_PASSWORD)) for person in DEMO_PEOPLE
            ],
        )

    def api_keys_json(self) -> str:
        """Value of BIZPULSE_API_KEYS."""
        keys = [ApiKey(sha256=hash_key(k), role=Role.DEPARTMENT, code=c) for c, k in self.departments.items()]
        keys += [ApiKey(sha256=hash_key(k), role=Role.TOWNSHIP, code=c) for c, k in self.townships.items()]
        keys.append(ApiKey(sha256=hash_key(self.supervisor), role=Role.SUPERVISOR, code=CITY_CODE))
        return json.dumps([k.model_dump(mode="json") for k in keys])

    def accounts_json(self) -> str:
        """Value of BIZPULSE_ACCOUNTS."""
        return json.dumps([a.model_dump(mode="json") for a in self.accounts], ensure_ascii=False)

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
             "kafka": kafka,
             "people": [{"username": a.username, "display_name": a.display_name, "role": a.role, "code": a.code,
                         "password": DEMO_PASSWORD} for a in self.accounts]},
            ensure_ascii=False,
            indent=2,
        )
