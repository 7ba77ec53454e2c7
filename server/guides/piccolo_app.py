from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.guides.tables import Guide, GuideFont, GuideLink, GuideStep

APP_CONFIG = AppConfig(
    app_name="guides",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "guides"),
    table_classes=[Guide, GuideStep, GuideLink, GuideFont],
    migration_dependencies=["server.places.piccolo_app", "server.accounts.piccolo_app"],
)
