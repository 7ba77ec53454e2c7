"""Pictures of steps: photos or screenshots of a phone, checked and resized on the server with Pillow."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a phone's photo is 2-6 MB; more is not a photo of a screen
MAX_PIXELS = 50_000_000  # refuse "decompression bombs": a small file that unpacks to gigabytes
BOX = (720, 1280)  # a phone screen at reading size; larger only costs the reader's data
JPEG_QUALITY = 80


class PictureError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "picture_too_large" | "not_a_picture"


def prepare_picture(data: bytes) -> tuple[bytes, int, int]:
    """The picture as a JPEG fitted into BOX, upright (EXIF orientation applied), without its metadata."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PictureError("picture_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise PictureError("picture_too_large")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PictureError("not_a_picture") from None
    except Image.DecompressionBombWarning:
        raise PictureError("picture_too_large") from None
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")  # transparent screenshots on white, not black
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    image.thumbnail(BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue(), image.width, image.height
