from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.reconcile.tables import ExpectedResident, ListRow, ReconcileArea, Reconciliation

APP_CONFIG = AppConfig(
    app_name="reconcile",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "reconcile"),
    table_classes=[Reconciliation, ReconcileArea, ExpectedResident, ListRow],
    migration_dependencies=["server.places.piccolo_app", "server.accounts.piccolo_app", "server.sweeps.piccolo_app"],
)
