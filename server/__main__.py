"""Command line: `python -m server migrate | seed | serve`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from server.settings import get_settings


async def _migrate() -> None:
    from server.db import migrate

    await migrate()


async def _seed() -> None:
    from server.db import close_database, open_database
    from server.demo.seed import seed_demo

    if not get_settings().demo:
        raise SystemExit("Refusing to seed demo accounts outside demo mode: set GRIDCARE_DEMO=1.")
    await open_database()
    try:
        inserted = await seed_demo()
    finally:
        await close_database()
    added = ", ".join(f"{table} {count}" for table, count in inserted.items() if count) or "nothing new"
    print(f"Demo community ready ({added}).")


async def _check() -> None:
    from server.app import UnsafeStart, check_safe_to_serve
    from server.db import close_database, open_database

    await open_database()
    try:
        await check_safe_to_serve(get_settings())
    except UnsafeStart as exc:
        raise SystemExit(f"Refusing to start: {exc}") from exc
    finally:
        await close_database()


def _serve() -> None:
    import uvicorn

    settings = get_settings()
    asyncio.run(_check())  # fail with a clear message before any worker starts
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description="Gridcare (格格帮)")
    parser.add_argument("command", choices=["migrate", "seed", "serve", "check"])
    command = parser.parse_args(argv).command
    if command == "serve":
        _serve()
    else:
        asyncio.run({"migrate": _migrate, "seed": _seed, "check": _check}[command]())


if __name__ == "__main__":
    main(sys.argv[1:])
