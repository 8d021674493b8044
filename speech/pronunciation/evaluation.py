"""Scoring a labelled corpus: features per reference word next to the truth, and detection metrics.

Shared by calibration (dev set only) and the benchmark (eval set only).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from speech.audio import read_wav
from speech.corpus import load_corpus, speaker_accent, voice_group
from speech.g2p import accent_arpabet, arpabet_to_ipa
from speech.pronunciation.scorer import (
    ExtraWord,
    PronunciationScorer,
    SlotFeature,
    UtteranceFeatures,
    confirmed_insertions,
    decide_slot,
    inserted_word_text,
)
from speech.pronunciation.sphinx import GrammarWeights, WordSlot
from speech.pronunciation.word_model import UtteranceContext, WordModel, default_word_model


@dataclass
class ScoredWord:
    utterance: str
    voice: str
    truth: dict  # the annotation entry
    feature: SlotFeature


@dataclass
class ScoredUtterance:
    utterance: str
    voice: str
    annotation: dict
    features: UtteranceFeatures


@dataclass
class StreamedUtterance:
    """One corpus reading pushed through StreamingAssessor. Defined here, not in the training script that
    makes and caches it, so that its pickles name an importable module, not `__main__`."""

    voice: str
    truths: list[dict]  # annotated reference words (no insertions)
    decided: list[tuple[SlotFeature, UtteranceContext]]  # per reference word, as StreamingAssessor decided


def score_corpus(
    folder: str | Path,
    scorer: PronunciationScorer,
    weights: GrammarWeights | None = None,
    limit: int | None = None,
    speaker_accents: bool = False,
) -> list[ScoredUtterance]:
    """With `speaker_accents`, each voice is scored with its own accent set, as its learner would set it."""
    result = []
    for wav, annotation in load_corpus(folder)[:limit]:
        audio = read_wav(wav)
        reference = [w["word"] for w in annotation["words"] if w["error"] != "insertion"]
        accent = speaker_accent(annotation["voice"]) if speaker_accents else None
        features = scorer.extract_features(audio, reference, weights, accent)
        result.append(ScoredUtterance(annotation["id"], annotation["voice"], annotation, features))
    return result


def scored_words(utterances: list[ScoredUtterance]) -> list[ScoredWord]:
    words = []
    for utterance in utterances:
        truths = [w for w in utterance.annotation["words"] if w["error"] != "insertion"]
        for truth, feature in zip(truths, utterance.features.slots, strict=True):
            words.append(ScoredWord(utterance.utterance, utterance.voice, truth, feature))
    return words


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_SEED = 1


@dataclass
class WordCounts:
    """One utterance's reference words as the word-level figures count them."""

    tp: int = 0  # mispronounced and flagged
    fp: int = 0  # flagged, not mispronounced (correct, or omitted but flagged as mispronounced)
    fn: int = 0  # mispronounced, not flagged
    correct: int = 0  # read correctly
    flagged: int = 0  # read correctly, reported with any error

    def add(self, truth: str, reported: str) -> None:
        flagged = reported == "mispronunciation"
        if truth == "mispronunciation":
            self.tp += flagged
            self.fn += not flagged
        else:
            self.fp += flagged
        if truth == "none":
            self.correct += 1
            self.flagged += reported != "none"

    @classmethod
    def total(cls, parts: Iterable[WordCounts]) -> WordCounts:
        total = cls()
        for part in parts:
            for field in fields(cls):
                setattr(total, field.name, getattr(total, field.name) + getattr(part, field.name))
        return total

    def mispronunciation(self) -> dict[str, float]:
        return prf(self.tp, self.fp, self.fn)

    def false_flags_percent(self) -> float:
        return round(100.0 * self.flagged / max(self.correct, 1), 2)

    def row(self, utterance: str, voice: str) -> dict[str, str | int]:
        """The counts as the benchmark's JSON lists them per utterance (bench/compare_runs.py reads them)."""
        return {"utterance": utterance, "voice": voice} | {
            field.name: getattr(self, field.name) for field in fields(self)
        }

    @classmethod
    def of_row(cls, row: dict) -> WordCounts:
        return cls(**{field.name: int(row[field.name]) for field in fields(cls)})

    def voice_figures(self) -> dict[str, float]:
        return {"word_f1": self.mispronunciation()["f1"], "false_flags_percent": self.false_flags_percent()}


def figures_by_voice(utterances: Iterable[tuple[str, WordCounts]]) -> dict[str, dict[str, float]]:
    """Word F1 and false flags per voice, from (voice, counts) of each utterance."""
    by_voice: dict[str, list[WordCounts]] = {}
    for voice, counts in utterances:
        by_voice.setdefault(voice, []).append(counts)
    return {voice: WordCounts.total(parts).voice_figures() for voice, parts in sorted(by_voice.items())}


def utterance_figures(utterances: list[tuple[str, str, WordCounts]]) -> dict:
    """What a run's (utterance id, voice, counts) give beside the totals: the intervals (each voice's
    speeds one voice), the figures per voice, and every utterance's counts (bench/compare_runs.py)."""
    groups = [voice_group(voice) for _, voice, _ in utterances]
    return {
        "intervals": word_figure_intervals([counts for _, _, counts in utterances], groups),
        "by_voice": figures_by_voice((voice, counts) for _, voice, counts in utterances),
        "per_utterance": [
            counts.row(utterance, group) for (utterance, _, counts), group in zip(utterances, groups, strict=True)
        ],
    }


def word_figure_intervals(
    utterances: list[WordCounts],
    voices: list[str] | None = None,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, list[float]]:
    """95% bootstrap intervals of word F1 and of the false flags (percent of correct words): the
    utterances are drawn again with replacement `draws` times and the figures recomputed from the summed
    counts (utterances, not words, because one reading's words share a voice, a speed and a sentence).
    The voices stay the same, so that interval says how much the figures owe to which of these voices'
    utterances were drawn, not how they would move on other voices. Given each utterance's voice, the
    `_voices_redrawn` intervals draw the voices again too (then each drawn voice's utterances): how much
    the figures owe to which voices the set has."""
    counts = _count_matrix(utterances)
    names = ["word_f1_ci95", "false_flags_percent_ci95"]
    if voices is not None:
        names += [f"{name}_voices_redrawn" for name in names]
    if not len(counts):
        return {name: [float("nan")] * 2 for name in names}
    by_utterance, by_voice = _resamples(len(counts), voices, draws, seed)
    intervals = _figure_intervals(_totals(counts, by_utterance))
    if by_voice is None:
        return intervals
    redrawn = _figure_intervals(_totals(counts, by_voice))
    return intervals | {f"{name}_voices_redrawn": value for name, value in redrawn.items()}


def paired_differences(
    before: list[WordCounts],
    after: list[WordCounts],
    voices: list[str],
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, float | list[float]]:
    """`after`'s word F1 and false flags minus `before`'s, two runs over the same utterances (in the same
    order, each one's voice in `voices`), with 95% intervals of the difference: both runs resampled
    alike, the utterances only and then the voices too. Judged on the same readings, a voice that is
    hard for both moves both, so these intervals are narrower than the two runs' own."""
    if len(before) != len(after) or len(after) != len(voices):
        raise ValueError(f"paired runs need the same utterances: {len(before)}, {len(after)}, {len(voices)} voices")
    first, second = _count_matrix(before), _count_matrix(after)
    by_utterance, by_voice = _resamples(len(first), voices, draws, seed)
    result: dict[str, float | list[float]] = {
        "word_f1": round(_f1(second.sum(axis=0)[None])[0] - _f1(first.sum(axis=0)[None])[0], 3),
        "false_flags_percent": round(
            _false_flags(second.sum(axis=0)[None])[0] - _false_flags(first.sum(axis=0)[None])[0], 2
        ),
    }
    for label, drawn in (("", by_utterance), ("_voices_redrawn", by_voice)):
        a, b = _totals(first, drawn), _totals(second, drawn)
        result[f"word_f1_ci95{label}"] = _interval(_f1(b) - _f1(a), 3)
        result[f"false_flags_percent_ci95{label}"] = _interval(_false_flags(b) - _false_flags(a), 2)
    return result


def _count_matrix(utterances: list[WordCounts]) -> np.ndarray:
    return np.array([[u.tp, u.fp, u.fn, u.correct, u.flagged] for u in utterances], dtype=np.float64).reshape(-1, 5)


def _resamples(
    count: int, voices: list[str] | None, draws: int, seed: int
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """The utterances of each draw: drawn with replacement (draws x count), and, given their voices, drawn
    as voices with replacement, then each drawn voice's utterances (one index array per draw)."""
    rng = np.random.default_rng(seed)
    by_utterance = rng.integers(0, count, size=(draws, count))
    if voices is None:
        return by_utterance, None
    groups = [np.flatnonzero(np.array(voices) == voice) for voice in sorted(set(voices))]
    by_voice = []
    for _ in range(draws):
        drawn = [groups[voice] for voice in rng.integers(0, len(groups), size=len(groups))]
        by_voice.append(np.concatenate([mine[rng.integers(0, len(mine), size=len(mine))] for mine in drawn]))
    return by_utterance, by_voice


def _totals(counts: np.ndarray, drawn: np.ndarray | list[np.ndarray]) -> np.ndarray:
    return np.array([counts[indices].sum(axis=0) for indices in drawn])


def _f1(totals: np.ndarray) -> np.ndarray:
    tp, fp, fn = totals[:, 0], totals[:, 1], totals[:, 2]
    return np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(len(totals)), where=2 * tp + fp + fn > 0)


def _false_flags(totals: np.ndarray) -> np.ndarray:
    correct, flagged = totals[:, 3], totals[:, 4]
    return 100.0 * np.divide(flagged, correct, out=np.zeros(len(totals)), where=correct > 0)


def _interval(values: np.ndarray, digits: int) -> list[float]:
    return [round(float(v), digits) for v in np.percentile(values, [2.5, 97.5])]


def _figure_intervals(totals: np.ndarray) -> dict[str, list[float]]:
    """The 95% intervals of word F1 and false flags over drawn totals (draws x [tp, fp, fn, correct, flagged])."""
    return {"word_f1_ci95": _interval(_f1(totals), 3), "false_flags_percent_ci95": _interval(_false_flags(totals), 2)}


class RuleCounts:
    """Which learner errors are found and which of the scorer's suspicions flag correct words, by rule: the
    corpus's rule of each mispronounced word (`word-substitution` for a replaced word), and for each correct
    word flagged as mispronounced the rule of the variant it was blamed on (`none named` without one)."""

    def __init__(self) -> None:
        self.mispronounced: Counter[str] = Counter()
        self.found: Counter[str] = Counter()
        self.false_flags: Counter[str] = Counter()

    def add(self, truth: dict, reported: str, blamed_rule: str | None) -> None:
        flagged = reported == "mispronunciation"
        if truth["error"] == "mispronunciation":
            rule = truth.get("rule") or "unlabelled"
            self.mispronounced[rule] += 1
            self.found[rule] += flagged
        elif truth["error"] == "none" and flagged:
            self.false_flags[blamed_rule or "none named"] += 1

    def figures(self) -> dict[str, dict]:
        """Recall per rule, the most missed first, and the false flags per blamed rule, the most first."""
        by_misses = sorted(self.mispronounced, key=lambda rule: (self.found[rule] - self.mispronounced[rule], rule))
        return {
            "recall": {rule: {"words": self.mispronounced[rule], "found": self.found[rule]} for rule in by_misses},
            "false_flags": dict(sorted(self.false_flags.items(), key=lambda item: (-item[1], item[0]))),
        }


@dataclass
class SpokenCorrections:
    """What the tutor would correct aloud in streamed readings: correct words corrected (false
    corrections), mispronounced words corrected, and clean readings (every reference word read correctly)
    that got at least one correction."""

    correct_words: int = 0
    false_corrections: int = 0
    mispronounced: int = 0
    corrected: int = 0
    clean_readings: int = 0
    clean_readings_corrected: int = 0

    def add_reading(self, words: list[tuple[str, bool]]) -> None:
        """One reading's judged reference words: (annotated error, corrected aloud)."""
        for truth, corrected in words:
            self.correct_words += truth == "none"
            self.false_corrections += truth == "none" and corrected
            self.mispronounced += truth == "mispronunciation"
            self.corrected += truth == "mispronunciation" and corrected
        if all(truth == "none" for truth, _ in words):
            self.clean_readings += 1
            self.clean_readings_corrected += any(corrected for _, corrected in words)

    def false_corrections_percent(self) -> float:
        return round(100.0 * self.false_corrections / max(self.correct_words, 1), 2)

    def figures(self) -> dict[str, float | int]:
        return {
            "false_corrections": self.false_corrections,
            "false_corrections_percent_of_correct_words": self.false_corrections_percent(),
            "clean_readings_corrected": self.clean_readings_corrected,
            "clean_readings": self.clean_readings,
            "mispronounced_words_corrected": self.corrected,
            "mispronounced_words": self.mispronounced,
        }


def detection_metrics(utterances: list[ScoredUtterance], word_model: WordModel | None = None) -> dict:
    word_model = word_model or default_word_model()
    levels = {u.utterance: UtteranceContext.of(u.features.slots) for u in utterances}
    words = scored_words(utterances)
    phone_counts = {"tp": 0, "fp": 0, "fn": 0}
    omission_counts = {"tp": 0, "fp": 0, "fn": 0}
    accent_forms = AccentFormCounts()
    per_utterance = {u.utterance: WordCounts() for u in utterances}
    by_rule = RuleCounts()
    for word in words:
        decision = decide_slot(word.feature, word_model, "full", levels[word.utterance])
        truth = word.truth["error"]
        per_utterance[word.utterance].add(truth, decision.error)
        by_rule.add(word.truth, decision.error, decision.rule)
        if truth == "none" and said_as_a_learner_error(word.voice, word.truth["word"], word.feature.slot):
            accent_forms.add(decision.error)
        predicted_mis = decision.error == "mispronunciation"
        if truth == "omission":
            omission_counts["tp" if decision.error == "omission" else "fn"] += 1
        elif decision.error == "omission":
            omission_counts["fp"] += 1
        # phone level: a true substituted/deleted/added phone is found when the flagged edit is at its position
        true_edits = {(e["index"], e["expected"]) for e in word.truth.get("substituted_phones", [])}
        predicted_edits = set()
        if predicted_mis and decision.variant is not None:
            edit = decision.variant.edit
            predicted_edits.add((edit.index, _ipa1(edit.expected)))
        phone_counts["tp"] += len(true_edits & predicted_edits)
        phone_counts["fp"] += len(predicted_edits - true_edits)
        phone_counts["fn"] += len(true_edits - predicted_edits)
    insertion, named = _insertion_counts(utterances, word_model)
    total = WordCounts.total(per_utterance.values())
    return {
        "words": len(words),
        "word_mispronunciation": total.mispronunciation(),
        "phone_detection": prf(**phone_counts),
        "omission": prf(**omission_counts),
        # named: found insertions whose reported text is the word that was inserted
        "insertion": {**prf(**insertion), "named": named},
        "false_flags_on_correct_words_percent": total.false_flags_percent(),
        "correct_words": total.correct,
        # a diagnostic, not the figure: correct words that the voice's own accent says exactly as one of the
        # learner errors the scorer is built to flag (en-029's "dis" for "this"), and word P/R/F1 without them
        "correct_in_accent_but_a_learner_error": accent_forms.figures(total),
        "by_rule": by_rule.figures(),
    } | utterance_figures([(u.utterance, u.voice, per_utterance[u.utterance]) for u in utterances])


def said_as_a_learner_error(voice: str, word: str, slot: WordSlot) -> bool:
    """The voice speaks an accent (speech.corpus.speaker_accent) whose form of the word is one of the word's
    learner variants in `slot`: correct for that speaker, a learner error for the US reference. With the
    accent set, that form is accepted and no longer a variant (sphinx.word_slots), so this is never true."""
    accent = speaker_accent(voice)
    if accent is None:
        return False
    form = accent_arpabet(word, accent)
    return form is not None and any(variant.phones == form for _, variant in slot.variants)


@dataclass
class AccentFormCounts:
    """The diagnostic `correct_in_accent_but_a_learner_error`: correct words said as a learner error."""

    words: int = 0
    flagged: int = 0  # reported as mispronounced
    reported: int = 0  # reported with any error (false flags count these)

    def add(self, reported: str) -> None:
        self.words += 1
        self.flagged += reported == "mispronunciation"
        self.reported += reported != "none"

    def figures(self, counts: WordCounts) -> dict:
        """These counts, and word P/R/F1 and false flags of `counts` without those words (they are correct
        words: only the false flags change)."""
        return {
            "words": self.words,
            "flagged": self.flagged,
            "word_mispronunciation_without_them": prf(counts.tp, counts.fp - self.flagged, counts.fn),
            "false_flags_percent_without_them": round(
                100.0 * (counts.flagged - self.reported) / max(counts.correct - self.words, 1), 2
            ),
        }


def _inserted_words(annotation: dict) -> list[tuple[float, float]]:
    return [(w["start"], w["end"]) for w in annotation["words"] if w["error"] == "insertion"]


def _overlaps(extra: ExtraWord, start: float, end: float) -> bool:
    """Within 50 ms of overlapping (extra words are timed in pocketsphinx's 10 ms frames)."""
    return min((extra.end_frame + 1) * 0.01, end) - max(extra.start_frame * 0.01, start) > -0.05


def overlaps_inserted_word(extra: ExtraWord, annotation: dict) -> bool:
    return any(_overlaps(extra, start, end) for start, end in _inserted_words(annotation))


def _insertion_counts(utterances: list[ScoredUtterance], word_model: WordModel) -> tuple[dict[str, int], int]:
    counts = {"tp": 0, "fp": 0, "fn": 0}
    named = 0
    for utterance in utterances:
        found = match_insertions(confirmed_insertions(utterance.features.extras, word_model), utterance.annotation)
        for key in counts:
            counts[key] += found[key]
        named += sum(inserted_word_text(extra) == truth["word"] for extra, truth in found["matched"])
    return counts, named


def match_insertions(reported: list[ExtraWord], annotation: dict) -> dict:
    """The benchmark's matching: each reported inserted word, in time order, takes the first annotated
    inserted word it overlaps that no earlier report took (tp), or is a false report (fp)."""
    truths = [w for w in annotation["words"] if w["error"] == "insertion"]
    taken: set[int] = set()
    matched, fp = [], 0
    for extra in reported:
        hit = next((i for i, w in enumerate(truths) if i not in taken and _overlaps(extra, w["start"], w["end"])), None)
        if hit is None:
            fp += 1
        else:
            taken.add(hit)
            matched.append((extra, truths[hit]))
    return {"tp": len(matched), "fp": fp, "fn": len(truths) - len(matched), "matched": matched}


def _ipa1(phone: str | None) -> str | None:
    return None if phone is None else "".join(arpabet_to_ipa([phone]))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
