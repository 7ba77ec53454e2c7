"""Pictures of steps and errand photos: checked and resized on the server with Pillow, never decoded whole when big.

A picture's header says its size before anything is decoded: past the limits it is refused there. A small file can
hold a "decompression bomb" (a 1 MB PNG of one colour unpacks to gigabytes), and what costs memory is the decoded
pixels, not the file:
- a JPEG (a phone's photo) is decoded straight at a reduced scale (libjpeg's "draft": 1/2 to 1/8), just above the
  size kept, whatever its size up to MAX_PIXELS; except a progressive one, which libjpeg holds whole while decoding;
- anything else (a PNG screenshot, WebP, GIF) is decoded whole: at most MAX_DECODED_PIXELS (a long screenshot
  of 1080 x 18,500 fits; 80 MB at 4 bytes a pixel).
Only these formats are opened at all: Pillow knows dozens more, each a parser someone could aim a file at.
"""

from __future__ import annotations

import io
import re
import struct

from litestar import Request
from PIL import Image, ImageOps, UnidentifiedImageError

from server.i18n import translate

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a phone's photo is 2-6 MB; more is not a photo of a screen
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo, decoded at a reduced scale
MAX_DECODED_PIXELS = 20_000_000  # a picture decoded whole
# Scans in a JPEG: libjpeg's own progressive script writes 10 for a colour photo (6 for grey), a baseline JPEG 1 (or
# one a colour); libjpeg decodes every scan over the whole picture, so a file of 20,000 empty scans (334 KB) took
# 104-128 s to decode, and was then accepted. libjpeg's djpeg has -maxscans for it; this is ten times libjpeg's 10.
MAX_SCANS = 100
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
BOX = (720, 1280)  # a phone screen at reading size; larger only costs the reader's data
JPEG_QUALITY = 80
_ORIENTATION = 0x0112  # EXIF: 5 to 8 are turned a quarter, so the stored picture is on its side


class PictureError(Exception):
    def __init__(self, code: str, pixels: int = 0, limit: int = 0) -> None:
        super().__init__(code)
        self.code = code  # "picture_too_large" (bytes) | "too_many_pixels" | "too_many_scans" | "not_a_picture"
        # For too_many_pixels: the picture's pixels and the limit it passed, when known (0: too big to read at all).
        self.pixels, self.limit = pixels, limit


def webp_pixels(data: bytes) -> int:
    """A WebP's pixels from its header, 0 if it is none: Pillow's WebP decoder makes its whole canvas when the file
    is opened, before any size is checked (a 268-megapixel WebP failed there, past the child's memory, and was told
    it was not a photo). Simple (VP8, VP8L) and extended (VP8X) files."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return 0
    chunk = data[12:16]
    if chunk == b"VP8 ":
        return (int.from_bytes(data[26:28], "little") & 0x3FFF) * (int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return ((bits & 0x3FFF) + 1) * (((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        return (int.from_bytes(data[24:27], "little") + 1) * (int.from_bytes(data[27:30], "little") + 1)
    return 0


# A marker in a JPEG's coded data: 0xFF then anything but a stuffed 0x00, a marker without length (0x01,
# restarts 0xD0-0xD7) or more 0xFF.
_MARKER = re.compile(rb"\xff[^\x00\x01\xd0-\xd7\xff]")
_SOS, _EOI = 0xDA, 0xD9


def jpeg_scans(data: bytes) -> int:
    """The scans (SOS markers) of a JPEG, found by walking its segments, not decoding it; 0 if it is not a JPEG.
    A segment's bytes (an EXIF thumbnail, a profile) may hold 0xFF 0xDA of their own: they are skipped by length."""
    if data[:2] != b"\xff\xd8":
        return 0
    scans, at = 0, 2
    while (found := _MARKER.search(data, at)) is not None:
        marker, at = found.group()[1], found.end()
        if marker == _EOI:
            break
        if at + 2 > len(data):
            break
        at += struct.unpack_from(">H", data, at)[0]  # the segment's length, its own 2 bytes included
        if marker == _SOS:
            scans += 1
            if scans > MAX_SCANS:
                break
    return scans


def prepare_picture(data: bytes) -> tuple[bytes, int, int]:
    """The picture as a JPEG fitted into BOX, upright (EXIF orientation applied), without its metadata. Slow for a
    big photo: call it through server.offload.off_loop."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PictureError("picture_too_large")
    if webp_pixels(data) > MAX_DECODED_PIXELS:
        raise PictureError("too_many_pixels", webp_pixels(data), MAX_DECODED_PIXELS)
    if jpeg_scans(data) > MAX_SCANS:
        raise PictureError("too_many_scans")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        pixels = image.width * image.height
        whole = image.format != "JPEG" or bool(image.info.get("progressive") or image.info.get("progression"))
        limit = MAX_DECODED_PIXELS if whole else MAX_PIXELS
        if pixels > limit:
            raise PictureError("too_many_pixels", pixels, limit)
        turned = image.getexif().get(_ORIENTATION) in (5, 6, 7, 8)
        # Fitted before it is turned upright, to the size it will have (a landscape photo is fitted by its width):
        # a JPEG is then decoded at the smallest scale still twice that size, not twice the box.
        box = (BOX[1], BOX[0]) if turned else BOX
        scale = min(1.0, box[0] / image.width, box[1] / image.height)
        image.thumbnail(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS
        )
        image = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as bomb:  # Pillow's own limit, at open: twice Image.MAX_IMAGE_PIXELS (179 MP)
        said = re.search(r"\((\d+) pixels\)", str(bomb))  # its size, as Pillow says it; the lower limit if unknown
        raise PictureError("too_many_pixels", int(said.group(1)) if said else 0, MAX_DECODED_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, KeyError, EOFError):
        raise PictureError("not_a_picture") from None
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")  # transparent screenshots on white, not black
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), image.width, image.height


def scans_text(request: Request) -> str:
    """A JPEG of more scans than any camera writes (MAX_SCANS)."""
    return translate(
        request,
        "This picture is stored in more than %(scans)s layers, which no camera writes, and was not read. "
        "Take a screenshot, or a photo in the camera's usual mode.",
        scans=MAX_SCANS,
    )


def slow_text(request: Request, seconds: int) -> str:
    """A picture whose reading was stopped past its time (server.offload.ChildTimedOut)."""
    return translate(
        request,
        "Reading this picture took longer than %(seconds)s seconds, and it was not stored. "
        "Take a screenshot, or a photo in the camera's usual mode.",
        seconds=seconds,
    )


def pixels_text(request: Request, error: PictureError | None = None) -> str:
    """What a person is told of a picture refused for its pixels: its own size and the limit of its kind (a
    progressive JPEG, like a PNG, is decoded whole: 20 million), or, if unknown, both limits."""
    if error is None or not error.pixels or not error.limit:
        return translate(
            request,
            "This picture is too big to read (at most %(mp)s million pixels; %(whole)s million for a PNG). "
            "Take a screenshot or a photo in the camera's usual mode.",
            mp=MAX_PIXELS // 1_000_000,
            whole=MAX_DECODED_PIXELS // 1_000_000,
        )
    has = max(error.pixels // 1_000_000, error.limit // 1_000_000 + 1)  # never "20 million, at most 20"
    if error.limit == MAX_PIXELS:
        return translate(
            request,
            "This photo is too big to read: %(has)s million pixels, at most %(mp)s million. "
            "Take it again in the camera's usual mode, or take a screenshot.",
            has=f"{has:,}",
            mp=MAX_PIXELS // 1_000_000,
        )
    return translate(
        request,
        "This picture is too big to read: %(has)s million pixels, at most %(mp)s million for a PNG, WebP, GIF or "
        "progressive JPEG picture. Take a screenshot, or a photo in the camera's usual mode.",
        has=f"{has:,}",
        mp=MAX_DECODED_PIXELS // 1_000_000,
    )
