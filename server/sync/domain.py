"""The sync domain's routes: the one endpoint every offline write comes through, and the phone's CSRF token."""

from server.sync.controllers import csrf_token, sync_writes
from server.web.domains import Domain

DOMAIN = Domain(api=[sync_writes, csrf_token])
