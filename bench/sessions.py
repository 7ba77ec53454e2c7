"""What a session lookup costs each request, against /healthz (no session, one trivial query) as the baseline.

Every request that needs a user reads the sessions' generation (docs/decisions/0002) and, when it has not moved,
uses the session this process read a moment ago; otherwise it reads the session (and a grid worker's grids) again.
Measured through the app for a grid worker's /api/v1/me (the smallest page that needs a user): with the session
kept, and with it read from the database each time (the cache emptied before each request), and the lookup alone.
"""

from __future__ import annotations

import statistics
import time

from bench.common import backend, client, log_in, timed_gets
from server.accounts import services

ROUNDS = 200


async def _lookups(token: str, kept: bool) -> float:
    samples = []
    for _ in range(ROUNDS):
        if not kept:
            services._recent_sessions.clear()
        start = time.perf_counter()
        assert await services.user_for_token(token) is not None
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def sessions() -> None:
    async with client() as browser:
        await log_in(browser, "13800000002")
        token = browser.cookies["gc_session"]
        baseline = statistics.median(await timed_gets(browser, "/healthz", ROUNDS))
        kept = statistics.median(await timed_gets(browser, "/api/v1/me", ROUNDS))
        samples = []
        await browser.get("/api/v1/me")
        for _ in range(ROUNDS):
            services._recent_sessions.clear()
            start = time.perf_counter()
            await browser.get("/api/v1/me")
            samples.append(time.perf_counter() - start)
        read = statistics.median(samples)
        lookup_kept, lookup_read = await _lookups(token, kept=True), await _lookups(token, kept=False)
    print(f"sessions on {backend()}: /healthz {baseline * 1000:.2f} ms (median of {ROUNDS})")
    print(f"  /api/v1/me, session kept (generation read)   {kept / baseline:5.2f} x /healthz")
    print(f"  /api/v1/me, session read every request       {read / baseline:5.2f} x /healthz")
    print(
        f"  the lookup alone: kept {lookup_kept * 1000:.3f} ms ({lookup_kept / baseline:.2f} x /healthz),"
        f" read {lookup_read * 1000:.3f} ms ({lookup_read / baseline:.2f} x /healthz)"
    )


if __name__ == "__main__":  # python -m bench.sessions: the PostgreSQL run, in a process of its own (see __main__.py)
    import asyncio

    from bench.common import prepare

    async def main() -> None:
        await prepare()
        await sessions()

    asyncio.run(main())
