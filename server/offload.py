"""Work too heavy for the event loop: reading an uploaded list or a preview's draft, decoding a picture (in a child
process), and the pure work a preview does with what the database gave (in a worker thread).

`off_loop`: an upload is read in a child process of its own, under an address-space limit (RLIMIT_AS), at most
`upload_readers` at a time per server process (decision 0018). The child is forked from a server made for it
(multiprocessing's forkserver, with the reading modules already imported): it starts in milliseconds, holds none of
the app, and takes every byte it used with it when it ends, after one piece of work. A refused upload leaves nothing
behind; a child past its limit (MemoryError), killed or crashed becomes `ChildFailed`, which each caller turns into a
refusal in the person's words. In the server's own process the reading held the GIL (/healthz waited up to a second
under load), one upload at a time held every other, and the memory of repeated refusals grew to 700 MB.

`in_thread`: what needs the database's rows (matching a list to the register, a register import's preview) runs in a
worker thread, one at a time per process: its input is bounded by the limits of a list the child already accepted.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.forkserver
import resource
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TypeVar

import anyio
import anyio.to_thread

from server.settings import get_settings

T = TypeVar("T")

MB = 1024 * 1024
# A child that takes this long is killed and its upload refused: the work limits of a list (server.imports.limits)
# end the largest one in ~10 s of CPU on a loaded machine.
CHILD_SECONDS = 300
# Imported once in the forkserver, shared by every child it forks (the reading of lists and of pictures).
PRELOAD = ["server.imports.draft", "server.guides.pictures"]

# The worker thread holds the GIL while its Python code runs; the event loop gets it back at each switch interval.
# At Python's 5 ms, a request that needs the GIL a few times waited ~30 ms (bench/uploads.py); at 1 ms, a fifth of it.
sys.setswitchinterval(0.001)


class ChildFailed(Exception):
    """The child reading an upload ran out of memory under its limit, was killed or crashed: the upload is too big or
    too complex to read. Nothing was stored."""


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)
_children: set[multiprocessing.process.BaseProcess] = set()  # alive now: killed when the app shuts down
_children_lock = threading.Lock()
_readers: anyio.CapacityLimiter | None = None
_thread: anyio.CapacityLimiter | None = None


def memory_limit() -> int:
    """A child's address space, in bytes (settings.upload_reader_mb)."""
    return get_settings().upload_reader_mb * MB


def _child(result: Connection, limit: int, function: Callable[..., object], args: tuple) -> None:
    """In the child: the limit first, then the work, then its result (or its exception) to the parent."""
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        try:
            outcome: tuple[str, object] = ("ok", function(*args))
        except MemoryError:
            outcome = ("memory", None)
        except Exception as exc:  # noqa: BLE001 (the parent raises it again: ImportProblem, PictureError...)
            outcome = ("raised", exc)
        try:
            result.send(outcome)
        except MemoryError:  # the result itself past the limit once pickled
            result.send(("memory", None))
    finally:
        result.close()


def _run_child(function: Callable[..., T], args: tuple, limit: int) -> T:
    """In a worker thread of the server: start a child, wait for its answer (the GIL is free meanwhile)."""
    receive, send = _context.Pipe(duplex=False)
    child = _context.Process(target=_child, args=(send, limit, function, args), daemon=True)
    try:
        child.start()
    finally:
        send.close()  # the child holds the other end: when it ends, reading it says so
    with _children_lock:
        _children.add(child)
    try:
        if not receive.poll(CHILD_SECONDS):
            raise ChildFailed("took too long")
        try:
            kind, value = receive.recv()
        except (EOFError, OSError):  # killed (the kernel, a signal) or crashed before it answered
            raise ChildFailed("ended without an answer") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
        with _children_lock:
            _children.discard(child)
    if kind == "ok":
        return value  # type: ignore[return-value]
    if kind == "memory":
        raise ChildFailed("out of memory")
    raise value  # type: ignore[misc]


async def off_loop(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a child process of its own, under the memory limit; several at a time (upload_readers).
    `function`, its arguments and its result cross a pipe pickled: send bytes, return bytes where they are large.
    Raises what `function` raised, or ChildFailed."""
    global _readers
    if _readers is None:  # made in the event loop: anyio asks which one when a limiter is made
        _readers = anyio.CapacityLimiter(get_settings().upload_readers)
    return await anyio.to_thread.run_sync(_run_child, function, args, memory_limit(), limiter=_readers)


def start() -> None:
    """The forkserver, with the reading modules imported (~1 s), started with the app rather than at its first
    upload."""
    multiprocessing.forkserver.ensure_running()


def close() -> None:
    """The app shuts down: children still reading are killed (their requests are gone with the server)."""
    with _children_lock:
        alive = list(_children)
    for child in alive:
        if child.is_alive():
            child.kill()


def _libc_trim() -> Callable[[], object]:
    """glibc's malloc_trim: what the thread's work freed goes back to the system, not kept by the allocator for later.
    A no-op where there is no glibc."""
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


async def in_thread(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a worker thread, after the work already running there (if any) has ended: for work on
    the database's rows, which a child would need pickled both ways."""
    global _thread
    if _thread is None:
        _thread = anyio.CapacityLimiter(1)
    return await anyio.to_thread.run_sync(_then_trim, function, *args, limiter=_thread)
