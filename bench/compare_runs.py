"""Two runs of the pronunciation-scoring benchmark on the same corpus, compared reading by reading.

    python bench/speech_scoring.py --repeat 1 --word-model OLD.json > before.json
    python bench/speech_scoring.py --repeat 1 > after.json
    python bench/compare_runs.py before.json after.json

Prints JSON: for the whole-utterance and the streaming results that both runs have, AFTER's word F1 and
false flags minus BEFORE's, with 95% bootstrap intervals of the difference (both runs resampled alike:
the utterances, then the voices too; speech.pronunciation.evaluation.paired_differences). A difference
whose interval holds 0 is one that this corpus cannot tell from chance.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from speech.pronunciation.evaluation import WordCounts, paired_differences

PARTS = ("whole_utterance", "streaming")


def compared(before: dict, after: dict) -> dict:
    """The paired differences of every part both benchmark results have; a clear error if they were not
    run on the same readings."""
    if before.get("speaker_accents") != after.get("speaker_accents"):
        raise ValueError("one run judged the accent voices with their accent sets and the other did not")
    result = {}
    for part in PARTS:
        if part not in before or part not in after:
            continue
        first, second = before[part].get("per_utterance"), after[part].get("per_utterance")
        if first is None or second is None:
            raise ValueError(f"{part}: a run without per-utterance counts (made before the benchmark listed them)")
        if [row["utterance"] for row in first] != [row["utterance"] for row in second]:
            raise ValueError(f"{part}: the runs judged different utterances (another corpus or --limit)")
        result[part] = paired_differences(
            [WordCounts.of_row(row) for row in first],
            [WordCounts.of_row(row) for row in second],
            [row["voice"] for row in first],
        )
    if not result:
        raise ValueError("the runs have no part in common (whole_utterance, streaming)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="compare two pronunciation-scoring benchmark results")
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    try:
        runs = [json.loads(path.read_text()) for path in (args.before, args.after)]
        result = compared(*runs)
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"compare_runs: {error}") from error
    print(json.dumps({"before": str(args.before), "after": str(args.after), **result}, indent=1))


if __name__ == "__main__":
    main()
