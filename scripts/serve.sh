#!/bin/sh
# Set up, migrate, load the demo data (once), index it for search and serve the marketplace on http://127.0.0.1:8000.
set -eu
cd "$(dirname "$0")/.."
# A development server: DEBUG on, so the embedded secret key and plain HTTP are allowed (with DEBUG
# off the site needs DJANGO_SECRET_KEY and HTTPS, see the README's Production security).
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
sh scripts/setup.sh
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo
# The search index of a database seeded before search existed (a second to rebuild for the demo).
.venv/bin/python manage.py search_rebuild
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
