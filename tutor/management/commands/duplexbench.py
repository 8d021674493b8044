"""python manage.py duplexbench SCENARIO_DIR [--concurrency N] [--url ws://…] [--policy NAME|all] [--record DIR]

Streams each scenario's learner audio to a real server in real time and prints
the full-duplex figures as JSON (docs/duplexbench.md). Without --url it starts
daphne on a free loopback port with this process's settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tutor.duplexbench import load_scenarios, run_bench
from tutor.engine.policy import POLICIES
from tutor.management.commands.wsbench import running_server, session_cookie_for


class Command(BaseCommand):
    help = "Measure turn-taking, barge-in, backchannels and corrections over the WebSocket; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("scenario_dir", type=Path)
        parser.add_argument("--concurrency", type=int, default=1)
        parser.add_argument("--url", help="ws://host:port/ws/conversation/ of a server sharing this database")
        parser.add_argument("--policy", default="all", choices=[*POLICIES, "all"])
        parser.add_argument("--record", type=Path, help="write every run's events and tutor audio timing here")
        parser.add_argument(
            "--trace", action="store_true", help="also record the engine's state at every tick (training data)"
        )

    def handle(
        self,
        *args,
        scenario_dir: Path,
        concurrency: int,
        url: str | None,
        policy: str,
        record: Path | None,
        trace: bool,
        **options,
    ):
        if not 1 <= concurrency <= 64:
            raise CommandError("--concurrency must be between 1 and 64")
        try:
            scenarios = load_scenarios(scenario_dir)
        except (FileNotFoundError, ValueError, KeyError) as error:
            raise CommandError(str(error)) from None
        if trace and record is None:
            raise CommandError("--trace needs --record DIR to write the traces to")
        policies = list(POLICIES) if policy == "all" else [policy]
        from websockets.asyncio.client import connect

        with running_server(url) as (server_url, origin):
            cookie = session_cookie_for("duplexbench")

            def connect_once():
                return connect(server_url, origin=origin, additional_headers={"Cookie": cookie}, max_size=2**20)

            result = {
                "scenarios": len(scenarios),
                "concurrency": concurrency,
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "policies": {
                    name: asyncio.run(run_bench(connect_once, scenarios, name, concurrency, record, trace))
                    for name in policies
                },
            }
        self.stdout.write(json.dumps(result, indent=2))
