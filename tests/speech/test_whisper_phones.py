"""The Whisper phone head (speech/data/whisper_phone_head.pt): Whisper base's encoder on short clips,
the committed head's per-word evidence, weights, training, and its place in the whole-utterance scorer."""

import numpy as np
import pytest
import torch

from speech.pronunciation import train_phone_model, train_whisper_phones
from speech.pronunciation.phone_model import PHONES
from speech.pronunciation.scorer import PronunciationScorer, reference_words
from speech.pronunciation.whisper_phones import (
    WhisperPhoneRecognizer,
    default_whisper_phone_recognizer,
    shared_encoder,
)
from speech.pronunciation.word_model import FULL_FEATURES, STREAMING_FEATURES, WHISPER_PHONE_FEATURES
from tests.speech.test_phone_model import sentence_evidence
from tests.speech.test_scoring import SENTENCE, reading


@pytest.fixture(scope="module")
def head() -> WhisperPhoneRecognizer:
    return default_whisper_phone_recognizer()


def test_the_encoder_runs_on_the_clips_own_length_and_30_s_at_a_time():
    encoder = shared_encoder()
    assert encoder.features(np.zeros(16000, np.float32)).shape == (50, 512)  # 20 ms frames
    assert encoder.features(np.zeros(16000 * 31, np.float32)).shape == (1550, 512)  # 30 s + 1 s


def test_the_head_hears_z_for_th_in_weather_and_not_in_a_correct_reading(head):
    wezzer = sentence_evidence(head, reading({"weather": ("W", "EH", "Z", "ER")}))
    assert wezzer["weather"].variant_margin > 3
    correct = sentence_evidence(head, reading())
    assert correct["weather"].variant_margin < 0
    assert correct["weather"].mean_phone_posterior > wezzer["weather"].mean_phone_posterior


def test_the_head_hears_an_omitted_word(head):
    evidence = sentence_evidence(head, reading(omit="weather"))
    assert evidence["weather"].omission_margin > max(e.omission_margin for w, e in evidence.items() if w != "weather")


def test_weights_load_round_trip_and_refuse_another_phone_set(tmp_path, head):
    path = tmp_path / "head.pt"
    head.save(path, source="test")
    again = WhisperPhoneRecognizer.load(path)
    samples = reading().samples
    np.testing.assert_allclose(again.log_posteriors(samples), head.log_posteriors(samples), atol=1e-4)
    data = torch.load(path, weights_only=True)
    data["phones"] = list(reversed(data["phones"]))
    torch.save(data, path)
    with pytest.raises(ValueError, match="retrain"):
        WhisperPhoneRecognizer.load(path)


def test_training_speech_for_the_head_is_the_encoder_output_and_a_few_epochs_learn():
    examples = train_phone_model.espeak_examples("m2", 24, seed=3, features="whisper")
    assert len(examples) == 24 and examples[0].features.shape[1] == 512
    recognizer, report = train_whisper_phones.train(examples, epochs=3)
    losses = [epoch["loss"] for epoch in report["history"]]
    assert losses[-1] < losses[0]
    assert recognizer.posteriors_of(examples[0].features).shape == (len(examples[0].features), len(PHONES) + 1)


def test_the_whole_utterance_scorer_uses_the_head_and_streaming_does_not():
    assert set(WHISPER_PHONE_FEATURES) <= set(FULL_FEATURES)
    assert not set(WHISPER_PHONE_FEATURES) & set(STREAMING_FEATURES)
    berry = reading({"very": ("B", "EH", "R", "IY")})
    features = PronunciationScorer().extract_features(berry, reference_words(SENTENCE))
    very = next(f for f in features.slots if f.slot.text == "very")
    assert very.whisper_phones is not None and very.whisper_phones.variant_margin > 0
    assert len(SENTENCE.split()) == len(features.slots)
