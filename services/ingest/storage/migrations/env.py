from shared.db.migrations import run_env

from services.ingest.storage.tables import metadata

run_env(metadata)
