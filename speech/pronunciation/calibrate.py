"""Calibrate the scorer on the DEV corpus and save speech/data/scoring_calibration.json.

    python -m speech.pronunciation.calibrate var/corpus/dev [--out speech/data/scoring_calibration.json]

Never run this on the eval set: the benchmark's figures are only honest if eval stays unseen.

Steps: (1) for a few grammar weightings, decode every dev utterance and keep the features; (2) per
learner-rule family, pick the evidence threshold that maximises TP - 1.5 FP among decoded variants
(families with fewer than 8 candidates use the threshold fitted on all of them); (3) pick the word-GOP
floor for canonical words (catches whole-word substitutions) with at most 1% of correct words below it;
(4) map phone GOP to 0-100 so that the median correct phone scores 95 and the 5th percentile 50;
(5) with --grid, keep the grammar weighting with the best dev word F1 (the default weighting was
chosen that way: the four grid points gave dev F1 within 0.01 of each other).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from speech.audio import read_wav
from speech.corpus import load_corpus
from speech.pronunciation.calibration import CALIBRATION_PATH, Calibration
from speech.pronunciation.evaluation import (
    ScoredWord,
    detection_metrics,
    insertion_candidates,
    percentile,
    score_corpus,
    scored_words,
)
from speech.pronunciation.learner_variants import rule_family
from speech.pronunciation.scorer import PronunciationScorer
from speech.pronunciation.sphinx import GrammarWeights, new_decoder

DEFAULT_WEIGHTS = GrammarWeights(variant=0.01, omission=0.0005, filler=0.05, insertion=0.001)
WEIGHT_GRID = [
    GrammarWeights(variant=0.002, omission=0.0005, filler=0.05, insertion=0.001),
    GrammarWeights(variant=0.01, omission=0.0005, filler=0.05, insertion=0.001),
    GrammarWeights(variant=0.05, omission=0.0005, filler=0.05, insertion=0.001),
    GrammarWeights(variant=0.01, omission=0.003, filler=0.05, insertion=0.005),
]
FALSE_POSITIVE_COST = 1.5
MIN_FAMILY_SUPPORT = 8
MAX_VARIANT_FALSE_FLAG_RATE = 0.01


def best_threshold(candidates: list[tuple[float, bool]]) -> float:
    """Threshold t (flag when value > t) maximising TP - cost * FP; candidates are (value, is_true_error)."""
    if not candidates:
        return 0.0
    values = sorted({value for value, _ in candidates})
    options = [values[0] - 1.0] + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] + [values[-1] + 1.0]
    best, best_gain = options[-1], 0.0
    for threshold in options:
        tp = sum(1 for value, truth in candidates if value > threshold and truth)
        fp = sum(1 for value, truth in candidates if value > threshold and not truth)
        gain = tp - FALSE_POSITIVE_COST * fp
        if gain > best_gain:
            best, best_gain = threshold, gain
    return round(best, 3)


def refine_for_f1(
    variants: list[tuple[str, float, bool]],
    thresholds: dict[str, float],
    default: float,
    true_errors: int,
    correct_words: int,
    max_false_flag_rate: float = MAX_VARIANT_FALSE_FLAG_RATE,
) -> dict[str, float]:
    """Coordinate ascent on the family thresholds for the word F1 of the variant decisions, keeping their
    false flags on correct words under `max_false_flag_rate`."""
    thresholds = dict(thresholds)

    def f1(current: dict[str, float]) -> float:
        tp = fp = 0
        for rule, evidence, truth in variants:
            if evidence > current.get(rule_family(rule), default):
                tp += truth
                fp += not truth
        if fp > max_false_flag_rate * correct_words:
            return -1.0
        return 2 * tp / (2 * tp + fp + (true_errors - tp)) if true_errors else 0.0

    for _ in range(3):
        for family in sorted(thresholds):
            values = sorted({e for rule, e, _ in variants if rule_family(rule) == family})
            options = [v - 1e-3 for v in values] + [values[-1] + 1.0] if values else []
            best_value, best_f1 = thresholds[family], f1(thresholds)
            for option in options:
                trial = thresholds | {family: round(option, 3)}
                score = f1(trial)
                if score > best_f1:
                    best_value, best_f1 = round(option, 3), score
            thresholds[family] = best_value
    return thresholds


def fit(
    words: list[ScoredWord], weights: GrammarWeights, insertions: list[tuple[float, bool]] | None = None
) -> Calibration:
    variants = [
        (w.feature.decoded.choice.variant.rule, w.feature.evidence, w.truth["error"] == "mispronunciation")
        for w in words
        if w.feature.decoded is not None
        and w.feature.decoded.choice.kind == "variant"
        and w.feature.evidence is not None
    ]
    default = best_threshold([(e, t) for _, e, t in variants])
    thresholds: dict[str, float] = {}
    for family in sorted({rule_family(rule) for rule, _, _ in variants}):
        members = [(e, t) for rule, e, t in variants if rule_family(rule) == family]
        if len(members) >= MIN_FAMILY_SUPPORT:
            thresholds[family] = best_threshold(members)
    truths = sum(1 for w in words if w.truth["error"] == "mispronunciation")
    correct = sum(1 for w in words if w.truth["error"] == "none")
    thresholds = refine_for_f1(variants, thresholds, default, truths, correct)

    canonical = [
        (w.feature.word_gop, w.truth["error"] == "mispronunciation")
        for w in words
        if w.feature.decoded is not None
        and w.feature.decoded.choice.kind == "canonical"
        and w.feature.word_gop is not None
    ]
    correct_gops = [gop for gop, truth in canonical if not truth]
    floor = percentile(correct_gops, 0.01) if correct_gops else -1e9
    # lower the floor further if that removes more false flags than true ones
    below = sorted([(gop, truth) for gop, truth in canonical if gop < floor])
    best_floor, best_gain, gain = floor, 0.0, 0.0
    for gop, truth in reversed(below):
        gain += 1 if truth else -FALSE_POSITIVE_COST
        if gain > best_gain:
            best_floor, best_gain = gop, gain
    floor = best_floor if best_gain > 0 else min(floor, min(correct_gops, default=floor))

    skipped = [
        (w.feature.gap_speech, w.truth["error"] == "mispronunciation") for w in words if w.feature.decoded is None
    ]
    replaced = best_threshold(skipped) if skipped else 0.15
    omitted = [
        (w.feature.omission_evidence, w.truth["error"] == "omission")
        for w in words
        if w.feature.decoded is None and w.feature.gap_speech < replaced and w.feature.omission_evidence is not None
    ]
    omission_threshold = best_threshold(omitted) if omitted else -1e9

    phone_gops = [
        p.gop for w in words if w.truth["error"] == "none" and w.feature.decoded is not None for p in w.feature.phones
    ]
    centre = percentile(phone_gops, 0.05) if phone_gops else -30.0
    middle = percentile(phone_gops, 0.5) if phone_gops else 0.0
    scale = max((middle - centre) / 3.0, 1.0)
    return Calibration(
        variant_evidence=thresholds,
        default_variant_evidence=default,
        word_gop_floor=round(floor, 3),
        replaced_word_speech=replaced,
        omission_evidence=omission_threshold,
        insertion_evidence=best_threshold(insertions) if insertions else -1e9,
        gop_centre=round(centre, 3),
        gop_scale=round(scale, 3),
        grammar=weights,
        source="",
    )


def dev_cepstral_mean(dev_folder: str | Path) -> str:
    """The live cepstral mean after streaming every fourth dev utterance through one decoder."""
    decoder = new_decoder()
    decoder.add_jsgf_string("filler", "#JSGF V1.0;\ngrammar filler;\npublic <s> = uh;\n")
    decoder.activate_search("filler")
    for wav, _ in load_corpus(dev_folder)[::4]:
        decoder.start_utt()
        decoder.process_raw(read_wav(wav).pcm16(), False, False)
        decoder.end_utt()
    return decoder.get_cmn()


def calibrate(dev_folder: str | Path, limit: int | None = None, grid: bool = False) -> tuple[Calibration, dict]:
    scorer = PronunciationScorer(Calibration())
    report = {}
    best: tuple[float, Calibration] | None = None
    for weights in WEIGHT_GRID if grid else [DEFAULT_WEIGHTS]:
        utterances = score_corpus(dev_folder, scorer, weights, limit)
        calibration = fit(scored_words(utterances), weights, insertion_candidates(utterances))
        metrics = detection_metrics(utterances, calibration)
        f1 = metrics["word_mispronunciation"]["f1"]
        false_flags = metrics["false_flags_on_correct_words_percent"]
        report[json.dumps(weights.__dict__)] = {"word_f1": f1, "false_flags_percent": false_flags}
        score = f1 - (0.02 * (false_flags - 5.0) if false_flags > 5.0 else 0.0)
        if best is None or score > best[0]:
            best = (score, calibration)
    assert best is not None
    calibration = replace(
        best[1],
        cepstral_mean=dev_cepstral_mean(dev_folder),
        source=f"calibrated on {Path(dev_folder).name} ({len(utterances)} utterances)",
    )
    return calibration, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev_folder")
    parser.add_argument("--out", default=str(CALIBRATION_PATH))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--grid", action="store_true", help="also search grammar weightings (4x slower)")
    args = parser.parse_args()
    index = json.loads((Path(args.dev_folder) / "index.json").read_text())
    if index["set"] != "dev":
        raise SystemExit(f"{args.dev_folder} is the {index['set']!r} set; calibrate on dev only")
    calibration, report = calibrate(args.dev_folder, args.limit, args.grid)
    Path(args.out).write_text(calibration.to_json())
    print(json.dumps({"grid": report, "chosen": json.loads(calibration.to_json())}, indent=1))


if __name__ == "__main__":
    main()
