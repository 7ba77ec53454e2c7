"""Command line: `python -m server migrate | seed | demo-city | serve | check`, setting a real community up:
`load-places FILE ...`, `add-user ...`, `reset-password ...` (README: "Setting up a community"), and keeping its
data: `backup`, `restore`, `purge` (README: "Backup, restore and retention")."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

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


async def _demo_city(args: argparse.Namespace) -> None:
    from server.db import close_database, open_database
    from server.demo.city import seed_city

    if not get_settings().demo:
        raise SystemExit("Refusing to make a demo city outside demo mode: set GRIDCARE_DEMO=1.")
    if not 1 <= args.communities <= 9999:
        raise SystemExit("--communities: a number from 1 to 9999.")
    await open_database()
    try:
        inserted = await seed_city(args.communities)
    finally:
        await close_database()
    added = ", ".join(f"{table} {count}" for table, count in inserted.items() if count) or "nothing new"
    print(f"Demo city of {args.communities} communities ready ({added}).")


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
        # uvicorn has no timeout for headers that trickle in: a public server sits behind a reverse proxy with its
        # own (README, "Running in production"; docs/decisions/0022). Bodies: server/web/slow_bodies.py.
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.limit_concurrency or None,
        timeout_graceful_shutdown=settings.shutdown_seconds,
    )


async def _load_places(args: argparse.Namespace) -> None:
    from server.db import close_database, open_database
    from server.places.list_rows import PROBLEMS, LoadError
    from server.places.loading import load_places

    try:
        data = Path(args.file).read_bytes()  # noqa: ASYNC240 (before the database opens: nothing waits on it)
    except OSError as exc:
        raise SystemExit(f"Cannot read {args.file}: {exc.strerror}") from exc
    await open_database()
    try:
        loaded = await load_places(
            data,
            args.file,
            community=args.community,
            subdistrict=args.subdistrict,
            district=args.district,
            city=args.city,
            dry_run=args.dry_run,
            another=args.another,
        )
    except LoadError as exc:
        raise SystemExit(f"Nothing loaded: {exc}.") from exc
    finally:
        await close_database()
    if loaded.problems:
        for problem in loaded.problems[:200]:
            detail = f" ({problem.detail})" if problem.detail else ""
            print(f"line {problem.line}: {PROBLEMS[problem.code]}{detail}", file=sys.stderr)
        more = len(loaded.problems) - 200
        raise SystemExit(
            f"Nothing loaded: {len(loaded.problems)} problems in {loaded.rows} rows"
            + (f" ({more} more not shown)" if more > 0 else "")
            + ". Correct the file and load it again."
        )
    added = ", ".join(f"{count} {table}" for table, count in loaded.added.items()) or "nothing new"
    verb = "Would add" if args.dry_run else "Added"
    print(f"{args.community}: {loaded.rows} rows read. {verb}: {added}.")
    if loaded.residents_known:
        print(f"{loaded.residents_known} people were already there and are left as the app has them.")
    if loaded.deceased:
        print(f"{loaded.deceased} rows of people who have died (已故) were not loaded.")
    if loaded.masked_phones:
        print(f"{loaded.masked_phones} masked phone numbers (138****5678) were not kept: add them in the app.")


async def _account(refused: str, change) -> object:
    """One account change on an open database; a refusal is said in words, with nothing changed."""
    from server.db import close_database, open_database
    from server.staff.provisioning import ProvisioningError

    await open_database()
    try:
        return await change()
    except ProvisioningError as exc:
        raise SystemExit(f"{refused}: {exc}.") from exc
    finally:
        await close_database()


async def _add_user(args: argparse.Namespace) -> None:
    from server.staff.provisioning import add_user, community_named

    async def make():
        return await add_user(await community_named(args.community), args.role, args.phone, args.name, args.grid)

    made = await _account("No account made", make)
    print(f"{args.name} logs in with {made.phone} and this password, shown only now: {made.password}")


async def _reset_password(args: argparse.Namespace) -> None:
    from server.staff.provisioning import reset_password

    made = await _account("No password changed", lambda: reset_password(args.phone))
    print(f"New password for {made.phone}, shown only now: {made.password} (their sessions have ended)")


async def _deactivate_user(args: argparse.Namespace) -> None:
    from server.staff.provisioning import deactivate_user

    name = await _account("Nothing changed", lambda: deactivate_user(args.phone))
    print(f"{name} can no longer log in; their sessions have ended and their grid (if any) is free for add-user.")


def _backup(args: argparse.Namespace) -> None:
    from datetime import datetime

    from server.operations.backup import BackupError, back_up

    settings = get_settings()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005 (the admin's own clock names their file)
    target = Path(args.file or f"var/backups/gridcare-{stamp}.{'sqlite3' if settings.is_sqlite else 'pgdump'}")
    try:
        size = back_up(settings, target)
    except BackupError as exc:
        raise SystemExit(f"No backup made: {exc}.") from exc
    print(f"Backed up to {target} ({size / 1e6:.1f} MB), readable by you only. Keep it as safe as the server.")


def _restore(args: argparse.Namespace) -> None:
    from server.operations.backup import BackupError, restore

    try:
        restored = restore(get_settings(), Path(args.file), force=args.force)
    except BackupError as exc:
        raise SystemExit(f"Nothing restored: {exc}.") from exc
    print(
        f"Restored {args.file}: {restored.tables} tables, {restored.rows} rows, of this version's schema. "
        "Start the server."
    )


MAX_PURGE_DAYS = 36_500


async def _purge(args: argparse.Namespace) -> None:
    import logging
    from datetime import UTC, datetime, timedelta

    from server.db import close_database, open_database
    from server.operations import retention

    if args.older_than_days < 1:
        raise SystemExit("Nothing removed: --older-than-days must be 1 or more (today's work is never purged).")
    if args.older_than_days > MAX_PURGE_DAYS:  # 999999999 days before now is before the year 1: an OverflowError
        raise SystemExit(f"Nothing removed: --older-than-days must be at most {MAX_PURGE_DAYS} (100 years).")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")  # the log line of what went
    now = datetime.now(UTC)
    cutoff = now - timedelta(days=args.older_than_days)
    await open_database()
    try:
        who = await retention.purger(args.by, args.community)
        found = await retention.preview(who.community_id, cutoff)
        print(f"{who.community}: older than {args.older_than_days} days (before {cutoff:%Y-%m-%d %H:%M} UTC):")
        print(
            f"  sweep ticks:   {found.ticks} (of {found.sweeps} sweeps; every door keeps its state, "
            "no longer who recorded it, when, nor their notes)"
        )
        print(
            f"  errand photos: {found.photos} ({found.photo_bytes / 1e6:.1f} MB) of finished cards "
            "(open cards and receipts of money still owed keep theirs)"
        )
        print(f"  audit entries: {found.audit} lose whose record was read and from where (who, what, when stay)")
        print(f"  refused writes, requests to join, import results: {found.refused} (what was typed in them)")
        if args.dry_run:
            print("Nothing removed (--dry-run).")
            return
        if not (found.ticks or found.photos or found.audit or found.refused):
            print("Nothing to remove.")
            return
        if not args.yes:
            print("Remove them for good? Backups made before keep them: delete those too. Type yes: ", end="")
            if sys.stdin.readline().strip().lower() != "yes":
                raise SystemExit("Nothing removed.")
        gone = await retention.purge(who.community_id, cutoff, who.admin_id, args.older_than_days, now)
        print(f"Removed {gone.summary()}; recorded in the audit log under {who.name}.")
    except retention.RetentionError as exc:
        raise SystemExit(f"Nothing removed: {exc}.") from exc
    finally:
        await close_database()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server", description="Gridcare (格格帮)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database's tables up to date")
    commands.add_parser("seed", help="add the demo community (demo mode only)")
    city = commands.add_parser("demo-city", help="add N synthetic communities of the demo's size (demo mode only)")
    city.add_argument("--communities", type=int, required=True, metavar="N", help="e.g. 50: ~133,000 households")
    commands.add_parser("serve", help="serve the app")
    commands.add_parser("check", help="refuse what serve would refuse")
    load = commands.add_parser(
        "load-places",
        help="add a community's buildings, doors and people from its list (.xlsx/.csv, one row a person)",
    )
    load.add_argument("file")
    load.add_argument("--community", required=True, help="e.g. 铁北社区")
    load.add_argument("--subdistrict", required=True, help="e.g. 柴村街道")
    load.add_argument("--district", required=True, help="e.g. 尖草坪区")
    load.add_argument("--city", required=True, help="e.g. 太原市")
    load.add_argument("--dry-run", action="store_true", help="read and count, write nothing")
    load.add_argument("--another", action="store_true", help="a community of that name exists elsewhere: make another")
    user = commands.add_parser("add-user", help="an account for the community's admin or a grid worker")
    user.add_argument("--community", required=True, help="its name (or id, when several share the name)")
    user.add_argument("--role", required=True, choices=["admin", "grid_worker"])
    user.add_argument("--phone", required=True, help="their mobile number: what they log in with")
    user.add_argument("--name", required=True)
    user.add_argument("--grid", type=int, help="a grid worker's grid number")
    reset = commands.add_parser("reset-password", help="a new password for someone who lost theirs")
    reset.add_argument("--phone", required=True)
    leave = commands.add_parser("deactivate-user", help="someone leaves: no more log-in, their grid is free")
    leave.add_argument("--phone", required=True)
    backup = commands.add_parser("backup", help="a consistent copy of the database, also while the app serves")
    backup.add_argument("file", nargs="?", help="where to write it (default var/backups/gridcare-<time>.*)")
    restore = commands.add_parser("restore", help="bring a backup back (into an empty database unless --force)")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace a database that holds data")
    purge = commands.add_parser(
        "purge", help="when an emergency ends: remove sweep ticks, errand photos and audit details older than N days"
    )
    purge.add_argument("--older-than-days", type=int, required=True, metavar="N")
    purge.add_argument("--by", required=True, metavar="PHONE", help="the community admin deciding it (audit log)")
    purge.add_argument("--community", help="a check: the admin's own community, by name or id")
    purge.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    purge.add_argument("--yes", action="store_true", help="remove without asking")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        _serve()
        return
    if args.command in ("backup", "restore"):  # no event loop: sqlite3, pg_dump and pg_restore
        {"backup": _backup, "restore": _restore}[args.command](args)
        return
    simple = {"migrate": _migrate, "seed": _seed, "check": _check}
    if args.command in simple:
        asyncio.run(simple[args.command]())
        return
    runs = {
        "load-places": _load_places,
        "add-user": _add_user,
        "reset-password": _reset_password,
        "deactivate-user": _deactivate_user,
        "purge": _purge,
        "demo-city": _demo_city,
    }
    asyncio.run(runs[args.command](args))


if __name__ == "__main__":
    main(sys.argv[1:])
