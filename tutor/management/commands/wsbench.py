"""Benchmark the duplex WebSocket on a real daphne server and print JSON.

    python manage.py wsbench [--frames 500] [--url ws://127.0.0.1:8000/ws/conversation/]

Without --url it starts daphne on a free loopback port with this process's
settings. Figures: ping round trip, echoed-audio round trip (a learner frame up
to the same audio coming back as tutor audio) and stored-audio integrity after
the client's TCP connection is cut mid-stream, then resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError

from tutor.models import ConversationSession, User
from tutor.protocol import HEADER, LEARNER_FRAME_BYTES, PROTOCOL_VERSION, BinaryFrame, FrameKind
from tutor.sessions import audio_path
from tutor.stack import _free_port, _wait_until_ready

FIXTURE = Path(settings.BASE_DIR) / "tests" / "fixtures" / "learner_fox.wav"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(values_ms: list[float]) -> dict:
    return {
        "n": len(values_ms),
        "median_ms": round(statistics.median(values_ms), 3),
        "p95_ms": round(percentile(values_ms, 95), 3),
        "max_ms": round(max(values_ms), 3),
    }


def session_cookie_for(username: str) -> str:
    user, _ = User.objects.get_or_create(username=username, defaults={"role": User.Role.LEARNER})
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def learner_frames(count: int) -> list[bytes]:
    from speech.audio import read_wav

    pcm = read_wav(FIXTURE).to(16000).pcm16()
    frames = [
        pcm[i : i + LEARNER_FRAME_BYTES] for i in range(0, len(pcm) - LEARNER_FRAME_BYTES + 1, LEARNER_FRAME_BYTES)
    ]
    return [frames[i % len(frames)] for i in range(count)]


class Bench:
    def __init__(self, url: str, origin: str, cookie: str):
        self.url, self.origin, self.cookie = url, origin, cookie

    def connect(self):
        from websockets.asyncio.client import connect

        return connect(self.url, origin=self.origin, additional_headers={"Cookie": self.cookie}, max_size=2**20)

    @staticmethod
    async def hello(ws, session_id: str | None = None) -> dict:
        await ws.send(json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION, "session_id": session_id}))
        while True:
            message = await ws.recv()
            if isinstance(message, str):
                welcome = json.loads(message)
                if welcome["type"] != "welcome":
                    raise CommandError(f"handshake failed: {welcome}")
                return welcome

    async def ping_round_trip(self, count: int) -> dict:
        async with self.connect() as ws:
            await self.hello(ws)
            rtts = []
            for seq in range(count):
                sent = time.perf_counter_ns() // 1000
                await ws.send(BinaryFrame(FrameKind.PING, seq, sent, b"").encode())
                while True:
                    data = await ws.recv()
                    if isinstance(data, bytes) and data[0] == FrameKind.PONG:
                        break
                _, _, _, pong_seq, stamp = HEADER.unpack_from(data)
                assert pong_seq == seq
                rtts.append((time.perf_counter_ns() // 1000 - stamp) / 1000)
                await asyncio.sleep(0.02)
        return summary(rtts)

    async def echo_round_trip(self, count: int) -> dict:
        """Learner frames sent in real time; each one's echo is timed on arrival."""
        frames = learner_frames(count)
        sent_at: dict[int, float] = {}
        latencies: list[float] = []
        async with self.connect() as ws:
            await self.hello(ws)

            async def send_up():
                start = time.perf_counter()
                for seq, pcm in enumerate(frames):
                    await asyncio.sleep(max(0.0, start + seq * 0.02 - time.perf_counter()))
                    sent_at[seq] = time.perf_counter()
                    await ws.send(BinaryFrame(FrameKind.LEARNER_AUDIO, seq, int(sent_at[seq] * 1e6), pcm).encode())

            async def receive_down():
                received = 0
                while received < count:
                    data = await asyncio.wait_for(ws.recv(), timeout=10)
                    if isinstance(data, bytes) and data[0] == FrameKind.TUTOR_AUDIO:
                        latencies.append((time.perf_counter() - sent_at[received]) * 1000)
                        received += 1

            await asyncio.gather(send_up(), receive_down())
        return summary(latencies)

    async def integrity_after_cut(self, count: int) -> dict:
        frames = learner_frames(count)
        cut_at = count // 2
        async with self.connect() as ws:
            welcome = await self.hello(ws)
            for seq in range(cut_at):
                await ws.send(BinaryFrame(FrameKind.LEARNER_AUDIO, seq, 0, frames[seq]).encode())
                await asyncio.sleep(0.02)
            ws.transport.abort()  # the TCP connection dies; no close handshake
        session_id = welcome["session_id"]
        stored_after_cut = await self._stored_bytes(session_id, expected=cut_at * LEARNER_FRAME_BYTES)
        async with self.connect() as ws:
            resumed = await self.hello(ws, session_id)
            for seq in range(resumed["next_seq"], count):
                await ws.send(BinaryFrame(FrameKind.LEARNER_AUDIO, seq, 0, frames[seq]).encode())
                await asyncio.sleep(0.005)
            await ws.send(json.dumps({"type": "control", "action": "stop"}))
            async for _message in ws:
                pass
        session = await asyncio.to_thread(ConversationSession.objects.get, pk=session_id)
        stored = audio_path(session).read_bytes()
        return {
            "bytes_sent_before_cut": cut_at * LEARNER_FRAME_BYTES,
            "bytes_stored_after_cut": stored_after_cut,
            "resumed_next_seq": resumed["next_seq"],
            "bytes_sent_total": count * LEARNER_FRAME_BYTES,
            "bytes_stored_total": len(stored),
            "identical": stored == b"".join(frames),
        }

    @staticmethod
    async def _stored_bytes(session_id: str, expected: int, timeout: float = 10.0) -> int:
        """The server notices the cut on its own; wait for the row to show the final checkpoint."""
        deadline = time.monotonic() + timeout
        while True:
            session = await asyncio.to_thread(ConversationSession.objects.get, pk=session_id)
            if session.status != "live" or time.monotonic() > deadline:
                return len(audio_path(session).read_bytes()) if audio_path(session).exists() else 0
            await asyncio.sleep(0.05)


@contextlib.contextmanager
def running_server(url: str | None, origin: str | None = None) -> Iterator[tuple[str, str]]:
    """The given server, or daphne started on a free loopback port for the duration."""
    if url is not None:
        yield url, origin or _origin_of(url)
        return
    port = _free_port()
    log_path = Path(settings.VAR_DIR) / "bench-daphne.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tutor.asgi:application"],
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        if not _wait_until_ready(f"http://127.0.0.1:{port}/", server, timeout=120, probe="healthz?voice=en-us"):
            raise CommandError(f"daphne did not start; see {log_path}")
        url = f"ws://127.0.0.1:{port}/ws/conversation/"
        yield url, origin or _origin_of(url)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _origin_of(url: str) -> str:
    return url.replace("ws://", "http://").replace("wss://", "https://").split("/ws/")[0]


class Command(BaseCommand):
    help = "Measure WebSocket round trip and stored-audio integrity on a real server; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("--frames", type=int, default=500)
        parser.add_argument("--url", help="ws://host:port/ws/conversation/ of a running server sharing this database")
        parser.add_argument("--origin", default=None)

    def handle(self, *args, frames: int, url: str | None, origin: str | None, **options):
        if frames < 10 or frames > 50_000:
            raise CommandError("--frames must be between 10 and 50000")
        with running_server(url, origin) as (url, origin):
            bench = Bench(url, origin, session_cookie_for("wsbench"))
            result = {
                "server": url,
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "ping_round_trip": asyncio.run(bench.ping_round_trip(frames)),
                "echo_round_trip": asyncio.run(bench.echo_round_trip(frames)),
                "integrity_after_forced_disconnect": asyncio.run(bench.integrity_after_cut(min(frames, 250))),
            }
        self.stdout.write(json.dumps(result, indent=2))
