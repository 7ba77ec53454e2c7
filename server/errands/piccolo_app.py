from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.errands.tables import Errand, ErrandEvent, ErrandItem, ErrandPhoto

APP_CONFIG = AppConfig(
    app_name="errands",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "errands"),
    table_classes=[Errand, ErrandItem, ErrandEvent, ErrandPhoto],
    migration_dependencies=["server.places.piccolo_app", "server.accounts.piccolo_app"],
)
