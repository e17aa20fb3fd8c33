"""The process shape every service shares: broker + consumer + outbox relay + HTTP, one lifespan."""

from shared.service.runtime import Publication, Service, ServiceSpec, main

__all__ = ["Publication", "Service", "ServiceSpec", "main"]
