from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.sweeps.tables import (
    DoorState,
    JoinRequest,
    Sweep,
    SweepArea,
    SweepClaim,
    SweepInvite,
    SweepMember,
    SweepTick,
)

APP_CONFIG = AppConfig(
    app_name="sweeps",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "sweeps"),
    table_classes=[Sweep, SweepArea, SweepInvite, JoinRequest, SweepMember, SweepClaim, SweepTick, DoorState],
    migration_dependencies=["server.places.piccolo_app", "server.accounts.piccolo_app"],
)
