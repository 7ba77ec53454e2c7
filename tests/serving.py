"""`python -m server serve` as deployed (uvicorn, its proxy headers), on the test run's database, for the tests that
need a real server process: a proxy in front of it, a backup taken while it serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python -m server ARGS` on the test run's database (or `env`'s), as an admin types it."""
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


class Served:
    """`with Served(GRIDCARE_X="...") as server:` ... `server.url("/login")`; its output in `server.log`."""

    def __init__(self, **env: str) -> None:
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.env = {**os.environ, "GRIDCARE_HOST": "127.0.0.1", "GRIDCARE_PORT": str(self.port), **env}
        self.log = Path(tempfile.mkstemp(prefix="gridcare-served-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Served:
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, "-m", "server", "serve"], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as answer:  # noqa: S310 (127.0.0.1)
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)  # polling a starting process: nothing to wait on yet

    def __exit__(self, *_) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
