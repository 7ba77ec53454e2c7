"""Per-guide subsets of the handwriting font (LXGW WenKai), made with fonttools.

The whole font is ~15 MB (29,000 glyphs); a guide uses a few hundred characters. Each guide page downloads a WOFF2
holding only those glyphs and the glyphs of the reading page's own words, at most MAX_SUBSET_BYTES. The subset is
keyed by a hash of the font file and of the characters, made when a guide is written (docs/decisions/0008).
"""

from __future__ import annotations

import hashlib
import io
import logging
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from server.i18n import LOCALES, translations

log = logging.getLogger("gridcare")

MAX_SUBSET_BYTES = 100 * 1024  # issue 7: what a guide page downloads for its font stays under 100 KB

# Words of the reading and print pages; their glyphs go into every subset, in both languages, so that the page's
# own buttons are drawn in the same hand whatever language the reader chose. Keep in step with the templates
# guides/read.html, guides/print.html and guides/gone.html (a test checks that every character of them is covered).
READER_WORDS = (
    "Step %(n)s of %(total)s",
    "Previous step",
    "Next step",
    "Read aloud",
    "Text size",
    "Smaller text",
    "Larger text",
    "Tip",
    "Done! You have finished this guide.",
    "Start again",
    "Stuck? Call your grid worker",
    "Your grid worker",
    "Print",
    "Scan to open this guide on a phone",
    "Picture for step %(n)s",
    "This guide has no steps yet.",
    "This link no longer works.",
    "Your grid worker has withdrawn this guide. Please call them for a new one.",
    "This link is not right. Please check it, or ask your grid worker for the guide again.",
    "Call %(name)s",
    "Grid worker",
)
ALWAYS = "0123456789 :/·.,!?：，。！？、（）()-+−A"


def reader_characters() -> str:
    words = [translations(locale).gettext(word) for locale in LOCALES for word in READER_WORDS]
    return "".join(words) + ALWAYS


def characters_of(*texts: str) -> str:
    """The distinct characters a page needs, sorted: the same text always gives the same key."""
    chars = set(reader_characters())
    for text in texts:
        chars.update(text)
    return "".join(sorted(c for c in chars if c.isprintable() or c == " "))


@cache
def _font_identity(path: str) -> str:
    """A cheap fingerprint of the font file (size and mtime: the file is a packaged, read-only one)."""
    stat = Path(path).stat()
    return f"{Path(path).name}:{stat.st_size}:{int(stat.st_mtime)}"


def font_available(path: str) -> bool:
    return Path(path).is_file()


def subset_key(path: str, chars: str) -> str:
    digest = hashlib.sha256(f"{_font_identity(path)}\n{chars}".encode())
    return digest.hexdigest()[:32]


def full_font_bytes(path: str) -> int:
    return Path(path).stat().st_size


def make_subset(path: str, chars: str) -> tuple[bytes, int]:
    """A WOFF2 of the font holding only `chars` (plus .notdef): (bytes, number of glyphs). CPU-bound: ~0.5 s."""
    font = TTFont(path)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []  # no ligatures or vertical forms are used; each feature costs bytes
    options.hinting = False  # large text on high-density screens; hinting only adds bytes
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence (SIL OFL asks for them)
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue(), len(font.getGlyphOrder())
