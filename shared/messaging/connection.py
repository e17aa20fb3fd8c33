"""How a Kafka client reaches the broker and who it authenticates as, for every client library used here.

The broker takes only authenticated clients (SASL/SCRAM-SHA-512; TLS too in docker-compose) and each
principal may do only what deploy/kafka_access.py grants it. One KafkaConnection gives the settings of
each client: the FastStream broker and aiokafka clients (`aiokafka()`, `faststream_security()`) and
librdkafka, i.e. the outbox producer and the admin tooling (`librdkafka()`).
"""

from __future__ import annotations

import dataclasses
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from faststream.security import BaseSecurity, SASLScram512
from pydantic import SecretStr

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SCRAM_MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None  # SASL_SSL: the CA that signed the broker's certificate (else the system's)

    def __post_init__(self) -> None:
        if self.sasl and not (self.username and self.password and self.password.get_secret_value()):
            raise ValueError(f"Kafka security protocol {self.security_protocol} needs a username and a password")
        if self.ca_file is not None and self.security_protocol != "SASL_SSL":
            raise ValueError("a Kafka CA file is only used with security protocol SASL_SSL")

    @property
    def servers(self) -> list[str]:
        """Each address of `bootstrap` ("host:port,host:port": every broker of a cluster, so that one down does not
        keep a client from the others). FastStream passes a string on to aiokafka as one address: give it this."""
        return [address.strip() for address in self.bootstrap.split(",") if address.strip()]

    @property
    def sasl(self) -> bool:
        return self.security_protocol != "PLAINTEXT"

    def as_principal(self, username: str, password: str) -> KafkaConnection:
        """The same broker, authenticating as another principal (a service, a township, a department)."""
        return dataclasses.replace(self, username=username, password=SecretStr(password))

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.security_protocol != "SASL_SSL":
            return None
        return ssl.create_default_context(cafile=self.ca_file)

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaConsumer, AIOKafkaProducer and AIOKafkaAdminClient."""
        kwargs: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.security_protocol}
        if self.sasl:
            kwargs |= {
                "sasl_mechanism": SCRAM_MECHANISM,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password.get_secret_value(),
                "ssl_context": self.ssl_context(),
            }
        return kwargs

    def faststream_security(self) -> BaseSecurity | None:
        """The `security` of a FastStream KafkaBroker (it also shows in the AsyncAPI document)."""
        if not self.sasl:
            return None
        return SASLScram512(self.username, self.password.get_secret_value(), ssl_context=self.ssl_context())

    def librdkafka(self) -> dict[str, Any]:
        """Configuration entries for confluent-kafka's Producer and AdminClient."""
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap, "security.protocol": self.security_protocol}
        if self.sasl:
            config |= {
                "sasl.mechanism": SCRAM_MECHANISM,
                "sasl.username": self.username,
                "sasl.password": self.password.get_secret_value(),
            }
        if self.ca_file is not None:
            config["ssl.ca.location"] = str(self.ca_file)
        return config
