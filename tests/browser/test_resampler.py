"""The client's resampler (static/js/resampler.js), run under Node when it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run the client's ES module")
def test_resampler_keeps_the_speech_band_and_rejects_what_would_alias():
    script = Path(__file__).with_name("resampler_check.mjs")
    cases = json.loads(subprocess.run([NODE, script], capture_output=True, text=True, check=True).stdout)
    for case in cases:
        expected_length = case["outRate"]  # one second in, one second out
        assert abs(case["samples"] - expected_length) <= 2, case
        if case["frequency"] <= 3000:
            assert abs(case["gainDb"]) < 0.1, case  # passband
        elif case["outRate"] == 16000 and case["frequency"] > 8000:
            assert case["gainDb"] < -60, case  # above 8 kHz would fold back into the speech band
