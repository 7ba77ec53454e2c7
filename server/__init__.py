"""Gridcare (格格帮)."""

import os

# Piccolo finds its engine and apps through this module; set it before any table is imported.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
