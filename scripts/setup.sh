#!/bin/sh
# Create .venv and install the pinned dependencies. Idempotent: pip runs again only when a
# requirements file changed since the last install.
#   sh scripts/setup.sh                 runtime dependencies
#   sh scripts/setup.sh requirements-dev.txt   plus the test tools
set -eu
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 11), "Shanhuo needs Python 3.11, found " + sys.version' 
stamp=".venv/.installed-$(basename "$requirements")"
digest=$(cat requirements*.txt | .venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$requirements"
    echo "$digest" > "$stamp"
fi
.venv/bin/python manage.py collectstatic --noinput -v0
