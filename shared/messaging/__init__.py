"""Kafka plumbing shared by every service: codec, unit of work with outbox, consumer, relay."""
