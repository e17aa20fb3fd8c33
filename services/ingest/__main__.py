from shared.service import main

from services.ingest.app import build

main(build)
