"""Pictures made in memory for the tests: a phone screenshot, a huge one, and files that only claim to be pictures."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def png_bytes(width: int = 1080, height: int = 2340, color: str = "#07c160") -> bytes:
    """A phone-sized screenshot: a coloured bar on white, like a WeChat screen."""
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle((0, 0, width, height // 8), fill=color)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def huge_png(side: int = 8000) -> bytes:
    """64 megapixels of one colour: a small file that would unpack to 190 MB ("decompression bomb")."""
    image = Image.new("RGB", (side, side), "white")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
