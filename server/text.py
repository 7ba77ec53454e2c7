"""The one normaliser of text people give: names, notes, any free text a form or a phone's sync sends.

Invisible format characters (Unicode category Cf) are removed: bidi controls such as U+202E RIGHT-TO-LEFT OVERRIDE
reorder what follows them on every page that shows the text ("周志愿\u202e" made a coordinator's page read another
phone number's tail), and zero-width spaces or a BOM make two equal names differ. Kept: ZERO WIDTH JOINER (emoji,
Indic scripts) and ZERO WIDTH NON-JOINER (Persian, Indic scripts), which change how letters are drawn, not their
order. Pages also isolate each name given by a person (<bdi>), so a right-to-left name cannot reorder its
neighbours. Applied at the edge (web/input.py) to every form and JSON body, and by services that store a name.
"""

from __future__ import annotations

import re

KEPT = {"\u200c", "\u200d"}  # ZWNJ, ZWJ
# Unicode's Cf characters (Python 3.11's Unicode 14) but the KEPT two, as ranges: computing them from unicodedata at
# import would cost a third of a second; tests/web/test_text.py checks the table against unicodedata.
FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
    (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200B), (0x200E, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
FORMAT_CHARACTERS = re.compile(
    "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in FORMAT_RANGES) + "]"
)


def clean_text(text: str) -> str:
    """Text without invisible format characters (ZWJ and ZWNJ kept)."""
    return FORMAT_CHARACTERS.sub("", text) if FORMAT_CHARACTERS.search(text) else text


def clean_name(text: str) -> str:
    """A name as stored: format characters removed, spaces collapsed, no leading or trailing space."""
    return " ".join(clean_text(text).split())


def clean_structure(value):
    """Every string in a decoded JSON value cleaned (keys too); the same object when nothing changed."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_structure(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): clean_structure(item) for key, item in value.items()}
    return value
