"""Benchmark: how fast and how interruptibly Parley speaks. Prints one JSON object.

    python bench/speech_speaking.py [--runs 15] [--skip-wer]

Time to first audio (median, p90) for a backchannel from the phrase bank, a short sentence and a
paragraph; real-time factor; cancel latency and chunks in flight; and the round-trip word error
rate of the en-us voice through a recogniser, on sentences used nowhere else in this project.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from speech.audio import Audio
from speech.phrases import PhraseBank
from speech.sequences import edit_distance
from speech.synthesis import SpeechStream, Synthesizer, voice_for
from speech.teaching import contrast_pair, slow_word

SHORT_SENTENCE = "Nice work, let's try the next one."
PARAGRAPH = (
    "That was much better than last time. You kept the vowel short in ship, which is exactly right. "
    "Now let's listen to the difference between ship and sheep once more. "
    "Say each word slowly, and then say them together in a sentence. Take your time."
)
# Held out: nothing in the synthesis code was tuned on these.
WER_SENTENCES = [
    "The library opens early on weekdays but closes at noon on Sundays.",
    "Please put the green cup next to the kettle in the kitchen.",
    "My brother forgot his umbrella and walked home in the rain.",
    "We should leave before the traffic gets heavy this evening.",
    "She painted the old fence white and planted roses along it.",
    "Could you tell me where the nearest train station is?",
    "The children were laughing loudly in the garden all afternoon.",
    "He writes a short letter to his grandmother every month.",
    "Fresh bread smells wonderful when it comes out of the oven.",
    "The meeting was moved to Thursday because the manager was ill.",
    "A small dog chased the ball across the wet grass.",
    "They bought tickets for the concert several weeks ago.",
]


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered), 2), "p90_ms": round(p90, 2), "runs": len(ordered)}


def first_audio_ms(make_stream, runs: int) -> tuple[dict[str, float], list[SpeechStream]]:
    times, streams = [], []
    for _ in range(runs):
        started = time.perf_counter()
        stream = make_stream()
        next(stream)
        times.append((time.perf_counter() - started) * 1000)
        streams.append(stream)
    return percentiles(times), streams


def real_time_factor(synthesizer: Synthesizer, text: str, runs: int) -> dict[str, float]:
    factors = []
    for _ in range(runs):
        started = time.perf_counter()
        audio = synthesizer.speak(text).collect()
        factors.append((time.perf_counter() - started) / audio.seconds)
    return {"median": round(statistics.median(factors), 3), "max": round(max(factors), 3), "runs": runs}


def cancel_latency(synthesizer: Synthesizer, runs: int, seed: int = 1) -> dict[str, object]:
    """Cancel a paragraph at a random moment while a consumer plays it out in real time."""
    rng = random.Random(seed)
    cancel_call_ms, in_flight, after_return = [], [], []
    for _ in range(runs):
        stream = synthesizer.speak(PARAGRAPH)
        received: list[float] = []
        started = threading.Event()

        def play(stream: SpeechStream = stream, received: list[float] = received, started=started) -> None:
            for chunk in stream:
                received.append(time.perf_counter())
                started.set()
                time.sleep(chunk.seconds)  # a playout buffer draining in real time

        player = threading.Thread(target=play)
        player.start()
        started.wait()
        time.sleep(rng.uniform(0.05, 3.0))
        emitted_before = stream.chunks_emitted
        called = time.perf_counter()
        emitted = stream.cancel()
        returned = time.perf_counter()
        player.join()
        cancel_call_ms.append((returned - called) * 1000)
        in_flight.append(emitted - emitted_before)
        after_return.append(len(received) - emitted)  # chunks the consumer got beyond the count cancel() returned
    return {
        "cancel_call": percentiles(cancel_call_ms),
        "max_chunks_in_flight": max(in_flight),
        "chunks_after_cancel_returned": max(after_return),
        "runs": runs,
    }


def cancel_during_render(synthesizer: Synthesizer, runs: int) -> dict[str, object]:
    """Cancel while the first sentence is still rendering: cancel() returns at once, nothing is emitted."""
    call_ms, until_consumer_free_ms, emitted = [], [], []
    for _ in range(runs):
        stream = synthesizer.speak("This sentence is being rendered when the learner starts to talk over it.")
        result: list[object] = []
        consumer = threading.Thread(target=lambda stream=stream, result=result: result.append(stream.next_chunk()))
        consumer.start()
        time.sleep(0.02)
        called = time.perf_counter()
        stream.cancel()
        returned = time.perf_counter()
        consumer.join()
        call_ms.append((returned - called) * 1000)
        until_consumer_free_ms.append((time.perf_counter() - called) * 1000)
        emitted.append(stream.chunks_emitted)
    return {
        "cancel_call": percentiles(call_ms),
        "consumer_released": percentiles(until_consumer_free_ms),
        "chunks_emitted": max(emitted),
    }


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def transcriber_for_english():
    try:
        from speech.transcriber import Transcriber

        transcriber = Transcriber.get("en")
        return "whisper-base (speech.transcriber)", lambda audio: transcriber.transcribe(audio).text
    except Exception as error:  # fall back to the recogniser that ships in pocketsphinx
        print(f"speech.transcriber unavailable ({error!r}); using pocketsphinx", file=sys.stderr)
    from pocketsphinx import Decoder

    decoder = Decoder(bestpath=False)

    def recognise(audio: Audio) -> str:
        pcm = audio.to(16000).pcm16()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        return decoder.hyp().hypstr if decoder.hyp() else ""

    return "pocketsphinx 5.1.1 en-us", recognise


def phrase_intelligibility(bank: PhraseBank, recognise) -> dict[str, object]:
    """Share of each stock phrase's variants that the recogniser hears as the phrase's words."""
    heard_right: dict[str, float] = {}
    misheard: dict[str, list[str]] = {}
    for key in bank.keys:
        expected = words_of(key.replace("uh-huh", "uh huh"))
        variants = bank.variants(key)
        heard = [recognise(Audio(variant.samples, bank.synthesizer.rate).to(16000)) for variant in variants]
        right = [words_of(text.replace("-", " ")) == expected for text in heard]
        heard_right[key] = round(sum(right) / len(variants), 2)
        if not all(right):
            misheard[key] = [text for text, ok in zip(heard, right, strict=True) if not ok]
    return {"heard_as_meant": heard_right, "misheard": misheard}


def round_trip_wer(synthesizer: Synthesizer, recogniser: tuple[str, object]) -> dict[str, object]:
    name, recognise = recogniser
    errors = total = 0
    mistakes = []
    for sentence in WER_SENTENCES:
        audio = synthesizer.speak(sentence).collect().to(16000)
        heard = recognise(audio)
        reference, hypothesis = words_of(sentence), words_of(heard)
        sentence_errors = edit_distance(reference, hypothesis)
        errors += sentence_errors
        total += len(reference)
        if sentence_errors:
            mistakes.append({"said": sentence, "heard": heard})
    return {"recogniser": name, "wer": round(errors / total, 4), "words": total, "mistakes": mistakes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-wer", action="store_true")
    args = parser.parse_args()
    runs = max(10, args.runs)

    started = time.perf_counter()
    english = Synthesizer(voice_for("en-us"))
    voice_load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    bank = PhraseBank(english).warm()
    bank_warm_ms = (time.perf_counter() - started) * 1000
    spanish = Synthesizer(voice_for("es"))

    backchannel, _ = first_audio_ms(lambda: bank.get("backchannel"), runs)
    short, _ = first_audio_ms(lambda: english.speak(SHORT_SENTENCE), runs)
    paragraph, _ = first_audio_ms(lambda: english.speak(PARAGRAPH), runs)
    espeak_short, _ = first_audio_ms(lambda: spanish.speak("Muy bien, vamos a probar la siguiente."), runs)
    whole_sentence = percentiles(
        [_timed_ms(lambda: english.render(SHORT_SENTENCE)) for _ in range(runs)]
    )  # what first audio would cost without streaming the first clause on its own

    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
        "output_rate": english.rate,
        "chunk_ms": english.chunk_ms,
        "voice_load_ms": round(voice_load_ms, 1),
        "phrase_bank_warm_ms": round(bank_warm_ms, 1),
        "phrase_bank_renderings": sum(len(bank.variants(key)) for key in bank.keys),
        "first_audio": {
            "backchannel_from_bank": backchannel,
            "short_sentence": short,
            "short_sentence_without_clause_split": whole_sentence,
            "paragraph": paragraph,
            "espeak_short_sentence": espeak_short,
        },
        "real_time_factor": {
            "en_us_piper_paragraph": real_time_factor(english, PARAGRAPH, 5),
            "espeak_es_paragraph": real_time_factor(
                spanish, "Hoy vamos a practicar los sonidos de la erre. Escucha primero y luego repite.", 5
            ),
        },
        "cancel": {
            "while_playing": cancel_latency(english, runs),
            "while_rendering_first_sentence": cancel_during_render(english, runs),
        },
        "teaching": {
            "contrast_pair": percentiles([_timed_ms(lambda: contrast_pair("sɪŋk", "θɪŋk")) for _ in range(runs)]),
            "slow_word": percentiles([_timed_ms(lambda: slow_word(english, "comfortable")) for _ in range(runs)]),
        },
    }
    if not args.skip_wer:
        try:
            recogniser = transcriber_for_english()
            results["round_trip_wer_en_us"] = round_trip_wer(english, recogniser)
            results["stock_phrases_heard_as_meant"] = phrase_intelligibility(bank, recogniser[1])
        except Exception as error:  # report the timings even when the recogniser breaks
            results["round_trip_wer_en_us"] = {"error": repr(error)}
    print(json.dumps(results, indent=2, ensure_ascii=False))


def _timed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
