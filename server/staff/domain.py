"""The staff domain's routes: the admin's people page, and a grid handed to a colleague."""

from server.staff.controllers import PeopleController
from server.staff.handover_controllers import HandoverController
from server.web.domains import Domain

DOMAIN = Domain(pages=[PeopleController, HandoverController])
