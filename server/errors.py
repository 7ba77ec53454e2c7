"""One base for the refusals that domains' services raise (issue 17, docs/decisions/0030).

A service knows nothing of HTTP, yet it knows what its refusal means: "not_found" is a 404, "busy" a 503, a bad form a
400. Each domain's error says so once, in `statuses`; a route catches the refusals it says in its own words, in place
(a form shown again with the message), and lets the others through to the app's one handler
(`server.web.pages.domain_error`), which answers a page or, under /api/, JSON in the person's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class DomainError(Exception):
    """A write or read refused by a service, nothing changed; `code` says which refusal."""

    statuses: ClassVar[Mapping[str, int]] = {"not_found": 404}
    default_status: ClassVar[int] = 400

    def __init__(self, code: str, text: str | None = None) -> None:
        super().__init__(text if text is not None else code)
        self.code = code

    @property
    def status(self) -> int:
        """The HTTP status this refusal is answered with when no route says it in its own words."""
        return self.statuses.get(self.code, self.default_status)
