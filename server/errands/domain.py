"""The errands domain's routes and offline writes: cards, a resident's own requests, and the cards' moves."""

from server.errands.actions import ACTION
from server.errands.controllers import AskController, ErrandsController
from server.web.domains import Domain

DOMAIN = Domain(pages=[ErrandsController, AskController], writes=[ACTION])
