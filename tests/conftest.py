"""Shared fixtures: three personas, a logged-in WebSocket, a real Celery worker.

`make test` runs pytest under `python -m tutor.stack exec`, so DATABASE_URL and
REDIS_URL point at a real PostgreSQL and a real Redis (embedded ones under
var/test/ unless given).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from lessons.models import Classroom, Enrollment
from tutor.models import User

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FOX = "The quick brown fox jumps over the lazy dog. Then it sits down and thinks about lunch."  # learner_fox.wav
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    """One media folder for the test run, shared with the Celery worker process."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_root(media_root, settings):
    settings.MEDIA_ROOT = media_root


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 takes ~0.8 s a user on this machine; test passwords need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db):
    """A teacher with a class, a learner in it, and an outsider learner in no class of hers."""
    teacher = User.objects.create_user("tara", password="pw-tara-123456", role=User.Role.TEACHER)
    learner = User.objects.create_user("leo", password="pw-leo-123456", role=User.Role.LEARNER)
    outsider = User.objects.create_user("olga", password="pw-olga-123456", role=User.Role.LEARNER)
    classroom = Classroom.objects.create(teacher=teacher, name="Pronunciation A1")
    Enrollment.objects.create(classroom=classroom, learner=learner)
    users = {"teacher": teacher, "learner": learner, "outsider": outsider}
    # Cookies are made here, in sync code: async tests cannot touch the ORM directly.
    return {**users, "classroom": classroom, "cookies": {name: session_cookie(user) for name, user in users.items()}}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_cookie(user: User) -> bytes:
    client = client_for(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def websocket(cookie: bytes | None = None, origin: tuple[bytes, bytes] | None = ORIGIN) -> WebsocketCommunicator:
    from tutor.asgi import application

    headers = [origin] if origin else []
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/conversation/", headers=headers)


def url_of_test_database() -> str:
    """The URL of the database pytest-django created, for processes started by tests."""
    from django.db import connection

    config = connection.settings_dict
    host = quote(config["HOST"] or "", safe="")
    port = f":{config['PORT']}" if config.get("PORT") else ""
    password = f":{quote(config['PASSWORD'], safe='')}" if config.get("PASSWORD") else ""
    return f"postgres://{quote(config['USER'], safe='')}{password}@{host}{port}/{config['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, media_root):
    """A real `celery worker` process on the test database and the test Redis."""
    with django_db_blocker.unblock():
        database_url = url_of_test_database()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PARLEY_MEDIA_ROOT": str(media_root),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = ROOT / "var" / "test" / "celery-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tutor",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    from tutor.celery import app

    deadline = time.monotonic() + 120  # a loaded 2-core machine imports torch slowly
    while not app.control.ping(timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"celery worker did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker, media_root):
    """A real daphne process serving Parley on a free port, on the test database."""
    from tutor.stack import _free_port, _wait_until_ready

    with django_db_blocker.unblock():
        database_url = url_of_test_database()
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PARLEY_MEDIA_ROOT": str(media_root),
        "DJANGO_DEBUG": "1",  # static files straight from the source folders
        "PYTHONUNBUFFERED": "1",
    }
    log_path = ROOT / "var" / "test" / "daphne.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tutor.asgi:application"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if not _wait_until_ready(f"http://127.0.0.1:{port}/", process, timeout=60):
        process.kill()
        raise RuntimeError(f"daphne did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
    yield f"127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
