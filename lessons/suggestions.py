"""Minimal pairs and example words for a focus phoneme, drawn from CMUdict.

Words are ranked by their unigram probability in the pocketsphinx English
language model (the same wheel as the lexicon), so common words come first and
names or rare words that the model does not know are left out.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .pronunciation import VOWELS, arpabet_to_ipa, lexicon, normalize_phoneme, pronounce, strip_stress

# Sounds learners most often put in place of each phoneme (what a minimal pair contrasts it with).
CONFUSABLE = {
    "θ": ["s", "t", "f", "ð"],
    "ð": ["d", "z", "θ", "v"],
    "ɹ": ["l", "w"],
    "l": ["ɹ", "n"],
    "v": ["w", "b", "f"],
    "w": ["v"],
    "b": ["v", "p"],
    "ɪ": ["iː", "ɛ"],
    "iː": ["ɪ"],
    "æ": ["ɛ", "ʌ", "ɑː"],
    "ɛ": ["æ", "ɪ", "eɪ"],
    "ʌ": ["æ", "ɑː", "ʊ"],
    "ʊ": ["uː", "ʌ"],
    "uː": ["ʊ"],
    "ʃ": ["s", "tʃ"],
    "tʃ": ["ʃ", "dʒ"],
    "dʒ": ["j", "tʃ"],
    "z": ["s"],
    "s": ["z", "θ", "ʃ"],
    "p": ["b", "f"],
    "f": ["p", "h"],
    "h": ["f"],
    "ŋ": ["n"],
    "n": ["ŋ", "l"],
    "eɪ": ["ɛ"],
    "oʊ": ["ɔː"],
    "ɔː": ["oʊ", "ɑː"],
    "ɑː": ["ʌ", "æ"],
    "ə": ["ʌ"],
    "ɝ": ["ɑː"],
}
MAX_WORD_LENGTH = 9
# American r and l after a vowel colour the vowel; contrast them only before a vowel.
ONSET_ONLY = {"ɹ", "l", "w"}


@dataclass(frozen=True)
class Word:
    text: str
    ipa: str


@dataclass(frozen=True)
class MinimalPair:
    target: Word
    contrast: Word
    contrast_phoneme: str


class _Frequencies:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None

    def log_probability(self, word: str) -> int:
        with self._lock:
            if self._model is None:
                import pocketsphinx

                path = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin"
                self._model = pocketsphinx.NGramModel.readfile(str(path))
            return self._model.prob([word])


_frequencies = _Frequencies()
RARE_WORD_LOG_PROBABILITY = -140_000  # below this, a word is too rare (or a name) to suggest


@lru_cache(maxsize=1)
def _common_words() -> list[tuple[str, tuple[str, ...], int]]:
    """(word, phones without stress, log probability) for plain words the language model knows."""
    words = []
    for word, arpabet in lexicon().items():
        if not word.isalpha() or len(word) > MAX_WORD_LENGTH or len(word) < 2:
            continue
        score = _frequencies.log_probability(word)
        if score < RARE_WORD_LOG_PROBABILITY:
            continue
        words.append((word, tuple(strip_stress(p) for p in arpabet_to_ipa(arpabet)), score))
    words.sort(key=lambda entry: -entry[2])
    return words


@lru_cache(maxsize=1)
def _words_by_phones() -> dict[tuple[str, ...], str]:
    index: dict[tuple[str, ...], str] = {}
    for word, phones, _score in _common_words():
        index.setdefault(phones, word)  # the most common spelling of a pronunciation
    return index


def _ipa_of(word: str) -> str:
    return pronounce(word).ipa


@lru_cache(maxsize=64)
def example_words(phoneme: str, limit: int = 12) -> list[Word]:
    phoneme = normalize_phoneme(phoneme)
    if phoneme in REDUCED_VOWELS:
        return _words_with_reduced_vowel(phoneme, limit)
    found = []
    for word, phones, _score in _common_words():
        if phoneme in phones:
            found.append(Word(word, _ipa_of(word)))
            if len(found) >= limit:
                break
    return found


REDUCED_VOWELS = {"ə": "ʌ", "ɚ": "ɝ"}


def _words_with_reduced_vowel(phoneme: str, limit: int) -> list[Word]:
    """The lexicon has no stress, so a schwa shows only in the full reading of a longer word."""
    full_vowel = REDUCED_VOWELS[phoneme]
    candidates = [word for word, phones, _ in _common_words() if full_vowel in phones and len(phones) >= 4]
    found: list[Word] = []
    for start in range(0, min(len(candidates), 2000), 100):
        for word in pronounce(" ".join(candidates[start : start + 100])).words:
            if phoneme in [strip_stress(phone) for phone in word.ipa]:
                found.append(Word(word.text, word.display))
                if len(found) >= limit:
                    return found
    return found


@lru_cache(maxsize=64)
def minimal_pairs(phoneme: str, limit: int = 12) -> list[MinimalPair]:
    """Common word pairs that differ only in `phoneme` against one of the sounds it is confused with."""
    phoneme = normalize_phoneme(phoneme)
    contrasts = CONFUSABLE.get(phoneme, [])
    by_phones = _words_by_phones()
    pairs: list[MinimalPair] = []
    per_contrast: dict[str, int] = defaultdict(int)
    share = max(1, limit // max(1, len(contrasts)))
    seen: set[str] = set()
    for word, phones, _score in _common_words():
        if phoneme not in phones or word in seen:
            continue
        for position, phone in enumerate(phones):
            if phone != phoneme:
                continue
            if phoneme in ONSET_ONLY and (position + 1 >= len(phones) or phones[position + 1] not in VOWELS):
                continue
            for contrast in contrasts:
                if per_contrast[contrast] >= share:
                    continue
                partner = by_phones.get((*phones[:position], contrast, *phones[position + 1 :]))
                if partner and partner != word:
                    pairs.append(MinimalPair(Word(word, _ipa_of(word)), Word(partner, _ipa_of(partner)), contrast))
                    per_contrast[contrast] += 1
                    seen.add(word)
                    break
            if word in seen:
                break
        if len(pairs) >= limit:
            break
    return pairs
