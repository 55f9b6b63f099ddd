"""The text index of each database backend, made by hand because it differs by database:
PostgreSQL gets GIN indexes on the tsvector and trigram indexes for near matches; SQLite gets an
FTS5 table (unicode61 tokenizer) keyed by product id."""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_entry_vector ON search_entry USING gin (vector)",
    "CREATE INDEX search_entry_name_trgm ON search_entry USING gin (name gin_trgm_ops)",
    "CREATE INDEX search_entry_pinyin_trgm ON search_entry USING gin (name_pinyin gin_trgm_ops)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS search_entry_pinyin_trgm",
    "DROP INDEX IF EXISTS search_entry_name_trgm",
    "DROP INDEX IF EXISTS search_entry_vector",
]
SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, keywords, pinyin, body, tokenize='unicode61')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS search_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_entry")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
