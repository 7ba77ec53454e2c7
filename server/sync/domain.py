"""The sync domain's routes: the one endpoint every offline write comes through, the phone's CSRF token, and the
writes the server refused, for the people who can act on them (/refused)."""

from server.sync.controllers import csrf_token, sync_writes
from server.sync.refused_controllers import RefusedController
from server.web.domains import Domain

DOMAIN = Domain(pages=[RefusedController], api=[sync_writes, csrf_token])
