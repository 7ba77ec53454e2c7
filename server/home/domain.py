"""The home domain's routes: each person's first page, and what needs a grid worker now."""

from server.home.controllers import home_page, now_page
from server.web.domains import Domain

DOMAIN = Domain(pages=[home_page, now_page])
