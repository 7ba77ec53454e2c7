"""The reconcile domain's routes: a list of people checked against the community."""

from server.reconcile.controllers import ReconcileController
from server.web.domains import Domain

DOMAIN = Domain(pages=[ReconcileController])
