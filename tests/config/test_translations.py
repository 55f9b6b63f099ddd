"""zh-hans is shipped: every message is translated, and the compiled catalogue matches the source."""

import ast
import gettext
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def po_entries():
    """(msgid, msgstr) pairs of the .po file, the header left out."""
    text = PO.read_text(encoding="utf-8")
    pattern = r'^msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n)+)'
    for msgid, msgstr in re.findall(pattern, text, flags=re.M):
        key = "".join(ast.literal_eval(line) for line in msgid.splitlines())
        if key:
            yield key, "".join(ast.literal_eval(line) for line in msgstr.splitlines())


def test_every_message_has_a_chinese_translation():
    entries = list(po_entries())
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert not untranslated
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8").split("\n\n", 2)[-1]


def test_compiled_catalogue_matches_the_source():
    with open(PO.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr in po_entries() if compiled.gettext(msgid) != msgstr]
    assert not stale, "run `manage.py compilemessages`"
