"""Work too heavy for the event loop: reading an uploaded list, unpacking a preview's draft, decoding a picture.

It runs in a worker thread, so that every other request (and /healthz) is answered while a large or hostile upload is
read: an .xlsx of 100,000 rows takes seconds of CPU, which in the event loop stopped the whole server. One piece of
such work at a time per process (the others wait their turn): two hostile uploads at once do not add up their memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

# The worker holds the GIL while its Python code runs (expat calls back into Python for every element); the event
# loop gets it back at each switch interval. At Python's 5 ms, a request that needs the GIL a few times waited
# ~30 ms (bench/uploads.py); at 1 ms, a fifth of that. The cost: more switches while two threads want the GIL.
sys.setswitchinterval(0.001)

_limiter: anyio.CapacityLimiter | None = None


def _libc_trim() -> Callable[[], object]:
    """glibc's malloc_trim: what a large read freed goes back to the system, not kept by the allocator for later
    (after a refused upload the server stayed hundreds of MB larger). A no-op where there is no glibc."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


_trim = _libc_trim()


def _then_trim(function: Callable[..., T], *args: object) -> T:
    try:
        return function(*args)
    finally:
        _trim()


async def off_loop(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a worker thread, after the heavy work already running (if any) has ended."""
    global _limiter
    if _limiter is None:  # made in the event loop: anyio asks which one when a limiter is made
        _limiter = anyio.CapacityLimiter(1)
    return await anyio.to_thread.run_sync(_then_trim, function, *args, limiter=_limiter)
