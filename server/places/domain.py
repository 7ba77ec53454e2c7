"""The places domain's routes: buildings, households and residents, as pages and as JSON."""

from server.places.api_controllers import PlacesApi
from server.places.controllers import PlacesController
from server.web.domains import Domain

DOMAIN = Domain(pages=[PlacesController], api=[PlacesApi])
