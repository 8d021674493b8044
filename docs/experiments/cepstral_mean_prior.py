"""Stop 24: where a streamed reading's live cepstral-mean normalisation should start, judged by the streaming
verdicts' word F1 and false flags on dev folders that the streaming head never learnt from.

    PYTHONPATH=. python docs/experiments/cepstral_mean_prior.py [--word-model PATH] [FOLDER ...]

Three priors: `process`, one channel shared by every reading in order (what every process did before stop
24: the mean the last finished reading ended with, whoever read it); `fresh`, a new channel for each
reading (the dev mean saved with the calibration); `learner`, a channel per voice (what the lesson engine,
the benchmark and the streamed training pass do now). Each voice's readings are heard in corpus order.
Stop 24 ran it with stop 19's streaming head (`git show 3ac04bf:speech/data/word_model.json`) on
var/corpus/dev-mbrola, dev-voices2 and dev-kokoro, the default folders; about 4 min a prior.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from speech.audio import read_wav
from speech.corpus import load_corpus, voice_group
from speech.pronunciation.evaluation import WordCounts
from speech.pronunciation.streaming import LearnerChannel, StreamingAssessor
from speech.pronunciation.word_model import WORD_MODEL_PATH, WordModel

CHUNK_BYTES = 6400  # 200 ms of 16 kHz PCM16, as the lesson engine pushes
DEFAULT_FOLDERS = ["var/corpus/dev-mbrola", "var/corpus/dev-voices2", "var/corpus/dev-kokoro"]


def streamed_counts(folders: list[str], prior: str, word_model: WordModel) -> WordCounts:
    shared = LearnerChannel()
    per_voice: dict[str, LearnerChannel] = {}
    total = WordCounts()
    for folder in folders:
        for wav, annotation in load_corpus(folder):
            if prior == "process":
                channel = shared
            elif prior == "learner":
                channel = per_voice.setdefault(voice_group(annotation["voice"]), LearnerChannel())
            else:
                channel = LearnerChannel()
            pcm = read_wav(wav).pcm16()
            assessor = StreamingAssessor(annotation["text"], word_model=word_model, channel=channel)
            verdicts = [v for at in range(0, len(pcm), CHUNK_BYTES) for v in assessor.push(pcm[at : at + CHUNK_BYTES])]
            by_index = {v.index: v for v in verdicts + assessor.finish()}
            truths = [w for w in annotation["words"] if w["error"] != "insertion"]
            for index, truth in enumerate(truths):
                if index in by_index:
                    total.add(truth["error"], by_index[index].error)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", default=DEFAULT_FOLDERS)
    parser.add_argument("--word-model", type=Path, default=WORD_MODEL_PATH)
    args = parser.parse_args()
    torch.set_num_threads(1)
    word_model = WordModel.from_json(args.word_model.read_text())
    for prior in ("process", "fresh", "learner"):
        counts = streamed_counts(args.folders, prior, word_model)
        figures = counts.mispronunciation()
        flags = counts.false_flags_percent()
        print(f"{prior}: word F1 {figures['f1']:.3f} ({figures}), false flags {flags}%", flush=True)


if __name__ == "__main__":
    main()
