"""What uvicorn answers past GRIDCARE_LIMIT_CONCURRENCY, said in the person's words (a stranger's third walk of issue
15, F: 1,100 slow bodies held every connection, and each new visitor read uvicorn's own "Service Unavailable", in
English, without the security headers).

uvicorn answers those requests itself, before the app, with the function `service_unavailable`, which its protocol
modules look up by name on each such request. That name is pointed here, in each worker process as it makes the app
(a worker of several is a process of its own, which imports the app again). An upgrade of uvicorn that moves it
fails tests/web/test_slow_bodies.py (the served answer is no longer in words), not the server.
"""

from __future__ import annotations

import importlib

from litestar.connection import ASGIConnection
from litestar.types import Receive, Scope, Send

from server.i18n import translate
from server.web.headers import POLICY, SECURITY_HEADERS

_PROTOCOLS = ("uvicorn.protocols.http.httptools_impl", "uvicorn.protocols.http.h11_impl")


async def server_busy(scope: Scope, receive: Receive, send: Send) -> None:
    """A plain-text 503 in the person's language, with the headers every answer carries; the connection closes."""
    words = translate(ASGIConnection(scope), "The server is very busy right now. Try again in a moment.")
    body = words.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        (b"retry-after", b"5"),
        (b"content-security-policy", POLICY.encode()),
        *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def word_uvicorns_busy_answer() -> None:
    for name in _PROTOCOLS:
        try:
            module = importlib.import_module(name)
        except ImportError:  # httptools (or h11) not installed: uvicorn does not use that module either
            continue
        if hasattr(module, "service_unavailable"):
            module.service_unavailable = server_busy
