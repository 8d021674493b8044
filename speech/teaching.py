"""Teaching renderings: a word said slowly, one sound on its own, and "not *sink* — *think*".

Sounds come from IPA through espeak-ng's phoneme input, so a correction plays exactly the sound
that was wrong and the one that was meant, whatever the spelling. Each clip carries espeak-ng's
own IPA for what it rendered, which is how the tests (and a cautious caller) check it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from speech.audio import Audio, resample
from speech.synthesis import DEFAULT_OUTPUT_RATE, MAX_CHUNK_MS, Piece, SpeechStream, Style, Synthesizer
from speech.synthesis.espeak import DEFAULT_WORDS_PER_MINUTE, EspeakSettings, espeak_engine
from speech.synthesis.ipa import ipa_to_espeak
from speech.synthesis.loudness import normalize_loudness

SLOW_LENGTH_SCALE = 1.8
TEACHING_LANGUAGE = "en-us"
_SHORT_GAP_S = 0.12
_LONG_GAP_S = 0.45
# Consonants that can be held: stretched by saying them several times in one breath. Vowels are not
# held: espeak-ng would make each repeat a syllable of its own.
_CONTINUANTS = set("fvθðszʃʒmnŋlɹr")


@dataclass(frozen=True)
class TeachingClip:
    caption: str
    audio: Audio
    rendered_ipa: tuple[str, ...] = ()  # espeak-ng's IPA for each sound part, in order

    def stream(self, chunk_ms: int = MAX_CHUNK_MS) -> SpeechStream:
        return SpeechStream([Piece(self.caption, lambda _cancel: self.audio.samples)], self.audio.rate, chunk_ms)


def slow_word(synthesizer: Synthesizer, word: str, slowness: float = SLOW_LENGTH_SCALE) -> TeachingClip:
    """`word` synthesised slower (longer phones from the engine itself, not a time-stretch)."""
    samples = synthesizer.render(word, Style(length_scale=slowness))
    return TeachingClip(word, Audio(samples, synthesizer.rate))


def sound_in_isolation(
    ipa: str, repeats: int = 3, rate: int = DEFAULT_OUTPUT_RATE, language: str = TEACHING_LANGUAGE
) -> TeachingClip:
    """One sound (e.g. "θ"): held first if it can be held, then said `repeats` times on its own."""
    mnemonic = _stressed(ipa_to_espeak(ipa), ipa)
    parts: list[np.ndarray] = []
    rendered: list[str] = []
    if all(char in _CONTINUANTS for char in ipa):
        held, held_ipa = _render_phonemes(mnemonic * 3, rate, language)
        parts += [held, _silence(_LONG_GAP_S, rate)]
        rendered.append(held_ipa)
    for index in range(repeats):
        single, single_ipa = _render_phonemes(mnemonic, rate, language)
        parts.append(single)
        rendered.append(single_ipa)
        if index < repeats - 1:
            parts.append(_silence(_LONG_GAP_S, rate))
    return TeachingClip(f"/{ipa}/", Audio(np.concatenate(parts), rate), tuple(rendered))


def contrast_pair(
    said_ipa: str,
    meant_ipa: str,
    rate: int = DEFAULT_OUTPUT_RATE,
    slowness: float = 1.2,
    language: str = TEACHING_LANGUAGE,
    said_word: str | None = None,
    meant_word: str | None = None,
) -> TeachingClip:
    """ "not *said* — *meant*", both words from IPA, so the wrong sound and the right one are exact."""
    lead = _render_text("not", rate, language, slowness)
    said, said_rendered = _render_phonemes(ipa_to_espeak(said_ipa), rate, language, slowness)
    meant, meant_rendered = _render_phonemes(ipa_to_espeak(meant_ipa), rate, language, slowness)
    audio = np.concatenate([lead, _silence(_SHORT_GAP_S, rate), said, _silence(_LONG_GAP_S, rate), meant])
    caption = f"not {said_word or '/' + said_ipa + '/'} — {meant_word or '/' + meant_ipa + '/'}"
    return TeachingClip(caption, Audio(audio, rate), (said_rendered, meant_rendered))


def from_ipa(ipa: str, rate: int = DEFAULT_OUTPUT_RATE, language: str = TEACHING_LANGUAGE) -> TeachingClip:
    """Any English IPA string (words separated by spaces) rendered exactly."""
    samples, rendered = _render_phonemes(ipa_to_espeak(ipa), rate, language)
    return TeachingClip(f"/{ipa}/", Audio(samples, rate), (rendered,))


def _render_phonemes(mnemonics: str, rate: int, language: str, slowness: float = 1.0) -> tuple[np.ndarray, str]:
    engine = espeak_engine()
    samples, rendered_ipa = engine.synthesize_with_ipa(f"[[{mnemonics}]]", language, _settings(slowness))
    return _finish(samples, engine.rate, rate), rendered_ipa


def _render_text(text: str, rate: int, language: str, slowness: float) -> np.ndarray:
    engine = espeak_engine()
    return _finish(engine.synthesize(text, language, _settings(slowness)), engine.rate, rate)


def _settings(slowness: float) -> EspeakSettings:
    return EspeakSettings(words_per_minute=max(80, round(DEFAULT_WORDS_PER_MINUTE / slowness)))


def _finish(samples: np.ndarray, engine_rate: int, rate: int) -> np.ndarray:
    audio = normalize_loudness(samples.astype(np.float32) / 32768.0, engine_rate)
    return _trim_silence(resample(audio, engine_rate, rate))


def _trim_silence(samples: np.ndarray, threshold: float = 10 ** (-45 / 20)) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


def _silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.float32)


def _stressed(mnemonic: str, ipa: str) -> str:
    # espeak-ng reduces an unstressed lone vowel (ɪ becomes i); a stress mark keeps it as asked.
    has_vowel = any(char in "aeiouæɑɒɔəɚɛɜɝɪʊʌɐ" for char in ipa)
    return f"'{mnemonic}" if has_vowel and not mnemonic.startswith("'") else mnemonic
