"""Work too heavy for the event loop: reading an uploaded list or a preview's draft, decoding a picture (in a child
process), and the pure work a preview does with what the database gave (in a worker thread).

`off_loop`: an upload is read in a child process of its own, under an address-space limit (RLIMIT_AS), at most
`upload_readers` at a time in the whole server, whatever its number of worker processes, and one a person at a time
(decision 0018). The child is forked from a server made for it
(multiprocessing's forkserver, with the reading modules already imported): it starts in milliseconds, holds none of
the app, and takes every byte it used with it when it ends, after one piece of work. A refused upload leaves nothing
behind; a child past its limit (MemoryError), killed or crashed becomes `ChildFailed`, which each caller turns into a
refusal in the person's words. In the server's own process the reading held the GIL (/healthz waited up to a second
under load), one upload at a time held every other, and the memory of repeated refusals grew to 700 MB.

`in_thread`: what needs the database's rows (matching a list to the register, a register import's preview) runs in a
worker thread, one at a time per process: its input is bounded by the limits of a list the child already accepted.
"""

from __future__ import annotations

import contextvars
import ctypes
import ctypes.util
import fcntl
import hashlib
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from server.settings import ROOT, get_settings

T = TypeVar("T")

MB = 1024 * 1024
# A child that takes this long is killed and its upload refused, as taking too long (ChildTimedOut). Two slow files
# from two people hold both readers that long, and every other upload meanwhile is told the server is busy (503,
# after upload_wait_seconds): 300 s before (a stranger's walk of issue 15). The largest honest list (100,000 rows)
# takes ~4 s of CPU, a hostile one within the work limits of a list (server.imports.limits) ~10 s; a reader runs at
# niceness 10, and on the stranger's loaded 2-core machine got a fifth of a core (57 s of CPU in 300 s): ~20 s for the
# honest list, ~50 s for the worst refused one. 60 s keeps three times the honest list's time (decision 0018).
CHILD_SECONDS = 60
# Imported once in the forkserver, shared by every child it forks (the reading of lists and of pictures).
PRELOAD = ["server.imports.draft", "server.guides.pictures"]

# The worker thread holds the GIL while its Python code runs; the event loop gets it back at each switch interval.
# At Python's 5 ms, a request that needs the GIL a few times waited ~30 ms (bench/uploads.py); at 1 ms, a fifth of it.
sys.setswitchinterval(0.001)


class Busy(Exception):
    """No reader came free within `upload_wait_seconds`: the server is reading other people's files ("server"), or
    this person's own other file is still being read ("person"). Nothing was read; the person sends it again."""

    def __init__(self, whose: str) -> None:
        super().__init__(whose)
        self.whose = whose


class ChildFailed(Exception):
    """The child reading an upload ran out of memory under its limit, was killed or crashed: the upload is too big or
    too complex to read. Nothing was stored."""


class ChildTimedOut(ChildFailed):
    """The child took longer than CHILD_SECONDS and was killed: the person is told it took too long (it read "memory
    over 350 MB", a reason it had not passed). Nothing was stored."""


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)
_children: set[multiprocessing.process.BaseProcess] = set()  # alive now: killed when the app shuts down
_children_lock = threading.Lock()
_thread: anyio.CapacityLimiter | None = None
# Who is asking, set for each request by the session middleware (server.web.auth): the account's id, or None.
uploader: contextvars.ContextVar[str | None] = contextvars.ContextVar("uploader", default=None)
# How often a waiting upload tries the slots again: a non-blocking flock per slot, microseconds each.
POLL_SECONDS = 0.05


def memory_limit() -> int:
    """A child's address space, in bytes (settings.upload_reader_mb)."""
    return get_settings().upload_reader_mb * MB


def slots_dir() -> Path:
    """Where the slots' lock files are: beside the SQLite database (every worker of a server shares it), else the
    checkout's var/ (a PostgreSQL server's workers run from one checkout)."""
    settings = get_settings()
    return (settings.sqlite_path.parent if settings.is_sqlite else ROOT / "var") / "upload-slots"


def _try_lock(path: Path) -> int | None:
    """The file at `path` locked for this request (flock: a lock of this open file, so two threads of one process
    exclude each other too, and the kernel lets it go when the process dies, however it dies), or None if taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


async def _first_free(paths: list[Path], deadline: float, whose: str) -> int:
    while True:
        for path in paths:
            fd = _try_lock(path)
            if fd is not None:
                return fd
        if time.monotonic() >= deadline:
            raise Busy(whose)
        await anyio.sleep(POLL_SECONDS)


def _release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the file lets go of its lock


# How much lower a reader's priority is than the server's: a long list read on a phone-sized server (2 cores, two
# readers) took the cores from the event loop, and /healthz waited 0.9 s. A reader waiting for a core only takes
# longer; the server's answers to everyone else come first.
READER_NICENESS = 10


def _child(result: Connection, limit: int, function: Callable[..., object], args: tuple) -> None:
    """In the child: the limits first, then the work, then its result (or its exception) to the parent."""
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(READER_NICENESS)
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
            raise ChildTimedOut("took too long")
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


async def off_loop(function: Callable[..., T], *args: object, read: Callable[[], Awaitable[bytes]] | None = None) -> T:
    """`function(*args)` in a child process of its own, under the memory limit, once a reader is free: at most
    `upload_readers` children in the whole server (a slot is a locked file in slots_dir(), shared by every worker
    process) and one for each person (the person's own lock file). An upload waiting for either waits at most
    `upload_wait_seconds`, holding no memory but its request's, then raises Busy. With `read`, the upload's bytes are
    read only once a slot is held, and passed first: a request waiting holds its file on disk (Litestar spools it).
    `function`, its arguments and its result cross a pipe pickled: send bytes, return bytes where they are large.
    Raises what `function` raised, ChildFailed (ChildTimedOut past CHILD_SECONDS), or Busy."""
    settings = get_settings()
    deadline = time.monotonic() + settings.upload_wait_seconds
    folder = slots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    who = uploader.get()
    own = slot = None
    try:
        if who is not None:  # this person's other upload first: one person never holds two slots
            name = hashlib.sha256(who.encode()).hexdigest()[:32]
            own = await _first_free([folder / f"person-{name}.lock"], deadline, "person")
        slots = [folder / f"slot-{n}.lock" for n in range(settings.upload_readers)]
        slot = await _first_free(slots, deadline, "server")
        if read is not None:
            args = (await read(), *args)
        # One thread a slot: more threads than slots would only wait.
        return await anyio.to_thread.run_sync(_run_child, function, args, memory_limit())
    finally:
        _release(slot)
        _release(own)


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
