"""The benchmark's word counts and their bootstrap intervals (speech.pronunciation.evaluation)."""

from __future__ import annotations

import math

from speech.pronunciation.evaluation import WordCounts, prf, word_figure_intervals


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
