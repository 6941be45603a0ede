"""Playwright driving Debian's chromium (never a downloaded browser): the one launch every browser
test uses. The fixtures (``chromium``, ``browser_page``) live in tests/conftest.py; apps that need
their own viewport, locale or session cookie build their page with ``new_page(chromium, ...)``."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def new_page(browser, *, viewport: dict | None = None, locale: str = "zh-CN", timezone_id: str | None = "Asia/Shanghai",
             cookies: list[dict] = ()):
    """A page in a fresh context; ``page.console_errors`` collects the console's errors."""
    options = {"viewport": viewport or {"width": 1366, "height": 860}, "locale": locale}
    if timezone_id:
        options["timezone_id"] = timezone_id
    context = browser.new_context(**options)
    if cookies:
        context.add_cookies(list(cookies))
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    return page


def shot(page, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
