"""Browser tests: Playwright drives Debian's Chromium against a live server at phone size."""
