"""The neural phone recogniser (speech/data/phone_model.pt): CTC arithmetic, per-word evidence, training.

The committed-model tests use test_scoring.py's piper readings: the words under test through exact
phoneme input, the others in piper's own reading of the text. (The shipped model heard piper through
phoneme input in training; it still hears piper's own "very" and "think" as /b/ and /t/-like, which is
why the word model, not the margin alone, decides.)
"""

import random

import numpy as np
import pytest
import torch

from speech.pronunciation import train_phone_model
from speech.pronunciation.phone_model import (
    BLANK,
    IMPOSSIBLE,
    LABEL,
    PHONES,
    PhoneNet,
    PhoneRecognizer,
    PhoneStream,
    RunningMean,
    align,
    default_phone_recognizer,
    gap_evidence,
    greedy_phones,
    labels,
    log_mel,
    sequence_log_likelihoods,
    word_evidence,
)
from speech.pronunciation.sphinx import word_slots
from speech.pronunciation.whisper_phones import WhisperPhoneRecognizer, default_whisper_phone_recognizer
from tests.speech.test_scoring import SENTENCE, reading


def spelled(phones: list[str], frames_per_phone: int = 4, sure: float = 0.9) -> np.ndarray:
    """Log-probabilities in which each phone is heard for one frame, blanks in between."""
    rows = []
    for phone in phones:
        for frame in range(frames_per_phone):
            row = np.full(len(PHONES) + 1, (1 - sure) / len(PHONES))
            row[LABEL[phone] if frame == 1 else BLANK] = sure
            rows.append(row)
    return np.log(np.array(rows))


def test_log_mel_is_ten_ms_frames_of_eighty_bands():
    features = log_mel(np.zeros(16000, np.float32) + 0.01)
    assert features.shape == (98, 80)
    assert np.all(np.isfinite(features))


def test_running_mean_gives_the_same_input_in_chunks_as_whole():
    features = np.random.default_rng(0).normal(size=(230, 80)).astype(np.float32)
    prior = np.zeros(80)
    whole = RunningMean(prior).normalise(features)
    chunked = RunningMean(prior)
    parts = [chunked.normalise(features[i : i + 20]) for i in range(0, 230, 20)]
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=1e-6)


def test_the_spelled_sequence_is_likelier_than_a_substitution_and_an_impossible_one_is_marked():
    log_probs = spelled(["S", "IH", "NG", "K"])
    right, wrong, too_long = sequence_log_likelihoods(
        log_probs, [labels(["S", "IH", "NG", "K"]), labels(["TH", "IH", "NG", "K"]), labels(["S"] * 40)]
    )
    assert right > wrong + 3
    assert too_long == IMPOSSIBLE


def test_alignment_finds_each_phone_where_it_was_heard():
    log_probs = spelled(["DH", "AH", "K", "AE", "T"])
    spans = align(log_probs, labels(["DH", "AH", "K", "AE", "T"]))
    assert [first for first, _ in spans] == [1, 5, 9, 13, 17]
    assert greedy_phones(log_probs) == ["DH", "AH", "K", "AE", "T"]


def test_word_evidence_points_at_the_variant_that_was_said():
    slots = word_slots(["think", "very"])
    think_as_sink = ["S", "IH", "NG", "K", "V", "EH", "R", "IY"]
    evidence = word_evidence(
        spelled(think_as_sink),
        [list(s.canonical) for s in slots],
        [[v.phones for _, v in s.variants] for s in slots],
    )
    think, very = evidence
    assert think.variant_margin > 3
    assert slots[0].variants[think.best_variant][1].rule == "TH>S"
    assert very.variant_margin < 0
    assert very.omission_margin < -3
    assert think.mean_phone_posterior < very.mean_phone_posterior


def test_a_word_replaced_by_another_is_far_from_anything_it_could_be_and_an_omitted_one_is_not():
    slots = word_slots(["think", "very"])
    canonical = [list(s.canonical) for s in slots]
    variants = [[v.phones for _, v in s.variants] for s in slots]
    correct = word_evidence(spelled(["TH", "IH", "NG", "K", "V", "EH", "R", "IY"]), canonical, variants)
    assert all(abs(e.free_margin) < 3 for e in correct)
    pocket = ["P", "AA", "K", "AH", "T", "V", "EH", "R", "IY"]
    think_as_pocket = word_evidence(spelled(pocket), canonical, variants)[0]
    assert think_as_pocket.free_margin > 10
    assert think_as_pocket.free_margin > think_as_pocket.variant_margin + 10  # no learner variant explains it
    think_omitted = word_evidence(spelled(["V", "EH", "R", "IY"]), canonical, variants)[0]
    # heard as nothing: leaving the word out explains the audio as well as anything does
    assert think_omitted.free_margin - think_omitted.omission_margin < 1
    assert think_as_pocket.free_margin - think_as_pocket.omission_margin > 10


def test_an_open_end_lets_the_audio_after_the_reference_be_anything():
    slots = word_slots(["think"])
    canonical = [list(s.canonical) for s in slots]
    variants = [[v.phones for _, v in s.variants] for s in slots]
    think_then_more = spelled(["TH", "IH", "NG", "K", "V", "EH", "R", "IY"])  # streaming: "very" not judged yet
    closed = word_evidence(think_then_more, canonical, variants)[0]
    opened = word_evidence(think_then_more, canonical, variants, open_end=True)[0]
    assert closed.free_margin > opened.free_margin + 10  # closed, "think" has to explain "very" too
    assert opened.free_margin < 5 and opened.end_frame < 16  # open, "think" ends where it was said (frames 0-15)
    sink = word_evidence(spelled(["S", "IH", "NG", "K", "V", "EH", "R", "IY"]), canonical, variants, open_end=True)[0]
    assert variants[0][sink.best_variant] == ("S", "IH", "NG", "K") and sink.variant_margin > 3


def test_gap_evidence_hears_a_word_said_between_two_reference_words_and_knows_a_filled_pause():
    canonical = [list(s.canonical) for s in word_slots(["think", "very"])]
    think, very = ["TH", "IH", "NG", "K"], ["V", "EH", "R", "IY"]
    before, between, after = gap_evidence(spelled(think + very), canonical, [0, 1, 2])
    assert all(gap.anything_margin < 3 for gap in (before, between, after))
    really = gap_evidence(spelled(think + ["R", "IH", "L", "IY"] + very), canonical, [1])[0]
    assert really.anything_margin > 10
    assert really.anything_margin > really.filled_pause_margin + 10
    # "really" is frames 16-31 (four frames a phone): ANYTHING takes them, and its phones are heard there
    assert really.heard == ("R", "IH", "L", "IY")
    assert 14 <= really.frames[0] <= 17 and 29 <= really.frames[1] <= 33  # give or take a blank
    um = gap_evidence(spelled(think + ["AH", "M"] + very), canonical, [1])[0]
    assert um.anything_margin > 5
    assert um.anything_margin - um.filled_pause_margin < 3  # a filled pause explains it


@pytest.fixture(scope="module")
def recognizer() -> PhoneRecognizer:
    return default_phone_recognizer()


def sentence_evidence(recognizer, audio):
    slots = word_slots([w.strip(".").lower() for w in SENTENCE.split()])
    log_probs = recognizer.log_posteriors(audio.samples)
    evidence = word_evidence(
        log_probs, [list(s.canonical) for s in slots], [[v.phones for _, v in s.variants] for s in slots]
    )
    return {slot.text: e for slot, e in zip(slots, evidence, strict=True)}


@pytest.fixture(scope="module", params=["phone model", "Whisper phone head"])
def committed(request) -> PhoneRecognizer | WhisperPhoneRecognizer:
    """Each committed phone network (the same CTC evidence is computed from both)."""
    return default_phone_recognizer() if request.param == "phone model" else default_whisper_phone_recognizer()


def test_committed_model_hears_z_for_th_in_weather_and_not_in_a_correct_reading(committed):
    wezzer = sentence_evidence(committed, reading({"weather": ("W", "EH", "Z", "ER")}))
    assert wezzer["weather"].variant_margin > 3
    correct = sentence_evidence(committed, reading())
    assert correct["weather"].variant_margin < 0
    assert correct["weather"].mean_phone_posterior > wezzer["weather"].mean_phone_posterior


def test_committed_model_hears_a_word_replaced_by_another(committed):
    evidence = sentence_evidence(committed, reading({"weather": ("P", "AA", "K", "AH", "T")}))
    others = [e.free_margin for w, e in evidence.items() if w != "weather"]
    assert evidence["weather"].free_margin > max(others) + 5
    replaced = evidence["weather"].free_margin - evidence["weather"].omission_margin
    omitted = sentence_evidence(committed, reading(omit="weather"))["weather"]
    assert replaced > omitted.free_margin - omitted.omission_margin + 5


def test_committed_model_hears_an_omitted_word(committed):
    evidence = sentence_evidence(committed, reading(omit="weather"))
    assert evidence["weather"].omission_margin > max(e.omission_margin for w, e in evidence.items() if w != "weather")


def test_weights_load_round_trip_and_refuse_another_phone_set(tmp_path, committed):
    path = tmp_path / "model.pt"
    committed.save(path, source="test")
    again = type(committed).load(path)
    samples = reading().samples
    np.testing.assert_allclose(again.log_posteriors(samples), committed.log_posteriors(samples), atol=1e-4)
    data = torch.load(path, weights_only=True)
    data["phones"] = list(reversed(data["phones"]))
    torch.save(data, path)
    with pytest.raises(ValueError, match="retrain"):
        type(committed).load(path)


def test_training_refuses_a_dev_or_eval_voice(monkeypatch):
    monkeypatch.setattr(train_phone_model, "ESPEAK_VARIANTS", ["m2", "m4"])
    with pytest.raises(ValueError, match="m4"):
        train_phone_model.check_voices()
    monkeypatch.setattr(train_phone_model, "ESPEAK_VARIANTS", ["m2", "caleb"])  # a --more-voices dev voice
    with pytest.raises(ValueError, match="caleb"):
        train_phone_model.check_voices()
    monkeypatch.setattr(train_phone_model, "ESPEAK_VARIANTS", ["m2"])
    monkeypatch.setattr(train_phone_model, "KOKORO_TRAINING_SPEAKERS", ("jf_alpha", "jf_tebukuro"))  # dev-kokoro's
    with pytest.raises(ValueError, match="jf_tebukuro"):
        train_phone_model.check_voices()


def test_kokoros_training_speakers_are_all_its_speakers_but_the_dev_corpus_one():
    from speech.corpus import KOKORO_DEV_LEARNER_VOICES
    from speech.corpus_voices import KOKORO_SPEAKERS

    dev_speakers = {voice.speaker for voice in KOKORO_DEV_LEARNER_VOICES}
    assert set(train_phone_model.KOKORO_TRAINING_SPEAKERS) == set(KOKORO_SPEAKERS) - dev_speakers
    assert len(dev_speakers) == 1 and len(train_phone_model.KOKORO_TRAINING_SPEAKERS) == 4
    train_phone_model.check_voices()


def test_training_speech_loads_only_the_networks_training_voices_and_leaves_out_the_folds_dev_voices(
    tmp_path, monkeypatch
):
    def store(name: str, voice: str) -> None:
        example = train_phone_model.Example(voice, np.zeros((30, 80), np.float16), [1, 2, 3])
        train_phone_model.save_voice_speech(tmp_path / f"{name}.npz", [example, example])

    store("espeak-m2", "espeak:en-us+m2")
    store("piper-joe", "piper:joe")  # a fold-1 dev voice
    store("kokoro-jm_kumo", "kokoro:jm_kumo")  # left from a network that heard Kokoro
    loaded = train_phone_model.load_training_speech
    assert {e.voice for e in loaded(tmp_path)} == {"espeak:en-us+m2", "piper:joe"}
    assert {e.voice for e in loaded(tmp_path, fold=1)} == {"espeak:en-us+m2"}
    assert [e.labels for e in loaded(tmp_path, fold=2)] == [[1, 2, 3]] * 4
    monkeypatch.setattr(train_phone_model, "KOKORO_TRAINS", {"whisper"})
    assert "kokoro:jm_kumo" in {e.voice for e in loaded(tmp_path, features="whisper")}
    assert "kokoro:jm_kumo" not in {e.voice for e in loaded(tmp_path, features="log_mel")}


def test_training_words_leave_out_the_eval_sentences_rarer_words():
    words = set(train_phone_model.training_words())
    assert "the" in words and len(words) > 3000
    assert {"thin", "thanked", "museum", "grandfather", "winter", "roof"}.isdisjoint(words)  # eval words


def test_flite_phones_map_to_arpabet():
    assert train_phone_model.flite_phones("pau dh ax k ae t axr el pau") == [
        "DH",
        "AH",
        "K",
        "AE",
        "T",
        "ER",
        "AH",
        "L",
    ]
    with pytest.raises(ValueError, match="outside"):
        train_phone_model.flite_phones("pau xx pau")


def test_a_few_epochs_learn_to_spell_the_training_words():
    rng = random.Random(0)
    examples = train_phone_model.espeak_examples("m2", 24, seed=3)
    assert len(examples) == 24 and all(e.labels for e in examples)
    recognizer, report = train_phone_model.train(examples, epochs=3, seed=rng.randint(0, 9), channels=32)
    losses = [epoch["loss"] for epoch in report["history"]]
    assert losses[-1] < losses[0]
    assert isinstance(recognizer.net, PhoneNet)


def test_streamed_posteriors_equal_the_whole_utterance_once_final(recognizer):
    samples = reading({"very": ("B", "EH", "R", "IY")}).samples
    whole = recognizer.log_posteriors(samples)
    stream = PhoneStream(recognizer)
    for offset in range(0, len(samples), 3200):
        stream.push(samples[offset : offset + 3200])
        partial = stream.log_posteriors()
        final = len(stream._final)
        assert final <= len(partial) <= len(whole)
        np.testing.assert_allclose(partial[:final], whole[:final], atol=1e-4)
    np.testing.assert_allclose(stream.log_posteriors(), whole[: len(stream.log_posteriors())], atol=1e-4)


def test_a_vowel_added_to_the_last_word_is_heard_when_the_next_word_must_follow():
    from speech.pronunciation.scorer import slot_evidence

    think, so = word_slots(["think", "so"])
    think_a_so = spelled(["TH", "IH", "NG", "K", "AH", "S", "OW"])  # streaming: "so" not judged yet
    opened = slot_evidence(think_a_so, [think], [0], open_end=True)[0]
    assert opened.variant_margin < 1  # the open end takes the added vowel for free (about 0 nats)
    followed = slot_evidence(think_a_so, [think], [0], open_end=True, followed_by=so)[0]
    assert think.variants[followed.best_variant][1].rule == "epenthesis" and followed.variant_margin > 3
    correct = slot_evidence(spelled(["TH", "IH", "NG", "K", "S", "OW"]), [think], [0], open_end=True, followed_by=so)
    assert correct[0].variant_margin < 0 and len(correct) == 1


def test_streaming_decides_every_word_with_phone_evidence_from_a_window_ending_at_the_word():
    from speech.pronunciation import StreamingAssessor

    audio = reading({"weather": ("W", "EH", "Z", "ER")})
    pcm = audio.pcm16()
    assessor = StreamingAssessor(SENTENCE)
    weather_decided_at = None
    for offset in range(0, len(pcm), 6400):
        assessor.push(pcm[offset : offset + 6400])
        if weather_decided_at is None and len(assessor.decided) > 3:
            weather_decided_at = offset + 6400
    assessor.finish()
    assert [feature.slot.text for feature, _ in assessor.decided] == [w.strip(".").lower() for w in SENTENCE.split()]
    features = {feature.slot.text: feature for feature, _ in assessor.decided}
    assert all(f.phone_model is not None for f in features.values())
    assert features["weather"].phone_model.variant_margin > 3
    assert weather_decided_at is not None and weather_decided_at < len(pcm) - 6400
    # the context each word was decided in counts only the words before it
    shares = [context.ctc_variant_share for _, context in assessor.decided]
    assert shares[0] == 0.0


def test_edit_distance_counts_substitutions_insertions_and_deletions():
    from speech.sequences import edit_distance

    assert edit_distance(["TH", "IH", "NG", "K"], ["S", "IH", "NG", "K"]) == 1
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1
    assert edit_distance([], ["x", "y"]) == 2
    assert edit_distance(["x"], ["x"]) == 0


def test_a_long_reference_is_judged_in_windows_and_bounded_batches(monkeypatch):
    import speech.pronunciation.phone_model as phone_model

    words = ["think", "very", "weather", "nice"] * 15
    slots = word_slots(words)
    said = [list(s.canonical[0]) for s in slots]
    said[30] = list(slots[30].variants[0][1].phones)  # one word in the middle said as a learner variant
    log_probs = spelled([p for phones in said for p in phones], frames_per_phone=3)
    canonical = [list(s.canonical) for s in slots]
    variants = [[v.phones for _, v in s.variants] for s in slots]
    evidence = word_evidence(log_probs, canonical, variants)
    assert len(words) > phone_model.LONG_REFERENCE_WORDS
    assert evidence[30].variant_margin > 3 and evidence[30].best_variant == 0
    assert all(e.variant_margin < 0 for i, e in enumerate(evidence) if i != 30)
    assert evidence[30].start_frame > evidence[29].start_frame > 0
    monkeypatch.setattr(phone_model, "CTC_BATCH_CELLS", 20_000)  # a few sequences per ctc_loss call
    batched = word_evidence(log_probs, canonical, variants)
    assert [round(e.variant_margin, 3) for e in batched] == [round(e.variant_margin, 3) for e in evidence]


def test_single_torch_thread_is_restored_afterwards():
    from speech.pronunciation.phone_model import single_torch_thread

    before = torch.get_num_threads()
    with single_torch_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
