"""Security headers on every answer: pages, htmx fragments, JSON, files, and every error, whoever raised it.

They are added as the answer leaves the app (a `before_send` hook), not after the handler (`after_request`): an
error answered by an exception handler, a 404 or 405 of the router, a CSRF refusal of the middleware or a body too
large never passes through `after_request`, and went out without them.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# Scripts, styles, fonts, pictures and requests from this site only; no plugins, no <base>, forms post here, and
# no other site may frame a page (clickjacking). blob: pictures are photos waiting in the outbox, shown on the card
# before they are sent. Nothing inline: a script or style injected into a page (a resident's name that slipped past
# escaping) does not run.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# Pages about residents must not outlive a log-out in the browser's cache or history: no-store unless the handler
# chose a cache policy itself (static files, font subsets, the service worker).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: adds what the answer does not already say."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in (("Content-Security-Policy", POLICY), *SECURITY_HEADERS.items()):
        if name not in headers:
            headers[name] = value
