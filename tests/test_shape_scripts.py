"""The shape of the phone's scripts (issue 17, docs/decisions/0037): small files, one feature each, joined by the
server.

A test that fails when someone grows a script back into a giant, writes a cache or storage name as a literal instead of
reading it from names.js, or adds a script that no page loads.
"""

import json
import re
import shutil
import subprocess

import pytest

from server.web import scripts
from server.web.templating import FRONTEND, TEMPLATES

JS = scripts.JS
SERVICE_WORKER = FRONTEND / "sw.js"
MAX_LINES = 300
# Longer than that, and not to grow: the outbox is one engine shared by the pages and the service worker, left whole
# when app.js was split (its own split is for another day).
CEILINGS = {"outbox.js": 520}


def _names() -> dict[str, str]:
    """names.js's names and their values, read from its source."""
    source = (JS / "names.js").read_text(encoding="utf-8")
    return dict(re.findall(r'^\s*([A-Z_]+): "([^"]+)",', source, re.MULTILINE))


def _scripts() -> list:
    return sorted(JS.glob("*.js"))


def test_no_script_is_a_giant():
    for script in _scripts():
        lines = len(script.read_text(encoding="utf-8").splitlines())
        assert lines <= CEILINGS.get(script.name, MAX_LINES), f"{script.name}: {lines} lines, split it by feature"


def test_names_are_written_once_in_names_js():
    names = _names()
    assert {"PAGES_CACHE", "GUIDES_CACHE", "SHELL_CACHE_PREFIX", "DATABASE", "OUTBOX", "OWNER_KEY", "SIZE_KEY"} <= set(
        names
    )
    for script in [*_scripts(), SERVICE_WORKER]:
        if script.name == "names.js":
            continue
        source = script.read_text(encoding="utf-8")
        for key, value in names.items():
            said = f"{script.name} writes {value!r}: use GridcareNames.{key}"
            for quote in "\"'`":
                assert f"{quote}{value}{quote}" not in source, said
            assert f"`{value}$" not in source, said


def test_templates_say_the_event_names_js_names():
    """hx-trigger cannot read a script's name: the event the templates listen for is the one the scripts send."""
    event = _names()["SYNCED_EVENT"]
    for template in TEMPLATES.rglob("*.html"):
        for said in re.findall(r"gridcare:[a-z-]+", template.read_text(encoding="utf-8")):
            assert said == event, f"{template.name} listens for {said}, the scripts send {event}"


def test_every_script_is_loaded_and_in_its_order():
    joined = {file for files in (scripts.FEATURES, scripts.READER, scripts.WORKER) for file in files}
    present = {script.name for script in _scripts()}
    assert joined <= present, f"listed but missing: {sorted(joined - present)}"
    assert present <= joined, f"in frontend/static/js but loaded by no page: {sorted(present - joined)}"
    for files in (scripts.FEATURES, scripts.READER, scripts.WORKER):
        assert files[0] == "names.js" and len(set(files)) == len(files)
    assert scripts.FEATURES[1] == "outbox.js" and scripts.FEATURES[-1] == "start.js"
    # The service worker precaches the page's one script, and no feature file on its own.
    from server.pwa.controllers import _service_worker_source

    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", _service_worker_source()).group(1))
    assert [url for url in shell if url.startswith("/static/js/")] == [
        url for url in shell if url.startswith("/static/js/page.js?v=")
    ]
    assert len([url for url in shell if url.startswith("/static/js/")]) == 1


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to parse scripts with")
def test_each_script_and_each_joined_script_parses(tmp_path):
    for name in scripts.JOINED:
        (tmp_path / name.replace("/", "-")).write_text(scripts.joined(name), encoding="utf-8")
    for script in [*_scripts(), *tmp_path.iterdir()]:
        checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, check=False)  # noqa: S603, S607
        assert checked.returncode == 0, f"{script.name}: {checked.stderr}"
