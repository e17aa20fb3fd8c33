from shared.service import main

from services.analytics.app import build

main(build)
