"""What the PostgreSQL benchmarks share: a database of their own on the server they are given,
and percentiles of their samples."""

import os
from urllib.parse import urlsplit, urlunsplit


def server_admin_url(server_url: str) -> str:
    """The server's `postgres` database, as psycopg names it (postgresql://)."""
    parts = urlsplit(server_url)
    scheme = parts.scheme.replace("postgres", "postgresql", 1) if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, "/postgres", "", ""))


def point_django_at_fresh_database(server_url: str, name: str) -> None:
    """Re-create database `name` on the server; Django's DATABASE_URL then names it."""
    import psycopg

    with psycopg.connect(server_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
