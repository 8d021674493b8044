"""Pick the correction bar: how sure the streaming head must be that a word was mispronounced before the
tutor corrects the learner aloud. Every flagged word is still shown; a spoken correction interrupts, and
one that interrupts a correct reading costs the learner's trust more than a missed one costs them.

    python -m speech.pronunciation.calibrate_corrections [FOLDER ...] [--max-false-corrections 1.0]

FOLDERs are dev corpora read by voices that neither phone network nor the word model heard (default
var/corpus/dev-voices2 and var/corpus/dev-mbrola: `build_corpus --set dev --seed 10 --more-voices 2`, and
`--seed 11 --mbrola-voices`; see docs/speech-scoring.md), so the head's probabilities are those of a
learner it never heard. Every reading is streamed as the lesson engine streams it (200 ms chunks, one
`LearnerChannel` per voice, in corpus order). The bar is the lowest probability at which the words
corrected aloud would be at most `--max-false-corrections` percent of the correctly read words; it is
saved in speech/data/scoring_calibration.json with the fingerprint of the streaming head it was picked
for (a retrained head corrects every flagged word until this runs again), the rest of the file as it was.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from speech.audio import read_wav
from speech.corpus import load_corpus, voice_group
from speech.learner_channel import LearnerChannel
from speech.pronunciation.calibration import CALIBRATION_PATH, Calibration
from speech.pronunciation.evaluation import SpokenCorrections
from speech.pronunciation.streaming import STREAM_CHUNK_BYTES, StreamingAssessor
from speech.pronunciation.word_model import WordModel, default_word_model

DEFAULT_FOLDERS = ("var/corpus/dev-voices2", "var/corpus/dev-mbrola")

# one streamed reading: each judged reference word's annotated error and, when it was flagged as
# mispronounced, the streaming head's probability
Reading = list[tuple[str, float | None]]


def check_dev_folders(folders: list[str]) -> None:
    """Every folder a built dev corpus, before minutes of streaming are spent on the first of them."""
    for folder in folders:
        index_path = Path(folder) / "index.json"
        if not index_path.is_file():
            raise SystemExit(f"{folder}: no index.json; build it first (docs/speech-scoring.md, the commands)")
        corpus_set = json.loads(index_path.read_text()).get("set")
        if corpus_set != "dev":
            raise SystemExit(f"{folder} is the {corpus_set!r} set; calibrate on dev only")


def streamed_readings(folders: list[str], calibration: Calibration, word_model: WordModel) -> list[Reading]:
    check_dev_folders(folders)
    readings: list[Reading] = []
    for folder in folders:
        channels: dict[str, LearnerChannel] = {}
        for wav, annotation in load_corpus(folder):
            channel = channels.setdefault(voice_group(annotation["voice"]), LearnerChannel())
            assessor = StreamingAssessor(
                annotation["text"], calibration=calibration, word_model=word_model, channel=channel
            )
            pcm = read_wav(wav).pcm16()
            chunks = range(0, len(pcm), STREAM_CHUNK_BYTES)
            verdicts = [v for at in chunks for v in assessor.push(pcm[at : at + STREAM_CHUNK_BYTES])]
            verdicts += assessor.finish()
            truths = [word["error"] for word in annotation["words"] if word["error"] != "insertion"]
            readings.append(
                [
                    (truths[verdict.index], verdict.confidence if verdict.error == "mispronunciation" else None)
                    for verdict in verdicts
                ]
            )
    return readings


def corrections_at(readings: list[Reading], bar: float) -> SpokenCorrections:
    counts = SpokenCorrections()
    for reading in readings:
        counts.add_reading([(truth, probability is not None and probability >= bar) for truth, probability in reading])
    return counts


def pick_bar(readings: list[Reading], threshold: float, max_false_corrections: float) -> float:
    """The lowest bar, from the head's own threshold up through the flagged words' probabilities, whose
    false corrections are at most `max_false_corrections` percent of the correct words."""
    candidates = sorted({threshold} | {p for reading in readings for _, p in reading if p is not None})
    for bar in candidates:
        if corrections_at(readings, bar).false_corrections_percent() <= max_false_corrections:
            return bar
    return candidates[-1] + 1e-6  # nothing flagged is sure enough: correct nothing aloud


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=list(DEFAULT_FOLDERS))
    parser.add_argument("--max-false-corrections", type=float, default=1.0, help="percent of correct words")
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    args = parser.parse_args()
    calibration = Calibration.from_json(args.out.read_text()) if args.out.exists() else Calibration()
    word_model = default_word_model()
    head = word_model.heads["streaming"]
    readings = streamed_readings(args.folders, calibration, word_model)
    bar = pick_bar(readings, head.threshold, args.max_false_corrections)
    args.out.write_text(replace(calibration, correction_bar=bar, correction_bar_head=head.fingerprint).to_json())
    print(
        json.dumps(
            {
                "folders": args.folders,
                "readings": len(readings),
                "streaming_threshold": head.threshold,
                "correction_bar": round(bar, 4),
                "at_the_bar": corrections_at(readings, bar).figures(),
                "every_flagged_word": corrections_at(readings, head.threshold).figures(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
