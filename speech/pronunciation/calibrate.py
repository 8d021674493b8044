"""Calibrate the scorer on the DEV corpus and save speech/data/scoring_calibration.json.

    python -m speech.pronunciation.calibrate var/corpus/dev [--out speech/data/scoring_calibration.json]

Never run this on the eval set: the benchmark's figures are only honest if eval stays unseen.

Steps: (1) for a few grammar weightings, decode every dev utterance and keep the features; (2) map
phone GOP to 0-100 so that the median correct phone scores 95 and the 5th percentile 50; (3) with
--grid, keep the grammar weighting with the best dev word F1 (the default weighting was chosen that
way: the four grid points gave dev F1 within 0.01 of each other). Whether a word was mispronounced,
omitted or inserted is decided by the word model (train_word_model.py), trained on features decoded
with the weighting calibrated here.
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
    percentile,
    score_corpus,
    scored_words,
)
from speech.pronunciation.scorer import PronunciationScorer
from speech.pronunciation.sphinx import GrammarWeights, new_decoder

DEFAULT_WEIGHTS = GrammarWeights(variant=0.01, omission=0.0005, filler=0.05, insertion=0.001)
WEIGHT_GRID = [
    GrammarWeights(variant=0.002, omission=0.0005, filler=0.05, insertion=0.001),
    GrammarWeights(variant=0.01, omission=0.0005, filler=0.05, insertion=0.001),
    GrammarWeights(variant=0.05, omission=0.0005, filler=0.05, insertion=0.001),
    GrammarWeights(variant=0.01, omission=0.003, filler=0.05, insertion=0.005),
]


def fit(words: list[ScoredWord], weights: GrammarWeights) -> Calibration:
    phone_gops = [
        p.gop for w in words if w.truth["error"] == "none" and w.feature.decoded is not None for p in w.feature.phones
    ]
    centre = percentile(phone_gops, 0.05) if phone_gops else -30.0
    middle = percentile(phone_gops, 0.5) if phone_gops else 0.0
    scale = max((middle - centre) / 3.0, 1.0)
    return Calibration(
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
        calibration = fit(scored_words(utterances), weights)
        metrics = detection_metrics(utterances)
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
    if Path(args.out).exists():  # the correction bar is calibrate_corrections.py's: keep it
        before = Calibration.from_json(Path(args.out).read_text())
        calibration = replace(
            calibration, correction_bar=before.correction_bar, correction_bar_head=before.correction_bar_head
        )
    Path(args.out).write_text(calibration.to_json())
    print(json.dumps({"grid": report, "chosen": json.loads(calibration.to_json())}, indent=1))


if __name__ == "__main__":
    main()
