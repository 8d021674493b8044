"""The duplex benchmark's scenarios (tutor.scenarios): what their learner track sounds like."""

from __future__ import annotations

import json

import numpy as np

from speech.audio import LEARNER_RATE, read_wav
from speech.corpus import NOISE_FLOOR
from tutor.scenarios import make_scenarios


def test_the_learner_track_has_a_microphones_noise_floor_wherever_the_learner_is_silent(tmp_path):
    (folder,) = make_scenarios("dev", 3, 1, tmp_path / "scenarios", tmp_path / "corpus", kinds=("read_with_pause",))
    samples = read_wav(folder / "learner.wav").samples
    blocks = samples[: len(samples) // 160 * 160].reshape(-1, 160)  # 10 ms
    assert not np.any(np.all(blocks == 0.0, axis=1)), "a stretch of digital silence"
    spec = json.loads((folder / "scenario.json").read_text())
    inserted = [e for e in spec["events"] if e["type"] == "pause"][-1]  # the 1.2 s pause mid-sentence
    assert round(inserted["end"] - inserted["start"], 3) == 1.2
    margin = LEARNER_RATE // 20  # 50 ms from the words on either side
    pause = samples[int(inserted["start"] * LEARNER_RATE) + margin : int(inserted["end"] * LEARNER_RATE) - margin]
    lead_in = samples[: LEARNER_RATE * 8]
    for quiet in (pause, lead_in):
        assert 0.5 * NOISE_FLOOR < float(np.sqrt(np.mean(quiet**2))) < 2.0 * NOISE_FLOOR
