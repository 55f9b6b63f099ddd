"""The documents gained two fields: `sizes` (variant names) and `weak` (the seller's name and the
English names of category and places, taken out of `keywords`). SQLite's FTS5 table gets the two
columns; its rows are copied over with both empty, so search answers as before until the next
`search_rebuild` fills them. PostgreSQL keeps its columns (the vectors are composed in Python):
`search_rebuild` writes the new weights."""

from django.db import migrations

COPY = "INSERT INTO {new} (rowid, {columns}) SELECT rowid, {values} FROM search_fts"
SQLITE = [
    "CREATE VIRTUAL TABLE search_fts_new USING fts5(title, keywords, sizes, pinyin, body, weak, tokenize='unicode61')",
    COPY.format(
        new="search_fts_new",
        columns="title, keywords, sizes, pinyin, body, weak",
        values="title, keywords, '', pinyin, body, ''",
    ),
    "DROP TABLE search_fts",
    "ALTER TABLE search_fts_new RENAME TO search_fts",
]
SQLITE_REVERSE = [
    "CREATE VIRTUAL TABLE search_fts_old USING fts5(title, keywords, pinyin, body, tokenize='unicode61')",
    COPY.format(
        new="search_fts_old",
        columns="title, keywords, pinyin, body",
        values="title, keywords || ' ' || weak, pinyin, body",
    ),
    "DROP TABLE search_fts",
    "ALTER TABLE search_fts_old RENAME TO search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_pending_sync")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE}), _run({"sqlite": SQLITE_REVERSE})),
    ]
