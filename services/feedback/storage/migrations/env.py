from shared.db.migrations import run_env

from services.feedback.storage.tables import metadata

run_env(metadata)
