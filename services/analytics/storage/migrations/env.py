from shared.db.migrations import run_env

from services.analytics.storage.tables import metadata

run_env(metadata)
