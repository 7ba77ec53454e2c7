"""The sweeps domain's routes and offline writes: sweeps, joining one, its team, closing it, and the door ticks."""

from server.sweeps.controllers import SweepsController
from server.sweeps.join_controllers import JoinController
from server.sweeps.lifecycle_controllers import LifecycleController
from server.sweeps.team_controllers import TeamController
from server.sweeps.ticks import TICK
from server.web.domains import Domain

DOMAIN = Domain(pages=[SweepsController, JoinController, TeamController, LifecycleController], writes=[TICK])
