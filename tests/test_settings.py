"""Settings: every one documented, bad values refused, and a production start refused when unsafe."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import msgspec
import pytest

from server.app import UnsafeStart, check_safe_to_serve
from server.settings import DEFAULT_SECRET, ROOT, Settings, from_environ, get_settings


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(GRIDCARE_[A-Z_]+)`", readme))
    for name in Settings.__struct_fields__:
        assert f"GRIDCARE_{name.upper()}" in documented, f"document GRIDCARE_{name.upper()} in README.md"


def test_settings_are_read_and_converted():
    settings = from_environ({"GRIDCARE_PORT": "9000", "GRIDCARE_DEMO": "true", "GRIDCARE_WORKERS": "4"})
    assert settings.port == 9000 and settings.demo is True and settings.workers == 4
    assert settings.secure_cookies is False  # demo mode defaults to plain http
    assert from_environ({}).secure_cookies is True
    assert from_environ({"GRIDCARE_COOKIE_SECURE": "false"}).secure_cookies is False


def test_a_bad_setting_stops_the_start_with_its_name():
    with pytest.raises(SystemExit, match=r"port"):
        from_environ({"GRIDCARE_PORT": "eighty"})


async def test_production_refuses_the_default_secret():
    with pytest.raises(UnsafeStart, match="SECRET_KEY"):
        await check_safe_to_serve(msgspec.structs.replace(get_settings(), demo=False, secret_key=DEFAULT_SECRET))


async def test_production_refuses_a_database_with_demo_accounts():
    production = msgspec.structs.replace(get_settings(), demo=False, secret_key="x" * 48)
    with pytest.raises(UnsafeStart, match="demo accounts"):
        await check_safe_to_serve(production)
    await check_safe_to_serve(msgspec.structs.replace(production, demo=True))  # the demo may


def test_serve_command_refuses_before_starting_a_worker():
    env = {**os.environ, "GRIDCARE_DEMO": "0", "GRIDCARE_SECRET_KEY": "s" * 48, "GRIDCARE_PORT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "server", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "Refusing to start" in done.stderr and "demo accounts" in done.stderr


def test_seed_command_refuses_outside_demo_mode():
    env = {**os.environ, "GRIDCARE_DEMO": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "server", "seed"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "GRIDCARE_DEMO=1" in done.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEFAULT_LOCALE", "zh"), ("TIMEZONE", "Mars/Base"), ("LOG_LEVEL", "loud"), ("DATABASE_URL", "mysql://db")],
)
def test_impossible_values_stop_the_start(name, value):
    with pytest.raises(SystemExit, match="Invalid setting"):
        from_environ({f"GRIDCARE_{name}": value})


async def test_production_refuses_a_short_secret():
    with pytest.raises(UnsafeStart, match="shorter than"):
        await check_safe_to_serve(msgspec.structs.replace(get_settings(), demo=False, secret_key="changeme"))
