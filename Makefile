# Gridcare. `make run` and `make test` set everything up themselves on a fresh Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
VENV_STAMP := .venv/.installed-$(shell sha256sum requirements.lock | cut -c1-12)
DEMO_DB ?= var/gridcare.sqlite3
TEST_PG ?= postgresql://gridcare:gridcare@127.0.0.1:5432/gridcare_test

.PHONY: help run test setup guide-font vendor test-sqlite test-postgres test-e2e lint bench lock messages clean

help:
	@echo "make run    set up, then serve the demo community at http://127.0.0.1:8000"
	@echo "make test   set up, then run every test (SQLite, PostgreSQL, Chromium)"
	@echo "make lint | bench | lock | messages | vendor | clean"

## Set-up ---------------------------------------------------------------------------------------------------------
$(VENV_STAMP): requirements.lock
	@command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3; }
	@python3 -m venv --help >/dev/null 2>&1 && python3 -c "import ensurepip" 2>/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	rm -rf .venv && python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

setup: $(VENV_STAMP)

# The guides' handwriting font (LXGW WenKai, SIL OFL 1.1) from Debian, pinned; guides fall back to the phone's own
# fonts without it. Not committed: the file is 15 MB, and each guide page serves a subset of it (docs/decisions/0005).
GUIDE_FONT_DEB := fonts-lxgw-wenkai=1.250+repack-1
guide-font:
	@[ -f /usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf ] || { \
	  if [ "$$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GUIDE_FONT_DEB) >/dev/null; \
	  else echo "Guides need their font: sudo apt-get install $(GUIDE_FONT_DEB) (or set GRIDCARE_GUIDE_FONT)"; fi; }

# htmx is vendored (committed) in frontend/static/vendor, and axe-core (for the browser tests' accessibility checks,
# never served) in e2e/vendor, at the versions pinned in frontend/package.json; tests/pwa/test_vendor.py checks that
# they agree. After changing a pin: make vendor.
vendor:
	cd frontend && npm ci --no-audit --no-fund --silent
	cp frontend/node_modules/htmx.org/dist/htmx.min.js frontend/static/vendor/htmx.min.js
	cp frontend/node_modules/axe-core/axe.min.js e2e/vendor/axe.min.js

## Run the demo -----------------------------------------------------------------------------------------------------
run: export GRIDCARE_DEMO = 1
run: export GRIDCARE_DATABASE_URL = sqlite:///$(abspath $(DEMO_DB))
run: setup guide-font
	$(PY) -m server migrate
	$(PY) -m server seed
	$(PY) -m server serve

## Tests ------------------------------------------------------------------------------------------------------------
test: setup lint
	bash tests/support/system-deps.sh
	bash tests/support/postgres.sh
	$(MAKE) --no-print-directory test-sqlite test-postgres test-e2e

test-sqlite: setup
	GRIDCARE_TEST_DATABASE=sqlite $(PY) -m pytest tests -q -p no:cacheprovider

test-postgres: setup
	GRIDCARE_TEST_DATABASE=postgres GRIDCARE_TEST_POSTGRES_URL=$${GRIDCARE_TEST_POSTGRES_URL:-$(TEST_PG)} \
	  $(PY) -m pytest tests -q -p no:cacheprovider

test-e2e: setup
	$(PY) -m pytest e2e -q -p no:cacheprovider

lint: setup
	.venv/bin/ruff check server tests e2e bench
	.venv/bin/ruff format --check server tests e2e bench

bench: setup
	$(PY) -m bench

## Maintenance ------------------------------------------------------------------------------------------------------
lock: setup  # after changing pyproject.toml dependencies
	.venv/bin/pip install -q uv==0.13.8 && .venv/bin/uv pip compile pyproject.toml --extra dev \
	  --generate-hashes --python-version 3.11 -o requirements.lock

messages: setup  # extract messages from code and templates into the catalogs
	.venv/bin/pybabel extract -F server/i18n/babel.cfg -o server/i18n/messages.pot --no-location --sort-output \
	  --omit-header -k translate:2 server frontend/templates
	for l in zh_CN en; do \
	  if [ -f server/i18n/locales/$$l/LC_MESSAGES/messages.po ]; then \
	    .venv/bin/pybabel update -i server/i18n/messages.pot -d server/i18n/locales -l $$l --no-fuzzy-matching --omit-header --ignore-obsolete; \
	  else .venv/bin/pybabel init -i server/i18n/messages.pot -d server/i18n/locales -l $$l; fi; done

clean:
	rm -rf .venv var frontend/node_modules test-artifacts
