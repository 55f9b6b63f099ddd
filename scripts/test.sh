#!/bin/sh
# Set up with the test tools, lint, and run the whole test suite. Extra arguments go to pytest.
# Uses PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (tests needing them skip
# otherwise, and fail under CI=true).
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh requirements-dev.txt
# Saleor's storefront SDK for tests/saleor_sdk (pinned by its package-lock.json), installed again
# only when the lock file changed; without npm that test skips (and fails under CI=true).
if command -v npm >/dev/null 2>&1; then
    lock=tests/saleor_sdk/package-lock.json
    stamp=tests/saleor_sdk/node_modules/.installed-lock
    if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
        (cd tests/saleor_sdk && npm ci --no-audit --no-fund --loglevel=error)
        cp "$lock" "$stamp"
    fi
fi
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/python -m pytest "$@"
