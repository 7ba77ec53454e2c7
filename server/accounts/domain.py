"""The accounts domain's routes: log-in and log-out, and who the phone's person is."""

from server.accounts.api_controllers import get_me
from server.accounts.controllers import AuthController
from server.web.domains import Domain

DOMAIN = Domain(pages=[AuthController], api=[get_me])
