"""The one normaliser of text people give: names, notes, any free text a form or a phone's sync sends.

Invisible format characters (Unicode category Cf) are removed: bidi controls such as U+202E RIGHT-TO-LEFT OVERRIDE
reorder what follows them on every page that shows the text ("周志愿\u202e" made a coordinator's page read another
phone number's tail), and zero-width spaces or a BOM make two equal names differ. Kept: ZERO WIDTH JOINER (emoji,
Indic scripts) and ZERO WIDTH NON-JOINER (Persian, Indic scripts), which change how letters are drawn, not their
order. Pages also isolate each name given by a person (<bdi>), so a right-to-left name cannot reorder its
neighbours.

Line breaks other than the plain newline (U+2028, U+2029, U+0085, a lone CR, a vertical tab) and the other control
characters (Cc) are stored by no one on purpose: in a single-line field (a name, a door) they become a space, in a
multi-line field (a note) a line break is one "\n". A text made only of characters that draw nothing (spaces of any
width, HANGUL FILLER U+3164, BRAILLE PATTERN BLANK U+2800, COMBINING GRAPHEME JOINER U+034F...) is "": a name of
three HANGUL FILLERs looked like no name on every page, and is now refused by the field's own "required" check.
In a single line they are removed at either end too ("\u3164张三" is 张三; a stranger's third review of issue 15).
Hangul syllables, Uyghur, Tibetan and every other script are letters and keep their text as it is.
A person's name (clean_name) holds a letter or a digit too: combining marks alone, U+FFFC or a dot beside a filler
showed as nothing or almost nothing (a stranger's fourth review); a filler inside a name is the space it shows.

Applied at the edge (web/input.py) to every form and JSON body, to every cell of an uploaded list
(imports/normalize.py), and by services that store a name. NUL is left alone here: the edge refuses it in words, and
the sync endpoint refuses the one write holding it.
"""

from __future__ import annotations

import re
import unicodedata

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


# Characters that draw nothing and are not format characters (Lo, Mn, So): blank when a text holds nothing else.
# Inside a text they stay (U+115F and U+1160 spell old Korean with conjoining letters). The joiners are here too: a
# name of one ZWJ draws nothing.
FILLERS = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef"
    "\u200c\u200d"
)
BLANK = re.compile(f"[\\s{FILLERS}]*")  # \s: every Unicode space, U+3000 IDEOGRAPHIC SPACE and the line breaks too
# At the ends of a single line, fillers go with the spaces around them: "\u3164张三" looked like 张三 on every page
# and sorted, matched and exported as another name. A combining one (a variation selector, a joiner) stays at the
# end, where it belongs to the emoji before it; at the start it belongs to nothing.
_EDGES = re.compile(f"^[\\s{FILLERS}]+|[\\s\u115f\u1160\u2800\u3164\uffa0]+$")
_FILLER = re.compile(f"[{FILLERS}]")
# Line breaks: a single-line field makes each a space, a multi-line field a "\n" (a textarea sends CR LF).
LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# The other control characters (Cc) but NUL (refused in words where it comes in): a space.
CONTROLS = re.compile("[\x01-\x09\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_UNUSUAL = re.compile(f"[^\\S ]|[\x01-\x1f\x7f-\x9f{FILLERS}]")  # a space but " ", a line break, a control, a filler


def clean_text(text: str) -> str:
    """Text without invisible format characters (ZWJ and ZWNJ kept)."""
    return FORMAT_CHARACTERS.sub("", text) if FORMAT_CHARACTERS.search(text) else text


def is_blank(text: str) -> bool:
    """Nothing a person would see: only spaces, line breaks, fillers and joiners (format characters already gone)."""
    return BLANK.fullmatch(text) is not None


def clean_line(text: str) -> str:
    """A single-line field: format characters removed, line breaks and controls made spaces, "" if it draws
    nothing, fillers at either end removed (with the spaces beside them). Other spaces are left as they are (the
    handler strips them; a password is not a line)."""
    text = clean_text(text)
    if text.isprintable():  # no control, line break or space but " " (one C-speed pass): most texts
        if not text.strip(" "):
            return ""
        if text.isascii():
            return text
    else:
        text = CONTROLS.sub(" ", LINE_BREAKS.sub(" ", text))
    if is_blank(text):
        return ""
    return _EDGES.sub("", text) if _FILLER.search(text) else text


def clean_block(text: str) -> str:
    """A multi-line field (a note): like clean_line, but every kind of line break is one "\n"."""
    text = clean_text(text)
    if not text.isprintable():
        text = CONTROLS.sub(" ", LINE_BREAKS.sub("\n", text))
    return "" if is_blank(text) else text


# Fillers that stand for a space inside a name: "张\u3164三" looked like "张 三" beside a real 张 三, and sorted and
# matched as another name. U+115F and U+1160 stay where they begin or complete a conjoining Hangul syllable.
_NAME_FILLERS = re.compile(
    "[\u3164\uffa0]|\u115f(?![\u1160-\u11ff\ud7b0-\ud7ff])|(?<![\u1100-\u115f\ua960-\ua97f])\u1160"
)
_NOT_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")  # Lo, but they draw nothing


def has_letter(text: str) -> bool:
    """Whether a text holds a letter or a digit of any script (Unicode L* or N*, read after NFKC): a name of
    combining marks alone, an object replacement character or a dot shows as nothing or almost nothing."""
    if text.isascii():
        return any(c.isalnum() for c in text)
    return any(c.isalnum() and c not in _NOT_LETTERS for c in unicodedata.normalize("NFKC", text))


def clean_name(text: str) -> str:
    """A person's name as stored: format characters removed, fillers inside made spaces, spaces collapsed, no
    leading or trailing space; "" (refused by the field's "required" check) when it holds no letter or digit."""
    name = clean_line(text)
    if not name.isascii() and _NAME_FILLERS.search(name):
        name = _NAME_FILLERS.sub(" ", name)
    name = " ".join(name.split())
    return name if has_letter(name) else ""


# The fields, by their name in forms and JSON bodies, that hold text of several lines: every textarea's name, and a
# sync payload's notes. Every other field is a single line. A password is neither: it is compared, never shown, so
# it keeps its spaces and characters (only format characters leave it, as they always have).
MULTI_LINE = frozenset(
    {"note", "notes", "text", "items", "help_needed", "conditions", "medicines", "interests", "best_time"}
)


def clean_field(key: str, value: str) -> str:
    """A form's or JSON body's text, cleaned as its field holds it."""
    if key in MULTI_LINE:
        return clean_block(value)
    if "password" in key:
        return clean_text(value)
    return clean_line(value)


def clean_structure(value, key: str = ""):
    """Every string in a decoded JSON value cleaned (keys too) as the field it is in holds it; a list's items as
    their list's field."""
    if isinstance(value, str):
        return clean_field(key, value)
    if isinstance(value, list):
        return [clean_structure(item, key) for item in value]
    if isinstance(value, dict):
        return {clean_text(k): clean_structure(item, k) for k, item in value.items()}
    return value


def needs_cleaning(text: str) -> bool:
    """Whether any field's cleaning could change this text (a whole body may be checked at once)."""
    return FORMAT_CHARACTERS.search(text) is not None or _UNUSUAL.search(text) is not None
