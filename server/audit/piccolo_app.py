from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.audit.tables import AuditEntry

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "audit"),
    table_classes=[AuditEntry],
    migration_dependencies=["server.accounts.piccolo_app"],
)
