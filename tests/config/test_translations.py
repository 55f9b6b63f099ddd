"""zh-hans is shipped: every message is translated, and the compiled catalogue matches the source."""

import ast
import gettext
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def po_entries():
    """(msgid, msgstr) pairs of the .po file, the header left out. An entry with a context
    (pgettext) has the key gettext gives it: "context\x04msgid"."""
    text = PO.read_text(encoding="utf-8")
    pattern = (
        r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n)+)'
    )
    for context, msgid, msgstr in re.findall(pattern, text, flags=re.M):
        key = "".join(ast.literal_eval(line) for line in msgid.splitlines())
        if context:
            key = "".join(ast.literal_eval(line) for line in context.splitlines()) + CONTEXT + key
        if key:
            yield key, "".join(ast.literal_eval(line) for line in msgstr.splitlines())


CONTEXT = "\x04"  # between a message's context and its text, as gettext stores them


def lookup(catalogue, key: str) -> str:
    return catalogue.pgettext(*key.split(CONTEXT)) if CONTEXT in key else catalogue.gettext(key)


def test_every_message_has_a_chinese_translation():
    entries = list(po_entries())
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert not untranslated
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8").split("\n\n", 2)[-1]


def test_compiled_catalogue_matches_the_source():
    with open(PO.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr in po_entries() if lookup(compiled, msgid) != msgstr]
    assert not stale, "run `manage.py compilemessages`"


def filled(text: str, values: dict) -> str | None:
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return None


def test_our_words_replace_djangos_jargon_in_chinese():
    """core.django_messages: each is still one of Django's own messages (an upgrade that rewords one
    shows here), and with Chinese active our catalogue's words win over Django's."""
    import django
    from django import forms
    from django.utils import translation

    from core import django_messages

    with open(Path(django.__file__).parent / "conf/locale/zh_Hans/LC_MESSAGES/django.mo", "rb") as handle:
        djangos = gettext.GNUTranslations(handle)
    ours = dict(po_entries())
    with translation.override("zh-hans"):
        for msgid in django_messages.MESSAGES:
            assert djangos.gettext(msgid) != msgid, f"not one of Django's messages: {msgid}"
            assert translation.gettext(msgid) == ours[msgid] != djangos.gettext(msgid)
        values = {"limit_value": 1, "show_value": 7, "max": 1, "length": 7, "num": 1}  # 1: the singular
        for message in django_messages.PLURAL_MESSAGES:
            with translation.override(None):
                english = message % values
            (singular,) = [msgid for msgid in ours if filled(msgid, values) == english]
            assert djangos.gettext(singular) != singular, f"not one of Django's messages: {singular}"
            assert message % values == ours[singular] % values != djangos.gettext(singular) % values

        assert forms.IntegerField().error_messages["required"] == "请填写这一项。"
        assert str(forms.IntegerField().error_messages["invalid"]) == "只填数字，像 20 这样。"
        for text in map(str, forms.CharField().error_messages.values()):
            assert "字段" not in text


def test_no_chinese_text_uses_the_words_the_glossary_retired():
    """docs/glossary.md: one word for one idea, no database words for farmers."""
    retired = [
        "认证",
        "核对",
        "覆盖",
        "商店",
        "村庄",
        "账户",
        "千克",
        "kg",
        "字段",
        "控制字符",
        "整数",
        "支付",
        "运营人员",
        "图片",
    ]
    # The providers' own names keep their word: 微信支付 and 支付宝 (docs/glossary.md).
    names = ("微信支付", "支付宝")

    def plain(text):
        for name in names:
            text = text.replace(name, "")
        return text

    found = {msgid: msgstr for msgid, msgstr in po_entries() for word in retired if word in plain(msgstr)}
    assert not found
