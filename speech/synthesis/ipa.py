"""IPA to espeak-ng phoneme mnemonics for English, so a correction can play exactly the sound meant.

espeak-ng's `[[...]]` input takes its own ASCII phoneme names (Kirshenbaum-like: θ is `T`, ŋ is `N`,
æ is `a`), not IPA. The table covers General American as lesson authors write it and as espeak-ng
itself prints it; tests check it by round trip (render the mnemonics, ask espeak-ng for the IPA of
what it rendered, compare).
"""

from __future__ import annotations

import re
import unicodedata

# Longest matches first is enforced by the converter, so order here is for reading only.
ENGLISH_IPA_TO_ESPEAK: dict[str, str] = {
    # stops, fricatives, affricates
    "p": "p",
    "b": "b",
    "t": "t",
    "d": "d",
    "k": "k",
    "ɡ": "g",
    "g": "g",
    "ʔ": "?",
    "ɾ": "*",
    "f": "f",
    "v": "v",
    "θ": "T",
    "ð": "D",
    "s": "s",
    "z": "z",
    "ʃ": "S",
    "ʒ": "Z",
    "h": "h",
    "x": "x",
    "tʃ": "tS",
    "t͡ʃ": "tS",
    "dʒ": "dZ",
    "d͡ʒ": "dZ",
    # nasals, approximants
    "m": "m",
    "n": "n",
    "ŋ": "N",
    "m̩": "m-",
    "n̩": "n-",
    "l̩": "l-",
    "l": "l",
    "ɫ": "l",
    "ɹ": "r",
    "r": "r",
    "w": "w",
    "ʍ": "w",
    "j": "j",
    # monophthongs
    "iː": "i:",
    "i": "i",
    "ɪ": "I",
    "ɛ": "E",
    "e": "E",
    "æ": "a",
    "ɑː": "A:",
    "ɑ": "A:",
    "ɒ": "0",
    "ɔː": "O:",
    "ɔ": "O:",
    "ʌ": "V",
    "ʊ": "U",
    "uː": "u:",
    "u": "u:",
    "ɜː": "3:",
    "ɜ": "3:",
    "ɝ": "3:",
    "ɜːɹ": "3:",
    "ɜːr": "3:",
    "ɜɹ": "3:",
    "ɜr": "3:",
    "ə": "@",
    "ɐ": "a#",
    "ɚ": "3",
    "əɹ": "3",
    "ər": "3",
    "əl": "@L",
    # diphthongs and r-coloured vowels
    "eɪ": "eI",
    "aɪ": "aI",
    "ɔɪ": "OI",
    "oʊ": "oU",
    "əʊ": "oU",
    "aʊ": "aU",
    "ɑːɹ": "A@",
    "ɑːr": "A@",
    "ɑɹ": "A@",
    "ɑr": "A@",
    "ɔːɹ": "o@",
    "ɔːr": "o@",
    "ɔɹ": "o@",
    "ɔr": "o@",
    "oːɹ": "o@",
    "oɹ": "o@",
    "ɛɹ": "e@",
    "ɛr": "e@",
    "ɛə": "e@",
    "eə": "e@",
    "ɪɹ": "i@3",
    "ɪr": "i@3",
    "ɪə": "i@",
    "iə": "i@",
    "ʊɹ": "U@",
    "ʊr": "U@",
    "ʊə": "U@",
    # prosody
    "ˈ": "'",
    "ˌ": ",",
    "ː": ":",
    " ": " ",
}

_IGNORED = set("/[].‿ ̯")
_VOWELS = set("aeiouæɑɒɔəɚɛɜɝɪʊʌɐ")  # slashes, brackets, syllable dots, linking and non-syllabic marks
_LONGEST_KEY = max(len(key) for key in ENGLISH_IPA_TO_ESPEAK)

# Differences that are notation or automatic allophony in General American, not a different sound:
# espeak itself flaps and glottalises /t/, prints its own stress positions and sometimes writes an
# r-coloured schwa before a syllable-initial ɹ ("around" comes out ɚɹˈaʊnd).
_VOWEL_CLASS = "aeiouæɑɒɔəɚɛɜɝɪʊʌɐ"
_COMPARISON_FOLDS: list[tuple[str, str]] = [
    ("[ˈˌ]", ""),
    ("g", "ɡ"),
    ("r", "ɹ"),
    ("[ɾʔ]", "t"),
    ("ɐ", "ə"),
    ("ɚɹ", "əɹ"),
    ("t͡ʃ", "tʃ"),
    ("d͡ʒ", "dʒ"),
    ("ɫ", "l"),
    ("ɝ", "ɜː"),
    (f"ɜː?ɹ(?![{_VOWEL_CLASS}])", "ɜː"),
    (f"əɹ(?![{_VOWEL_CLASS}])", "ɚ"),
    ("ɑː?", "ɑː"),
    ("ɔː?", "ɔː"),
    ("uː?", "uː"),
    ("e(?!ɪ)", "ɛ"),
    ("ɛə", "ɛɹ"),
    ("[ɪi]ə", "ɪɹ"),
    ("ʊə", "ʊɹ"),
]


class UnknownPhoneError(ValueError):
    """IPA that the English table cannot express as espeak-ng mnemonics."""


def ipa_to_espeak(ipa: str) -> str:
    """Convert English IPA (`θɪŋk`, `/ˈwɔːtɚ/`) to espeak-ng mnemonics (`TIN`k, `w'O:t3`)."""
    text = unicodedata.normalize("NFC", ipa.strip())
    out: list[str] = []
    position = 0
    while position < len(text):
        for length in range(min(_LONGEST_KEY, len(text) - position), 0, -1):
            piece = text[position : position + length]
            following = text[position + length : position + length + 1]
            if length > 1 and piece[-1] in "ɹr" and following in _VOWELS:
                continue  # an r before a vowel starts the next syllable: "very" is vɛ-ɹi, not vɛɹ-i
            if piece in ENGLISH_IPA_TO_ESPEAK:
                out.append(ENGLISH_IPA_TO_ESPEAK[piece])
                position += length
                break
        else:
            if text[position] in _IGNORED:
                position += 1
                continue
            raise UnknownPhoneError(f"no English espeak-ng phoneme for {text[position]!r} in {ipa!r}")
    return re.sub(r"\s+", " ", "".join(out)).strip()


def comparable_ipa(ipa: str) -> str:
    """IPA with notation differences and automatic allophones folded, for round-trip comparison."""
    text = unicodedata.normalize("NFC", ipa)
    text = "".join(char for char in text if char not in _IGNORED or char == " ")
    for pattern, replacement in _COMPARISON_FOLDS:
        text = re.sub(pattern, replacement, text)
    return re.sub(r"\s+", " ", text).strip()
