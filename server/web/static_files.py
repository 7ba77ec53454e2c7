"""frontend/static as phones download it: scripts and styles without their comments.

The comments explain the code to the people who read it, and were a third of what a volunteer downloads for the
page's scripts and app.css (compressed), against a first visit budgeted at 60 KB (issue 3; bench/first_visit.py).
There is no build step: the files are served as written, less these lines. Only what cannot change what the code
does is dropped: in scripts, lines that hold nothing but a `//` comment (a comment after code, a `/* */` inside a
line, strings and regular expressions stay as they are); in styles, every `/* */` comment (app.css has no string
holding `/*`). A file's URL carries the hash of the file as written (templating.static_url), which changes when
what is served changes. A script the server joins from several (`js/page.js`: server/web/scripts.py) is served the
same way, as if it were one file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from litestar.file_system import BaseLocalFileSystem

from server.web import scripts

_SCRIPT_COMMENT_LINE = re.compile(r"^[ \t]*//.*\n", re.MULTILINE)
_STYLE_COMMENT = re.compile(r"/\*.*?\*/\n?", re.DOTALL)


def without_comments(path: Path | str, text: str) -> str:
    suffix = Path(path).suffix
    if suffix == ".js":
        return _SCRIPT_COMMENT_LINE.sub("", text)
    if suffix == ".css":
        return _STYLE_COMMENT.sub("", text)
    return text


@cache
def _served(path: str) -> bytes | None:
    """The bytes served for a script or a style (read once: static files change only with a new release)."""
    if Path(path).suffix not in (".js", ".css"):
        return None
    name = scripts.joined_name(path)
    text = scripts.joined(name) if name else Path(path).read_text(encoding="utf-8")
    return without_comments(path, text).encode()


class _Served:
    """The async file object Litestar's file response reads a static file through."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.offset = 0

    async def __aenter__(self) -> _Served:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def read(self, size: int = -1) -> bytes:
        end = len(self.body) if size < 0 else self.offset + size
        chunk = self.body[self.offset : end]
        self.offset += len(chunk)
        return chunk


class ServedStaticFiles(BaseLocalFileSystem):
    """The static router's file system: scripts and styles less their comments, every other file as it is."""

    async def info(self, path: Any, **kwargs: Any) -> Any:
        name = scripts.joined_name(str(path))
        if name:  # no such file: the first it joins stands for it, last changed when the newest of them was
            info = await super().info(scripts.parts(name)[0], **kwargs)
            info["name"] = str(path)
            info["mtime"] = max(part.stat().st_mtime for part in scripts.parts(name))
        else:
            info = await super().info(path, **kwargs)
        body = _served(str(path)) if info.get("type") == "file" else None
        if body is not None:
            info["size"] = len(body)  # Content-Length and the ETag follow what is sent
        return info

    async def open(self, file: Any, mode: str, buffering: int = -1) -> Any:
        body = _served(str(file))
        return _Served(body) if body is not None else await super().open(file, mode, buffering)
