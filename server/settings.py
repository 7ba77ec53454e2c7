"""Typed settings, read from the environment once. Nothing else in the code reads os.environ.

Every field here is documented in README.md; tests/test_settings.py fails when one is not.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "gridcare-insecure-demo-secret-change-me"  # noqa: S105 (the known value a production start refuses)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # Where the data lives: sqlite:///relative/or/absolute/path.sqlite3 or postgresql://user:pass@host/db
    database_url: str = f"sqlite:///{ROOT / 'var' / 'gridcare.sqlite3'}"
    # Signs CSRF tokens. A production start refuses the default.
    secret_key: str = DEFAULT_SECRET
    # Demo mode: demo accounts and the demo community are allowed. `make run` turns it on.
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are trusted.
    forwarded_allow_ips: str = "127.0.0.1"
    # Mark session and CSRF cookies Secure (https only). Defaults to on outside demo mode.
    cookie_secure: bool | None = None
    session_hours: int = 12
    # Failed log-ins allowed within the window, per phone number and per client address (neither holds a phone that
    # logged in to that account before: it has its own limit), docs/decisions/0026.
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_max_failures_per_device: int = 5
    # Wrong passwords within the window from one IPv6 /48 (a site) without a known phone: 120 /64s of one site each
    # under the address's limit kept every password check busy (a stranger's third walk of issue 15, B).
    login_max_failures_per_site: int = 60
    login_window_minutes: int = 15
    # Wrong join codes within the window per IPv6 /48 (a site: 65,536 phone lines), and from everyone together (a code
    # names no community until it matches): a sweep of the million codes takes months (docs/decisions/0026).
    join_max_failures_per_site: int = 60
    join_max_wrong_codes: int = 200
    # New guests (a phone number joining a sweep for the first time) made within the login window, per client address
    # and per join code: above these, joining with a new number waits (a 429), so one script cannot fill a sweep
    # with made-up volunteers. A community's volunteers behind one address at 8:00 must stay well under them.
    join_max_new_guests_per_address: int = 30
    join_max_new_guests_per_code: int = 80
    # Unanswered calls of the round count apart (toward 2次未接 and a go-and-look card) only this many minutes apart
    # by the phone's clock: two taps of 未接 seconds apart are one call (a gloved double tap), not two.
    calls_apart_minutes: int = 10
    # A volunteer's hold on a unit or floors of a sweep lasts this long unless extended.
    claim_minutes: int = 120
    # How long a session made by joining a sweep with its code lasts.
    join_session_hours: int = 12
    # An errand card stands out on the board when not delivered within this many minutes (medicine: whichever is
    # shorter of its own time and its urgency's).
    errand_medicine_minutes: int = 120
    errand_urgent_minutes: int = 240
    errand_today_minutes: int = 720
    errand_later_minutes: int = 2880
    # The server's connections (uvicorn; docs/decisions/0022). An idle connection between requests closes after this
    # many seconds. Past limit_concurrency connections or requests at once in a worker, new requests get a 503 (a
    # flood of open connections must not take every file descriptor). On a stop, requests still running get this
    # long to finish.
    keep_alive_seconds: int = 5
    limit_concurrency: int = 1000
    shutdown_seconds: int = 30
    # A request's body must arrive within body_timeout_seconds, plus a second for each body_min_bytes_per_second
    # bytes received (as Apache's mod_reqtimeout); slower, a 408 and the connection closes. 0 turns it off.
    body_timeout_seconds: int = 30
    body_min_bytes_per_second: int = 500
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    # The community's clock: what "today" and "age" mean on every page.
    timezone: str = "Asia/Shanghai"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # The handwriting font of the guides (LXGW WenKai, SIL OFL; Debian package fonts-lxgw-wenkai). Each guide is
    # served a subset of it; without the file, guides fall back to the phone's own Kai or serif font.
    # Uploads (lists, drafts, pictures) are read in child processes (decision 0018): this many at a time in the whole
    # server (all its worker processes together; one a person), each within this much address space (MB); past it the
    # upload is refused as too big or too complex. An upload waits at most upload_wait_seconds for a reader, then the
    # person is told the server is busy.
    upload_readers: int = 2
    upload_reader_mb: int = 350
    upload_wait_seconds: int = 20
    # Bodies larger than a form (a list, a photo) taken in at once by one server process, in MB, and one a person at a
    # time; any other is refused at once with a 503, before it is read (server/web/upload_budget.py).
    upload_bodies_mb: int = 120
    guide_font: str = "/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf"

    @property
    def secure_cookies(self) -> bool:
        return (not self.demo) if self.cookie_secure is None else self.cookie_secure

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        if not self.database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("database_url must start with sqlite:/// or postgresql://")

    def today(self) -> date:
        """Today on the community's clock (not the server's)."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))


PREFIX = "GRIDCARE_"


def from_environ(environ: dict[str, str] | os._Environ[str] | None = None) -> Settings:
    """Build settings from GRIDCARE_* variables; a bad value stops the start with a clear message."""
    environ = os.environ if environ is None else environ
    raw = {
        name: environ[PREFIX + name.upper()] for name in Settings.__struct_fields__ if PREFIX + name.upper() in environ
    }
    try:
        # strict=False lets "8000" become 8000 and "1"/"true" become True.
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"Invalid setting: {exc} (see README.md, Settings)") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return from_environ()
