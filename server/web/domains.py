"""What a domain brings to the app, said in one place: `server/<domain>/domain.py` holds its `DOMAIN`, and
`server/app.py` reads the domains it names (one line each). A newcomer adding a domain copies a folder's shape and
adds its name there (issue 17)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Domain:
    pages: Sequence = ()  # controllers and route handlers served at the site's root (pages, forms, files)
    api: Sequence = ()  # route handlers under /api/v1 (JSON for the phone's script)
    writes: Sequence = ()  # the offline write kinds (server.sync.services.Kind) the sync endpoint accepts
    # Functions its templates call by name: codes said in words from Python tables (register/import_words.py).
    template_globals: Mapping[str, Callable] = field(default_factory=dict)
