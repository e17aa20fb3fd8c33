from shared.db.migrations import run_env

from services.alerting.storage.tables import metadata

run_env(metadata)
