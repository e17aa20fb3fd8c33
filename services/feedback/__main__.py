from shared.service import main

from services.feedback.app import build

main(build)
