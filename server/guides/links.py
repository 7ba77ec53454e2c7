"""A guide's public link and its QR code: drawn on the writer's pages and on the printed sheet residents are given,
so they live here, where both route modules take them (docs/decisions/0030)."""

from __future__ import annotations

import segno
from litestar import Request
from markupsafe import Markup


def link_of(request: Request, token: str | None) -> str | None:
    return f"{str(request.base_url).rstrip('/')}/g/{token}" if token else None


def qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code: dark on white, with the quiet zone scanners need."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", border=4))  # noqa: S704 (segno's own SVG)
