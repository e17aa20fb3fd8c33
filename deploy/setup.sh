#!/usr/bin/env bash
# Everything a fresh machine needs before `make up` or `make test`: Python deps in .venv,
# Java 17+ and Maven (to fetch and run Kafka), the Kafka jars in the user cache, and chromium
# with a Chinese font for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "bizpulse needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

java_ok() { command -v java >/dev/null && java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); exit !(v[1] >= 17)}'; }
if ! java_ok || ! command -v mvn >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Java 17 and Maven (apt-get)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  else
    echo "bizpulse runs Kafka locally and needs Java 17+ and Maven: install them, e.g." >&2
    echo "  sudo apt-get install openjdk-17-jre-headless maven" >&2
    exit 1
  fi
fi

# Pages for people are tested in a real browser: Debian's chromium, driven by Playwright (its own
# browser downloads need the internet), and a font with Chinese glyphs for it to render them.
if ! command -v chromium >/dev/null || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing chromium and a Chinese font for the browser tests (apt-get)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
  else  # `make up` runs without them; `make test` fails its browser tests
    echo "setup: the browser tests need chromium and a Chinese font: install them, e.g." >&2
    echo "  sudo apt-get install chromium fonts-wqy-microhei" >&2
  fi
fi

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python dependencies into .venv…"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi

.venv/bin/python -c 'from deploy.local.infra import ensure_kafka_libs; ensure_kafka_libs()'
