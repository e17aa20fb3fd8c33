from shared.service import main

from services.alerting.app import build

main(build)
