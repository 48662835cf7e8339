"""English is a complete second locale: every Chinese message has an English translation."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def test_every_message_has_an_english_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_the_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    # Keyed by context and msgid: pgettext("micro-portal", "手机取号") is another message.
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if (e.msgctxt, e.msgid) not in compiled
        or (e.msgstr and compiled[(e.msgctxt, e.msgid)][0] != e.msgstr)
    ]
    assert stale == [], f"django.mo is out of date ({len(stale)}): run make messages"


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
    po = polib.pofile(str(LOCALE / "django.po"))
    broken = [
        e.msgid
        for e in po.translated_entries()
        if not e.msgid_plural
        and sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(e.msgstr))
    ]
    assert broken == []


def test_chinese_is_the_default_and_english_switches():
    with translation.override("en"):
        assert translation.gettext("材料清单") != "材料清单"
    with translation.override("zh-hans"):
        assert translation.gettext("材料清单") == "材料清单"
