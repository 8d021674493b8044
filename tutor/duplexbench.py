"""The duplex bench: plays scenarios to a running server like a browser would, and measures it.

A scenario is a folder with `learner.wav` (16 kHz mono) and `scenario.json`
(the lesson: "lang", "items", and "events", annotations in seconds on the
learner track; see docs/duplexbench.md). The client streams the learner track
in real time in 20 ms frames, plays tutor audio out of a playout buffer in real
time (so "the tutor stopped" means the buffer was emptied), can leak the
tutor's own voice back into its microphone (delayed, attenuated) to test echo,
and records every tutor event and audio frame with its arrival time.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from speech.audio import read_wav, resample

from .protocol import HEADER, LEARNER_FRAME_BYTES, PROTOCOL_VERSION, BinaryFrame, FrameKind

FRAME_S = 0.02
FRAME_SAMPLES = 320
TAIL_S = 3.0  # silence streamed after the learner track so the tutor can answer
TURN_KINDS = {"prompt", "praise", "acknowledge", "closing", "answer"}  # the tutor taking the turn
ECHO_DELAY_FRAMES = 3  # 60 ms from loudspeaker to microphone
ECHO_GAIN = 0.25  # about -12 dB


@dataclass
class Scenario:
    name: str
    lesson: dict
    events: list[dict]
    frames: list[bytes]
    echo: bool

    @classmethod
    def load(cls, folder: Path) -> Scenario:
        spec = json.loads((folder / "scenario.json").read_text())
        pcm = read_wav(folder / "learner.wav").to(16000).pcm16()
        frames = [pcm[i : i + LEARNER_FRAME_BYTES] for i in range(0, len(pcm), LEARNER_FRAME_BYTES)]
        frames[-1] = frames[-1].ljust(LEARNER_FRAME_BYTES, b"\0")
        lesson = {key: spec[key] for key in ("lang", "items", "patience", "title") if key in spec}
        return cls(folder.name, lesson, spec.get("events", []), frames, bool(spec.get("echo", False)))

    def speech_intervals(self, threshold_db: float = -40.0) -> list[tuple[float, float]]:
        """Where the learner track has speech (energy over 20 ms frames, gaps under 150 ms bridged)."""
        levels = [
            20 * np.log10(max(np.sqrt(np.mean((np.frombuffer(f, "<i2") / 32768.0) ** 2)), 1e-9)) for f in self.frames
        ]
        intervals: list[list[float]] = []
        for index, level in enumerate(levels):
            if level > threshold_db:
                start = index * FRAME_S
                if intervals and start - intervals[-1][1] <= 0.15:
                    intervals[-1][1] = start + FRAME_S
                else:
                    intervals.append([start, start + FRAME_S])
        return [(start, end) for start, end in intervals]


@dataclass
class Recording:
    """What the client saw, times in seconds on the learner track."""

    events: list[tuple[float, dict]] = field(default_factory=list)
    audio_frames: list[tuple[float, int, int]] = field(default_factory=list)  # (arrival, seq, samples)
    playout_stops: list[float] = field(default_factory=list)
    underruns: int = 0
    rate: int = 22050

    def of(self, event_type: str) -> list[tuple[float, dict]]:
        return [(t, event) for t, event in self.events if event["type"] == event_type]


class Playout:
    """The client's loudspeaker: tutor audio plays in real time out of a buffer that a stop empties."""

    def __init__(self, rate: int):
        self.rate = rate
        self.buffer: deque[float] = deque()
        self.played: deque[np.ndarray] = deque(maxlen=ECHO_DELAY_FRAMES + 1)
        self.playing = False
        self.underruns = 0

    def add(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        self.buffer.extend(resample(samples, self.rate, 16000).tolist())

    def play_frame(self) -> np.ndarray:
        count = min(FRAME_SAMPLES, len(self.buffer))
        frame = np.zeros(FRAME_SAMPLES, dtype=np.float32)
        for index in range(count):
            frame[index] = self.buffer.popleft()
        if self.playing and count < FRAME_SAMPLES and self.buffer:
            self.underruns += 1
        self.playing = count > 0
        self.played.append(frame)
        return frame

    def echo(self) -> np.ndarray:
        if len(self.played) <= ECHO_DELAY_FRAMES:
            return np.zeros(FRAME_SAMPLES, dtype=np.float32)
        return self.played[0] * ECHO_GAIN

    def stop(self) -> None:
        self.buffer.clear()


async def run_scenario(connect, scenario: Scenario, policy: str | None, trace: bool = False) -> tuple[Recording, dict]:
    """Stream one scenario over a fresh connection made by `connect()`; returns the recording and stats."""
    recording = Recording()
    async with connect() as ws:
        hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "mode": "lesson", "lesson": scenario.lesson}
        if policy:
            hello["policy"] = policy
        if trace:
            hello["trace"] = True
        await ws.send(json.dumps(hello))
        welcome = json.loads(await ws.recv())
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"{scenario.name}: handshake refused: {welcome}")
        recording.rate = welcome["downstream"]["sample_rate"]
        playout = Playout(recording.rate)
        t0 = time.perf_counter()
        stats: dict = {}
        tail = [bytes(LEARNER_FRAME_BYTES)] * int(TAIL_S / FRAME_S)
        frames = scenario.frames + tail

        async def send_up():
            for seq, pcm in enumerate(frames):
                await asyncio.sleep(max(0.0, t0 + seq * FRAME_S - time.perf_counter()))
                playout.play_frame()
                if scenario.echo:
                    mixed = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0 + playout.echo()
                    pcm = (np.clip(mixed, -1, 1) * 32767).astype("<i2").tobytes()
                await ws.send(BinaryFrame(FrameKind.LEARNER_AUDIO, seq, 0, pcm).encode())
            await ws.send(json.dumps({"type": "control", "action": "stop"}))

        async def receive_down():
            async for message in ws:
                now = time.perf_counter() - t0
                if isinstance(message, bytes):
                    kind, _flags, _reserved, seq, _stamp = HEADER.unpack_from(message)
                    if kind == FrameKind.TUTOR_AUDIO:
                        payload = message[HEADER.size :]
                        recording.audio_frames.append((now, seq, len(payload) // 2))
                        playout.add(payload)
                    continue
                event = json.loads(message)
                recording.events.append((now, event))
                if event["type"] == "stop_playback":
                    playout.stop()
                    recording.playout_stops.append(now)
                elif event["type"] == "engine_stats":
                    stats.update(event)

        await asyncio.gather(send_up(), receive_down())
        recording.underruns = playout.underruns
    return recording, stats


# --- metrics -------------------------------------------------------------------------------------


def _first_after(times: list[float], t: float) -> float | None:
    later = [time_ for time_ in times if time_ >= t]
    return min(later) if later else None


def _inside(t: float, intervals: list[tuple[float, float]], slack: float = 0.0) -> bool:
    return any(start - slack <= t <= end + slack for start, end in intervals)


def score_scenario(scenario: Scenario, recording: Recording) -> dict:
    """Raw measurements of one run; `summarize` aggregates them over runs."""
    audio_times = [arrival for arrival, _seq, _samples in recording.audio_frames]
    turn_starts = [t for t, event in recording.of("caption") if event.get("kind") in TURN_KINDS]
    speech = scenario.speech_intervals()
    out: dict[str, list] = {key: [] for key in METRIC_KEYS}
    for annotation in scenario.events:
        kind = annotation["type"]
        if kind == "turn_end":
            first = _first_after(audio_times, annotation["t"])
            latency = None if first is None else (first - annotation["t"]) * 1000
            out["turn_latency_ms"].append(latency)
            expected = any(item.get("kind") == "repeat" for item in scenario.lesson.get("items", []))
            out["turn_latency_expected_ms" if expected else "turn_latency_free_ms"].append(latency)
        elif kind == "pause":
            taken = any(annotation["start"] <= t <= annotation["end"] for t in turn_starts)
            out["pause_takeovers"].append(taken)
        elif kind == "barge_in":
            stop = _first_after(recording.playout_stops, annotation["t"])
            out["barge_in_stop_ms"].append(None if stop is None else (stop - annotation["t"]) * 1000)
        elif kind in ("learner_backchannel", "echo"):
            stopped = any(annotation["start"] <= t <= annotation["end"] + 0.5 for t in recording.playout_stops)
            out[f"false_stop_{kind}"].append(stopped)
        elif kind == "mispronunciation":
            corrections = [
                t for t, event in recording.of("correction") if event.get("word", "").lower() == annotation["word"]
            ]
            out["correction_delay_ms"].append(
                None if not corrections else (min(corrections) - annotation["end"]) * 1000
            )
        elif kind == "timed_prompt":
            first = _first_after(audio_times, annotation["t"] - 1.0)
            out["timed_prompt_error_ms"].append(None if first is None else abs(first - annotation["t"]) * 1000)
    annotated_words = {a["word"] for a in scenario.events if a["type"] == "mispronunciation"}
    for t, event in recording.of("correction"):
        out["corrections_given"].append(event.get("word", "").lower() in annotated_words)
        if event.get("when") == "at_pause":
            out["at_pause_inside_pause"].append(not _inside(t, speech))
    backchannels = [t for t, event in recording.of("caption") if event.get("kind") == "backchannel"]
    out["backchannels"].append(len(backchannels))
    out["backchannels_over_speech"].append(sum(_inside(t, speech) for t in backchannels))
    seqs = [seq for _arrival, seq, _samples in recording.audio_frames]
    out["dropped_frames"].append(sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b != a + 1))
    out["underruns"].append(recording.underruns)
    return out


METRIC_KEYS = (
    "turn_latency_ms",
    "turn_latency_expected_ms",
    "turn_latency_free_ms",
    "pause_takeovers",
    "barge_in_stop_ms",
    "false_stop_learner_backchannel",
    "false_stop_echo",
    "correction_delay_ms",
    "corrections_given",
    "at_pause_inside_pause",
    "timed_prompt_error_ms",
    "backchannels",
    "backchannels_over_speech",
    "dropped_frames",
    "underruns",
)


def _distribution(values: list[float | None]) -> dict:
    measured = [value for value in values if value is not None]
    return {
        "n": len(values),
        "missed": len(values) - len(measured),
        "median": round(statistics.median(measured), 1) if measured else None,
        "p90": round(float(np.percentile(measured, 90)), 1) if measured else None,
    }


def _rate(flags: list[bool]) -> dict:
    return {"n": len(flags), "rate": round(sum(flags) / len(flags), 3) if flags else None}


def summarize(runs: list[dict], stats: list[dict], mispronunciations: int) -> dict:
    merged: dict[str, list] = {key: [] for key in METRIC_KEYS}
    for run in runs:
        for key in METRIC_KEYS:
            merged[key].extend(run[key])
    corrections = merged["corrections_given"]
    detected = [value for value in merged["correction_delay_ms"] if value is not None]
    tick_p50 = [s["tick_cpu_ms_p50"] for s in stats if s.get("tick_cpu_ms_p50") is not None]
    tick_p95 = [s["tick_cpu_ms_p95"] for s in stats if s.get("tick_cpu_ms_p95") is not None]
    return {
        "turn_taking_latency_ms": _distribution(merged["turn_latency_ms"]),
        "turn_taking_latency_by_item_ms": {
            "expected_sentence": _distribution(merged["turn_latency_expected_ms"]),
            "free_answer": _distribution(merged["turn_latency_free_ms"]),
        },
        "pause_takeover": _rate(merged["pause_takeovers"]),
        "backchannels": {
            "total": sum(merged["backchannels"]),
            "per_scenario": round(statistics.mean(merged["backchannels"]), 2) if merged["backchannels"] else 0,
            "over_learner_speech": sum(merged["backchannels_over_speech"]),
        },
        "barge_in_stop_ms": _distribution(merged["barge_in_stop_ms"]),
        "false_stops": {
            "learner_backchannel": _rate(merged["false_stop_learner_backchannel"]),
            "echo": _rate(merged["false_stop_echo"]),
        },
        "corrections": {
            "recall": round(len(detected) / mispronunciations, 3) if mispronunciations else None,
            "precision": round(sum(corrections) / len(corrections), 3) if corrections else None,
            "delay_ms": _distribution(detected),
            "at_pause_inside_pause": _rate(merged["at_pause_inside_pause"]),
        },
        "timed_prompt_error_ms": _distribution(merged["timed_prompt_error_ms"]),
        "tick_cpu_ms": {
            "p50": round(statistics.median(tick_p50), 2) if tick_p50 else None,
            "p95": round(max(tick_p95), 2) if tick_p95 else None,
        },
        "max_backlog_s": max((s.get("max_backlog_s", 0.0) for s in stats), default=None),
        "dropped_frames": sum(merged["dropped_frames"]),
        "playout_underruns": sum(merged["underruns"]),
    }


def load_scenarios(folder: Path) -> list[Scenario]:
    if (folder / "scenario.json").exists():
        return [Scenario.load(folder)]
    scenarios = [Scenario.load(path.parent) for path in sorted(folder.glob("*/scenario.json"))]
    if not scenarios:
        raise FileNotFoundError(f"{folder}: no scenario.json in it or in its sub-folders")
    return scenarios


def dump_recording(folder: Path, scenario: Scenario, recording: Recording, stats: dict, policy: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    audio = recording.audio_frames
    spans = []  # tutor audio arrival as spans, frames closer than 100 ms merged
    for arrival, _seq, samples in audio:
        if spans and arrival - spans[-1][1] <= 0.1:
            spans[-1][1] = arrival + samples / recording.rate
        else:
            spans.append([arrival, arrival + samples / recording.rate])
    record = {
        "scenario": scenario.name,
        "policy": policy,
        "annotations": scenario.events,
        "events": [{"t": round(t, 3), **event} for t, event in recording.events],
        "tutor_audio_spans": [[round(a, 3), round(b, 3)] for a, b in spans],
        "playout_stops": [round(t, 3) for t in recording.playout_stops],
        "engine_stats": stats,
    }
    (folder / f"{scenario.name}-{policy}.json").write_text(json.dumps(record, indent=1))


async def run_bench(
    connect,
    scenarios: list[Scenario],
    policy: str | None,
    concurrency: int,
    record_dir: Path | None = None,
    trace: bool = False,
) -> dict:
    """Every scenario once; `concurrency` sessions at a time (scenarios repeat to fill the first wave)."""
    queue = list(scenarios)
    while len(queue) < concurrency:
        queue.extend(scenarios[: concurrency - len(queue)])
    semaphore = asyncio.Semaphore(concurrency)
    results: list[tuple[Scenario, Recording, dict]] = []

    async def one(scenario: Scenario) -> None:
        async with semaphore:
            recording, stats = await run_scenario(connect, scenario, policy, trace)
            results.append((scenario, recording, stats))
            if record_dir is not None:
                dump_recording(record_dir, scenario, recording, stats, policy)

    await asyncio.gather(*(one(scenario) for scenario in queue))
    runs = [score_scenario(scenario, recording) for scenario, recording, _stats in results]
    mispronunciations = sum(
        1 for scenario, _r, _s in results for a in scenario.events if a["type"] == "mispronunciation"
    )
    return summarize(runs, [stats for _s, _r, stats in results], mispronunciations)
