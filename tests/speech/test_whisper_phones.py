"""The Whisper phone head: Whisper base's encoder on short clips, training, and its place in the
whole-utterance scorer (the committed head's evidence and weights are tested with the phone model's, in
test_phone_model.py)."""

import numpy as np
import pytest

from speech.pronunciation import train_phone_model, train_whisper_phones
from speech.pronunciation.phone_model import PHONES
from speech.pronunciation.scorer import PronunciationScorer, reference_words
from speech.pronunciation.whisper_phones import HEAD_LAYER, PhoneHead, WhisperPhoneRecognizer, shared_encoder
from speech.pronunciation.word_model import FULL_FEATURES, STREAMING_FEATURES, WHISPER_PHONE_FEATURES
from tests.speech.test_scoring import SENTENCE, reading


def test_the_encoder_runs_on_the_clips_own_length_and_30_s_at_a_time():
    encoder = shared_encoder()
    assert encoder.features(np.zeros(16000, np.float32)).shape == (50, 512)  # 20 ms frames
    assert encoder.features(np.zeros(16000 * 31, np.float32)).shape == (1550, 512)  # 30 s + 1 s
    assert encoder.features(np.zeros(100, np.float32)).shape == (0, 512)


def test_the_encoder_gives_any_layers_output_and_the_head_reads_the_layer_it_was_trained_on(tmp_path):
    encoder = shared_encoder()
    clip = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    final = encoder.features(clip)
    assert np.array_equal(encoder.features(clip, 6), final)  # the default is the final output
    middle = encoder.features(clip, 3)
    assert middle.shape == final.shape and not np.allclose(middle, final)
    with pytest.raises(ValueError, match="layers 1-6"):
        encoder.features(clip, 7)
    head = WhisperPhoneRecognizer(PhoneHead(channels=8, encoder_layer=3))
    head.save(tmp_path / "head.pt", "test")
    loaded = WhisperPhoneRecognizer.load(tmp_path / "head.pt")
    assert loaded.head.encoder_layer == 3
    assert np.allclose(loaded.log_posteriors(clip), loaded.posteriors_of(middle), atol=1e-3)
    assert WhisperPhoneRecognizer.load().head.encoder_layer == HEAD_LAYER  # the committed head


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


def test_the_transcriber_and_the_phone_heads_encoder_share_one_whisper_model():
    from speech.transcriber import Transcriber

    assert Transcriber.get("en").model.model.encoder is shared_encoder().encoder
