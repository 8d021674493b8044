"""Stop 15's word-model experiments on dev (out of voice), as recorded in docs/speech-scoring.md.

    PYTHONPATH=. python docs/experiments/word_model_variants.py dump        # ~5 min: dev features
    PYTHONPATH=. python docs/experiments/word_model_variants.py omission    # full_omission feature sets
    PYTHONPATH=. python docs/experiments/word_model_variants.py speaker     # speaker-relative features
    PYTHONPATH=. python docs/experiments/word_model_variants.py boosting    # gradient-boosted trees
    PYTHONPATH=. python docs/experiments/word_model_variants.py curve       # more readings, same voices
    PYTHONPATH=. python docs/experiments/word_model_variants.py relative    # full head without the
                                                                            # utterance-relative CTC figures
    PYTHONPATH=. python docs/experiments/word_model_variants.py dump-warped # ~20 min: dev features with
                                                                            # the Whisper head's evidence
                                                                            # averaged over three warps
    PYTHONPATH=. python docs/experiments/word_model_variants.py warped      # full head on those features
    PYTHONPATH=. python docs/experiments/word_model_variants.py seeds       # the same recipe, seeds 1-5,
                                                                            # and their average
    PYTHONPATH=. python docs/experiments/word_model_variants.py training    # weight decay and epochs
    PYTHONPATH=. python docs/experiments/word_model_variants.py voices      # F1 against the number of
                                                                            # voices trained on
    PYTHONPATH=. python docs/experiments/word_model_variants.py more-voices # the nine voices judged by
                                                                            # heads that also learnt from
                                                                            # dev-voices' eight
    PYTHONPATH=. python docs/experiments/word_model_variants.py more-voices-streaming  # the same for
                                                                            # the streaming head (its
                                                                            # streamed-pass cache)
    PYTHONPATH=. python docs/experiments/word_model_variants.py flagged-words  # the correct words flagged
                                                                            # most, misses per rule
    PYTHONPATH=. python docs/experiments/word_model_variants.py ensemble    # five seeds' heads averaged
    PYTHONPATH=. python docs/experiments/word_model_variants.py voice-bagged  # heads that each leave one
                                                                            # more voice out, averaged
    PYTHONPATH=. python docs/experiments/word_model_variants.py kinds       # leave one kind of voice out,
                                                                            # with and without dev-voices
    PYTHONPATH=. python docs/experiments/word_model_variants.py lexical     # both heads told whether the
                                                                            # word has a weak form
    PYTHONPATH=. python docs/experiments/word_model_variants.py more-sentences  # heads that also learnt
                                                                            # from dev-sentences (add
                                                                            # `full` or `streaming`: one)
    PYTHONPATH=. python docs/experiments/word_model_variants.py families    # both heads told which family
                                                                            # of variant each phone
                                                                            # recogniser prefers (add
                                                                            # `full` or `streaming`: one)
    PYTHONPATH=. python docs/experiments/word_model_variants.py warped-voices  # both heads with
                                                                            # dev-warped's warped piper
                                                                            # and kal too (add `full` or
                                                                            # `streaming`: one)
    PYTHONPATH=. python docs/experiments/word_model_variants.py more-voices2  # both heads with
                                                                            # dev-voices2's eight more
                                                                            # espeak-ng variants too
    PYTHONPATH=. python docs/experiments/word_model_variants.py mbrola-voices  # both heads with
                                                                            # dev-mbrola's MBROLA voices
    PYTHONPATH=. python docs/experiments/word_model_variants.py kokoro-voices  # both heads with
                                                                            # dev-kokoro's Kokoro voices
    PYTHONPATH=. python docs/experiments/word_model_variants.py dump-accents  # ~6 min: dev's accent
                                                                            # voices scored with their
                                                                            # accent sets
    PYTHONPATH=. python docs/experiments/word_model_variants.py accent-sets  # `full` trained on them
    PYTHONPATH=. python docs/experiments/word_model_variants.py held-out PATH  # the shipped heads and
                                                                            # PATH's on dev-voices2 and
                                                                            # dev-mbrola (no head's)
    PYTHONPATH=. python docs/experiments/word_model_variants.py added FOLDER  # both heads with the
                                                                            # voices of any dev folder
                                                                            # that `dump` stored

`dump` scores the six dev folders as `train_word_model` does (its cache, each voice's fold networks) and
stores every reference word's `full` features in var/experiments/word_features.pkl; the others read it.
Every figure is leave-one-voice-out, with the threshold picked as `train_word_model` picks it.
`dump-warped`, `warped`, `seeds`, `training`, `voices`, `more-voices` and `more-voices-streaming` are
stop 16's; `dump` also stores var/corpus/dev-voices when it exists. `--store PATH` makes the others
read another dump (stop 17 kept stop 16's as var/experiments/word_features-stop16.pkl before the scorer
accepted /ðɪ/ for "the", and compared the two). `lexical` is stop 18's, `families` stop 19's (its
`dump` also stores the rule of each word's preferred variants: run `dump` again before it). On a
fresh machine `dump` needs the fold networks first (`train_phone_model --folds 1 2`,
`train_whisper_phones --folds 1 2`: about 80 min together) and takes about 25 min while the scorer's
pocketsphinx cache is empty (5 min with it); the streaming experiments make `train_word_model`'s
streamed-pass cache if it is missing (about 4-7 min).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

from speech.pronunciation import train_word_model as training
from speech.pronunciation.word_model import FULL_FEATURES, STREAMING_FEATURES, WHISPER_PHONE_FEATURES

DEV = ["dev", "dev2", "dev3", "dev4", "dev5", "dev-accents"]
MORE_VOICES = "dev-voices"  # build_corpus --set dev --seed 7 --more-voices (stop 16)
MORE_SENTENCES = "dev-sentences"  # build_corpus --set dev --seed 8 --more-sentences --count 720 (stop 20)
WARPED_VOICES = "dev-warped"  # build_corpus --set dev --seed 9 --warped-voices (stop 21)
SECOND_MORE_VOICES = "dev-voices2"  # build_corpus --set dev --seed 10 --more-voices 2 (stop 21)
MBROLA_VOICES = "dev-mbrola"  # build_corpus --set dev --seed 11 --mbrola-voices (stop 21)
KOKORO_VOICES = "dev-kokoro"  # build_corpus --set dev --seed 12 --kokoro-voices (stop 22)
STORE = Path("var/experiments/word_features.pkl")
WARPED_STORE = Path("var/experiments/word_features_warped.pkl")
WARPS = (1.0, 0.94, 1.06)  # inside the training speech's resampling range (0.88-1.12)


def dump(store: Path | None = None) -> None:
    from speech.pronunciation.calibration import default_calibration
    from speech.pronunciation.evaluation import scored_words
    from speech.pronunciation.scorer import PronunciationScorer

    scorer = PronunciationScorer(default_calibration())
    out = {}
    extras = (MORE_VOICES, MORE_SENTENCES, WARPED_VOICES, SECOND_MORE_VOICES, MBROLA_VOICES, KOKORO_VOICES)
    for name in [*DEV, *(extra for extra in extras if (Path("var/corpus") / extra).exists())]:
        utterances = training.scored_dev_corpus(Path("var/corpus") / name, scorer)
        words = scored_words(utterances)
        preferred = [
            (preferred_rule(w.feature, "phone_model"), preferred_rule(w.feature, "whisper_phones")) for w in words
        ]
        out[name] = (training.word_examples(utterances, "full"), [word.utterance for word in words], preferred)
    store = store or STORE
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(pickle.dumps(out))


def preferred_rule(feature, recogniser: str) -> str | None:
    """The rule of the learner variant that a phone recogniser ("phone_model", "whisper_phones") prefers
    most for the word, whether or not it beats the canonical forms; None where it judged no variant."""
    evidence = getattr(feature, recogniser)
    if evidence is None or evidence.best_variant is None:
        return None
    return feature.slot.variants[evidence.best_variant][1].rule


def dump_warped() -> None:
    """Test-time augmentation: the Whisper phone head hears each utterance as recorded and resampled by
    each of WARPS (another vocal-tract length and pitch, as in its training speech); every scalar figure
    of its word and gap evidence is the mean of the three, the best variant and frames the unwarped
    ones. Everything else as in `dump`."""
    from dataclasses import replace

    from speech.audio import LEARNER_RATE, Audio, resample
    from speech.pronunciation import scorer

    def warped_evidence(recognizer, audio, features, extras) -> None:
        samples = audio.to(LEARNER_RATE).samples
        runs = [
            scorer.phone_evidence(
                recognizer, Audio(resample(samples, round(LEARNER_RATE * warp), LEARNER_RATE), LEARNER_RATE), features
            )
            for warp in WARPS
        ]

        def averaged(items: list, names: tuple[str, ...]):
            return replace(
                items[0], **{name: float(np.mean([getattr(item, name) for item in items])) for name in names}
            )

        word_names = ("variant_margin", "omission_margin", "free_margin", "mean_phone_posterior", "min_phone_posterior")
        words = [averaged([run[0][i] for run in runs], word_names) for i in range(len(features))]
        gaps = [
            averaged([run[1][i] for run in runs], ("anything_margin", "filled_pause_margin"))
            for i in range(len(runs[0][1]))
        ]
        for feature, evidence in zip(features, words, strict=True):
            feature.whisper_phones = evidence
        for extra in scorer.inserted_words(extras):
            extra.whisper_phones = gaps[scorer.inserted_word_gap(extra, features)]

    training.add_whisper_phone_evidence = warped_evidence  # scored_dev_corpus calls it by this name
    dump(WARPED_STORE)


def examples(names: list[str], store: Path | None = None) -> tuple[training.WordExamples, np.ndarray]:
    stored = pickle.loads((store or STORE).read_bytes())
    words = joined([stored[name][0] for name in names])
    # FULL_FEATURES only: since stop 20 the `full` head's own features, and so the dump, end with the
    # recognisers' preferred families, which `families` and `more-sentences` add themselves
    return first_columns(words, len(FULL_FEATURES)), np.concatenate([np.array(stored[name][1]) for name in names])


def joined(parts: list[training.WordExamples]) -> training.WordExamples:
    return training.WordExamples(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("vectors", "errors", "skipped", "voices"))
    )


def columns(data: training.WordExamples, names: tuple[str, ...]) -> training.WordExamples:
    index = [FULL_FEATURES.index(name) for name in names]
    return training.WordExamples(data.vectors[:, index], data.errors, data.skipped, data.voices)


def report(label: str, probabilities: np.ndarray, data: training.WordExamples, target: str, cap: float) -> None:
    truth = data.labels(target)
    threshold, figures = training.pick_threshold(probabilities, truth, data.correct, cap)
    print(label, threshold, figures, flush=True)
    for voice in sorted(set(data.voices)):
        mine = data.voices == voice
        print("   ", voice, training.threshold_figures(probabilities[mine], truth[mine], data.correct[mine], threshold))


def omission() -> None:
    data, _ = examples(DEV)
    skipped = data.subset(data.skipped)
    sphinx = ("omission_evidence", "omission_evidence_missing")
    for label, names in (
        ("streaming features (the omission head)", STREAMING_FEATURES),
        ("+ pocketsphinx's omission evidence", (*STREAMING_FEATURES, *sphinx)),
        ("+ it and the Whisper head's evidence", (*STREAMING_FEATURES, *sphinx, *WHISPER_PHONE_FEATURES)),
        ("every full feature", FULL_FEATURES),
    ):
        chosen = columns(skipped, names)
        truth = chosen.labels("omission")
        report(label, training.out_of_voice_probabilities(chosen, truth, names, 8), chosen, "omission", 0.1)


SPEAKER_FEATURES = (
    "ctc_mean_posterior",
    "ctc_free_margin",
    "wctc_mean_posterior",
    "wctc_free_margin",
    "ctc_variant_margin",
    "wctc_variant_margin",
    "word_gop",
)


def speaker() -> None:
    """Each word's figures minus their median over the speaker's other utterances (what a session that
    has heard the learner before would know); with `--absolute`, the medians themselves too."""
    data, utterances = examples(DEV)
    index = [FULL_FEATURES.index(name) for name in SPEAKER_FEATURES]
    relative, medians = np.zeros((len(utterances), len(index))), np.zeros((len(utterances), len(index)))
    for voice in sorted(set(data.voices)):
        in_voice = np.flatnonzero(data.voices == voice)
        for utterance in dict.fromkeys(utterances[in_voice]):
            mine = in_voice[utterances[in_voice] == utterance]
            others = in_voice[(utterances[in_voice] != utterance) & ~data.skipped[in_voice]]
            median = np.median(data.vectors[others][:, index], axis=0)
            relative[mine] = data.vectors[mine][:, index] - median
            medians[mine] = median
    extra = [relative, medians] if "--absolute" in sys.argv else [relative]
    names = FULL_FEATURES + tuple(f"{n}_vs_speaker" for n in SPEAKER_FEATURES)
    if "--absolute" in sys.argv:
        names += tuple(f"{n}_speaker" for n in SPEAKER_FEATURES)
    wider = training.WordExamples(np.hstack([data.vectors, *extra]), data.errors, data.skipped, data.voices)
    truth = wider.labels("mispronunciation")
    report(
        "speaker-relative",
        training.out_of_voice_probabilities(wider, truth, names, 32),
        wider,
        "mispronunciation",
        0.03,
    )


def out_of_voice(data: training.WordExamples, truth: np.ndarray, fit) -> np.ndarray:
    """Each voice's words scored by the predictor that `fit(vectors, labels)` returns, trained on the
    other voices' words."""
    probabilities = np.zeros(len(truth))
    for voice in sorted(set(data.voices)):
        held_out = data.voices == voice
        predict = fit(data.vectors[~held_out], truth[~held_out])
        probabilities[held_out] = predict(data.vectors[held_out])
    return probabilities


def boosting() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    def fit(vectors: np.ndarray, labels: np.ndarray):
        trees = HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0, random_state=1
        )
        trees.fit(vectors, labels)
        return lambda held_out: trees.predict_proba(held_out)[:, 1]

    data, _ = examples(DEV)
    truth = data.labels("mispronunciation")
    report("gradient-boosted trees", out_of_voice(data, truth, fit), data, "mispronunciation", 0.03)


def curve() -> None:
    """The `full` head trained on more readings of the same voices and sentences, always judged on the
    words of dev, dev2 and dev-accents."""
    judged, _ = examples(["dev", "dev2", "dev-accents"])
    truth = judged.labels("mispronunciation")
    for names in (["dev", "dev2", "dev-accents"], ["dev", "dev2", "dev3", "dev-accents"], DEV):
        trained, _ = examples(names)
        labels = trained.labels("mispronunciation")
        probabilities = np.zeros(len(truth))
        for voice in sorted(set(judged.voices)):
            head = training.train_head(
                trained.vectors[trained.voices != voice], labels[trained.voices != voice], FULL_FEATURES, 32
            )
            held_out = judged.voices == voice
            probabilities[held_out] = [head.probability(v) for v in judged.vectors[held_out]]
        report(f"trained on {', '.join(names)}", probabilities, judged, "mispronunciation", 0.03)


def relative() -> None:
    """What the phone model's posterior and free margin against the utterance's medians add to `full`."""
    data, _ = examples(DEV)
    for label, names in (
        ("full", FULL_FEATURES),
        (
            "full without ctc_*_vs_utterance",
            tuple(n for n in FULL_FEATURES if n not in ("ctc_posterior_vs_utterance", "ctc_free_vs_utterance")),
        ),
    ):
        chosen = columns(data, names)
        truth = chosen.labels("mispronunciation")
        probabilities = training.out_of_voice_probabilities(chosen, truth, names, 32)
        report(label, probabilities, chosen, "mispronunciation", 0.03)


def warped() -> None:
    for store in (STORE, WARPED_STORE):
        data, _ = examples(DEV, store)
        truth = data.labels("mispronunciation")
        report(
            str(store),
            training.out_of_voice_probabilities(data, truth, FULL_FEATURES, 32),
            data,
            "mispronunciation",
            0.03,
        )


def seeds() -> None:
    """How far the training seed alone moves the `full` head's out-of-voice F1, and a five-seed average."""
    data, _ = examples(DEV)
    truth = data.labels("mispronunciation")
    runs = []
    for seed in (1, 2, 3, 4, 5):

        def fit(vectors: np.ndarray, labels: np.ndarray, seed: int = seed):
            head = training.train_head(vectors, labels, FULL_FEATURES, 32, seed=seed)
            return lambda held_out: [head.probability(v) for v in held_out]

        runs.append(out_of_voice(data, truth, fit))
        print(f"seed {seed}", *training.pick_threshold(runs[-1], truth, data.correct, 0.03), flush=True)
    report("average of seeds 1-5", np.mean(runs, axis=0), data, "mispronunciation", 0.03)


def training_settings() -> None:
    """Stronger weight decay, fewer or more epochs (train_word_model: 1e-3, 400)."""
    data, _ = examples(DEV)
    truth = data.labels("mispronunciation")
    for name, values in (("WEIGHT_DECAY", (1e-2, 3e-2, 1e-1)), ("EPOCHS", (200, 800))):
        default = getattr(training, name)
        for value in values:
            setattr(training, name, value)
            probabilities = training.out_of_voice_probabilities(data, truth, FULL_FEATURES, 32)
            print(f"{name}={value}", *training.pick_threshold(probabilities, truth, data.correct, 0.03), flush=True)
        setattr(training, name, default)


DRAWS = 8


def voices() -> None:
    """Each voice judged by heads trained on k of the other voices (k = 2, 4, 6 and all 8), DRAWS random
    draws of them per voice and k (seeded); F1 and false flags at the threshold picked on each draw's
    pooled out-of-voice probabilities, as `train_word_model` picks it."""
    data, _ = examples(DEV)
    truth = data.labels("mispronunciation")
    names = sorted(set(data.voices))
    rng = np.random.default_rng(1)
    for k in (2, 4, 6, len(names) - 1):
        draws = []
        for _ in range(DRAWS if k < len(names) - 1 else 1):
            probabilities = np.zeros(len(truth))
            for voice in names:
                others = [name for name in names if name != voice]
                chosen = np.isin(data.voices, rng.choice(others, size=k, replace=False))
                head = training.train_head(data.vectors[chosen], truth[chosen], FULL_FEATURES, 32)
                held_out = data.voices == voice
                probabilities[held_out] = [head.probability(v) for v in data.vectors[held_out]]
            draws.append(training.pick_threshold(probabilities, truth, data.correct, 0.03)[1])
        f1s = [d["f1"] for d in draws]
        print(f"{k} voices: F1 {np.mean(f1s):.3f} ({', '.join(f'{f:.3f}' for f in f1s)}),", end=" ")
        print(f"false flags {np.mean([d['false_flags'] for d in draws]):.4f}", flush=True)


def voice_kind(voice: str) -> str:
    if voice.startswith("espeak:en-us+"):
        return "espeak-ng en-us (formant)"
    kinds = {"piper": "piper (neural)", "festival": "Festival kal (diphone)", "kokoro": "Kokoro (neural, never judged)"}
    return kinds.get(voice.split(":")[0], "espeak-ng accents")


def by_kind(probabilities: np.ndarray, data: training.WordExamples, truth: np.ndarray, threshold: float) -> str:
    """F1 / false flags per kind of voice at the pooled threshold."""
    kinds = np.array([voice_kind(v) for v in data.voices])
    parts = []
    for kind in sorted(set(kinds)):
        mine = kinds == kind
        figures = training.threshold_figures(probabilities[mine], truth[mine], data.correct[mine], threshold)
        parts.append(f"{kind} {figures['f1']:.3f} / {100 * figures['false_flags']:.1f}%")
    return "; ".join(parts)


HEADS = ("full", "streaming")


def streamed_pass() -> tuple[list, np.ndarray]:
    """train_word_model's streamed pass over DEV and dev-voices (made and cached if missing), and which of
    its words are dev-voices'."""
    from speech.pronunciation.word_model import default_word_model

    folders = [Path("var/corpus") / folder for folder in [*DEV, MORE_VOICES]]
    streamed = training.streamed_dev_corpus(folders, default_word_model())
    voices = [training.voice_group(utterance.voice) for utterance in streamed for _ in utterance.truths]
    return streamed, np.isin(voices, sorted(training.TRAINING_ONLY_VOICES))


def head_case(name: str) -> tuple[training.WordExamples, training.WordExamples, tuple[str, ...], int]:
    """For the `full` head (the dumped features) or the `streaming` head (train_word_model's streamed pass):
    the nine voices' words, dev-voices' words, the head's features and hidden units."""
    from speech.pronunciation.word_model import HEAD_FEATURES

    if name == "full":
        return examples(DEV)[0], examples([MORE_VOICES])[0], FULL_FEATURES, 32
    streamed, in_more = streamed_pass()
    words = training.streamed_word_examples(streamed)
    return (
        words.subset(~in_more),
        words.subset(in_more),
        HEAD_FEATURES[name],
        training.HEAD_RECIPES[name].hidden_units,
    )


def with_words_of(
    more: training.WordExamples | None, vectors: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Training vectors and mispronunciation labels with `more`'s words (dev-voices') added, if given."""
    if more is None:
        return vectors, labels
    return np.vstack([vectors, more.vectors]), np.concatenate([labels, more.labels("mispronunciation")])


def more_voices(name: str = "full") -> None:
    """Each of the nine voices of DEV judged by a head trained on the other eight, without and with the
    eight voices of dev-voices, for training seeds 1-5; thresholds picked on the nine voices' words
    either way. Per kind of voice for every seed, per voice for seed 1."""
    data, more, features, units = head_case(name)
    truth = data.labels("mispronunciation")
    for seed in (1, 2, 3, 4, 5):
        for label, extra in (("without dev-voices", False), ("with dev-voices", True)):

            def fit(vectors: np.ndarray, labels: np.ndarray, extra: bool = extra, seed: int = seed):
                vectors, labels = with_words_of(more if extra else None, vectors, labels)
                head = training.train_head(vectors, labels, features, units, seed=seed)
                return lambda held_out: [head.probability(v) for v in held_out]

            probabilities = out_of_voice(data, truth, fit)
            if seed == 1:
                report(label, probabilities, data, "mispronunciation", 0.03)
            threshold, figures = training.pick_threshold(probabilities, truth, data.correct, 0.03)
            print(label, f"seed {seed}", threshold, figures, flush=True)
            print("    by kind of voice:", by_kind(probabilities, data, truth, threshold), flush=True)


JUDGED_KINDS = ("piper (neural)", "Festival kal (diphone)", "espeak-ng accents")


def out_of_kind(
    data: training.WordExamples,
    more: training.WordExamples | None,
    features: tuple[str, ...],
    units: int,
    seed: int,
    other_kinds: training.WordExamples | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each word of JUDGED_KINDS scored by a head trained on the other kinds (and `more`'s words when
    given, and `other_kinds`' words of the other kinds: dev-sentences'); returns the probabilities and
    which words were judged."""
    truth = data.labels("mispronunciation")
    kind_of = np.array([voice_kind(v) for v in data.voices])
    probabilities = np.zeros(len(truth))
    for kind in JUDGED_KINDS:
        held = kind_of == kind
        vectors, labels = with_words_of(more, data.vectors[~held], truth[~held])
        if other_kinds is not None:
            kept = other_kinds.subset(np.array([voice_kind(v) != kind for v in other_kinds.voices]))
            vectors, labels = with_words_of(kept, vectors, labels)
        head = training.train_head(vectors, labels, features, units, seed=seed)
        probabilities[held] = [head.probability(v) for v in data.vectors[held]]
    return probabilities, np.isin(kind_of, JUDGED_KINDS)


def seeded_fit(more: training.WordExamples | None, names: tuple[str, ...], units: int, seed: int):
    """A `fit` for out_of_voice: a head of `seed` trained on the given words and `more`'s."""

    def fit(vectors: np.ndarray, labels: np.ndarray):
        vectors, labels = with_words_of(more, vectors, labels)
        head = training.train_head(vectors, labels, names, units, seed=seed)
        return lambda held_out: [head.probability(v) for v in held_out]

    return fit


def print_out_of_kind(
    data: training.WordExamples,
    judged_data: training.WordExamples,
    judged_more: training.WordExamples | None,
    names: tuple[str, ...],
    units: int,
    seed: int,
    other_kinds: training.WordExamples | None = None,
) -> None:
    """Leave one kind out on `judged_data` (`data` with extra columns): F1 and false flags at the pooled
    threshold, and per kind."""
    truth = data.labels("mispronunciation")
    by_kind_p, judged = out_of_kind(judged_data, judged_more, names, units, seed, other_kinds)
    part = data.subset(judged)
    threshold, figures = training.pick_threshold(by_kind_p[judged], truth[judged], part.correct, 0.03)
    print(
        f"    by kind {threshold} F1 {figures['f1']:.3f} at {100 * figures['false_flags']:.1f}%;",
        by_kind(by_kind_p[judged], part, truth[judged], threshold),
        flush=True,
    )


def kinds() -> None:
    """Leave one kind of voice out: piper (neural), Festival kal (diphone) and the espeak-ng accents, each
    judged by heads trained on the other kinds only, without and with dev-voices' words (espeak-ng en-us
    voices, a kind of their own, train but are never judged here), seeds 1-3; the threshold is picked on
    the three kinds' pooled predictions, per kind at that threshold. For the `full` head (dumped
    features) and the `streaming` head (the streamed pass's cache)."""
    for name in HEADS:
        data, more, features, units = head_case(name)
        truth = data.labels("mispronunciation")
        for seed in (1, 2, 3):
            for label, extra in (("without dev-voices", False), ("with dev-voices", True)):
                probabilities, judged = out_of_kind(data, more if extra else None, features, units, seed)
                part = data.subset(judged)
                threshold, figures = training.pick_threshold(probabilities[judged], truth[judged], part.correct, 0.03)
                print(name, label, f"seed {seed}", threshold, figures, flush=True)
                print(
                    "    by kind of voice:", by_kind(probabilities[judged], part, truth[judged], threshold), flush=True
                )


def annotated_words(names: list[str], utterance_ids: np.ndarray) -> list[dict]:
    """The corpus annotation of each dumped word (its reference word, error and rule), in the dump's order."""
    import collections
    import json

    annotated = {}
    for name in names:
        for path in (Path("var/corpus") / name).glob("*.json"):
            if path.name != "index.json":
                annotation = json.loads(path.read_text())
                annotated[annotation["id"]] = [w for w in annotation["words"] if w["error"] != "insertion"]
    seen = collections.Counter()
    words = []
    for utterance in utterance_ids:
        words.append(annotated[utterance][seen[utterance]])
        seen[utterance] += 1
    return words


def flagged_words() -> None:
    """The `full` head out of voice (seed 1) on the nine voices: the correct words it flags most and, per
    learner rule, how many mispronounced words it misses."""
    import collections

    data, utterance_ids = examples(DEV)
    words = annotated_words(DEV, utterance_ids)
    truth = data.labels("mispronunciation")

    def fit(vectors: np.ndarray, labels: np.ndarray):
        head = training.train_head(vectors, labels, FULL_FEATURES, 32)
        return lambda held_out: [head.probability(v) for v in held_out]

    probabilities = out_of_voice(data, truth, fit)
    threshold, figures = training.pick_threshold(probabilities, truth, data.correct, 0.03)
    flagged = probabilities >= threshold
    print(threshold, figures)
    false_flags = collections.Counter(
        w["word"] for w, f, c in zip(words, flagged, data.correct, strict=True) if f and c
    )
    print("most flagged correct words:", false_flags.most_common(12))
    missed = collections.Counter(
        str(w.get("rule")) for w, f, t in zip(words, flagged, truth, strict=True) if t and not f
    )
    found = collections.Counter(str(w.get("rule")) for w, f, t in zip(words, flagged, truth, strict=True) if t and f)
    print("missed per rule:", {rule: f"{missed[rule]}/{missed[rule] + found[rule]}" for rule in sorted(missed | found)})


# The English words whose ordinary unstressed form is reduced, after P. Roach, "English Phonetics and
# Phonology", chapter "Weak forms" ("and" /ən/, "at" /ət/, "than" /ðən/, ...)
_WEAK_FORM_TEXT = """
a am an and are as at be been but can could do does for from had has have he her him his just me must of
shall she should some than that the them there to us was we were would you your
"""
WEAK_FORM_WORDS = frozenset(_WEAK_FORM_TEXT.split())


def head_words(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The reference word of each example of head_case(name): the nine voices' and dev-voices'."""

    def plain(word: str) -> str:
        return word.lower().strip(".,;:!?\"'")

    if name == "full":
        nine, more = examples(DEV)[1], examples([MORE_VOICES])[1]
        return (
            np.array([plain(w["word"]) for w in annotated_words(DEV, nine)]),
            np.array([plain(w["word"]) for w in annotated_words([MORE_VOICES], more)]),
        )
    streamed, in_more = streamed_pass()
    words = np.array([plain(truth["word"]) for utterance in streamed for truth in utterance.truths])
    return words[~in_more], words[in_more]


def first_columns(data: training.WordExamples, count: int) -> training.WordExamples:
    return training.WordExamples(data.vectors[:, :count], data.errors, data.skipped, data.voices)


def with_column(data: training.WordExamples, column: np.ndarray) -> training.WordExamples:
    return training.WordExamples(np.column_stack([data.vectors, column]), data.errors, data.skipped, data.voices)


def lexical() -> None:
    """Does a head gain from knowing that the word is one of WEAK_FORM_WORDS (one more 0/1 feature)? Their
    vowels and final consonants are reduced in ordinary speech, so the same evidence means less there.
    Seeds 1-3, with dev-voices' words, judged both leaving one voice out (thresholds as train_word_model
    picks them) and leaving one kind out (`kinds`); false flags on weak-form words, F1 on the others."""
    for name in HEADS:
        data, more, features, units = head_case(name)
        words, more_words = head_words(name)
        weak, more_weak = np.isin(words, sorted(WEAK_FORM_WORDS)), np.isin(more_words, sorted(WEAK_FORM_WORDS))
        truth = data.labels("mispronunciation")
        print(name, f"{int(weak.sum())} of {len(words)} words are weak-form words", flush=True)
        for seed in (1, 2, 3):
            for label, lexicon in (("as shipped", False), ("+ weak_form_word", True)):
                judged_data, judged_more, names = data, more, features
                if lexicon:
                    judged_data, judged_more = with_column(data, weak), with_column(more, more_weak)
                    names = (*features, "weak_form_word")

                probabilities = out_of_voice(judged_data, truth, seeded_fit(judged_more, names, units, seed))
                threshold, figures = training.pick_threshold(probabilities, truth, data.correct, 0.03)
                flagged = probabilities >= threshold
                weak_flags = int(np.sum(flagged & data.correct & weak))
                others = training.threshold_figures(probabilities[~weak], truth[~weak], data.correct[~weak], threshold)
                print(
                    f"{name} seed {seed} {label}: by voice {threshold} F1 {figures['f1']:.3f}"
                    f" at {100 * figures['false_flags']:.1f}%; weak-form words flagged when correct {weak_flags},"
                    f" found {int(np.sum(flagged & (truth > 0) & weak))} of {int(np.sum((truth > 0) & weak))};"
                    f" F1 on other words {others['f1']:.3f}",
                    flush=True,
                )
                print_out_of_kind(data, judged_data, judged_more, names, units, seed)


def head_preferences(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For head_case(name): per word, the rules of the variants that the phone recognisers prefer
    (preferred_rule; columns: the phone model's, and for `full` the Whisper head's), the nine voices' and
    dev-voices', and the annotated rule of each of the nine voices' words."""
    if name == "full":
        stored = pickle.loads(STORE.read_bytes())
        if len(stored[DEV[0]]) < 3:
            raise SystemExit(f"{STORE} is older than the recognisers' preferred rules: run `dump` again")
        nine = np.array([pair for folder in DEV for pair in stored[folder][2]], dtype=object)
        more = np.array(stored[MORE_VOICES][2], dtype=object)
        rules = [str(w.get("rule")) for w in annotated_words(DEV, examples(DEV)[1])]
        return nine, more, np.array(rules)
    streamed, in_more = streamed_pass()
    preferred = np.array(
        [[preferred_rule(feature, "phone_model")] for u in streamed for feature, _ in u.decided], dtype=object
    )
    rules = np.array([str(truth.get("rule")) for u in streamed for truth in u.truths])
    return preferred[~in_more], preferred[in_more], rules[~in_more]


def family_columns(preferred: np.ndarray, groups: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """One 0/1 column per recogniser and group of families: its preferred variant is of that group."""
    from speech.pronunciation.learner_variants import rule_family

    return np.column_stack(
        [
            [float(rule is not None and rule_family(rule) in group) for rule in preferred[:, column]]
            for column in range(preferred.shape[1])
            for group in groups
        ]
    )


def families() -> None:
    """Does a head gain from knowing which family of learner variant each phone recogniser prefers for the
    word (until now it sees only the family that pocketsphinx's grammar decoded, and each recogniser's
    margin)? A variant family's margins mean different things: a schwa added at a word's end is cheap
    to hear before a vowel. One-hot columns for every family, for PREFERRED_FAMILIES (all but TH and AE,
    which have 16 dev errors each), or for groups of families (TH with DH, AE with IH and IY; stop 19's
    first run compared epenthesis and final-deletion alone instead); seeds 1-3, with dev-voices' words,
    out of voice and out of kind; found per rule. Since stop 19 the `streaming` head has the
    PREFERRED_FAMILIES columns (the last of its features): "without" is each head without them. The
    `streaming` head's figures depend on the streamed pass's evidence: stop 19 ran this before and after
    giving it the next word's first sound (STREAMED_EVIDENCE_VERSION)."""
    from speech.pronunciation.word_model import PREFERRED_FAMILIES, RULE_FAMILIES

    # stop 19's third try for `full`: TH with DH, AE with IH and IY
    groups = (("TH", "DH"), ("V",), ("W",), ("R",), ("L",), ("IH", "IY", "AE"), ("final-deletion",), ("epenthesis",))

    for name in [head for head in HEADS if head in sys.argv[2:]] or HEADS:  # `families streaming`: one head
        data, more, features, units = head_case(name)
        # the heads as they were before stop 19 adopted these columns (the last of their features)
        features = tuple(feature for feature in features if "_prefers_" not in feature)
        data, more = (first_columns(part, len(features)) for part in (data, more))
        preferred, more_preferred, rules = head_preferences(name)
        truth = data.labels("mispronunciation")
        for seed in (1, 2, 3):
            for label, chosen in (
                ("without", ()),
                ("+ every family", tuple((family,) for family in RULE_FAMILIES)),
                ("+ PREFERRED_FAMILIES (not TH, AE)", tuple((family,) for family in PREFERRED_FAMILIES)),
                ("+ grouped (TH with DH, AE with IH, IY)", groups),
            ):
                judged_data, judged_more, names = data, more, features
                if chosen:
                    judged_data = with_column(data, family_columns(preferred, chosen))
                    judged_more = with_column(more, family_columns(more_preferred, chosen))
                    recognisers = ("ctc", "wctc")[: preferred.shape[1]]
                    names = (*features, *(f"{r}_prefers_{'/'.join(group)}" for r in recognisers for group in chosen))

                probabilities = out_of_voice(judged_data, truth, seeded_fit(judged_more, names, units, seed))
                threshold, figures = training.pick_threshold(probabilities, truth, data.correct, 0.03)
                flagged = probabilities >= threshold
                found = {
                    rule: f"{int(np.sum(flagged & (rules == rule)))}/{int(np.sum(rules == rule))}"
                    for rule in ("epenthesis", "final-deletion", "word-substitution", "DH>Z", "DH>D", "IY>IH")
                }
                print(
                    f"{name} seed {seed} {label}: by voice {threshold} F1 {figures['f1']:.3f}"
                    f" at {100 * figures['false_flags']:.1f}%; found {found}",
                    flush=True,
                )
                print_out_of_kind(data, judged_data, judged_more, names, units, seed)


def full_parts(*folder_lists: list[str], families: tuple[str, ...] | None = None) -> tuple[training.WordExamples, ...]:
    """The dumped `full` words of each list of folders, with columns of both recognisers' preferred
    `families` appended (default PREFERRED_FAMILIES: the shipped `full` head's features)."""
    from speech.pronunciation.word_model import PREFERRED_FAMILIES

    groups = tuple((family,) for family in families or PREFERRED_FAMILIES)
    stored = pickle.loads(STORE.read_bytes())
    missing = [folder for folders in folder_lists for folder in folders if folder not in stored]
    if missing:
        raise SystemExit(f"{STORE} has no {', '.join(missing)}: build it, then run `dump` again")
    parts = []
    for folders in folder_lists:
        preferred = np.array([pair for folder in folders for pair in stored[folder][2]], dtype=object)
        parts.append(with_column(examples(folders)[0], family_columns(preferred, groups)))
    return tuple(parts)


def sentence_parts(
    name: str, families: tuple[str, ...] | None = None
) -> tuple[training.WordExamples, training.WordExamples, training.WordExamples]:
    """For `full` (the dump) or `streaming` (the streamed pass): the nine voices' words, dev-voices' and
    dev-sentences', each with the head's shipped features and, for `full`, columns of both recognisers'
    preferred `families` appended (default PREFERRED_FAMILIES, the columns stop 19 tried on `full`)."""
    from speech.pronunciation.word_model import HEAD_FEATURES

    if name == "full":
        return full_parts(DEV, [MORE_VOICES], [MORE_SENTENCES], families=families)
    parts = streamed_parts(DEV, [MORE_VOICES], [MORE_SENTENCES])
    assert parts[0].vectors.shape[1] == len(HEAD_FEATURES[name])
    return parts


def print_nine_voices(label: str, probabilities: np.ndarray, data: training.WordExamples, truth: np.ndarray) -> float:
    """The nine voices' out-of-voice F1 and false flags at the threshold picked on them, and per kind;
    returns that threshold."""
    threshold, figures = training.pick_threshold(probabilities, truth, data.correct, 0.03)
    print(
        f"{label}: nine voices {threshold} F1 {figures['f1']:.3f} at {100 * figures['false_flags']:.1f}%;",
        by_kind(probabilities, data, truth, threshold),
        flush=True,
    )
    return threshold


def more_sentences() -> None:
    """Stop 20: does the word model gain from dev-sentences (60 more dev sentences read by the dev learner
    voices, the learner-error families drawn evenly)? (1) The nine voices of DEV, each judged by heads
    trained on the other eight and dev-voices, without and with dev-sentences' words of the other
    voices (never the judged voice's own); thresholds picked on the nine voices as train_word_model
    does. (2) dev-sentences' words judged out of voice and out of sentence: by heads trained on the old
    sentences' words of the other voices, and leaving a kind of voice out (print_out_of_kind).
    Seeds 1-3; `full` also with the preferred-family columns (of
    PREFERRED_FAMILIES and, `more-sentences full-families`, of every family: dev-sentences adds TH and AE
    errors)."""
    from speech.pronunciation.word_model import FULL_FEATURES, HEAD_FEATURES, PREFERRED_FAMILIES, RULE_FAMILIES

    def family_names(families: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f"{r}_prefers_{family}" for r in ("ctc", "wctc") for family in families)

    cases = [
        ("full", FULL_FEATURES, 32, None),
        ("full + preferred families", (*FULL_FEATURES, *family_names(PREFERRED_FAMILIES)), 32, None),
        ("streaming", HEAD_FEATURES["streaming"], training.HEAD_RECIPES["streaming"].hidden_units, None),
        ("full-families + every family", (*FULL_FEATURES, *family_names(RULE_FAMILIES)), 32, RULE_FAMILIES),
    ]
    for label, names, units, families in cases:
        if label.split()[0] not in (sys.argv[2:] or HEADS):
            continue
        data, more, sentences = sentence_parts(label.split()[0].removesuffix("-families"), families)
        data, more, sentences = (first_columns(part, len(names)) for part in (data, more, sentences))
        truth, sentence_truth = data.labels("mispronunciation"), sentences.labels("mispronunciation")
        for seed in (1, 2, 3):
            for extra in (False, True):
                probabilities = np.zeros(len(truth))
                on_sentences = np.zeros(len(sentence_truth))
                for voice in sorted(set(data.voices)):
                    held, others = data.voices == voice, sentences.voices != voice
                    vectors = [data.vectors[~held], more.vectors]
                    labels = [truth[~held], more.labels("mispronunciation")]
                    if extra:
                        vectors.append(sentences.vectors[others])
                        labels.append(sentence_truth[others])
                    head = training.train_head(np.vstack(vectors), np.concatenate(labels), names, units, seed=seed)
                    probabilities[held] = [head.probability(v) for v in data.vectors[held]]
                    if not extra:
                        on_sentences[~others] = [head.probability(v) for v in sentences.vectors[~others]]
                threshold = print_nine_voices(
                    f"{label} seed {seed} {'with' if extra else 'without'} dev-sentences", probabilities, data, truth
                )
                print_out_of_kind(data, data, more, names, units, seed, sentences if extra else None)
                if not extra:
                    new = training.threshold_figures(on_sentences, sentence_truth, sentences.correct, threshold)
                    print(
                        f"    dev-sentences out of voice and sentence, same threshold: F1 {new['f1']:.3f}"
                        f" at {100 * new['false_flags']:.1f}%",
                        flush=True,
                    )


def added_corpus(added: str) -> None:
    """Stop 21: do the heads gain from the `added` dev folder: dev-warped (piper joe and Festival kal
    resampled into other timbres, build_corpus --warped-voices), dev-voices2 (eight more espeak-ng
    variants, --more-voices 2), dev-mbrola (MBROLA's three diphone voices, --mbrola-voices) or, stop 22's,
    dev-kokoro (Kokoro's five neural speakers, --kokoro-voices; a kind of their own)? The nine
    voices of DEV judged with each head's shipped recipe (heads trained on the other eight and
    dev-voices; `full` also on the other voices' dev-sentences), without and with the other voices'
    words of `added` (never the judged speaker's own: a warped timbre shares its voice group),
    thresholds picked on the nine voices; then leaving a kind of voice out, where a held-out kind loses
    its own new voices too (MBROLA's count as Festival's kind). Seeds 1-3, and the three seeds' mean F1
    at one threshold, as train_word_model picks `full`'s. `warped-voices streaming`: that head only."""
    from speech.pronunciation.word_model import HEAD_FEATURES

    for name in [head for head in HEADS if head in sys.argv[2:]] or HEADS:
        names, units = HEAD_FEATURES[name], training.HEAD_RECIPES[name].hidden_units
        if name == "full":
            data, more, sentences, extra_words = full_parts(DEV, [MORE_VOICES], [MORE_SENTENCES], [added])
            shipped_extra = [sentences]
        else:
            data, more, extra_words = streamed_parts(DEV, [MORE_VOICES], [added])
            shipped_extra = []
        truth = data.labels("mispronunciation")
        runs: dict[bool, list[np.ndarray]] = {False: [], True: []}
        for seed in (1, 2, 3):
            for extra in (False, True):
                extra_parts = [*shipped_extra, extra_words] if extra else shipped_extra
                other_words = joined(extra_parts) if extra_parts else None
                probabilities = np.zeros(len(truth))
                for voice in sorted(set(data.voices)):
                    held = data.voices == voice
                    vectors, labels = with_words_of(more, data.vectors[~held], truth[~held])
                    if other_words is not None:
                        kept = other_words.subset(other_words.voices != voice)
                        vectors, labels = with_words_of(kept, vectors, labels)
                    head = training.train_head(vectors, labels, names, units, seed=seed)
                    probabilities[held] = [head.probability(v) for v in data.vectors[held]]
                runs[extra].append(probabilities)
                print_nine_voices(
                    f"{name} seed {seed} {'with' if extra else 'without'} {added}", probabilities, data, truth
                )
                print_out_of_kind(data, data, more, names, units, seed, other_words)
        for extra, label in ((False, "without"), (True, "with")):
            threshold, figures = training.pick_threshold(runs[extra], truth, data.correct, 0.03)
            print(f"{name} seeds 1-3 {label} {added}: {threshold} mean F1 {figures['f1']:.3f}", figures, flush=True)


def streamed_parts(*folder_lists: list[str]) -> tuple[training.WordExamples, ...]:
    """The streamed pass's words (train_word_model's cache, made if missing) of each list of folders."""
    from speech.pronunciation.word_model import default_word_model

    parts = []
    for folders in folder_lists:
        streamed = training.streamed_dev_corpus([Path("var/corpus") / f for f in folders], default_word_model())
        parts.append(training.streamed_word_examples(streamed))
    return tuple(parts)


def ensemble() -> None:
    """Heads of five training seeds averaged (their mean logit, `train_word_model.averaged_heads`) against
    each seed alone, out of voice on the nine voices, trained with dev-voices' words too, for the `full`
    head (dumped features) and the `streaming` head (the streamed pass's cache)."""
    for name in HEADS:
        data, more, features, units = head_case(name)
        truth = data.labels("mispronunciation")

        def fit(vectors, labels, seeds, more=more, features=features, units=units):
            vectors, labels = with_words_of(more, vectors, labels)
            heads = [training.train_head(vectors, labels, features, units, seed=seed) for seed in seeds]
            head = training.averaged_heads(heads)
            return lambda held_out: [head.probability(v) for v in held_out]

        for label, seeds in (("seed 1", (1,)), ("seeds 1-5 averaged", (1, 2, 3, 4, 5))):
            probabilities = out_of_voice(data, truth, lambda v, y, seeds=seeds: fit(v, y, seeds))
            print(name, label, *training.pick_threshold(probabilities, truth, data.correct, 0.03), flush=True)


HELD_OUT = [SECOND_MORE_VOICES, MBROLA_VOICES]  # dev folders whose voices no shipped head learnt from


def judge_full_head(label: str, names: tuple[str, ...], words) -> None:
    """The `full` head with features `names` on `words(folders)` (a folder list's WordExamples), the shipped
    recipe otherwise (dev-voices', dev-sentences' and dev-kokoro's words too): out of voice on the nine
    voices, seeds 1-3 and their mean F1 at one threshold; then heads trained on every one of those folders
    judge dev-voices2's and dev-mbrola's eleven voices at that threshold."""
    units = training.HEAD_RECIPES["full"].hidden_units
    data, extra = words(DEV), words([MORE_VOICES, MORE_SENTENCES, KOKORO_VOICES])
    truth = data.labels("mispronunciation")
    runs = []
    for seed in (1, 2, 3):
        probabilities = np.zeros(len(truth))
        for voice in sorted(set(data.voices)):
            held = data.voices == voice
            vectors, labels = with_words_of(extra.subset(extra.voices != voice), data.vectors[~held], truth[~held])
            head = training.train_head(vectors, labels, names, units, seed=seed)
            probabilities[held] = [head.probability(v) for v in data.vectors[held]]
        runs.append(probabilities)
        print_nine_voices(f"{label} seed {seed}", probabilities, data, truth)
    threshold, figures = training.pick_threshold(runs, truth, data.correct, 0.03)
    print(f"{label}, seeds 1-3: {threshold} mean F1 {figures['f1']:.3f}", figures, flush=True)
    unheard = words(HELD_OUT)
    unheard_truth = unheard.labels("mispronunciation")
    vectors, labels = with_words_of(extra, data.vectors, truth)
    for seed in (1, 2, 3):
        head = training.train_head(vectors, labels, names, units, seed=seed)
        probabilities = np.array([head.probability(v) for v in unheard.vectors])
        figures = training.threshold_figures(probabilities, unheard_truth, unheard.correct, threshold)
        print(
            f"    {label} seed {seed} on dev-voices2 and dev-mbrola at {threshold}:"
            f" F1 {figures['f1']:.3f} at {100 * figures['false_flags']:.1f}%",
            flush=True,
        )


def voice_bagged() -> None:
    """Stop 25: the `full` head as the mean logit of heads that each also leave one more dev voice out
    (eight heads per judged voice; shipped recipe otherwise: dev-voices', dev-sentences' and dev-kokoro's
    words too), against one head, out of voice on the nine voices, seeds 1-3 and their mean F1 at one
    threshold; then the bag of all nine such heads on dev-voices2 and dev-mbrola at that threshold.
    About 16 min."""
    from speech.pronunciation.word_model import HEAD_FEATURES

    names, units = HEAD_FEATURES["full"], training.HEAD_RECIPES["full"].hidden_units
    data, extra = full_parts(DEV, [MORE_VOICES, MORE_SENTENCES, KOKORO_VOICES])
    (unheard,) = full_parts(HELD_OUT)
    truth, voices = data.labels("mispronunciation"), sorted(set(data.voices))

    def bag(left_out: tuple[str, ...], judged: np.ndarray, seed: int) -> np.ndarray:
        """P(mispronounced) of `judged`: the mean logit of heads trained without `left_out` and one more
        of the nine voices each."""
        logits = []
        for other in (voice for voice in voices if voice not in left_out):
            dropped = (*left_out, other)
            kept = extra.subset(~np.isin(extra.voices, dropped))
            in_data = ~np.isin(data.voices, dropped)
            vectors, labels = with_words_of(kept, data.vectors[in_data], truth[in_data])
            head = training.train_head(vectors, labels, names, units, seed=seed)
            p = np.clip([head.probability(v) for v in judged], 1e-6, 1 - 1e-6)
            logits.append(np.log(p / (1 - p)))
        return 1 / (1 + np.exp(-np.mean(logits, axis=0)))

    runs = []
    for seed in (1, 2, 3):
        probabilities = np.zeros(len(truth))
        for voice in voices:
            held = data.voices == voice
            probabilities[held] = bag((voice,), data.vectors[held], seed)
        runs.append(probabilities)
        print_nine_voices(f"voice-bagged seed {seed}", probabilities, data, truth)
    threshold, figures = training.pick_threshold(runs, truth, data.correct, 0.03)
    print(f"voice-bagged, seeds 1-3: {threshold} mean F1 {figures['f1']:.3f}", figures, flush=True)
    unheard_truth = unheard.labels("mispronunciation")
    figures = training.threshold_figures(bag((), unheard.vectors, 1), unheard_truth, unheard.correct, threshold)
    print(f"    seed 1 on dev-voices2 and dev-mbrola at {threshold}: F1 {figures['f1']:.3f}", figures, flush=True)


def held_out() -> None:
    """Stop 24: the shipped word model's `full` and `streaming` heads against another model's
    (`held-out PATH`, e.g. `git show 3ac04bf:speech/data/word_model.json`), each at its own threshold, on
    the words of dev-voices2's eight espeak-ng variants and dev-mbrola's three MBROLA voices, which no
    shipped head learnt from: a second opinion on a new model that does not touch the eval set. The
    `full` words are the dump's (the fold networks' evidence), the `streaming` words the streamed pass's."""
    from speech.pronunciation.word_model import WORD_MODEL_PATH, WordModel

    models = {"shipped": WORD_MODEL_PATH, "other": Path(sys.argv[2])}
    for name in HEADS:
        if name == "full":
            (data,) = full_parts(HELD_OUT)
        else:
            (data,) = streamed_parts(HELD_OUT)
        truth = data.labels("mispronunciation")
        for label, path in models.items():
            head = WordModel.from_json(path.read_text()).heads[name]
            probabilities = np.array([head.probability(v) for v in data.vectors])
            figures = training.threshold_figures(probabilities, truth, data.correct, head.threshold)
            kinds = []
            for engine in ("espeak", "festival"):  # dev-voices2's espeak-ng variants, dev-mbrola's MBROLA voices
                mine = np.char.startswith(data.voices.astype(str), engine)
                part = training.threshold_figures(probabilities[mine], truth[mine], data.correct[mine], head.threshold)
                kinds.append(f"{engine} {part['f1']:.3f} / {100 * part['false_flags']:.1f}%")
            print(
                f"{name} {label} (threshold {head.threshold}): F1 {figures['f1']:.3f}"
                f" at {100 * figures['false_flags']:.1f}% false flags; {'; '.join(kinds)}",
                flush=True,
            )


ACCENT_STORE = Path("var/experiments/word_features_accents.pkl")


def dump_accents() -> None:
    """Stop 24: DEV's readings by voices with an accent set (speech.corpus.speaker_accent: dev's
    en-gb-x-rp and dev-accents' four) scored with that accent set, as a learner who set it in Settings
    is, with each voice's fold networks; stored like `dump`'s words, in ACCENT_STORE. About 6 min."""
    from speech.audio import read_wav
    from speech.corpus import load_corpus, speaker_accent
    from speech.pronunciation.calibration import default_calibration
    from speech.pronunciation.evaluation import ScoredUtterance, scored_words
    from speech.pronunciation.scorer import PronunciationScorer

    scorer = PronunciationScorer(default_calibration())
    out = {}
    for name in DEV:
        utterances = []
        for wav, annotation in load_corpus(Path("var/corpus") / name):
            accent = speaker_accent(annotation["voice"])
            if accent is None:
                continue
            audio = read_wav(wav)
            reference = [w["word"] for w in annotation["words"] if w["error"] != "insertion"]
            features = scorer.extract_features(audio, reference, None, accent)
            utterances.append(ScoredUtterance(annotation["id"], annotation["voice"], annotation, features))
            training.add_calibration_evidence(utterances[-1], audio)
        words = scored_words(utterances)
        preferred = [
            (preferred_rule(w.feature, "phone_model"), preferred_rule(w.feature, "whisper_phones")) for w in words
        ]
        out[name] = (training.word_examples(utterances, "full"), [word.utterance for word in words], preferred)
        print(name, len(utterances), "readings with an accent set", flush=True)
    ACCENT_STORE.write_bytes(pickle.dumps(out))


def accent_sets() -> None:
    """Stop 24: the `full` head judged as eval's accent-set figure judges (the accent voices' words scored
    with their accent sets, the others as before), trained as shipped (every dev word scored against the
    US reference) or with the accent voices' words scored with their accent sets too. Nine voices out of
    voice, shipped recipe otherwise (dev-voices, dev-sentences and dev-kokoro words train), seeds 1-3,
    threshold on the nine voices' pooled predictions as train_word_model picks it. Needs `dump-accents`."""
    from speech.pronunciation.word_model import HEAD_FEATURES, PREFERRED_FAMILIES

    names, units = HEAD_FEATURES["full"], training.HEAD_RECIPES["full"].hidden_units
    data, more, sentences, kokoro = full_parts(DEV, [MORE_VOICES], [MORE_SENTENCES], [KOKORO_VOICES])
    accented = pickle.loads(ACCENT_STORE.read_bytes())
    stored = pickle.loads(STORE.read_bytes())
    groups = tuple((family,) for family in PREFERRED_FAMILIES)
    rows = []
    for folder in DEV:
        ids = np.array(stored[folder][1])
        accent_ids = set(accented[folder][1])
        rows.append(np.isin(ids, sorted(accent_ids)))
    in_accent = np.concatenate(rows)
    accent_vectors = np.vstack(
        [
            np.column_stack(
                [
                    first_columns(accented[folder][0], len(FULL_FEATURES)).vectors,
                    family_columns(np.array(accented[folder][2], dtype=object), groups),
                ]
            )
            for folder in DEV
        ]
    )
    with_accents = training.WordExamples(data.vectors.copy(), data.errors, data.skipped, data.voices)
    with_accents.vectors[in_accent] = accent_vectors
    assert np.array_equal(np.concatenate([accented[f][0].errors for f in DEV]), data.errors[in_accent])
    truth = data.labels("mispronunciation")
    extra = joined([sentences, kokoro])
    print(f"{int(in_accent.sum())} of {len(truth)} words are read by a voice with an accent set", flush=True)
    for label, trained in (("trained as shipped (US reference)", data), ("trained with accent sets", with_accents)):
        runs = []
        for seed in (1, 2, 3):
            probabilities = np.zeros(len(truth))
            for voice in sorted(set(data.voices)):
                held = data.voices == voice
                vectors, labels = with_words_of(more, trained.vectors[~held], truth[~held])
                vectors, labels = with_words_of(extra.subset(extra.voices != voice), vectors, labels)
                head = training.train_head(vectors, labels, names, units, seed=seed)
                probabilities[held] = [head.probability(v) for v in with_accents.vectors[held]]
            runs.append(probabilities)
            threshold, figures = training.pick_threshold(probabilities, truth, data.correct, 0.03)
            accents = training.threshold_figures(
                probabilities[in_accent], truth[in_accent], data.correct[in_accent], threshold
            )
            print(
                f"{label}, seed {seed}: {threshold} F1 {figures['f1']:.3f} at {100 * figures['false_flags']:.1f}%;"
                f" accent voices {accents['f1']:.3f} / {100 * accents['false_flags']:.1f}%",
                flush=True,
            )
        threshold, figures = training.pick_threshold(runs, truth, data.correct, 0.03)
        print(f"{label}, seeds 1-3: {threshold} mean F1 {figures['f1']:.3f}", figures, flush=True)


if __name__ == "__main__":
    if "--store" in sys.argv:  # another dump's features, e.g. a copy kept from before a scorer change
        STORE = Path(sys.argv[sys.argv.index("--store") + 1])
    {
        "dump": dump,
        "dump-warped": dump_warped,
        "warped": warped,
        "seeds": seeds,
        "training": training_settings,
        "voices": voices,
        "more-voices": more_voices,
        "more-voices-streaming": lambda: more_voices("streaming"),
        "ensemble": ensemble,
        "voice-bagged": voice_bagged,
        "warped-voices": lambda: added_corpus(WARPED_VOICES),
        "more-voices2": lambda: added_corpus(SECOND_MORE_VOICES),
        "mbrola-voices": lambda: added_corpus(MBROLA_VOICES),
        "kokoro-voices": lambda: added_corpus(KOKORO_VOICES),
        "added": lambda: added_corpus(sys.argv[2]),  # `added FOLDER [full|streaming]`: any dev folder
        "held-out": held_out,
        "dump-accents": dump_accents,
        "accent-sets": accent_sets,  # `held-out PATH`: the shipped word model against PATH's
        "flagged-words": flagged_words,
        "kinds": kinds,
        "lexical": lexical,
        "families": families,
        "more-sentences": more_sentences,
        "omission": omission,
        "speaker": speaker,
        "boosting": boosting,
        "curve": curve,
        "relative": relative,
    }[sys.argv[1]]()
