"""Duplex-bench scenarios made from the learner-speech corpus (speech.corpus).

Each scenario is a learner track around one or two corpus utterances plus the
lesson it belongs to and annotations of what the tutor should do. The dev and
eval sets take their utterances from the corpus's dev and eval sets, which use
different voices and different sentences; the engine is tuned on dev only.

Kinds, cycled in order:
- read: a repeat-after-me item read after the prompt; the corpus's hesitations
  become pauses; its mispronounced words are annotated.
- read_with_pause: the same with a 1.2 s pause inserted mid-sentence.
- barge_in: the learner starts reading while the tutor is still greeting.
- backchannel: the tutor gives a long free-talk prompt and the learner says
  "mm-hm" in the middle of it; then answers.
- echo: the same without the learner's backchannel, with the tutor's own voice
  leaking into the microphone.
- timed: "talk for 8 seconds"; the tutor must speak up when the time is over.
- short_answer: a yes/no question answered in one to three words.
- answer_with_pause: a free answer (the corpus sentence) with a 1.0 s pause
  inserted mid-sentence.

The learner track is a microphone's: where the learner is silent it carries the
corpus's noise floor, never digital silence (exact zeros, which no network heard
in training and which drag the recognisers' running means down).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from speech.audio import LEARNER_RATE, Audio, read_wav, write_wav
from speech.corpus import build_corpus, noise_floor, with_inserted_pause
from speech.corpus_voices import EspeakVoice, PiperVoice, SpokenWord

KINDS = (
    "read",
    "read_with_pause",
    "barge_in",
    "backchannel",
    "echo",
    "timed",
    "short_answer",
    "answer_with_pause",
)
LEAD_IN_S = 9.0  # greeting and prompt play before the learner reads
LONG_PROMPT = (
    "Let's talk for a moment. Tell me about a place you like to visit, what you do there, "
    "who you go with, and why you enjoy it. Take your time and say as much as you can."
)
BARGE_IN_AT_S = 2.0
BACKCHANNEL_AT_S = 4.0
ANSWER_AT_S = 17.0  # after the long prompt
TIME_LIMIT_S = 8.0

# The corpus voices used for scenarios: pip-installed engines only, disjoint between the sets.
SCENARIO_VOICES = {
    "dev": [PiperVoice(length_scale=1.0), EspeakVoice("en-us+m1", words_per_minute=150)],
    "eval": [EspeakVoice("en-us+m4", words_per_minute=160), EspeakVoice("en-us+f2", words_per_minute=145)],
}
BACKCHANNEL_WORDS = ("mm-hm", "yeah", "okay", "uh-huh")
QUESTION = "Do you like music?"
SHORT_ANSWERS = ("yes", "yes I do", "not really", "I think so", "no", "sometimes")
SHORT_PROMPT = "Tell me about your morning."
SHORT_ANSWER_AT_S = 4.5  # after the greeting and a one-line prompt


@dataclass
class Track:
    key: str  # seeds the noise floor of its silences
    samples: list[np.ndarray]
    seconds: float = 0.0

    def silence(self, seconds: float) -> None:
        """The learner says nothing: the microphone's noise floor."""
        self.add(noise_floor(f"{self.key}:{len(self.samples)}", int(seconds * LEARNER_RATE)))

    def add(self, samples: np.ndarray) -> float:
        start = self.seconds
        self.samples.append(samples.astype(np.float32))
        self.seconds += len(samples) / LEARNER_RATE
        return start

    def until(self, seconds: float) -> None:
        if seconds > self.seconds:
            self.silence(seconds - self.seconds)

    def audio(self) -> Audio:
        return Audio(np.concatenate(self.samples), LEARNER_RATE)


def _speech_span(annotation: dict) -> tuple[float, float]:
    spoken = [word for word in annotation["words"] if word["error"] != "omission"]
    return spoken[0]["start"], spoken[-1]["end"]


def _utterance_events(annotation: dict, offset: float) -> list[dict]:
    events = [
        {"type": "mispronunciation", "word": word["word"], "start": word["start"] + offset, "end": word["end"] + offset}
        for word in annotation["words"]
        if word["error"] == "mispronunciation"
    ]
    events += [
        {"type": "pause", "start": round(h["start"] + offset, 3), "end": round(h["end"] + offset, 3)}
        for h in annotation.get("hesitations", [])
        if h["end"] - h["start"] >= 0.4
    ]
    return events


def _backchannel_audio(word: str, voice) -> np.ndarray:
    """The learner's "mm-hm", in one of the set's own voices (eval backchannels are never heard in training)."""
    return voice.render([[SpokenWord(word)]])[0].samples * 0.8


def make_scenarios(
    corpus_set: str, seed: int, count: int, out: Path, corpus_dir: Path, kinds: tuple[str, ...] = KINDS
) -> list[Path]:
    rng = random.Random(f"duplex:{corpus_set}:{seed}")
    utterances = build_corpus(
        corpus_set, seed, corpus_dir, count=count * 2, voices=SCENARIO_VOICES[corpus_set], accent_voices=[]
    )
    annotations = [json.loads((corpus_dir / f"{u.id}.json").read_text()) for u in utterances]
    # Hand-made omissions and insertions make poor "read" lessons; keep utterances that say every word.
    usable = [a for a in annotations if all(w["error"] in ("none", "mispronunciation") for w in a["words"])]
    usable = usable or annotations
    folders = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        annotation = usable[index % len(usable)]
        audio = read_wav(corpus_dir / annotation["audio"]).to(LEARNER_RATE)
        folder = out / f"{corpus_set}-{index:03d}-{kind}"
        folder.mkdir(parents=True, exist_ok=True)
        track, events, lesson = _compose(kind, audio, annotation, rng, SCENARIO_VOICES[corpus_set])
        write_wav(folder / "learner.wav", track.audio())
        spec = {**lesson, "events": events, "echo": kind == "echo", "source": annotation["id"], "kind": kind}
        (folder / "scenario.json").write_text(json.dumps(spec, indent=2))
        folders.append(folder)
    return folders


def _compose(
    kind: str, audio: Audio, annotation: dict, rng: random.Random, voices: list
) -> tuple[Track, list[dict], dict]:
    track = Track(annotation["id"], [])
    text = annotation["text"]
    policy = "immediate" if rng.random() < 0.5 else "at_pause"
    repeat = {"lang": "en-us", "items": [{"kind": "repeat", "text": text, "correction_policy": policy}]}
    events: list[dict] = []
    if kind in ("read", "read_with_pause", "barge_in"):
        if kind == "read_with_pause":
            audio, annotation, (pause_start, pause_end) = with_inserted_pause(audio, annotation, 1.2, noisy=True)
        track.silence(BARGE_IN_AT_S if kind == "barge_in" else LEAD_IN_S)
        offset = track.add(audio.samples)
        first, last = _speech_span(annotation)
        events += _utterance_events(annotation, offset)
        if kind == "read_with_pause":
            events.append(
                {"type": "pause", "start": round(offset + pause_start, 3), "end": round(offset + pause_end, 3)}
            )
        if kind == "barge_in":
            events.append({"type": "barge_in", "t": round(offset + first, 3)})
        events.append({"type": "turn_end", "t": round(offset + last, 3)})
        return track, events, repeat
    free = {"kind": "free", "prompt": LONG_PROMPT, "correction_policy": "off"}
    if kind == "short_answer":
        phrase = rng.choice(SHORT_ANSWERS)
        track.silence(SHORT_ANSWER_AT_S)
        voice = rng.choice(voices)
        track.add(voice.render([[SpokenWord(word) for word in phrase.split()]])[0].samples)
        events.append({"type": "turn_end", "t": round(track.seconds, 3)})
        track.silence(1.0)
        question = {"kind": "question", "prompt": QUESTION, "accepted": ["yes", "no"], "correction_policy": "off"}
        return track, events, {"lang": "en-us", "items": [question]}
    if kind == "answer_with_pause":
        audio, annotation, (pause_start, pause_end) = with_inserted_pause(audio, annotation, 1.0, noisy=True)
        track.silence(SHORT_ANSWER_AT_S)
        offset = track.add(audio.samples)
        _first, last = _speech_span(annotation)
        events += [event for event in _utterance_events(annotation, offset) if event["type"] == "pause"]
        events.append({"type": "pause", "start": round(offset + pause_start, 3), "end": round(offset + pause_end, 3)})
        events.append({"type": "turn_end", "t": round(offset + last, 3)})
        return track, events, {"lang": "en-us", "items": [{**free, "prompt": SHORT_PROMPT}]}
    if kind == "timed":
        lesson = {
            "lang": "en-us",
            "items": [{**free, "prompt": "Talk for eight seconds about your day.", "time_limit_s": TIME_LIMIT_S}],
        }
        track.silence(4.0)
        track.add(audio.samples[: int(min(audio.seconds, TIME_LIMIT_S - 4.5) * LEARNER_RATE)])
        track.until(TIME_LIMIT_S + 3.0)
        events.append({"type": "timed_prompt", "t": TIME_LIMIT_S})
        return track, events, lesson
    lesson = {"lang": "en-us", "items": [free]}
    if kind == "backchannel":
        track.silence(BACKCHANNEL_AT_S)
        word = rng.choice(BACKCHANNEL_WORDS)
        start = track.add(_backchannel_audio(word, rng.choice(voices)))
        events.append({"type": "learner_backchannel", "start": round(start, 3), "end": round(track.seconds, 3)})
    if kind == "echo":
        events.append({"type": "echo", "start": 0.0, "end": ANSWER_AT_S - 0.5})
    track.until(ANSWER_AT_S)
    offset = track.add(audio.samples)
    _first, last = _speech_span(annotation)
    # a free answer is not corrected, but its hesitations are pauses the tutor must not take over
    events += [event for event in _utterance_events(annotation, offset) if event["type"] == "pause"]
    events.append({"type": "turn_end", "t": round(offset + last, 3)})
    return track, events, lesson
