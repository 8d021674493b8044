"""Pronunciation of lesson text as teachers' and learners' pages show it.

Its interface mirrors `speech.g2p`'s, but it is a G2P of its own, written before
`speech.g2p` existed and never switched over: the two differ in notation (this
one writes stress marks and long vowels, /ˈvɛɹiː/; `speech.g2p`, which the scorer
and so the tutor's corrections use, writes /vɛɹi/), and merging them means
choosing one notation for both:

    pronounce(text, lang) -> Pronunciation(words=[WordPron(text, ipa, arpabet, source)], fallback_words=[...])
    ipa(text, lang) -> str

English words are looked up in CMUdict (the lexicon in the pocketsphinx wheel)
and converted from ARPAbet to IPA; words the lexicon does not know are guessed
by espeak-ng through phonemizer and listed in `fallback_words`, so that lesson
validation can ask the teacher to check them. Other languages go to espeak-ng
only. IPA phones carry a leading stress mark (ˈ primary, ˌ secondary) on the
stressed vowel; `display_ipa` moves it to the start of the syllable.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LEXICON_LANGUAGES = {"en-us", "en-gb"}
ESPEAK_VOICES = {"en-us": "en-us", "en-gb": "en-gb", "fr-fr": "fr-fr", "de-de": "de", "es-es": "es", "it-it": "it"}

WORD_PATTERN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")
STRESS_MARKS = "ˈˌ"

ARPABET_TO_IPA = {
    "AA": "ɑː",
    "AE": "æ",
    "AH": "ʌ",
    "AO": "ɔː",
    "AW": "aʊ",
    "AY": "aɪ",
    "B": "b",
    "CH": "tʃ",
    "D": "d",
    "DH": "ð",
    "EH": "ɛ",
    "ER": "ɝ",
    "EY": "eɪ",
    "F": "f",
    "G": "ɡ",
    "HH": "h",
    "IH": "ɪ",
    "IY": "iː",
    "JH": "dʒ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "ŋ",
    "OW": "oʊ",
    "OY": "ɔɪ",
    "P": "p",
    "R": "ɹ",
    "S": "s",
    "SH": "ʃ",
    "T": "t",
    "TH": "θ",
    "UH": "ʊ",
    "UW": "uː",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}
# Unstressed AH and ER are the schwa and the r-coloured schwa.
UNSTRESSED_VOWELS = {"AH": "ə", "ER": "ɚ"}
VOWELS = {"ɑː", "æ", "ʌ", "ɔː", "aʊ", "aɪ", "ɛ", "ɝ", "eɪ", "ɪ", "iː", "oʊ", "ɔɪ", "ʊ", "uː", "ə", "ɚ"}
CONSONANTS = {"p", "b", "t", "d", "k", "ɡ", "f", "v", "θ", "ð", "s", "z", "ʃ", "ʒ", "h", "tʃ", "dʒ"}
CONSONANTS |= {"m", "n", "ŋ", "l", "ɹ", "w", "j"}
# The phonemes a teacher can focus an English lesson on, in the notation above.
ENGLISH_PHONEMES = sorted(VOWELS | CONSONANTS)
# What teachers type for a phoneme, mapped to the notation used here.
PHONEME_ALIASES = {"r": "ɹ", "g": "ɡ", "i": "iː", "u": "uː", "ɑ": "ɑː", "ɔ": "ɔː", "ɜː": "ɝ", "ɜ": "ɝ", "e": "ɛ"}
ONSET_CLUSTERS = (
    {("s", c) for c in ("p", "t", "k", "m", "n", "l", "w", "f")}
    | {(c, liquid) for c in ("p", "b", "k", "ɡ", "f", "θ", "ʃ") for liquid in ("l", "ɹ")}
    | {(c, "ɹ") for c in ("t", "d")}
    | {(c, "w") for c in ("t", "d", "k", "ɡ", "s", "θ", "ʃ")}
    | {(c, "j") for c in ("p", "b", "k", "f", "v", "m", "h")}
    | {
        ("s", "p", "ɹ"),
        ("s", "t", "ɹ"),
        ("s", "k", "ɹ"),
    }
)


@dataclass(frozen=True)
class WordPron:
    text: str
    ipa: list[str]
    arpabet: list[str]
    source: str  # "cmudict" or "espeak", as in speech.g2p

    @property
    def display(self) -> str:
        return display_ipa(self.ipa)


@dataclass(frozen=True)
class Pronunciation:
    words: list[WordPron] = field(default_factory=list)
    fallback_words: list[str] = field(default_factory=list)

    @property
    def ipa(self) -> str:
        return " ".join(word.display for word in self.words)


def normalize_phoneme(symbol: str) -> str:
    symbol = symbol.strip().strip("/[]").strip(STRESS_MARKS)
    return PHONEME_ALIASES.get(symbol, symbol)


def strip_stress(phone: str) -> str:
    return phone.lstrip(STRESS_MARKS)


def display_ipa(phones: list[str]) -> str:
    """Phones to a readable IPA word, the stress mark moved to the start of its syllable."""
    plain = [strip_stress(phone) for phone in phones]
    marks = [phone[0] if phone[:1] in STRESS_MARKS else "" for phone in phones]
    out = list(plain)
    for index, mark in enumerate(marks):
        if not mark:
            continue
        start = index
        # Take consonants before the vowel into the syllable while they still form an onset.
        while start > 0 and plain[start - 1] not in VOWELS and _is_onset(plain[start - 1 : index]):
            start -= 1
        out[start] = mark + out[start]
    return "".join(out)


def _is_onset(consonants: list[str]) -> bool:
    return len(consonants) == 1 or tuple(consonants) in ONSET_CLUSTERS


def words_of(text: str) -> list[str]:
    return WORD_PATTERN.findall(text)


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, ...]]:
    """CMUdict from the pocketsphinx wheel: lower-case word -> first ARPAbet pronunciation."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    entries: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if "(" in word or not phones:
                continue  # keep the first pronunciation of a word
            entries.setdefault(word, tuple(phones.split()))
    return entries


def arpabet_to_ipa(arpabet: tuple[str, ...] | list[str]) -> list[str]:
    phones = []
    for symbol in arpabet:
        base, stress = symbol.rstrip("012"), symbol[len(symbol.rstrip("012")) :]
        if stress == "0" and base in UNSTRESSED_VOWELS:
            phones.append(UNSTRESSED_VOWELS[base])
            continue
        phone = ARPABET_TO_IPA[base]
        phones.append({"1": "ˈ", "2": "ˌ"}.get(stress, "") + phone)
    return phones


class _Espeak:
    """One phonemizer backend per language, created once and shared (espeak-ng is not thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: dict[str, object] = {}

    def _backend(self, voice: str):
        if voice not in self._backends:
            import espeakng_loader
            from phonemizer.backend import EspeakBackend
            from phonemizer.backend.espeak.wrapper import EspeakWrapper

            EspeakWrapper.set_library(espeakng_loader.get_library_path())
            os.environ.setdefault("PHONEMIZER_ESPEAK_DATA_PATH", espeakng_loader.get_data_path())
            # Quiet: a phrase read as a different number of words is expected and handled by the caller.
            quiet = logging.getLogger("lessons.pronunciation.espeak")
            quiet.setLevel(logging.ERROR)
            self._backends[voice] = EspeakBackend(voice, with_stress=True, language_switch="remove-flags", logger=quiet)
        return self._backends[voice]

    def phones(self, words: list[str], lang: str) -> list[list[str]]:
        from phonemizer.separator import Separator

        with self._lock:
            backend = self._backend(ESPEAK_VOICES[lang])
            results = backend.phonemize(words, separator=Separator(phone=" ", word="|", syllable=""), strip=True)
        return [result.replace("|", " ").split() for result in results]

    def phones_in_context(self, words: list[str], lang: str) -> list[list[str]]:
        """Phones of each word read as one phrase (weak forms: "a" /ə/, "of" /əv/), or one by one
        when espeak-ng reads the phrase as a different number of words (numbers, abbreviations)."""
        from phonemizer.separator import Separator

        with self._lock:
            backend = self._backend(ESPEAK_VOICES[lang])
            (phrase,) = backend.phonemize(
                [" ".join(words)], separator=Separator(phone=" ", word="|", syllable=""), strip=True
            )
        readings = [reading.split() for reading in phrase.split("|")]
        if len(readings) == len(words) and all(readings):
            return readings
        return self.phones(words, lang)


_espeak = _Espeak()


def is_supported(lang: str) -> bool:
    return lang in ESPEAK_VOICES


def pronounce(text: str, lang: str = "en-us") -> Pronunciation:
    if not is_supported(lang):
        raise ValueError(f"no pronunciation for language {lang!r}")
    tokens = words_of(text)
    if not tokens:
        return Pronunciation()
    entries = lexicon() if lang in LEXICON_LANGUAGES else {}
    # espeak-ng reads the words in context: it guesses the words the lexicon lacks and, for the
    # others, says which vowel is stressed and which is reduced (this CMUdict has no stress).
    guesses = _espeak.phones_in_context(tokens, lang)
    words: list[WordPron] = []
    fallback: list[str] = []
    for token, guess in zip(tokens, guesses, strict=True):
        arpabet = None if token.isdigit() else entries.get(token.lower().replace("’", "'"))
        if arpabet is None:
            words.append(WordPron(token, guess, [], "espeak"))
            if lang in LEXICON_LANGUAGES:
                fallback.append(token)
        else:
            words.append(WordPron(token, with_stress_of(arpabet_to_ipa(arpabet), guess), list(arpabet), "cmudict"))
    return Pronunciation(words=words, fallback_words=fallback)


ESPEAK_VOWEL_LETTERS = set("aeiouæɑɒɔəɚɛɜɝɪʊʌɐᵻ")


def with_stress_of(phones: list[str], espeak_phones: list[str]) -> list[str]:
    """Lexicon phones with stress marks and schwas taken from espeak-ng's reading of the same word.

    Vowels are paired in order; when the two readings disagree on the number of vowels the
    lexicon phones are returned unchanged.
    """
    espeak_vowels = [p for p in espeak_phones if strip_stress(p)[:1] in ESPEAK_VOWEL_LETTERS]
    vowel_positions = [i for i, p in enumerate(phones) if strip_stress(p) in VOWELS]
    if len(espeak_vowels) != len(vowel_positions):
        return phones
    result = list(phones)
    for position, heard in zip(vowel_positions, espeak_vowels, strict=True):
        phone = strip_stress(phones[position])
        mark = heard[0] if heard[0] in STRESS_MARKS else ""
        if not mark:
            if phone == "ɝ" and strip_stress(heard) in {"ɚ", "ə"}:
                phone = "ɚ"
            elif strip_stress(heard) in {"ə", "ɐ"} or (phone == "ʌ" and heard == "ᵻ"):
                phone = "ə"  # a weak form: "to" /tə/, "was" /wəz/
        result[position] = mark + phone
    return result


def ipa(text: str, lang: str = "en-us") -> str:
    return pronounce(text, lang).ipa


def phonemes_of_ipa(ipa_text: str) -> set[str]:
    """The phonemes a written IPA string contains (greedy on two-symbol phonemes such as tʃ, aɪ, iː)."""
    symbols = sorted(VOWELS | CONSONANTS, key=len, reverse=True)
    found: set[str] = set()
    text = "".join(ch for ch in ipa_text if ch not in STRESS_MARKS + " ./")
    position = 0
    while position < len(text):
        for symbol in symbols:
            if text.startswith(symbol, position):
                found.add(symbol)
                position += len(symbol)
                break
        else:
            position += 1
    return found
