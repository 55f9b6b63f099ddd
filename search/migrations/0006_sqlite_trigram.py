"""SQLite's near matches: an FTS5 table of trigrams over each name and its pinyin, from which the
names to measure against a mistyped word are taken (PostgreSQL has pg_trgm's indexes for this)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_trigram USING fts5(name, name_pinyin, tokenize='trigram')",
    "INSERT INTO search_trigram (rowid, name, name_pinyin) SELECT product_id, name, name_pinyin FROM search_entry",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS search_trigram"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0005_document_fields")]

    operations = [migrations.RunPython(_run(SQLITE), _run(SQLITE_REVERSE))]
