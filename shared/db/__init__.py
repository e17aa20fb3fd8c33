"""PostgreSQL plumbing shared by the services: engine, outbox/inbox tables, migrations."""
