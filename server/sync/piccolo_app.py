from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.sync.tables import SyncRejection

APP_CONFIG = AppConfig(
    app_name="sync",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "sync"),
    table_classes=[SyncRejection],
    migration_dependencies=["server.accounts.piccolo_app"],
)
