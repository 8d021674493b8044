"""The learner-corpus builder: deterministic for a seed, annotations that agree with the audio."""

import json
from pathlib import Path

import pytest

from speech.audio import read_wav
from speech.corpus import (
    ACCENT_VOICES,
    MBROLA_DEV_LEARNER_VOICES,
    MORE_DEV_ACCENT_VOICES,
    MORE_DEV_LEARNER_VOICES,
    SECOND_MORE_DEV_LEARNER_VOICES,
    VOICES,
    WARPED_DEV_LEARNER_VOICES,
    build_corpus,
    load_corpus,
    load_sentences,
    with_inserted_pause,
)
from speech.corpus_voices import EspeakVoice, PiperVoice, SpokenWord, WarpedVoice, is_warped
from speech.g2p import normalise

TINY_VOICES = [EspeakVoice("en-us+m2", words_per_minute=160), PiperVoice(length_scale=1.0)]


def build_tiny(folder: Path, seed: int = 7) -> list:
    return build_corpus("dev", seed, folder, count=6, voices=TINY_VOICES, accent_voices=[])


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "a"
    build_tiny(folder)
    return folder


def test_same_seed_gives_identical_files(tiny_corpus, tmp_path):
    again = tmp_path / "b"
    build_tiny(again)
    names = sorted(path.name for path in tiny_corpus.iterdir())
    assert names == sorted(path.name for path in again.iterdir())
    for name in names:
        assert (tiny_corpus / name).read_bytes() == (again / name).read_bytes(), name


def test_a_voice_with_breath_noise_renders_the_same_reading_the_same_way_each_time():
    import time

    import numpy as np

    voice = EspeakVoice("en-us+f2", words_per_minute=145)  # an eval voice whose variant adds breath noise
    reading = [SpokenWord("think", ("S", "IH", "NG", "K")), SpokenWord("about"), SpokenWord("it")]
    (first,) = voice.render([reading])
    time.sleep(1.1)  # espeak-ng seeds its noise from the clock's seconds when each fresh process initialises it
    (again,) = voice.render([reading])
    assert first.seconds > 0.5 and np.array_equal(first.samples, again.samples)


def test_another_seed_gives_another_corpus(tiny_corpus, tmp_path):
    other = build_corpus("dev", 8, tmp_path / "c", count=6, voices=TINY_VOICES, accent_voices=[])
    first = [
        json.loads((tiny_corpus / f"{u}.json").read_text())
        for u in json.loads((tiny_corpus / "index.json").read_text())["utterances"]
    ]
    assert [u.words for u in other] != [u["words"] for u in first] or [u.voice for u in other] != [
        u["voice"] for u in first
    ]


def test_annotations_agree_with_the_audio(tiny_corpus):
    utterances = load_corpus(tiny_corpus)
    assert len(utterances) == 6
    kinds = set()
    for wav, annotation in utterances:
        audio = read_wav(wav)
        assert audio.rate == 16000
        assert abs(audio.seconds - annotation["duration"]) < 0.01
        reference = [w["word"] for w in annotation["words"] if w["error"] != "insertion"]
        assert reference == [spoken for spoken, _ in normalise(annotation["text"])]
        previous_end = 0.0
        for word in annotation["words"]:
            kinds.add(word["error"])
            assert 0.0 <= word["start"] <= word["end"] <= annotation["duration"]
            assert word["start"] >= previous_end - 0.05, (annotation["id"], word)
            previous_end = max(previous_end, word["end"])
            if word["error"] == "mispronunciation":
                assert word["produced_ipa"] != word["expected_ipa"]
            if word["error"] == "omission":
                assert word["start"] == word["end"] and word["produced_ipa"] == ""
            if word["error"] in ("none", "mispronunciation", "insertion"):
                assert word["end"] - word["start"] >= 0.03
                # the word's span holds sound, not the silence around the utterance
                span = audio.samples[int(word["start"] * 16000) : int(word["end"] * 16000)]
                assert float(abs(span).max()) > 0.05
            for edit in word["substituted_phones"]:
                assert edit["expected"] != edit["produced"]
    assert "none" in kinds and len(kinds) >= 2


def test_a_pause_goes_between_the_middle_two_spoken_words_and_moves_the_later_times(tiny_corpus):
    wav, annotation = load_corpus(tiny_corpus)[0]
    audio = read_wav(wav)
    silent, moved, (start, end) = with_inserted_pause(audio, annotation, 1.2)
    noisy, same_times, _ = with_inserted_pause(audio, annotation, 1.2, noisy=True)
    spoken = [w for w in annotation["words"] if w["error"] != "omission"]
    assert start == spoken[len(spoken) // 2 - 1]["end"] and end == pytest.approx(start + 1.2)
    assert silent.seconds == pytest.approx(audio.seconds + 1.2, abs=1e-3) and moved == same_times
    for before, after in zip(annotation["words"], moved["words"], strict=True):
        shift = 1.2 if before["start"] >= start else 0.0
        assert (after["start"], after["end"]) == pytest.approx((before["start"] + shift, before["end"] + shift))
    gap = slice(int(start * audio.rate) + 10, int(end * audio.rate) - 10)
    assert not silent.samples[gap].any()  # digital silence
    assert 0.001 < noisy.samples[gap].std() < 0.002  # the corpus's noise floor, as a microphone hears a pause
    assert annotation["words"][-1]["end"] < moved["words"][-1]["end"]  # the original is left as it was


def test_dev_and_eval_differ_in_voices_and_sentences():
    dev_voices = {v.name for v in VOICES["dev"] + ACCENT_VOICES["dev"] + MORE_DEV_ACCENT_VOICES}
    eval_voices = {v.name for v in VOICES["eval"] + ACCENT_VOICES["eval"]}
    assert not dev_voices & eval_voices
    # espeak variants and piper speakers: not even the same base voice
    assert not {n.split("@")[0] for n in dev_voices} & {n.split("@")[0] for n in eval_voices}
    assert not set(load_sentences("dev")) & set(load_sentences("eval"))


def test_the_accents_only_dev_corpus_has_only_accent_voices_reading_their_own_way(tmp_path):
    from django.core.management import CommandError, call_command

    call_command(
        "build_corpus", "--set", "dev", "--seed", "6", "--count", "4", "--out", str(tmp_path / "a"), "--accents-only"
    )
    corpus = load_corpus(tmp_path / "a")
    assert {annotation["voice"] for _, annotation in corpus} == {v.name for v in MORE_DEV_ACCENT_VOICES}
    for _, annotation in corpus:
        assert all(not word["substituted_phones"] for word in annotation["words"])
    with pytest.raises(CommandError, match="dev"):
        call_command("build_corpus", "--set", "eval", "--out", str(tmp_path / "b"), "--accents-only")


def test_the_more_voices_dev_corpus_has_learner_errors_by_its_own_voices_only(tmp_path):
    from django.core.management import CommandError, call_command

    call_command(
        "build_corpus", "--set", "dev", "--seed", "7", "--count", "16", "--out", str(tmp_path / "a"), "--more-voices"
    )
    corpus = load_corpus(tmp_path / "a")
    voices = {annotation["voice"] for _, annotation in corpus}
    assert voices == {v.name for v in MORE_DEV_LEARNER_VOICES}
    assert not voices & {v.name for corpus_voices in VOICES.values() for v in corpus_voices}
    assert any(word["substituted_phones"] for _, annotation in corpus for word in annotation["words"])
    with pytest.raises(CommandError, match="dev"):
        call_command("build_corpus", "--set", "eval", "--out", str(tmp_path / "b"), "--more-voices")
    with pytest.raises(CommandError, match="choose one"):
        call_command("build_corpus", "--set", "dev", "--out", str(tmp_path / "c"), "--more-voices", "--accents-only")


def test_the_second_batch_of_more_voices_is_new_to_every_network_and_corpus(tmp_path):
    from django.core.management import call_command

    from speech.pronunciation.train_phone_model import ESPEAK_VARIANTS

    call_command(
        "build_corpus",
        "--set",
        "dev",
        "--seed",
        "10",
        "--count",
        "8",
        "--out",
        str(tmp_path / "a"),
        "--more-voices",
        "2",
    )
    voices = {annotation["voice"] for _, annotation in load_corpus(tmp_path / "a")}
    assert voices == {v.name for v in SECOND_MORE_DEV_LEARNER_VOICES}
    variants = {v.variant.split("+")[1] for v in SECOND_MORE_DEV_LEARNER_VOICES}
    first = {v.variant.split("+")[1] for v in MORE_DEV_LEARNER_VOICES}
    corpora = {v.variant.split("+")[-1] for group in VOICES.values() for v in group if isinstance(v, EspeakVoice)}
    assert len(variants) == 8 and not variants & (first | set(ESPEAK_VARIANTS) | corpora)


def test_the_more_dev_sentences_are_new_and_share_no_phrase_with_eval():
    more, dev, evaluation = load_sentences("dev_more"), load_sentences("dev"), load_sentences("eval")
    assert len(more) >= 50
    assert not set(more) & set(dev) and not set(more) & set(evaluation)

    def phrases(sentence: str) -> set[tuple[str, ...]]:
        words = [spoken for spoken, _ in normalise(sentence)]
        return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}

    eval_phrases = set().union(*map(phrases, evaluation))
    assert not [sentence for sentence in more if phrases(sentence) & eval_phrases]


def test_balanced_families_give_a_rare_family_its_share():
    import random
    from collections import Counter

    from speech.corpus import plan_utterance
    from speech.pronunciation.learner_variants import rule_family

    def families(balanced: bool) -> Counter:
        drawn = Counter()
        for seed in range(300):
            plan = plan_utterance("Thank you for the thick winter gloves.", random.Random(seed), True, balanced)
            drawn.update(rule_family(item.rule) for item in plan if item and item.rule and ">" in item.rule)
            drawn.update(item.rule for item in plan if item and item.rule in ("final-deletion", "epenthesis"))
        return drawn

    plain, balanced = families(False), families(True)
    rarest = min(plain, key=plain.__getitem__)  # drawn word first: one word has it, and few variants
    assert balanced.keys() == plain.keys()
    assert balanced[rarest] > 2 * plain[rarest]
    assert max(balanced.values()) < 2.5 * min(balanced.values())


def test_the_more_sentences_dev_corpus_reads_the_new_sentences_with_the_dev_learner_voices(tmp_path):
    from django.core.management import CommandError, call_command

    call_command(
        "build_corpus", "--set", "dev", "--seed", "8", "--count", "5", "--out", str(tmp_path / "a"), "--more-sentences"
    )
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    assert index["sentences"] == "dev_more" and index["set"] == "dev"
    corpus = load_corpus(tmp_path / "a")
    assert {annotation["text"] for _, annotation in corpus} <= set(load_sentences("dev_more"))
    assert {annotation["voice"] for _, annotation in corpus} <= {v.name for v in VOICES["dev"]}
    with pytest.raises(CommandError, match="dev"):
        call_command("build_corpus", "--set", "eval", "--out", str(tmp_path / "b"), "--more-sentences")
    with pytest.raises(CommandError, match="choose one"):
        call_command("build_corpus", "--set", "dev", "--out", str(tmp_path / "c"), "--more-sentences", "--more-voices")


def test_a_warped_voice_is_its_speaker_resampled_into_a_shorter_brighter_reading():
    import numpy as np

    from speech.corpus import voice_group

    plain = EspeakVoice("en-us+m1", words_per_minute=150)
    warped = WarpedVoice(plain, 1.15)
    assert warped.name == "espeak:en-us+m1@150~1.15" and is_warped(warped.name) and not is_warped(plain.name)
    assert voice_group(warped.name) == voice_group(plain.name)  # the same speaker: never judged by itself
    segment = [SpokenWord("she"), SpokenWord("sells"), SpokenWord("sea"), SpokenWord("shells")]
    (original,), (higher,) = plain.render([segment]), warped.render([segment])
    assert higher.rate == original.rate == 16000
    assert higher.seconds == pytest.approx(original.seconds / 1.15, rel=0.03)

    def median_pitch(samples: np.ndarray) -> float:  # autocorrelation peak of the voiced 40 ms frames
        pitches = []
        for start in range(0, len(samples) - 640, 320):
            frame = samples[start : start + 640] - np.mean(samples[start : start + 640])
            correlation = np.correlate(frame, frame, "full")[639:]
            lag = 40 + int(np.argmax(correlation[40:200]))  # 80-400 Hz
            if correlation[lag] > 0.5 * correlation[0]:
                pitches.append(16000 / lag)
        return float(np.median(pitches))

    assert median_pitch(higher.samples) == pytest.approx(1.15 * median_pitch(original.samples), rel=0.04)


def test_the_warped_voices_dev_corpus_reads_with_warped_piper_and_kal_only(tmp_path):
    from django.core.management import CommandError, call_command

    call_command(
        "build_corpus", "--set", "dev", "--seed", "9", "--count", "4", "--out", str(tmp_path / "a"), "--warped-voices"
    )
    voices = {annotation["voice"] for _, annotation in load_corpus(tmp_path / "a")}
    # Festival is a dev-tool extra: without it, the warped piper voices read everything
    assert voices <= {v.name for v in WARPED_DEV_LEARNER_VOICES} and all(map(is_warped, voices))
    assert {"piper:joe@1~0.86", "piper:joe@1~1.15"} <= voices
    with pytest.raises(CommandError, match="dev"):
        call_command("build_corpus", "--set", "eval", "--out", str(tmp_path / "b"), "--warped-voices")
    with pytest.raises(CommandError, match="choose one"):
        call_command("build_corpus", "--set", "dev", "--out", str(tmp_path / "c"), "--warped-voices", "--more-voices")


def test_the_mbrola_dev_corpus_reads_with_mbrolas_voices_or_says_they_are_missing(tmp_path):
    from django.core.management import CommandError, call_command

    arguments = ["build_corpus", "--set", "dev", "--seed", "11", "--count", "3", "--out", str(tmp_path / "a")]
    if not any(voice.available() for voice in MBROLA_DEV_LEARNER_VOICES):  # a dev-tool extra, as Festival
        with pytest.raises(CommandError, match="no voice available"):
            call_command(*arguments, "--mbrola-voices")
        return
    call_command(*arguments, "--mbrola-voices")
    voices = {annotation["voice"] for _, annotation in load_corpus(tmp_path / "a")}
    assert voices == {v.name for v in MBROLA_DEV_LEARNER_VOICES} == {f"festival:us{n}_mbrola@1" for n in (1, 2, 3)}


def test_kokoro_says_exactly_the_phones_it_is_given_and_the_same_way_each_time():
    import numpy as np

    from speech.corpus_voices import KokoroVoice, kokoro_phonemes

    assert kokoro_phonemes("think", ("TH", "IH", "NG", "K")) == "θˈɪŋk"
    assert kokoro_phonemes("today", ("T", "AH", "D", "EY")) == "tədˈA"  # a reduced vowel, one token a diphthong
    voice = KokoroVoice("jm_kumo", speed=1.1)
    assert voice.name == "kokoro:jm_kumo@1.1" and voice.available()
    correct, learner = [SpokenWord("very", ("V", "EH", "R", "IY"))], [SpokenWord("very", ("B", "EH", "R", "IY"))]
    (said,), (again,), (berry,) = voice.render([correct]), voice.render([correct]), voice.render([learner])
    assert said.rate == 16000 and 0.2 < said.seconds < 1.5
    assert np.array_equal(said.samples, again.samples)
    assert len(berry.samples) != len(said.samples) or not np.allclose(berry.samples, said.samples, atol=1e-3)


def test_the_kokoro_dev_corpus_reads_with_its_dev_speaker_only_and_only_for_dev(tmp_path):
    from django.core.management import CommandError, call_command

    from speech.corpus import KOKORO_DEV_LEARNER_VOICES, voice_group
    from speech.pronunciation.train_phone_model import CORPUS_VOICE_FOLDS, check_voices
    from speech.pronunciation.train_word_model import TRAINING_ONLY_VOICES

    call_command(
        "build_corpus", "--set", "dev", "--seed", "12", "--count", "3", "--out", str(tmp_path / "a"), "--kokoro-voices"
    )
    corpus = load_corpus(tmp_path / "a")
    voices = {annotation["voice"] for _, annotation in corpus}
    assert voices <= {v.name for v in KOKORO_DEV_LEARNER_VOICES} and len(voices) == 3
    assert {v.split("@")[0] for v in voices} == {"kokoro:jf_tebukuro"}
    assert all(read_wav(wav).seconds > 1.0 for wav, _ in corpus)
    check_voices()  # every dev voice has a calibration fold; no network heard this speaker
    assert {voice_group(v) for v in voices} <= TRAINING_ONLY_VOICES & set(CORPUS_VOICE_FOLDS)
    with pytest.raises(CommandError, match="dev"):
        call_command("build_corpus", "--set", "eval", "--out", str(tmp_path / "b"), "--kokoro-voices")
