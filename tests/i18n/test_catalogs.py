"""The catalogs hold every message the code and templates use, and the Chinese is complete."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server.i18n import CATALOG_DIR, LOCALES, translations
from server.settings import ROOT

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used_messages() -> set[str]:
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "translate": (2,)}
    found = set()
    for folder in (ROOT / "server", ROOT / "frontend" / "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, method_map, options_map=options, keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(locale: str):
    with (CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        # Strict: a merge that loses one msgstr line makes babel's lenient reader pair the next msgid with the
        # wrong text (a union merge of two branches' appended entries did, and every other check still passed).
        return read_po(fp, locale=locale, abort_invalid=True)


@pytest.mark.parametrize("name", ["messages.pot", "en", "zh_CN"])
def test_every_catalog_file_is_well_formed(name):
    path = CATALOG_DIR.parent / name if name.endswith(".pot") else CATALOG_DIR / name / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fp:
        read_po(fp, abort_invalid=True)
    ids = re.findall(r'^msgid ((?:".*"\n?)+)', path.read_text(), re.M)
    twice = sorted({i for i in ids if ids.count(i) > 1} - {'""\n'})
    assert not twice, f"messages written twice in {name} (the reader keeps one, silently): {twice}"


def test_messages_are_found():
    assert {"Log in", "Wrong phone number or password.", "My grid: %(name)s"} <= used_messages()


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_every_message_in_use(locale):
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(locale) if m.id}
    missing = used_messages() - ids
    assert not missing, f"run `make messages`; missing in {locale}: {sorted(missing)}"


def test_chinese_is_complete_and_keeps_the_placeholders():
    for message in catalog("zh_CN"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"no Chinese for {ids[0]!r}"
        for text in strings:
            assert set(PLACEHOLDER.findall(ids[0])) == set(PLACEHOLDER.findall(text)), ids[0]


def test_chinese_is_the_default_and_english_falls_back_to_the_ids():
    assert translations("zh_CN").gettext("Log in") == "登录"
    assert translations("en").gettext("Log in") == "Log in"


def test_counts_read_right_in_both_languages():
    for n, english in ((1, "1 household"), (2, "2 households")):
        assert translations("en").ngettext("%(num)s household", "%(num)s households", n) % {"num": n} == english
        assert translations("zh_CN").ngettext("%(num)s household", "%(num)s households", n) % {"num": n} == f"{n}户"
