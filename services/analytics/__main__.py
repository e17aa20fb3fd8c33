from shared.service import main

from services.analytics.app import build

if __name__ == "__main__":  # not when a worker process (shared/workbooks.py) imports it as its parent's main module
    main(build)
