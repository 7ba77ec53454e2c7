from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.register.tables import CheckIn, Contact, ElderProfile, FollowUp, ProfileChange, RegisterImport

APP_CONFIG = AppConfig(
    app_name="register",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "register"),
    table_classes=[ElderProfile, Contact, CheckIn, FollowUp, ProfileChange, RegisterImport],
    migration_dependencies=["server.places.piccolo_app", "server.accounts.piccolo_app"],
)
