"""What uvicorn answers past GRIDCARE_LIMIT_CONCURRENCY, said in the person's words (a stranger's third walk of issue
15, F: 1,100 slow bodies held every connection, and each new visitor read uvicorn's own "Service Unavailable", in
English, without the security headers); and its 400 for a request it cannot parse, with the headers of every answer
(a stranger's fifth walk: a Content-Length that lies got a bare text/plain, no CSP, no nosniff).

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
_PROTOCOL_CLASSES = (
    ("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol"),
    ("uvicorn.protocols.http.h11_impl", "H11Protocol"),
)


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


def _every_answers_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", POLICY.encode()),
        *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
    ]


def _send_400(self, msg: str) -> None:
    """uvicorn's 400 for a request it cannot parse (the request line, a header, a length that lies), written on the
    transport as uvicorn writes it, with the headers every answer carries. The request cannot be read, so neither
    can its language: the words are uvicorn's, in ASCII, as a client's log shows them."""
    body = msg.encode("ascii", "replace")
    head = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *_every_answers_headers(),
    ]
    lines = [b"HTTP/1.1 400 Bad Request\r\n", *(name + b": " + value + b"\r\n" for name, value in head), b"\r\n", body]
    self.transport.write(b"".join(lines))
    self.transport.close()


def harden_uvicorns_bad_request() -> None:
    """Points each protocol's send_400_response here, in each worker as it makes the app (as above). An upgrade of
    uvicorn that renames it fails tests/web/test_slow_bodies.py, not the server."""
    for module_name, class_name in _PROTOCOL_CLASSES:
        try:
            protocol = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        if hasattr(protocol, "send_400_response"):
            protocol.send_400_response = _send_400
