"""The client's audio code run under Node (when installed): the resampler and the
playback worklet's processor, outside a browser so the cases are exact."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node")
HERE = Path(__file__).parent
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the client's ES modules")


def run(script: str):
    return json.loads(subprocess.run([NODE, HERE / script], capture_output=True, text=True, check=True).stdout)


def test_resampler_keeps_the_speech_band_and_rejects_what_would_alias():
    for case in run("resampler_check.mjs"):
        assert abs(case["samples"] - case["outRate"]) <= 2, case  # one second in, one second out
        if case["frequency"] <= 3000:
            assert abs(case["gainDb"]) < 0.1, case  # passband
        elif case["outRate"] == 16000 and case["frequency"] > 8000:
            assert case["gainDb"] < -60, case  # above 8 kHz would fold back into the speech band


def test_playback_buffer_starts_at_its_target_flushes_at_once_and_sheds_delay_only_in_silence():
    result = run("playback_check.mjs")
    assert result["silentBeforeTarget"] and result["playsAtTarget"]
    assert result["flushedMs"] > 90 and result["bufferedAfterFlush"] == 0 and result["renderAfterFlushSilent"]
    # 400 ms of extra delay: skipped where the audio is quiet, down to target + slack (80 + 60 ms) ...
    assert result["quiet"]["skippedMs"] > 300 and result["quiet"]["depthMs"] < 160
    # ... and kept where it is speech: nothing audible is dropped.
    assert result["loud"]["skippedMs"] == 0 and result["loud"]["depthMs"] > 400
