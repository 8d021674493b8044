"""Pronunciation-scoring benchmark on the EVAL corpus (voices and sentences never used for calibration).

    python bench/speech_scoring.py [--corpus var/corpus/eval] [--limit N] [--repeat 3] [--streaming-only]

Build the corpus first: `python manage.py build_corpus --set eval --seed 1 --out var/corpus/eval`.
Prints JSON: word-level mispronunciation P/R/F1, phone-level detection P/R/F1, omission and insertion
P/R/F1 (`insertion.named`: found inserted words reported under the word said), false flags on correctly
read words, 95% bootstrap intervals of word F1 and false flags (`intervals`: utterances drawn again,
voices fixed; `*_voices_redrawn`: the voices drawn again too, then each one's utterances), per-voice
figures, the diagnostic `correct_in_accent_but_a_learner_error` (correct words an accent voice says
exactly as a learner error, and word P/R/F1 and false flags without them; whole
utterance and streaming), `by_rule` (recall per learner rule and false flags per blamed rule; both
modes), `spoken_corrections` (streaming: what the tutor would correct aloud at the calibrated correction
bar and at every flagged word), streaming verdict delay
after the word's end (from the corpus annotation) and the streaming scorer's CPU per 200 ms chunk.
Timing figures are the median over `--repeat` runs. `--streaming-only` skips the whole-utterance scoring
(to time two versions of the streaming path side by side, one after the other). `--pause SECONDS` puts a
pause of that length (the corpus's noise floor) between each reading's middle two words in the streamed
pass, as a learner who stops to think mid-sentence, and adds `mid_sentence_pause`: how many of the words
said before it were decided during it, their delay, and how many words said after it were decided before
it ended; with `--pause-as-zeros` the pause is digital silence (as a muted browser track gives it).
`--word-model PATH` judges with another word model (a candidate, or an earlier one from git); each result
lists every utterance's counts (`per_utterance`), which `python bench/compare_runs.py BEFORE.json AFTER.json` compares.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from speech.audio import read_wav
from speech.corpus import load_corpus, speaker_accent, voice_group, with_inserted_pause
from speech.pronunciation.calibration import default_calibration
from speech.pronunciation.evaluation import (
    AccentFormCounts,
    RuleCounts,
    SpokenCorrections,
    WordCounts,
    detection_metrics,
    percentile,
    said_as_a_learner_error,
    score_corpus,
    utterance_figures,
)
from speech.pronunciation.scorer import PronunciationScorer
from speech.pronunciation.streaming import STREAM_CHUNK_BYTES, LearnerChannel, StreamingAssessor, correction_bar
from speech.pronunciation.word_model import WORD_MODEL_PATH, WordModel, default_word_model


def streaming_run(
    corpus: list[tuple[Path, dict]],
    speaker_accents: bool = False,
    word_model: WordModel | None = None,
    pause: float | None = None,
    pause_as_zeros: bool = False,
) -> dict:
    delays: list[float] = []
    before_pause: list[float] = []  # delays of the words said before the pause
    decided_in_pause = 0
    after_pause = decided_too_soon = 0  # words said after the pause, and those decided before it ended
    cpu: list[float] = []
    per_utterance: list[WordCounts] = []  # one per corpus entry
    accent_forms = AccentFormCounts()
    by_rule = RuleCounts()
    spoken = {"at_the_bar": SpokenCorrections(), "every_flagged_word": SpokenCorrections()}
    bar = correction_bar(default_calibration(), word_model or default_word_model())  # what each assessor uses
    channels: dict[str, LearnerChannel] = {}  # each voice is one learner, heard in corpus order
    for wav, annotation in corpus:
        audio = read_wav(wav)
        if pause is not None:
            audio, annotation, (paused_at, _) = with_inserted_pause(audio, annotation, pause, noisy=not pause_as_zeros)
        pcm = audio.pcm16()
        accent = speaker_accent(annotation["voice"]) if speaker_accents else None
        channel = channels.setdefault(voice_group(annotation["voice"]), LearnerChannel())
        assessor = StreamingAssessor(annotation["text"], accent=accent, channel=channel, word_model=word_model)
        verdicts = []
        for offset in range(0, len(pcm), STREAM_CHUNK_BYTES):
            started = time.process_time()
            verdicts += assessor.push(pcm[offset : offset + STREAM_CHUNK_BYTES])
            cpu.append(time.process_time() - started)
        verdicts += assessor.finish()
        truths = [w for w in annotation["words"] if w["error"] != "insertion"]
        by_index = {v.index: v for v in verdicts}
        judged = [(truth["error"], by_index[index]) for index, truth in enumerate(truths) if index in by_index]
        spoken["at_the_bar"].add_reading([(truth, verdict.correct_aloud) for truth, verdict in judged])
        spoken["every_flagged_word"].add_reading(
            [(truth, verdict.error == "mispronunciation") for truth, verdict in judged]
        )
        per_utterance.append(WordCounts())
        for index, truth in enumerate(truths):
            verdict = by_index.get(index)
            if verdict is None:
                continue
            per_utterance[-1].add(truth["error"], verdict.error)
            by_rule.add(truth, verdict.error, verdict.rule)
            if truth["error"] == "none" and said_as_a_learner_error(
                annotation["voice"], truth["word"], assessor.slots[index]
            ):
                accent_forms.add(verdict.error)
            if truth["error"] != "omission":
                delays.append(verdict.decided_at - truth["end"])
                if pause is not None and truth["end"] <= paused_at:
                    before_pause.append(verdict.decided_at - truth["end"])
                    decided_in_pause += verdict.decided_at <= paused_at + pause
            if pause is not None and truth["start"] >= paused_at + pause:
                after_pause += 1
                decided_too_soon += verdict.decided_at < paused_at + pause
    total = WordCounts.total(per_utterance)
    figures = {
        "delay_median_ms": round(1000 * statistics.median(delays)),
        "delay_p90_ms": round(1000 * percentile(delays, 0.9)),
        "cpu_per_chunk_median_ms": round(1000 * statistics.median(cpu), 2),
        "cpu_per_chunk_p95_ms": round(1000 * percentile(cpu, 0.95), 2),
        "chunks": len(cpu),
        "word_mispronunciation": total.mispronunciation(),
        "false_flags_on_correct_words_percent": total.false_flags_percent(),
        "correct_in_accent_but_a_learner_error": accent_forms.figures(total),
        "by_rule": by_rule.figures(),
        "spoken_corrections": {"bar": bar} | {name: counts.figures() for name, counts in spoken.items()},
    }
    if pause is not None:
        figures["mid_sentence_pause"] = {
            "seconds": pause,
            "as_zeros": pause_as_zeros,
            "words_said_before_it": len(before_pause),
            "decided_during_it": decided_in_pause,
            "their_delay_median_ms": round(1000 * statistics.median(before_pause)),
            "their_delay_p90_ms": round(1000 * percentile(before_pause, 0.9)),
            "words_after_it": after_pause,
            "decided_before_it_ended": decided_too_soon,
        }
    return figures | utterance_figures(
        [
            (annotation["id"], annotation["voice"], counts)
            for (_, annotation), counts in zip(corpus, per_utterance, strict=True)
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="pronunciation scoring benchmark (eval set)")
    parser.add_argument("--corpus", default="var/corpus/eval")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="streaming runs; timing figures are their median")
    parser.add_argument(
        "--speaker-accents",
        action="store_true",
        help="score each accent voice with its accent set, as its learner would set it (the US voices: none)",
    )
    parser.add_argument("--streaming-only", action="store_true", help="skip the whole-utterance scoring")
    parser.add_argument(
        "--pause", type=float, default=None, help="a pause of this many seconds mid-sentence in the streamed pass"
    )
    parser.add_argument("--pause-as-zeros", action="store_true", help="that pause as digital silence")
    parser.add_argument(
        "--word-model", type=Path, default=WORD_MODEL_PATH, help="another word_model.json to judge (default: shipped)"
    )
    args = parser.parse_args()
    if args.pause is not None and not 0 < args.pause <= 10:
        raise SystemExit(f"--pause {args.pause}: a pause is more than 0 and at most 10 seconds")
    if args.pause_as_zeros and args.pause is None:
        raise SystemExit("--pause-as-zeros needs --pause SECONDS")
    try:
        word_model = WordModel.from_json(args.word_model.read_text())
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"--word-model {args.word_model}: {error}") from error
    index = json.loads((Path(args.corpus) / "index.json").read_text())
    if index["set"] != "eval":
        raise SystemExit(f"{args.corpus} is the {index['set']!r} set; the benchmark runs on eval")
    calibration = default_calibration()
    corpus = load_corpus(args.corpus)[: args.limit]
    result = {
        "corpus": args.corpus,
        "voices": index["voices"],
        "calibration": calibration.source,
        "word_model": f"{args.word_model}: {word_model.source}",
        "speaker_accents": args.speaker_accents,
        "utterances": len(corpus),
        "cpu_count": os.cpu_count(),
    }
    if not args.streaming_only:
        scorer = PronunciationScorer(calibration)
        started = time.perf_counter()
        utterances = score_corpus(args.corpus, scorer, limit=args.limit, speaker_accents=args.speaker_accents)
        whole_seconds = time.perf_counter() - started
        audio_seconds = sum(u.features.n_frames for u in utterances) * 0.01
        result["whole_utterance"] = detection_metrics(utterances, word_model) | {
            "real_time_factor": round(whole_seconds / max(audio_seconds, 1e-9), 3)
        }
    runs = [
        streaming_run(corpus, args.speaker_accents, word_model, args.pause, args.pause_as_zeros)
        for _ in range(max(args.repeat, 1))
    ]
    streaming = runs[0] | {
        key: statistics.median(run[key] for run in runs)
        for key in ("delay_median_ms", "delay_p90_ms", "cpu_per_chunk_median_ms", "cpu_per_chunk_p95_ms")
    }
    streaming["runs"] = len(runs)
    result["streaming"] = streaming
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
