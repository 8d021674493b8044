"""Browser tests: real headless Chromium (Debian's) against a real daphne.

The server runs as a subprocess on pytest-django's test database and the test
Redis, so tests that use it need `django_db(transaction=True)`: what they create
must be committed to be seen by the server. The microphone is Chromium's fake
capture device reading a WAV file.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import FIXTURES, ROOT
from tutor.models import User

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
FAKE_MIC_WAV = FIXTURES / "learner_turns.wav"  # two sentences, each followed by 1.2 s of silence
ARTIFACTS = ROOT / "test-artifacts"
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    f"--use-file-for-fake-audio-capture={FAKE_MIC_WAV}",
]
MIC_ALLOWED_ARGS = [*BASE_ARGS, "--use-fake-ui-for-media-stream"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server_url(daphne_server) -> str:
    """daphne serving tutor.asgi on a free port, on the test database (tests/conftest.py)."""
    return f"http://{daphne_server}"


@pytest.fixture(scope="package")
def playwright_instance(chromium_path, django_db_setup):
    """Playwright's sync API keeps an event loop marked as running in this thread,
    which trips Django's async-safety check although these tests are synchronous:
    while it runs, the check is off (Playwright's documented workaround for Django).
    Started after the test database exists so that its setup runs without that loop,
    and stopped when the browser tests are done so that async tests after them get
    a thread without a loop."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright_instance, chromium_path):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, args=MIC_ALLOWED_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def learner(transactional_db) -> User:
    return User.objects.create_user("lena", password="pw-lena-123456", role=User.Role.LEARNER)


def login_cookie(user: User, url: str) -> dict:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": url}


def open_conversation(browser, url: str, user: User):
    """A logged-in page on /conversation/, started and ready (welcome received, microphone running)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.add_cookies([login_cookie(user, url)])
    page = context.new_page()
    page.on("console", lambda message: print(f"[console.{message.type}] {message.text}"))
    page.on("pageerror", lambda error: print(f"[pageerror] {error}"))
    page.goto(f"{url}/conversation/")
    page.get_by_role("button", name="Start talking").click()
    page.wait_for_function("window.parleyDebug && window.parleyDebug.ready", timeout=15_000)
    return page


@pytest.fixture
def conversation(browser, live_server_url, learner):
    page = open_conversation(browser, live_server_url, learner)
    yield page
    page.context.close()
