"""The register domain's routes and offline writes: profiles, the daily round and its calls, the import."""

from server.register.controllers import RegisterAdminController, RegisterController, round_phones
from server.register.import_controllers import RegisterImportController
from server.register.round import CHECK_IN
from server.web.domains import Domain

DOMAIN = Domain(
    pages=[RegisterController, RegisterAdminController, RegisterImportController],
    api=[round_phones],
    writes=[CHECK_IN],
)
