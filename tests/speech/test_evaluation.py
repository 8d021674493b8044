"""The benchmark's word counts and their bootstrap intervals (speech.pronunciation.evaluation), and
bench/compare_runs.py, which compares two benchmark results reading by reading."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from speech.pronunciation.evaluation import (
    RuleCounts,
    SpokenCorrections,
    WordCounts,
    paired_differences,
    prf,
    word_figure_intervals,
)


def counted(*pairs: tuple[str, str]) -> WordCounts:
    counts = WordCounts()
    for truth, reported in pairs:
        counts.add(truth, reported)
    return counts


def test_word_counts_follow_the_benchmarks_definitions():
    counts = counted(
        ("mispronunciation", "mispronunciation"),
        ("mispronunciation", "omission"),  # found as something else: missed as a mispronunciation
        ("none", "mispronunciation"),
        ("none", "omission"),  # a false flag, though not a false mispronunciation
        ("none", "none"),
        ("omission", "mispronunciation"),
        ("omission", "omission"),
    )
    assert (counts.tp, counts.fp, counts.fn, counts.correct, counts.flagged) == (1, 2, 1, 3, 2)


def test_rule_counts_say_which_errors_are_missed_and_what_correct_words_are_blamed_on():
    counts = RuleCounts()
    for truth, reported, blamed in (
        ({"error": "mispronunciation", "rule": "DH>D"}, "mispronunciation", "DH>D"),
        ({"error": "mispronunciation", "rule": "DH>D"}, "none", None),
        ({"error": "mispronunciation", "rule": "IH>IY"}, "none", None),
        ({"error": "mispronunciation", "rule": "IH>IY"}, "omission", None),  # found as something else: missed
        ({"error": "mispronunciation", "rule": "word-substitution"}, "mispronunciation", "R>L"),
        ({"error": "none"}, "mispronunciation", "AE>EH"),
        ({"error": "none"}, "mispronunciation", "AE>EH"),
        ({"error": "none"}, "mispronunciation", None),
        ({"error": "none"}, "omission", None),  # a false flag, not a false mispronunciation
        ({"error": "none"}, "none", None),
        ({"error": "omission"}, "mispronunciation", "V>B"),  # neither a learner error nor a correct word
    ):
        counts.add(truth, reported, blamed)
    figures = counts.figures()
    assert figures["recall"] == {
        "IH>IY": {"words": 2, "found": 0},
        "DH>D": {"words": 2, "found": 1},
        "word-substitution": {"words": 1, "found": 1},
    }
    assert list(figures["recall"]) == ["IH>IY", "DH>D", "word-substitution"]  # the most missed first
    assert figures["false_flags"] == {"AE>EH": 2, "none named": 1}
    assert list(figures["false_flags"]) == ["AE>EH", "none named"]


def test_spoken_corrections_count_correct_words_corrected_and_clean_readings_interrupted():
    counts = SpokenCorrections()
    counts.add_reading([("none", False), ("none", True), ("none", False)])  # a clean reading, interrupted
    counts.add_reading([("none", False), ("none", False)])  # a clean reading, left alone
    counts.add_reading([("mispronunciation", True), ("none", False), ("mispronunciation", False)])
    counts.add_reading([("omission", True), ("none", True)])  # an omitted word corrected: not a false correction
    assert counts.figures() == {
        "false_corrections": 2,
        "false_corrections_percent_of_correct_words": round(100 * 2 / 7, 2),
        "clean_readings_corrected": 1,
        "clean_readings": 2,
        "mispronounced_words_corrected": 1,
        "mispronounced_words": 2,
    }


def test_the_correction_bar_is_the_lowest_that_keeps_false_corrections_under_the_cap():
    from speech.pronunciation.calibrate_corrections import corrections_at, pick_bar

    correct = [("none", None)] * 96
    readings = [
        correct + [("none", 0.4), ("none", 0.62), ("mispronunciation", 0.55), ("mispronunciation", 0.9)],
        [("mispronunciation", 0.3), ("none", 0.33)],
    ]  # 99 correct words, three of them flagged at 0.33, 0.4 and 0.62
    assert pick_bar(readings, 0.29, max_false_corrections=3.1) == 0.29  # three of 99: 3.03%
    assert pick_bar(readings, 0.29, max_false_corrections=2.5) == 0.4  # from 0.33 up: two
    assert pick_bar(readings, 0.29, max_false_corrections=1.5) == 0.55  # the lowest bar that leaves out 0.4
    assert pick_bar(readings, 0.29, max_false_corrections=0.0) == 0.9
    assert corrections_at(readings, 0.55).figures()["mispronounced_words_corrected"] == 2
    assert pick_bar([[("none", 0.8)]], 0.29, max_false_corrections=0.0) > 0.8  # nothing sure enough


def test_the_correction_bar_is_picked_on_dev_folders_only_and_a_missing_one_is_named(tmp_path):
    from speech.pronunciation.calibrate_corrections import check_dev_folders

    dev, evaluation = tmp_path / "dev-x", tmp_path / "eval"
    for folder, corpus_set in ((dev, "dev"), (evaluation, "eval")):
        folder.mkdir()
        (folder / "index.json").write_text(json.dumps({"set": corpus_set}))
    check_dev_folders([str(dev)])
    with pytest.raises(SystemExit, match="'eval' set; calibrate on dev only"):
        check_dev_folders([str(dev), str(evaluation)])
    with pytest.raises(SystemExit, match="no index.json"):
        check_dev_folders([str(dev), str(tmp_path / "missing")])


def mixed_utterances() -> list[WordCounts]:
    """Readings by a voice that is judged well in some utterances and badly in others."""
    good = counted(("mispronunciation", "mispronunciation"), ("none", "none"), ("none", "none"))
    missed = counted(("mispronunciation", "none"), ("none", "none"), ("none", "none"))
    flagged = counted(("none", "mispronunciation"), ("none", "none"), ("mispronunciation", "mispronunciation"))
    return [good] * 6 + [missed] * 3 + [flagged] * 3


def test_intervals_hold_the_pooled_figures_and_repeat_exactly():
    utterances = mixed_utterances()
    tp, fp, fn = (sum(getattr(u, name) for u in utterances) for name in ("tp", "fp", "fn"))
    pooled_f1 = prf(tp, fp, fn)["f1"]
    pooled_false_flags = 100.0 * sum(u.flagged for u in utterances) / sum(u.correct for u in utterances)
    total = WordCounts.total(utterances)
    assert total.mispronunciation() == prf(tp, fp, fn)
    assert total.false_flags_percent() == round(pooled_false_flags, 2)
    intervals = word_figure_intervals(utterances)
    low, high = intervals["word_f1_ci95"]
    assert low < pooled_f1 < high
    low, high = intervals["false_flags_percent_ci95"]
    assert low < pooled_false_flags < high
    assert word_figure_intervals(utterances) == intervals


def test_more_utterances_like_these_narrow_the_interval():
    few = word_figure_intervals(mixed_utterances())["word_f1_ci95"]
    many = word_figure_intervals(mixed_utterances() * 10)["word_f1_ci95"]
    assert many[1] - many[0] < (few[1] - few[0]) / 2


def test_redrawing_the_voices_widens_the_interval_when_voices_differ_and_keeps_the_utterance_one():
    # one voice judged without error, one that misses every mispronounced word: which voices a set has
    # moves its figures far more than which of their readings were drawn
    right = counted(("mispronunciation", "mispronunciation"), ("none", "none"), ("none", "none"))
    wrong = counted(("mispronunciation", "none"), ("none", "mispronunciation"), ("none", "none"))
    utterances = [right] * 20 + [wrong] * 20
    voices = ["espeak:en-us+m4"] * 20 + ["festival:ked_diphone"] * 20

    intervals = word_figure_intervals(utterances, voices)

    assert intervals["word_f1_ci95"] == word_figure_intervals(utterances)["word_f1_ci95"]
    pooled_f1 = WordCounts.total(utterances).mispronunciation()["f1"]
    low, high = intervals["word_f1_ci95_voices_redrawn"]
    assert low < pooled_f1 < high
    assert (low, high) == (0.0, 1.0)  # both voices drawn twice happen: all wrong, all right
    utterance_low, utterance_high = intervals["word_f1_ci95"]
    assert high - low > 2 * (utterance_high - utterance_low)
    low, high = intervals["false_flags_percent_ci95_voices_redrawn"]
    assert (low, high) == (0.0, 50.0)
    assert word_figure_intervals(utterances, voices) == intervals
    assert all(math.isnan(v) for figure in word_figure_intervals([], []).values() for v in figure)


def test_a_set_judged_without_error_has_no_spread_and_an_empty_one_has_no_figure():
    perfect = [counted(("mispronunciation", "mispronunciation"), ("none", "none"))] * 5
    assert word_figure_intervals(perfect) == {"word_f1_ci95": [1.0, 1.0], "false_flags_percent_ci95": [0.0, 0.0]}
    assert all(math.isnan(v) for figure in word_figure_intervals([]).values() for v in figure)


def test_correct_words_said_as_a_learner_error_leave_the_figures_without_them():
    from speech.pronunciation.evaluation import AccentFormCounts

    accent_forms = AccentFormCounts()
    for reported in ("mispronunciation", "mispronunciation", "omission", "none"):
        accent_forms.add(reported)
    figures = accent_forms.figures(WordCounts(tp=6, fp=5, fn=2, correct=24, flagged=6))
    assert (figures["words"], figures["flagged"]) == (4, 2)
    assert figures["word_mispronunciation_without_them"] == prf(6, 3, 2)  # only the false flags change
    assert figures["false_flags_percent_without_them"] == 15.0  # (6 - 3) of (24 - 4)


def two_voices_one_improved() -> tuple[list[WordCounts], list[WordCounts], list[str]]:
    """A second run that finds every mispronounced word of the first voice, which the first run missed,
    and judges the second voice's readings exactly as the first run did."""
    missed = counted(("mispronunciation", "none"), ("none", "none"), ("none", "none"))
    found = counted(("mispronunciation", "mispronunciation"), ("none", "none"), ("none", "none"))
    same = counted(("mispronunciation", "mispronunciation"), ("none", "mispronunciation"), ("none", "none"))
    voices = ["espeak:en-us+m4"] * 10 + ["festival:ked_diphone"] * 10
    return [missed] * 10 + [same] * 10, [found] * 10 + [same] * 10, voices


def test_paired_differences_say_what_changed_and_how_sure_this_corpus_is():
    before, after, voices = two_voices_one_improved()

    difference = paired_differences(before, after, voices)

    expected = WordCounts.total(after).mispronunciation()["f1"] - WordCounts.total(before).mispronunciation()["f1"]
    assert difference["word_f1"] == pytest.approx(expected, abs=1e-3) and difference["word_f1"] > 0
    assert difference["false_flags_percent"] == 0.0
    assert difference["word_f1_ci95"][0] > 0  # every draw of these readings has some of the first voice's
    low, high = difference["word_f1_ci95_voices_redrawn"]
    assert low == 0.0 < high  # a quarter of the draws hold the second voice only, which did not change
    assert difference["false_flags_percent_ci95_voices_redrawn"] == [0.0, 0.0]
    assert paired_differences(before, before, voices)["word_f1_ci95_voices_redrawn"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="same utterances"):
        paired_differences(before, after[:-1], voices)


def benchmark_result(counts: list[WordCounts], voices: list[str], ids: list[str] | None = None) -> dict:
    ids = ids or [f"eval-1-{index:04d}" for index in range(len(counts))]
    rows = [c.row(utterance, voice) for c, utterance, voice in zip(counts, ids, voices, strict=True)]
    return {"speaker_accents": False, "whole_utterance": {"per_utterance": rows}}


def run_compare(tmp_path: Path, before: dict | str, after: dict | str) -> subprocess.CompletedProcess:
    """bench/compare_runs.py on two benchmark results (a dict is written as JSON, a str as it is)."""
    paths = []
    for name, result in (("before", before), ("after", after)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(result if isinstance(result, str) else json.dumps(result))
    script = Path(__file__).resolve().parents[2] / "bench" / "compare_runs.py"
    return subprocess.run([sys.executable, str(script), *map(str, paths)], capture_output=True, text=True, timeout=120)


def test_compare_runs_prints_the_paired_differences_and_refuses_runs_on_other_readings(tmp_path):
    before, after, voices = two_voices_one_improved()

    done = run_compare(tmp_path, benchmark_result(before, voices), benchmark_result(after, voices))

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["whole_utterance"] == paired_differences(before, after, voices)
    assert "streaming" not in printed

    other_readings = benchmark_result(after, voices, [f"eval-2-{index:04d}" for index in range(len(after))])
    refused = run_compare(tmp_path, benchmark_result(before, voices), other_readings)
    assert refused.returncode != 0 and "judged different utterances" in refused.stderr
    accent_set = benchmark_result(after, voices) | {"speaker_accents": True}
    refused = run_compare(tmp_path, benchmark_result(before, voices), accent_set)
    assert refused.returncode != 0 and "accent sets" in refused.stderr
    broken = run_compare(tmp_path, "{not json", benchmark_result(after, voices))
    assert broken.returncode != 0 and "compare_runs:" in broken.stderr
