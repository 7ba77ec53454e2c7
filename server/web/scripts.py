"""The phone's scripts as pages load them: plain files, one feature each, joined by the server in a fixed order.

A page loads one script, `js/page.js`: FEATURES below, in this order, one after the other as they are written (each
an IIFE; what they share is on `window.Gridcare`, the names of caches and storage on `window.GridcareNames`). A guide
read by link loads `js/reader.js`: READER. The service worker (frontend/sw.js) is sent with WORKER before it, so
that it has the outbox and the same names without another request. No bundler, no build step: docs/decisions/0037.
A joined script is served like any static file (without its comment lines, server/web/static_files.py), under a
URL carrying the hash of what it joins (templating.static_url), and precached by the worker as one URL.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from server.settings import ROOT

JS = ROOT / "frontend" / "static" / "js"

# In the order they run. names.js first (every other reads it), outbox.js next (the features use it), start.js last
# (it shows what waits and sends it, once every feature is in place).
FEATURES = (
    "names.js",
    "outbox.js",
    "offline.js",  # the offline banner; the service worker's registration; window.Gridcare
    "text-size.js",  # a resident's text size (their pages, the guides)
    "status.js",  # the outbox bar and the sync state
    "marks.js",  # writes laid over the page: where made, an errand card's next steps, the floor, the round's count
    "photos.js",  # an errand card's photos kept on the phone
    "sending.js",  # sending what waits, and what the strip says of it
    "forms.js",  # forms whose writes go to the outbox
    "kept-pages.js",  # pages kept for offline work (claimed floors, the door screen's copy), log-out
    "round.js",  # today's round: fresh rows, numbers kept for calls without signal
    "refresh.js",  # parts that refresh themselves wait for a person busy in them; sheets
    "start.js",
)
READER = ("names.js", "text-size.js", "guide.js")
WORKER = ("names.js", "outbox.js")

# A joined script's path under frontend/static -> the files it joins.
JOINED = {"js/page.js": FEATURES, "js/reader.js": READER}


@cache
def joined(name: str) -> str:
    """The text of a joined script (`js/page.js`), as written: each file whole, in order."""
    return join(JOINED[name])


def join(files: tuple[str, ...]) -> str:
    return "".join((JS / file).read_text(encoding="utf-8").rstrip("\n") + "\n" for file in files)


def joined_name(path: Path | str) -> str | None:
    """`js/page.js` for a path of the static directory that names a joined script, else None."""
    try:
        relative = Path(path).resolve().relative_to(JS.parent.resolve()).as_posix()
    except ValueError:
        return None
    return relative if relative in JOINED else None


def parts(name: str) -> list[Path]:
    return [JS / file for file in JOINED[name]]
