"""The guides domain's routes: writing guides, and reading them (residents without an account included)."""

from server.guides.controllers import GuidesController
from server.guides.reading_controllers import GuideReader, guide_font
from server.web.domains import Domain

DOMAIN = Domain(pages=[GuidesController, GuideReader, guide_font])
