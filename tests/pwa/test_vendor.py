"""Vendored browser assets are the versions pinned in frontend/package.json."""

import json
import re

from server.settings import ROOT
from server.web.templating import FRONTEND, STATIC


def test_vendored_htmx_is_the_pinned_version():
    pinned = json.loads((FRONTEND / "package.json").read_text())["dependencies"]["htmx.org"]
    locked = json.loads((FRONTEND / "package-lock.json").read_text())["packages"]["node_modules/htmx.org"]["version"]
    vendored = re.search(r'version:"([\d.]+)"', (STATIC / "vendor" / "htmx.min.js").read_text()).group(1)
    assert pinned == locked == vendored


def test_vendored_axe_core_is_the_pinned_version():
    pinned = json.loads((FRONTEND / "package.json").read_text())["devDependencies"]["axe-core"]
    locked = json.loads((FRONTEND / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]["version"]
    vendored = re.search(r"axe v([\d.]+)", (ROOT / "e2e" / "vendor" / "axe.min.js").read_text()[:200]).group(1)
    assert pinned == locked == vendored
