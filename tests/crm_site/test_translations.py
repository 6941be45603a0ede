"""Every catalogue is complete (no untranslated or fuzzy entry) and its .mo is compiled from the .po."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

SKIP_DIRS = {"node_modules", ".venv", "var", ".git"}
CATALOGUES = sorted(
    po for po in Path(settings.BASE_DIR).glob("**/locale/zh_Hans/LC_MESSAGES/django.po")
    if not SKIP_DIRS & set(po.relative_to(settings.BASE_DIR).parts)
)
IDS = [str(po.relative_to(settings.BASE_DIR).parents[2]) for po in CATALOGUES]


def _messages(entries) -> dict:
    """{(context, msgid, plural): translation(s)} of the entries a compiled catalogue holds."""
    out = {}
    for e in entries:
        if e.obsolete or "fuzzy" in e.flags or not e.msgid:
            continue
        value = tuple(e.msgstr_plural[k] for k in sorted(e.msgstr_plural)) if e.msgid_plural else e.msgstr
        out[(e.msgctxt, e.msgid, e.msgid_plural or None)] = value
    return out


def test_the_foundation_catalogue_is_found():
    assert "locale" in IDS


@pytest.mark.parametrize("po_path", CATALOGUES, ids=IDS)
def test_every_entry_is_translated_and_none_is_fuzzy(po_path):
    po = polib.pofile(str(po_path))

    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po if e.msgid_plural and not all(e.msgstr_plural.values())] == []
    assert not po.metadata_is_fuzzy
    assert "charset=UTF-8" in po.metadata["Content-Type"]


@pytest.mark.parametrize("po_path", CATALOGUES, ids=IDS)
def test_the_mo_is_compiled_from_the_current_po(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run bin/i18n"
    compiled = polib.mofile(str(mo_path))
    expected = _messages(polib.pofile(str(po_path)))

    assert _messages(compiled) == expected


@pytest.mark.parametrize("po_path", CATALOGUES, ids=IDS)
def test_placeholders_survive_translation(po_path):
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")
    for e in polib.pofile(str(po_path)).translated_entries():
        # Chinese has one plural form: msgstr[0] carries the placeholders of the plural msgid.
        source, translated = (e.msgid_plural, e.msgstr_plural[0]) if e.msgid_plural else (e.msgid, e.msgstr)
        assert sorted(placeholder.findall(source)) == sorted(placeholder.findall(translated)), e.msgid


def test_django_serves_the_chinese_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Customer-relations staff") == "客服专员"
    with translation.override("en"):
        assert translation.gettext("Customer-relations staff") == "Customer-relations staff"
