#!/bin/sh
# Set up, migrate, load the demo data (once) and serve the marketplace on http://127.0.0.1:8000.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
