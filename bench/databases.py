"""What the PostgreSQL benchmarks share: a database of their own on the server they are given,
and percentiles of their samples."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def server_admin_url(server_url: str) -> str:
    """The server's `postgres` database, as psycopg names it (postgresql://)."""
    parts = urlsplit(server_url)
    scheme = parts.scheme.replace("postgres", "postgresql", 1) if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, "/postgres", "", ""))


def set_up_django_on_fresh_database(name: str, media_root: str) -> str:
    """Django on a fresh database `name` of the PostgreSQL server in DATABASE_URL, with tasks run
    in-process and the offline payment method only (no Redis, no gateway calls); returns the
    server's URL, to drop the database with at the end. Exits when DATABASE_URL is not PostgreSQL."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "This benchmark needs PostgreSQL (row locks under real concurrency; SQLite serialises writers). "
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
        )
    for variable in ("REDIS_URL", "CELERY_BROKER_URL", "STRIPE_SECRET_KEY"):
        os.environ.pop(variable, None)
    point_django_at_fresh_database(server, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", media_root)
    import django

    django.setup()
    return server


def point_django_at_fresh_database(server_url: str, name: str) -> None:
    """Re-create database `name` on the server; Django's DATABASE_URL then names it."""
    import psycopg

    with psycopg.connect(server_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def reusable_database(server_url: str, name: str, reuse: bool) -> tuple[str, bool]:
    """The URL of database `name` on the server, and whether it must be migrated and seeded: with
    `reuse` an existing one is kept, otherwise it is re-created empty."""
    import psycopg

    with psycopg.connect(server_admin_url(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), not (reuse and exists)


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
