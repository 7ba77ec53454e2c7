"""Work the tests send to the children that read uploads (server.offload): it must be importable there, by name."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path


def held(started: str, gate: str) -> str:
    """An upload that takes as long as the test wants: it says it started, then waits for the gate to open."""
    Path(started).touch()
    deadline = time.monotonic() + 300
    while not Path(gate).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the gate was never opened")
        time.sleep(0.01)
    return "done"


def address_space() -> int:
    """The child's address space in use, in bytes, before it reads anything."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmSize:\s+(\d+) kB", status).group(1)) * 1024


def killed() -> None:
    """As the kernel ends a process out of memory: no exception, no answer."""
    os.kill(os.getpid(), signal.SIGKILL)


def stuck(*_: object) -> None:
    """An upload whose reading never ends (as a hostile file's did, for 300 s): the parent stops waiting for it."""
    time.sleep(600)
