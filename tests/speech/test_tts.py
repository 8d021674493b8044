"""Speaking: streaming, cancellable synthesis with real engines (piper + joe, espeak-ng)."""

from __future__ import annotations

import asyncio
import os
import threading

import numpy as np
import pytest

from speech.audio import read_wav
from speech.synthesis import (
    MAX_CHUNK_MS,
    SpeechStream,
    Synthesizer,
    TutorAudioChunk,
    UnknownLanguageError,
    Voice,
    split_for_speaking,
    voice_for,
)
from speech.synthesis.loudness import TARGET_SPEECH_DBFS, speech_level_dbfs

THREE_SENTENCES = "Good morning. Today we practise the th sound. Listen first, then repeat after me."


@pytest.fixture(scope="module")
def english() -> Synthesizer:
    return Synthesizer(voice_for("en-us"))


@pytest.fixture(scope="module")
def spanish() -> Synthesizer:
    return Synthesizer(voice_for("es"))


def assert_well_formed(chunks: list[TutorAudioChunk], rate: int) -> None:
    assert chunks, "no audio"
    position = 0
    for chunk in chunks:
        assert chunk.rate == rate
        assert 0 < chunk.sample_count <= rate * MAX_CHUNK_MS // 1000
        assert chunk.start_sample == position
        position += chunk.sample_count
    assert [chunk.final for chunk in chunks] == [False] * (len(chunks) - 1) + [True]
    indices = [chunk.sentence_index for chunk in chunks]
    assert indices == sorted(indices)


def test_voices_follow_the_protocol_and_load_once() -> None:
    assert isinstance(voice_for("en-us"), Voice)
    assert voice_for("en-us") is voice_for("EN_us") is voice_for("en")
    assert voice_for("fr") is voice_for("fr")
    assert voice_for("en-us").rate == 22050


@pytest.mark.parametrize("rate", [16000, 22050, 48000])
def test_chunks_are_at_most_40_ms_at_the_declared_rate(english: Synthesizer, rate: int) -> None:
    chunks = list(Synthesizer(english.voice, rate=rate).speak("Nice work, let's try the next one."))
    assert_well_formed(chunks, rate)


def test_espeak_voice_streams_at_the_declared_rate(spanish: Synthesizer) -> None:
    chunks = list(spanish.speak("Hola. ¿Qué tal estás hoy? Muy bien, gracias."))
    assert_well_formed(chunks, 22050)
    assert {chunk.sentence_index for chunk in chunks} == {0, 1, 2}


def test_resampling_keeps_the_duration(spanish: Synthesizer) -> None:
    text = "Buenos días a todos."
    at_16k = Synthesizer(spanish.voice, rate=16000).speak(text).collect()
    at_22k = spanish.speak(text).collect()
    assert at_16k.rate == 16000
    assert at_16k.seconds == pytest.approx(at_22k.seconds, rel=0.02)


def test_smaller_chunks_on_request(english: Synthesizer) -> None:
    chunks = list(Synthesizer(english.voice, chunk_ms=20).speak("Okay."))
    assert max(chunk.sample_count for chunk in chunks) <= 441
    with pytest.raises(ValueError):
        Synthesizer(english.voice, chunk_ms=41).speak("Okay.")


def test_first_chunk_arrives_before_later_sentences_are_rendered(english: Synthesizer) -> None:
    stream = english.speak(THREE_SENTENCES)
    assert len(stream.pieces) == 3
    first = next(stream)
    assert stream.renders_started == 1
    assert first.sentence_index == 0
    assert first.text == "Good morning."
    rest = list(stream)
    assert stream.renders_started == 3
    assert [piece.text for piece in stream.pieces] == [
        "Good morning.",
        "Today we practise the th sound.",
        "Listen first, then repeat after me.",
    ]
    assert {chunk.text for chunk in rest} == set(split_for_speaking(THREE_SENTENCES))


def test_first_sentence_is_split_at_its_first_clause() -> None:
    assert split_for_speaking("Nice work, let's try the next one. Ready?") == [
        "Nice work,",
        "let's try the next one.",
        "Ready?",
    ]
    assert split_for_speaking("Yes, good.") == ["Yes, good."]  # one-word clauses stay whole
    assert split_for_speaking("  ") == []
    long_sentence = "You kept the vowel short in ship which is exactly what we wanted you to do today."
    assert split_for_speaking(long_sentence) == [
        "You kept the vowel short in ship",
        "which is exactly what we wanted you to do today.",
    ]
    assert split_for_speaking("So we go on and on.") == ["So we go on and on."]  # short: left whole


def test_prepared_stream_renders_before_it_is_read(english: Synthesizer) -> None:
    stream = english.speak("Take a breath. Then say it again.").prepare()
    chunks = list(stream)
    assert_well_formed(chunks, 22050)
    assert stream.renders_started == 2


def test_cancel_stops_the_stream_for_good(english: Synthesizer) -> None:
    stream = english.speak(THREE_SENTENCES)
    taken = [next(stream), next(stream)]
    assert stream.cancel() == len(taken) == stream.chunks_emitted
    assert stream.cancelled
    assert list(stream) == []
    assert stream.next_chunk() is None


def test_leaving_a_with_block_cancels(english: Synthesizer) -> None:
    with english.speak(THREE_SENTENCES) as stream:
        next(stream)
    assert stream.cancelled
    assert list(stream) == []


def test_cancel_stops_rendering_further_sentences(english: Synthesizer) -> None:
    stream = english.speak("One. Two. Three. Four. Five.")
    next(stream)
    stream.cancel()
    assert list(stream) == []
    assert stream.renders_started <= 2  # the sentence in hand and at most the one already prefetched


def test_no_chunk_leaves_after_cancel_returns_from_another_thread(english: Synthesizer) -> None:
    for _ in range(5):
        stream = english.speak(THREE_SENTENCES)
        received: list[TutorAudioChunk] = []
        first_arrived = threading.Event()

        def consume(stream: SpeechStream = stream, received: list = received, first: threading.Event = first_arrived):
            for chunk in stream:
                received.append(chunk)
                first.set()

        consumer = threading.Thread(target=consume)
        consumer.start()
        first_arrived.wait()
        emitted = stream.cancel()
        consumer.join()
        assert len(received) == emitted
        assert stream.chunks_emitted == emitted


def test_cancel_at_a_known_point_from_another_thread(english: Synthesizer) -> None:
    stream = english.speak(THREE_SENTENCES)
    received: list[TutorAudioChunk] = []
    three_taken, cancelled = threading.Event(), threading.Event()

    def consume() -> None:
        for chunk in stream:
            received.append(chunk)
            if len(received) == 3:
                three_taken.set()
                cancelled.wait()

    consumer = threading.Thread(target=consume)
    consumer.start()
    three_taken.wait()
    assert stream.cancel() == 3
    cancelled.set()
    consumer.join()
    assert len(received) == 3


LONG_FIRST_SENTENCE = (
    "This single long sentence keeps the neural voice busy for a good while because it goes on and on "
    "about the weather and the garden and the neighbours and the shops and the trains and the river."
)


@pytest.mark.parametrize("language", ["en-us", "es"])
def test_cancel_aborts_a_render_in_progress(language: str) -> None:
    stream = Synthesizer(voice_for(language)).speak(LONG_FIRST_SENTENCE)
    consumer = threading.Thread(target=stream.next_chunk)
    consumer.start()
    while stream.renders_started == 0 and consumer.is_alive():
        threading.Event().wait(0.001)
    emitted = stream.cancel()
    consumer.join()
    assert stream.chunks_emitted == emitted
    assert list(stream) == []
    if language == "en-us":  # espeak-ng may finish its piece before cancel() is reached
        assert emitted == 0
        assert stream.renders_aborted == 1


def test_voice_still_works_after_an_aborted_render(english: Synthesizer) -> None:
    stream = english.speak(LONG_FIRST_SENTENCE)
    stream.cancel()
    assert list(stream) == []
    assert english.speak("Still here.").collect().seconds > 0.3


def test_async_consumer_can_cancel(english: Synthesizer) -> None:
    async def speak_and_interrupt() -> tuple[int, int]:
        stream = english.speak(THREE_SENTENCES)
        received = 0
        async for _chunk in stream:
            received += 1
            if received == 5:
                stream.cancel()
        return received, stream.chunks_emitted

    received, emitted = asyncio.run(speak_and_interrupt())
    assert received == emitted == 5


def test_voices_are_equally_loud(english: Synthesizer, spanish: Synthesizer) -> None:
    piper = english.speak("The weather is lovely today, isn't it?").collect()
    espeak = spanish.speak("Hace muy buen tiempo hoy, ¿verdad?").collect()
    piper_level = speech_level_dbfs(piper.samples, piper.rate)
    espeak_level = speech_level_dbfs(espeak.samples, espeak.rate)
    assert abs(piper_level - espeak_level) < 2.0
    assert abs(piper_level - TARGET_SPEECH_DBFS) < 2.0
    assert np.max(np.abs(piper.samples)) < 1.0


def test_unknown_language_is_refused() -> None:
    with pytest.raises(UnknownLanguageError):
        voice_for("xx-nowhere")
    with pytest.raises(UnknownLanguageError):
        voice_for(" ")


# -- the say command ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def django_configured() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://x@localhost/x")
    os.environ.setdefault("REDIS_URL", "redis://localhost:1/0")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


def say(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("say", *args, stdout=out)
    return out.getvalue()


def test_say_writes_a_wav(django_configured: None, tmp_path) -> None:
    target = tmp_path / "out.wav"
    report = say("Nice work, let's try the next one.", "-o", str(target))
    audio = read_wav(target)
    assert audio.rate == 22050
    assert 1.0 < audio.seconds < 5.0
    assert "first audio" in report and "real-time factor" in report


def test_say_speaks_other_languages_and_ipa(django_configured: None, tmp_path) -> None:
    say("Guten Morgen.", "--lang", "de", "--rate", "16000", "-o", str(tmp_path / "de.wav"))
    say("θɪŋk", "--ipa", "-o", str(tmp_path / "think.wav"))
    assert read_wav(tmp_path / "de.wav").rate == 16000
    assert read_wav(tmp_path / "think.wav").seconds > 0.2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("   ",), "empty"),
        (("Hello.", "--lang", "xx-nowhere"), "no voice for language"),
        (("qθ", "--ipa"), "no English espeak-ng phoneme"),
        (("θɪŋk", "--ipa", "--lang", "fr"), "English IPA only"),
    ],
)
def test_say_refuses_bad_input_clearly(django_configured: None, tmp_path, args: tuple, message: str) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=message):
        say(*args, "-o", str(tmp_path / "x.wav"))
    assert not (tmp_path / "x.wav").exists()
