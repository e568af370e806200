"""Playwright on Debian's Chromium against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--host-resolver-rules=MAP *.localhost 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot():
    """Save a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def live_outbox(settings, tmp_path):
    """The live server writes mail to the development outbox, as under `make run`."""
    settings.EMAIL_BACKEND = "accounts.outbox.DevOutboxBackend"
    settings.DEV_OUTBOX_DIR = tmp_path / "outbox"
    settings.DEV_TOOLS_ENABLED = True
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return settings.DEV_OUTBOX_DIR
