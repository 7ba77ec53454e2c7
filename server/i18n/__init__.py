"""Message catalogs (gettext .po files, read with Babel) and the language of each request.

Chinese is the default; English is chosen with the language switch and kept in a cookie. The .po files are
compiled in memory at start-up, so there is no build step to forget and no compiled file to go stale.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from litestar.connection import ASGIConnection

from server.settings import get_settings

LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LOCALE_COOKIE = "gc_lang"
CATALOG_DIR = Path(__file__).parent / "locales"


@cache
def translations(locale: str) -> NullTranslations:
    po_path = CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def locale_of(connection: ASGIConnection) -> str:
    chosen = connection.cookies.get(LOCALE_COOKIE)
    return chosen if chosen in LOCALES else get_settings().default_locale


def translate(connection: ASGIConnection, message: str, **params) -> str:
    """Translate a message for the person behind this request (Python side: flash messages, errors)."""
    text = translations(locale_of(connection)).gettext(message)
    return text % params if params else text


def _request(context) -> ASGIConnection | None:
    return context.get("request")


@pass_context
def _jinja_gettext(context, message: str) -> str:
    request = _request(context)
    locale = locale_of(request) if request is not None else get_settings().default_locale
    return translations(locale).gettext(message)


@pass_context
def _jinja_ngettext(context, singular: str, plural: str, n: int) -> str:
    request = _request(context)
    locale = locale_of(request) if request is not None else get_settings().default_locale
    return translations(locale).ngettext(singular, plural, n)


def install(environment) -> None:
    """Give a Jinja environment `_()`, `gettext()`, `ngettext()` and `{% trans %}` in the request's language."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_jinja_gettext, _jinja_ngettext, newstyle=True)
