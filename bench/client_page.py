"""Figures for the browser client, measured in real headless Chromium.

    DJANGO_DEBUG=1 .venv/bin/python -m tutor.stack exec --profile bench -- \\
        .venv/bin/python bench/client_page.py --runs 5 --seconds 8

Starts daphne on the bench database, opens /conversation/ as a bench learner
with Chromium's fake microphone (a WAV file), presses Start and measures, per
run: time from navigation start to ready (welcome received and microphone
running) and from the click to ready; the frame round trip the page measures
(median of its pings); the playback buffer depth (sampled every 100 ms while
echoed audio plays); turn-taking latency as the page computes it; the time
from a stop_playback event to the playback worklet's confirmation that its
buffer is empty (and how much audio it dropped). Prints JSON:
the runs and the median of each figure over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_user() -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from tutor.models import User

    call_command("migrate", verbosity=0)
    user, created = User.objects.get_or_create(username="bench-client", defaults={"role": User.Role.LEARNER})
    if created:
        user.set_password("bench-client-pw-123")
        user.save()
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tutor.asgi:application"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")},
        stdout=open(log_path, "w"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"daphne did not start; see {log_path}") from None
            time.sleep(0.1)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def one_run(browser, url: str, cookie: dict, seconds: float, screenshot: Path | None) -> dict:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.add_cookies([{**cookie, "url": url}])
    page = context.new_page()
    page.goto(f"{url}/conversation/")
    page.get_by_role("button", name="Start talking").click()
    page.wait_for_function("window.parleyDebug && window.parleyDebug.ready", timeout=20_000)
    timings = page.evaluate("() => window.parleyDebug.timings")
    depths = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        playback = page.evaluate("() => window.parleyDebug.playback")
        if playback and playback.get("playing"):
            depths.append(playback["bufferedMs"])
        time.sleep(0.1)
    figures = page.evaluate(
        """() => ({rtt: window.parleyDebug.rttSamples, turns: window.parleyDebug.turnLatenciesMs,
                  playback: window.parleyDebug.playback, sampleRate: window.parleyDebug.sampleRate,
                  reconnects: window.parleyDebug.client.counters.reconnects,
                  events: window.parleyDebug.events.filter((type) => type === "error").length})"""
    )
    # Barge-in on the page: the stop_playback path, timed from dispatch to the worklet's answer.
    page.evaluate("() => window.parleyDebug.dispatch({type: 'stop_playback', reason: 'bench'})")
    page.wait_for_function("window.parleyDebug.lastFlush && window.parleyDebug.lastFlush.ackMs !== null")
    flush = page.evaluate("() => window.parleyDebug.lastFlush")
    if screenshot:
        page.keyboard.press("d")
        page.wait_for_timeout(1200)
        page.screenshot(path=str(screenshot), full_page=True)
    page.get_by_role("button", name="End session").click()
    page.wait_for_timeout(200)
    context.close()
    rtt = figures["rtt"]
    return {
        "load_to_ready_ms": timings["readyAt"],
        "click_to_ready_ms": timings["readyAt"] - timings["startAt"],
        "click_to_welcome_ms": timings["welcomeAt"] - timings["startAt"],
        "click_to_mic_ms": timings["micAt"] - timings["startAt"],
        "rtt_median_ms": statistics.median(rtt) if rtt else None,
        "rtt_samples": len(rtt),
        "buffer_median_ms": statistics.median(depths) if depths else None,
        "buffer_p95_ms": percentile(depths, 0.95),
        "turn_latency_median_ms": statistics.median(figures["turns"]) if figures["turns"] else None,
        "flush_ack_ms": flush["ackMs"],
        "flushed_ms": flush["flushedMs"],
        "underruns": figures["playback"]["underruns"],
        "skipped_silence_ms": figures["playback"]["skippedMs"],
        "played_ms": figures["playback"]["playedMs"],
        "context_rate": figures["sampleRate"],
        "reconnects": figures["reconnects"],
        "error_events": figures["events"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each run plays echoed audio")
    parser.add_argument("--wav", default=str(ROOT / "tests" / "fixtures" / "learner_turns.wav"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--screenshot", default=str(ROOT / "test-artifacts" / "conversation-bench.png"))
    options = parser.parse_args()

    cookie = prepare_user()  # the ORM before Playwright starts its event loop in this thread
    port = free_port()
    server = start_server(port, ROOT / "var" / "bench" / "daphne-client.log")
    from playwright.sync_api import sync_playwright

    runs = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=options.chromium,
                args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={options.wav}"],
            )
            Path(options.screenshot).parent.mkdir(parents=True, exist_ok=True)
            for index in range(options.runs):
                shot = Path(options.screenshot) if index == options.runs - 1 else None
                runs.append(one_run(browser, f"http://127.0.0.1:{port}", cookie, options.seconds, shot))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    runs = [{key: round(value, 1) if isinstance(value, float) else value for key, value in run.items()} for run in runs]
    medians = {}
    for key in runs[0]:
        values = [run[key] for run in runs if run[key] is not None]
        medians[key] = round(statistics.median(values), 1) if values else None
    report = {"runs": options.runs, "seconds_each": options.seconds, "median": medians, "each": runs}
    print(json.dumps(report, indent=2))
    print(f"screenshot: {options.screenshot}", file=sys.stderr)


if __name__ == "__main__":
    main()
