from shared.service import main

from services.matcher.app import build

main(build)
