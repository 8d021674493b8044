"""Grapheme to phoneme: IPA for text in any espeak-ng language, plus CMU ARPAbet for English.

English words are looked up in the CMU pronouncing dictionary that ships inside pocketsphinx, so that
the phones agree with what the pocketsphinx acoustic model scores; words missing from it fall back to
espeak-ng and are reported in `Pronunciation.fallback_words`. Other languages use espeak-ng only.

Text is normalised first: casing, punctuation and typographic apostrophes; for English, numbers are
spelled out ("21" -> "twenty one", "3rd" -> "third", "2.5" -> "two point five").
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import espeakng_loader
import pocketsphinx
from phonemizer.backend import EspeakBackend
from phonemizer.backend.espeak.wrapper import EspeakWrapper
from phonemizer.separator import Separator

from speech.accents import check_accent

DEFAULT_LANG = "en-us"
# CMUdict is American: other Englishes (en-gb, en-gb-scotland, ...) get espeak-ng's accent-specific phones,
# so that a learner copying a British model is not judged against US vowels.
CMUDICT_LANGS = frozenset({"en-us", "en"})

Source = Literal["cmudict", "espeak"]


@dataclass(frozen=True)
class WordPron:
    text: str  # normalised spoken form, lower case ("twenty")
    ipa: list[str]  # one IPA phone per item, no stress marks: ["θ", "ɪ", "ŋ", "k"]
    arpabet: list[str] | None  # CMU ARPAbet for English, None where no mapping exists
    source: Source
    written: str  # the token of the input text this word comes from ("21")


@dataclass(frozen=True)
class Pronunciation:
    lang: str
    words: list[WordPron]
    fallback_words: list[str] = field(default_factory=list)  # English words that were not in CMUdict

    @property
    def ipa(self) -> str:
        return " ".join("".join(word.ipa) for word in self.words)


# ---------------------------------------------------------------------------------------------- ARPAbet <-> IPA

ARPABET_TO_IPA: dict[str, str] = {
    "AA": "ɑ",
    "AE": "æ",
    "AH": "ʌ",
    "AO": "ɔ",
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
    "IY": "i",
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
    "UW": "u",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}
ARPABET_VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})
# Unstressed AH and ER are reduced vowels with their own IPA symbols.
_UNSTRESSED_IPA = {"AH": "ə", "ER": "ɚ"}
_STRESS_MARKS = {"1": "ˈ", "2": "ˌ"}

IPA_TO_ARPABET: dict[str, str] = {ipa: arpa for arpa, ipa in ARPABET_TO_IPA.items()}
# Symbols espeak-ng (en-us) writes that have a close ARPAbet equivalent.
_IPA_ALIASES: dict[str, list[str]] = {
    "ə": ["AH0"],
    "ɚ": ["ER0"],
    "ɐ": ["AH0"],
    "ᵻ": ["IH0"],
    "ɜː": ["ER"],
    "ɜ": ["ER"],
    "ɑː": ["AA"],
    "ɔː": ["AO"],
    "iː": ["IY"],
    "uː": ["UW"],
    "oː": ["OW"],
    "ɑːɹ": ["AA", "R"],
    "ɔːɹ": ["AO", "R"],
    "ɛɹ": ["EH", "R"],
    "ɪɹ": ["IH", "R"],
    "ʊɹ": ["UH", "R"],
    "iə": ["IY", "AH0"],
    "əl": ["AH0", "L"],
    "n̩": ["AH0", "N"],
    "l̩": ["AH0", "L"],
    "m̩": ["AH0", "M"],
    "ɾ": ["T"],
    "ɹ̩": ["ER0"],
    "r": ["R"],
    "g": ["G"],
    "e": ["EY"],
    "o": ["OW"],
    "a": ["AA"],
    "ʔ": [],
}


def arpabet_to_ipa(phones: Iterable[str], stress_marks: bool = False) -> list[str]:
    """ARPAbet phones (stress digits optional) to IPA symbols; unstressed AH0/ER0 become ə/ɚ.

    With stress_marks, primary and secondary stressed vowels are prefixed with ˈ and ˌ, which makes
    the conversion reversible through `ipa_to_arpabet`.
    """
    result = []
    for phone in phones:
        base, stress = _split_stress(phone)
        if base not in ARPABET_TO_IPA:
            raise ValueError(f"unknown ARPAbet phone {phone!r}")
        symbol = _UNSTRESSED_IPA.get(base, ARPABET_TO_IPA[base]) if stress == "0" else ARPABET_TO_IPA[base]
        if stress_marks and stress in _STRESS_MARKS:
            symbol = _STRESS_MARKS[stress] + symbol
        result.append(symbol)
    return result


def ipa_to_arpabet(phones: Iterable[str], stress_digits: bool | None = None) -> list[str]:
    """IPA symbols (one phone each, optionally with a ˈ/ˌ prefix) to ARPAbet.

    Stress digits are written when the input carries stress marks (or when stress_digits is True):
    ˈ -> 1, ˌ -> 2, unmarked vowel -> 0. Raises ValueError for a symbol with no ARPAbet equivalent.
    """
    phones = list(phones)
    if stress_digits is None:
        stress_digits = any(phone[:1] in "ˈˌ" for phone in phones)
    result = []
    for phone in phones:
        stress = "0"
        if phone[:1] in "ˈˌ":
            stress, phone = ("1" if phone[0] == "ˈ" else "2"), phone[1:]
        if phone in IPA_TO_ARPABET:
            mapped = [IPA_TO_ARPABET[phone]]
        elif phone in _IPA_ALIASES:
            mapped = list(_IPA_ALIASES[phone])
        else:
            raise ValueError(f"IPA symbol {phone!r} has no ARPAbet equivalent")
        for item in mapped:
            base, own_stress = _split_stress(item)
            if base in ARPABET_VOWELS:
                if stress_digits:
                    result.append(base + (own_stress if own_stress and stress == "0" else stress))
                else:
                    result.append(base)
            else:
                result.append(base)
    return result


def _split_stress(phone: str) -> tuple[str, str]:
    phone = phone.upper()
    if phone[-1:].isdigit():
        return phone[:-1], phone[-1]
    return phone, ""


# ------------------------------------------------------------------------------------------------------ CMUdict


def cmudict_path() -> Path:
    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


@cache
def _cmudict() -> dict[str, list[list[str]]]:
    entries: dict[str, list[list[str]]] = {}
    with open(cmudict_path(), encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 2:
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0])
            entries.setdefault(word, []).append(parts[1:])
    return entries


def cmudict_pronunciations(word: str) -> list[list[str]]:
    """Every CMUdict pronunciation of a word (ARPAbet, as pocketsphinx uses it), most common first."""
    return [list(phones) for phones in _cmudict().get(word.lower(), [])]


# Ordinary weak forms that CMUdict lacks and that a learner-variant rule would otherwise produce: "the"
# before a vowel is /ðɪ/ ("the apple"), which espeak-ng and piper say and which the IY>IH rule makes of
# CMUdict's /ði/. Accepted as correct readings; never a learner error.
WEAK_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {"the": (("DH", "IH"),)}


def weak_forms(word: str) -> tuple[tuple[str, ...], ...]:
    """Correct unstressed forms of a word that CMUdict does not list (ARPAbet, no stress digits)."""
    return WEAK_FORMS.get(word.lower(), ())


@cache
def _phone_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for word, variants in _cmudict().items():
        for phone in {phone for phones in variants for phone in phones}:
            index.setdefault(phone, set()).add(word)
    return {phone: tuple(sorted(words)) for phone, words in index.items()}


def lexicon_words_with_phone(phone: str) -> list[str]:
    """English words (CMUdict) with the phone in some pronunciation; phone in ARPAbet ("TH") or IPA ("θ")."""
    if phone.upper().rstrip("012") in ARPABET_TO_IPA:
        arpabet = phone.upper().rstrip("012")
    else:
        converted = ipa_to_arpabet([phone], stress_digits=False)
        if len(converted) != 1:
            raise ValueError(f"{phone!r} is not a single ARPAbet phone")
        arpabet = converted[0]
    return list(_phone_index().get(arpabet, ()))


# ------------------------------------------------------------------------------------------------------ espeak

_espeak_lock = threading.Lock()
_PHONE_SEPARATOR = Separator(phone=" ", word="|", syllable="")


@cache
def _configure_espeak() -> None:
    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())


@cache
def espeak_backend(lang: str) -> EspeakBackend:
    """One phonemizer backend per language, created on first use (starting one costs ~15 ms)."""
    _configure_espeak()
    return EspeakBackend(lang, preserve_punctuation=False, with_stress=False, language_switch="remove-flags")


def espeak_phones(words: list[str], lang: str = DEFAULT_LANG) -> list[list[str]]:
    """IPA phones for each item of `words`, phonemised independently in one batch."""
    if not words:
        return []
    with _espeak_lock:  # the espeak-ng library keeps global state
        lines = espeak_backend(lang).phonemize(words, separator=_PHONE_SEPARATOR, strip=True)
    return [line.replace("|", " ").split() for line in lines]


def supported_languages() -> dict[str, str]:
    _configure_espeak()
    return EspeakBackend.supported_languages()


# --------------------------------------------------------------------------------------------- normalisation

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def spell_number(number: int) -> str:
    """English cardinal: 21 -> "twenty-one", 1905 -> "one thousand nine hundred five"."""
    if number < 0:
        return "minus " + spell_number(-number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {spell_number(rest)}" if rest else "")
    for scale, name in _SCALES:
        if number >= scale:
            if number // scale >= 1000 and scale == _SCALES[0][0]:
                raise ValueError(f"{number} is too large to spell")
            high, rest = divmod(number, scale)
            return f"{spell_number(high)} {name}" + (f" {spell_number(rest)}" if rest else "")
    raise AssertionError("unreachable")


def spell_ordinal(number: int) -> str:
    """English ordinal: 21 -> "twenty-first", 12 -> "twelfth", 40 -> "fortieth"."""
    cardinal = spell_number(number)
    head, _, last = cardinal.rpartition(" ") if "-" not in cardinal.rsplit(" ", 1)[-1] else ("", "", cardinal)
    prefix, hyphen, last_word = last.rpartition("-")
    if last_word in _ORDINAL_IRREGULAR:
        last_word = _ORDINAL_IRREGULAR[last_word]
    elif last_word.endswith("y"):
        last_word = last_word[:-1] + "ieth"
    else:
        last_word += "th"
    spoken_last = prefix + hyphen + last_word
    return f"{head} {spoken_last}" if head else spoken_last


_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_NUMBER = re.compile(
    r"^(?P<sign>[-−]?)(?P<currency>[$£€]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?P<suffix>st|nd|rd|th|%)?$"
)
_TOKEN = re.compile(r"[-−]?[$£€]?\d[\d,.]*(?:st|nd|rd|th|%)?|[\w'’]+(?:-[\w'’]+)*", re.UNICODE)


def _spell_english_number(token: str) -> str | None:
    match = _NUMBER.match(token)
    if not match:
        return None
    value = int(match["int"].replace(",", ""))
    suffix = match["suffix"] or ""
    if match["currency"]:
        spoken = _spell_money(value, match["frac"], _CURRENCIES[match["currency"]])
    elif suffix in {"st", "nd", "rd", "th"} and not match["frac"]:
        spoken = spell_ordinal(value)
    else:
        spoken = spell_number(value)
        if match["frac"]:
            spoken += " point " + " ".join(_ONES[int(digit)] for digit in match["frac"])
        if suffix == "%":
            spoken += " percent"
    if match["sign"]:
        spoken = "minus " + spoken
    return spoken


def _spell_money(units: int, fraction: str | None, names: tuple[str, str, str, str]) -> str:
    one_unit, units_name, one_cent, cents_name = names
    spoken = f"{spell_number(units)} {one_unit if units == 1 else units_name}"
    cents = int((fraction or "0")[:2].ljust(2, "0"))
    if cents:
        spoken += f" {spell_number(cents)} {one_cent if cents == 1 else cents_name}"
    return spoken


def normalise(text: str, lang: str = DEFAULT_LANG) -> list[tuple[str, str]]:
    """Split text into spoken words, lower case and without punctuation: [(spoken, written token)].

    For English, numbers are spelled out and hyphenated compounds that CMUdict lacks are split.
    """
    text = text.replace("’", "'").replace("‘", "'")
    words: list[tuple[str, str]] = []
    for token in _TOKEN.findall(text):
        token = token.strip("'").rstrip(".,")
        if token:
            words.extend((spoken, token) for spoken in _spoken_parts(token, lang))
    return words


def _spoken_parts(token: str, lang: str) -> list[str]:
    if not _is_english(lang):
        return [token.lower()]
    spelled = _spell_english_number(token)
    if spelled is not None:
        return spelled.replace("-", " ").split()
    if token.lower() in _cmudict() or "-" not in token:
        return [token.lower()]
    return [spoken for part in token.split("-") if part.strip("'") for spoken in _spoken_parts(part.strip("'"), lang)]


def _is_english(lang: str) -> bool:
    return lang.lower() == "en" or lang.lower().startswith("en-")


def _uses_cmudict(lang: str) -> bool:
    return lang.lower() in CMUDICT_LANGS


# ----------------------------------------------------------------------------------------------------- public


def pronounce(text: str, lang: str = DEFAULT_LANG) -> Pronunciation:
    """Word-by-word pronunciation of text: CMUdict first for US English, espeak-ng for the rest.

    ARPAbet is given for every English variant where espeak's phones map onto it.
    """
    spoken_words = normalise(text, lang)
    english, cmudict = _is_english(lang), _uses_cmudict(lang)
    missing = [spoken for spoken, _ in spoken_words if not (cmudict and spoken in _cmudict())]
    espeak_result = dict(zip(sorted(set(missing)), espeak_phones(sorted(set(missing)), lang), strict=True))
    words: list[WordPron] = []
    fallback_words: list[str] = []
    for spoken, written in spoken_words:
        if cmudict and spoken in _cmudict():
            arpabet = _cmudict()[spoken][0]
            words.append(WordPron(spoken, arpabet_to_ipa(arpabet), list(arpabet), "cmudict", written))
            continue
        phones = espeak_result[spoken]
        arpabet = None
        if cmudict:
            fallback_words.append(spoken)
        if english:
            try:
                arpabet = ipa_to_arpabet(phones, stress_digits=False)
            except ValueError:
                arpabet = None
        words.append(WordPron(spoken, phones, arpabet, "espeak", written))
    return Pronunciation(lang=lang, words=words, fallback_words=fallback_words)


def _nearest_arpabet(phone: str) -> list[str]:
    """ARPAbet for one IPA phone of an accent, dropping what ARPAbet cannot write (dental t̪ -> T,
    length, a trailing glide: ɑə -> AA); raises ValueError if even the bare letter has no equivalent."""
    plain = "".join(c for c in unicodedata.normalize("NFD", phone) if not unicodedata.combining(c))
    for candidate in dict.fromkeys((phone, plain, plain.replace("ː", ""), plain[:1])):
        if candidate:
            try:
                return ipa_to_arpabet([candidate], stress_digits=False)
            except ValueError:
                continue
    raise ValueError(f"IPA symbol {phone!r} has no ARPAbet equivalent")


@cache
def accent_arpabet(word: str, accent: str) -> tuple[str, ...] | None:
    """The word as espeak-ng says it in `accent`, in ARPAbet (None if it does not map)."""
    check_accent(accent)
    spoken = normalise(word, "en")
    if len(spoken) != 1:
        return None
    (phones,) = espeak_phones([spoken[0][0]], accent)
    try:
        return tuple(arpa for phone in phones for arpa in _nearest_arpabet(phone)) or None
    except ValueError:
        return None


def ipa(text: str, lang: str = DEFAULT_LANG) -> str:
    """IPA of text, words separated by spaces: ipa("I think") == "aɪ θɪŋk"."""
    return pronounce(text, lang).ipa
