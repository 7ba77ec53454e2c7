"""Piccolo's engine and apps, chosen from the typed settings."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from server.settings import get_settings
from server.sqlite_engine import KeptConnectionsSQLiteEngine


def _engine():
    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # A busy database waits up to 30 s for a writer instead of failing at once. check_same_thread=False lets
        # server.db.RawSQL run a write transaction's hot statements without a hop to aiosqlite's thread.
        return KeptConnectionsSQLiteEngine(path=str(settings.sqlite_path), timeout=30, check_same_thread=False)
    return PostgresEngine(config={"dsn": settings.database_url})


DB = _engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "server.places.piccolo_app",
        "server.accounts.piccolo_app",
        "server.audit.piccolo_app",
        "server.sync.piccolo_app",
        "server.sweeps.piccolo_app",
        "server.register.piccolo_app",
        "server.reconcile.piccolo_app",
        "server.guides.piccolo_app",
        "server.errands.piccolo_app",
    ]
)
