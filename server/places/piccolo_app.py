from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.places.tables import Building, Community, District, Grid, Household, Resident, Subdistrict, Unit

APP_CONFIG = AppConfig(
    app_name="places",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "places"),
    table_classes=[District, Subdistrict, Community, Grid, Building, Unit, Household, Resident],
)
