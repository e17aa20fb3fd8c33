from shared.db.migrations import run_env

from services.matcher.storage.tables import metadata

run_env(metadata)
