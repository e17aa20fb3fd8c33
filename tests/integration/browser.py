"""A real headless browser for the pages people use, offline as a city intranet is.

Debian's chromium (installed by deploy/setup.sh) driven by Playwright: Playwright's own browser
downloads need the internet. Every request to a host other than this machine fails and is
listed, and so is every uncaught script error, so a test can assert a page needs nothing from
outside and runs cleanly. With BIZPULSE_SCREENSHOTS=<folder> (e.g. docs/screenshots), pages a
test photographs are saved there.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

CHROMIUM = Path(os.environ.get("BIZPULSE_CHROMIUM", "/usr/bin/chromium"))
_CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # no update checks, no safe-browsing lists: nothing but the page
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_THIS_MACHINE = {"127.0.0.1", "localhost", "::1"}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"no browser at {CHROMIUM}: install Debian's chromium and a Chinese font "
            "(deploy/setup.sh does as root: apt-get install chromium fonts-wqy-microhei) or set BIZPULSE_CHROMIUM"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=_CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class OfflinePage:
    page: Page
    blocked: list[str] = field(default_factory=list)  # requests to other hosts, failed
    errors: list[str] = field(default_factory=list)  # uncaught script errors

    @classmethod
    async def open(cls, context: BrowserContext) -> OfflinePage:
        offline = cls(await context.new_page())

        async def only_this_machine(route: Route) -> None:
            if urlsplit(route.request.url).hostname in _THIS_MACHINE:
                await route.continue_()
            else:
                offline.blocked.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_this_machine)
        offline.page.on("pageerror", lambda error: offline.errors.append(str(error)))
        return offline

    async def log_in(self, base_url: str, username: str, password: str) -> None:
        """Log in through the login page as a person does; the browser context keeps the session."""
        await self.page.goto(f"{base_url}/login")
        await self.page.get_by_label("用户名").fill(username)
        await self.page.get_by_label("密码").fill(password)
        await self.page.get_by_role("button", name="登录").click()
        await self.page.wait_for_url(lambda url: "/login" not in url)

    async def photograph(self, name: str) -> None:
        """Save the whole page as <name>.png in BIZPULSE_SCREENSHOTS, when set."""
        if folder := os.environ.get("BIZPULSE_SCREENSHOTS"):
            Path(folder).mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)
