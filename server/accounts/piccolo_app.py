from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.accounts.tables import (
    GridCover,
    GridHandover,
    GuestDevice,
    LoginAttempt,
    LoginDevice,
    SessionGeneration,
    User,
    UserSession,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "accounts"),
    table_classes=[
        User,
        UserSession,
        LoginAttempt,
        GridCover,
        GridHandover,
        GuestDevice,
        SessionGeneration,
        LoginDevice,
    ],
    migration_dependencies=["server.places.piccolo_app"],
)
