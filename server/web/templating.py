"""The Jinja environment: templates in frontend/templates, message catalogs, versioned static URLs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from server import i18n
from server.access.masks import mask_phone
from server.imports import limits, words
from server.settings import ROOT, get_settings
from server.web import scripts

FRONTEND = ROOT / "frontend"
TEMPLATES = FRONTEND / "templates"
STATIC = FRONTEND / "static"
# The app's colour in the phone's bars: the shell's manifest and each guide's own (base.html and app.css say it too).
THEME_COLOR = "#0b6e4f"

# What the service worker keeps for the app to open with no network. The offline page is added by the worker.
# What the service worker precaches: what a page needs to open offline. Not the 512 px icons of the manifest: the
# browser fetches those itself when the app is installed, and precaching them cost every first visit 11 KB of the
# door screen's 60 KB (issue 14).
SHELL_ASSETS = (
    "css/app.css",
    "js/page.js",  # the page's scripts, joined by the server (server/web/scripts.py)
    "vendor/htmx.min.js",
    "icons/icon-192.png",
)


@cache
def _file_version(path: str) -> str:
    if path in scripts.JOINED:
        return hashlib.sha256(scripts.joined(path).encode()).hexdigest()[:10]
    file = STATIC / path
    if not file.is_file():
        raise FileNotFoundError(f"static asset missing: {file} (run `make assets`)")
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """/static/css/app.css?v=<hash>: a changed file gets a new URL, so browsers may cache each URL for ever."""
    return f"/static/{path}?v={_file_version(path)}"


# What the precached offline page is made of: a change to any of them must reach installed phones too.
OFFLINE_PAGE_SOURCES = ("offline.html", "base.html", "_macros.html")


@cache
def shell_version() -> str:
    """One version for the whole shell: it names the service worker's cache."""
    digest = hashlib.sha256("".join(_file_version(p) for p in SHELL_ASSETS).encode())
    for name in OFFLINE_PAGE_SOURCES:
        digest.update((TEMPLATES / name).read_bytes())
    for catalog in sorted(i18n.CATALOG_DIR.glob("*/LC_MESSAGES/messages.po")):
        digest.update(catalog.read_bytes())
    return digest.hexdigest()[:10]


@pass_context
def _locale(context) -> str:
    request = context.get("request")
    return i18n.locale_of(request) if request is not None else i18n.get_settings().default_locale


@pass_context
def _language_back(context) -> str:
    """This page's path and query, for the language form to come back to. Read from the scope: `request.url` also
    parses the Host header, and raised on one whose port is not a number (server.web.hosts)."""
    request = context.get("request")
    if request is None:
        return "/"
    query = request.scope.get("query_string", b"").decode(errors="replace")
    return request.scope.get("root_path", "") + request.scope["path"] + (f"?{query}" if query else "")


def _local_time(moment: datetime) -> str:
    """A time on the community's clock, as people say it: 10:42; with the date when it is not today."""
    settings = get_settings()
    local = moment.astimezone(ZoneInfo(settings.timezone))
    return local.strftime("%H:%M") if local.date() == settings.today() else local.strftime("%m-%d %H:%M")


WORD_TABLES = {"field_word": words.field_word, "reading_problem": words.reading_problem}


def _saying(function: Callable) -> Callable:
    """A function whose first parameter is `say` (server/imports/words.py), called by a template without it: `say`
    translates into the request's language, and escapes what goes into a message as the template's own `_()` does."""

    @pass_context
    def said(context, *args):
        request = context.get("request")
        locale = i18n.locale_of(request) if request is not None else get_settings().default_locale
        messages = i18n.translations(locale)

        def say(message: str, **params) -> Markup:
            text = Markup(messages.gettext(message))  # noqa: S704 (the catalogs' own text; params are escaped)
            return text % params if params else text

        return function(say, *args)

    return said


def make_environment(extra_globals: Mapping[str, Callable] | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt variable fails the tests instead of rendering blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)
    # A name a person gave, isolated from the text around it: right-to-left letters in one name cannot reorder its
    # neighbours (a phone number's tail beside it). Format characters are removed when text comes in (server/text.py).
    env.filters["bdi"] = lambda value: Markup("<bdi>{}</bdi>").format(value)
    env.globals.update(
        static_url=static_url,
        local_time=_local_time,
        locale=_locale,
        language_back=_language_back,  # the language form's way back (a page's own `here`, floor.html's, is its own)
        html_lang=lambda loc: i18n.HTML_LANG[loc],
        locale_names=i18n.LOCALE_NAMES,
        mask_phone=mask_phone,  # numbers on pages are masked; whole on a tap that is logged
        list_mb=limits.MAX_BYTES // limits.MB,  # the size a list may be, said on each upload form
        # Codes said in words from Python tables, in the person's language: field_word("contact1_phone") is a list's
        # column as a person reads it, reading_problem(p) why a row of any list cannot be read; then the domains' own
        # (server/web/domains.py).
        **{name: _saying(f) for name, f in {**WORD_TABLES, **(extra_globals or {})}.items()},
    )
    return env


def template_config(extra_globals: Mapping[str, Callable] | None = None) -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_environment(extra_globals)))
