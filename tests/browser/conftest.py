"""Playwright driving Debian's chromium: the launch and the ``browser_page`` fixture moved to
tests/conftest.py (every tests/<app>/test_browser*.py uses them); the names stay importable here."""

import os

from tests.browser_support import CHROMIUM_ARGS, SCREENSHOTS, shot  # noqa: F401 - imported by the app tests

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
