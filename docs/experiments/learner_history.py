"""Stop 25: does the `full` head gain from each word's evidence against the same learner's earlier readings?

    PYTHONPATH=.:docs/experiments python docs/experiments/learner_history.py [--prior-words N] [--features SET]

A learner's voice shifts every recogniser's evidence (a diphone voice's posteriors are lower on every
word, correct or not). The `full` head already sees some figures against their medians over the
utterance (eight words or so); a tutor that has heard the learner's earlier readings knows far more.
Here each dev folder is one course per voice: its readings in corpus order, each word's figures set
against their median over the voice's *earlier* readings in that folder (causal, as a session would
know them), shrunk towards the dev-wide median while the history is short (`--prior-words`, default 40
words). Stop 15 tried a non-causal version (the voice's other readings) on nine voices: no gain. Now the
head also learns from dev-voices' eight voices and dev-kokoro's one (dev-sentences' are the nine's).

Judged as `word_model_variants.py added` judges: the nine DEV voices out of voice, seeds 1-3, thresholds
picked on the nine voices, the three seeds' mean F1 at one threshold; then a second opinion on
dev-voices2's and dev-mbrola's eleven voices, which no head here learnt from (heads trained on every
other folder, threshold from the out-of-voice run). Reads var/experiments/word_features.pkl (`dump`).
"""

from __future__ import annotations

import pickle
import sys

import numpy as np
from word_model_variants import (
    DEV,
    STORE,
    first_columns,
    full_parts,
    joined,
    judge_full_head,
    with_column,
)

from speech.pronunciation import train_word_model as training
from speech.pronunciation.word_model import FULL_FEATURES, HEAD_FEATURES

FEATURE_SETS = {
    "posteriors": (
        "ctc_mean_posterior",
        "ctc_min_posterior",
        "ctc_free_margin",
        "wctc_mean_posterior",
        "wctc_min_posterior",
        "wctc_free_margin",
    ),
    "margins": (
        "ctc_mean_posterior",
        "ctc_min_posterior",
        "ctc_free_margin",
        "ctc_variant_margin",
        "wctc_mean_posterior",
        "wctc_min_posterior",
        "wctc_free_margin",
        "wctc_variant_margin",
        "word_gop",
        "variant_margin",
    ),
}


def option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def learner_columns(
    vectors: np.ndarray,
    skipped: np.ndarray,
    voices: np.ndarray,
    utterances: np.ndarray,
    index: list[int],
    prior: np.ndarray,
    prior_words: int,
) -> np.ndarray:
    """Each word's figures (columns `index`) minus the learner's median over their earlier readings'
    said words (the last 400), shrunk towards `prior` with weight prior_words / (words heard + prior_words)."""
    out = np.zeros((len(vectors), len(index)))
    for voice in dict.fromkeys(voices):
        heard: list[np.ndarray] = []
        in_voice = np.flatnonzero(voices == voice)
        for utterance in dict.fromkeys(utterances[in_voice]):
            mine = in_voice[utterances[in_voice] == utterance]
            if heard:
                history = np.vstack(heard)[-400:]
                weight = len(history) / (len(history) + prior_words)
                median = weight * np.median(history, axis=0) + (1 - weight) * prior
            else:
                median = prior
            out[mine] = vectors[mine][:, index] - median
            said = mine[~skipped[mine]]
            if len(said):
                heard.append(vectors[said][:, index])
    return out


def folder_words(stored: dict, folder: str, index: list[int], prior: np.ndarray | None, prior_words: int):
    """The dumped `full` words of one folder with the shipped head's columns and, given a `prior`, their
    learner-relative columns."""
    (words,) = full_parts([folder])
    if prior is None:
        return words
    raw = first_columns(stored[folder][0], len(FULL_FEATURES))
    utterances = np.array(stored[folder][1])
    return with_column(
        words, learner_columns(raw.vectors, raw.skipped, raw.voices, utterances, index, prior, prior_words)
    )


def main() -> None:
    chosen = FEATURE_SETS[option("--features", "posteriors")]
    prior_words = int(option("--prior-words", "40"))
    stored = pickle.loads(STORE.read_bytes())
    index = [FULL_FEATURES.index(name) for name in chosen]
    every = joined([first_columns(stored[f][0], len(FULL_FEATURES)) for f in DEV])
    prior = np.median(every.vectors[~every.skipped][:, index], axis=0)
    base_names = HEAD_FEATURES["full"]
    for label, with_history in (("shipped recipe", False), (f"+ learner history ({'/'.join(chosen)})", True)):
        names = (*base_names, *(f"{n}_vs_learner" for n in chosen)) if with_history else base_names
        prior_used = prior if with_history else None

        def words(folders: list[str], prior_used=prior_used) -> training.WordExamples:
            return joined([folder_words(stored, f, index, prior_used, prior_words) for f in folders])

        judge_full_head(label, names, words)


if __name__ == "__main__":
    main()
