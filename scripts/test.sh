#!/bin/sh
# Set up with the test tools, lint, and run the whole test suite. Extra arguments go to pytest.
# Uses PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (tests needing them skip
# otherwise, and fail under CI=true).
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh requirements-dev.txt
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/python -m pytest "$@"
