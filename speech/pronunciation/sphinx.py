"""pocketsphinx plumbing: decoders, the per-sentence learner grammar, forced alignment and the phone loop.

Facts this relies on (see RESOURCES.md): `Decoder(bestpath=False)` or alignment fails on some clips;
a word's phones from `get_alignment()` must be read inside the loop over its words (5.1.1 segfaults
otherwise); frames are 10 ms. Decoders here are created without a language model, which makes
`add_word` cost microseconds instead of 150 ms.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cache

import pocketsphinx

from speech.g2p import accent_arpabet, cmudict_pronunciations, pronounce, weak_forms
from speech.pronunciation.learner_variants import LearnerVariant, learner_variants

FRAME_SECONDS = 0.01
SAMPLES_PER_FRAME = 160
FILLER_WORDS = ("uh", "um")
# short words learners add; a decoded one becomes an "insertion" verdict
INSERTION_WORDS = ("a", "the", "to", "and", "of", "is", "it", "in", "that", "so")

_MODEL_DIR = os.path.join(pocketsphinx.get_model_path(), "en-us")
_uid_counter = itertools.count(1)


@cache
def _small_dictionary() -> str:
    """A dictionary with only the filler words: every other entry is added with `add_word`, and loading
    the full CMUdict costs ~100 ms and ~20 MB per decoder."""
    folder = tempfile.mkdtemp(prefix="parley-sphinx-")
    path = os.path.join(folder, "fillers.dict")
    with open(path, "w", encoding="utf-8") as handle:
        for word in FILLER_WORDS:
            handle.write(f"{word} {' '.join(cmudict_pronunciations(word)[0])}\n")
    return path


def new_decoder(**options: object) -> pocketsphinx.Decoder:
    config = {
        "hmm": os.path.join(_MODEL_DIR, "en-us"),
        "dict": _small_dictionary(),
        "lm": None,
        "bestpath": False,
        "loglevel": "FATAL",
    }
    config.update(options)
    return pocketsphinx.Decoder(**config)


def phone_loop_decoder() -> pocketsphinx.Decoder:
    return new_decoder(allphone=os.path.join(_MODEL_DIR, "en-us-phone.lm.bin"))


def pronunciation_name(phones: tuple[str, ...]) -> str:
    """A dictionary entry name for a pronunciation, the same in every decoder: ("S","IH") -> "pr_s_ih"."""
    return "pr_" + "_".join(phone.lower() for phone in phones)


def ensure_word(decoder: pocketsphinx.Decoder, name: str, phones: tuple[str, ...]) -> None:
    if decoder.lookup_word(name) is None:
        decoder.add_word(name, " ".join(phones), False)


class UnknownWordError(ValueError):
    """A reference word with no pronunciation the scorer can use."""


@dataclass(frozen=True)
class Choice:
    """What one grammar word stands for."""

    slot: int | None  # reference word index; None for a filler or an inserted word
    kind: str  # "canonical" | "variant" | "filler" | "insertion"
    phones: tuple[str, ...]
    variant: LearnerVariant | None = None
    text: str = ""


@dataclass(frozen=True)
class WordSlot:
    index: int
    text: str
    canonical: tuple[tuple[str, ...], ...]  # every dictionary pronunciation counts as correct
    variants: tuple[tuple[int, LearnerVariant], ...]  # (which canonical it edits, the variant)


@dataclass(frozen=True)
class GrammarWeights:
    variant: float = 0.02
    omission: float = 0.003
    filler: float = 0.05
    insertion: float = 0.005


DEFAULT_WEIGHTS = GrammarWeights()


@dataclass
class SentenceGrammar:
    name: str
    slots: list[WordSlot]
    jsgf: str
    choices: dict[str, Choice] = field(default_factory=dict)


_VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})


def non_rhotic(pron: tuple[str, ...]) -> tuple[str, ...]:
    """The r-less reading of most British, Australian, Caribbean... accents, accepted as correct: no R
    after a vowel unless a vowel follows, and a final unstressed ER as a schwa ("weather" -> W EH DH AH)."""
    result: list[str] = []
    for index, phone in enumerate(pron):
        following = pron[index + 1] if index + 1 < len(pron) else None
        if phone == "R" and result and result[-1] in _VOWELS and (following is None or following not in _VOWELS):
            continue
        if phone == "ER" and following is None and index > 0:
            result.append("AH")
            continue
        result.append(phone)
    return tuple(result)


def word_slots(words: list[str], accent: str | None = None) -> list[WordSlot]:
    """Each word's accepted forms (CMUdict, r-less, weak forms CMUdict lacks, and with an `accent` that
    accent's own form) and its learner variants (of the first two US forms, never an accepted form)."""
    slots = []
    for index, word in enumerate(words):
        prons = tuple(tuple(p) for p in cmudict_pronunciations(word))
        if not prons:
            fallback = pronounce(word).words
            if len(fallback) == 1 and fallback[0].arpabet:
                prons = (tuple(fallback[0].arpabet),)
        if not prons:
            raise UnknownWordError(f"no English pronunciation known for {word!r}")
        us_forms = prons + tuple(p for p in dict.fromkeys(non_rhotic(pron) for pron in prons) if p not in prons)
        us_forms += tuple(form for form in weak_forms(word) if form not in us_forms)
        accented = accent_arpabet(word, accent) if accent else None
        prons = us_forms + ((accented,) if accented and accented not in us_forms else ())
        canon = set(prons)
        variants = []
        seen: set[tuple[str, ...]] = set()
        for which, pron in enumerate(us_forms[:2]):
            for variant in learner_variants(pron):
                if variant.phones not in canon and variant.phones not in seen:
                    seen.add(variant.phones)
                    variants.append((which, variant))
        slots.append(WordSlot(index, word, prons, tuple(variants)))
    return slots


def build_grammar(
    decoder: pocketsphinx.Decoder,
    slots: list[WordSlot],
    weights: GrammarWeights = DEFAULT_WEIGHTS,
    prefix: bool = False,
) -> SentenceGrammar:
    """A JSGF grammar: each reference word as any canonical form, a learner variant, or nothing; fillers and
    inserted short words optional between words. Grammar words are unique per sentence so the decoded
    path maps back to reference positions. With `prefix`, the utterance may end after any word (what a
    learner who paused mid-sentence has said so far) and no word is left out: a word not said yet would
    otherwise be as likely omitted as to come, and a later word could take the audio of the ones between."""
    uid = next(_uid_counter)
    grammar = SentenceGrammar(name=f"s{uid}", slots=slots, jsgf="")
    for filler in FILLER_WORDS:
        grammar.choices[filler] = Choice(None, "filler", tuple(cmudict_pronunciations(filler)[0]), text=filler)
    for word in INSERTION_WORDS:
        name = f"ins_{word}"
        phones = tuple(cmudict_pronunciations(word)[0])
        ensure_word(decoder, name, phones)
        grammar.choices[name] = Choice(None, "insertion", phones, text=word)
    parts = []
    for slot in slots:
        alternatives = []
        for k, pron in enumerate(slot.canonical):
            name = f"g{uid}w{slot.index}c{k}"
            decoder.add_word(name, " ".join(pron), False)
            grammar.choices[name] = Choice(slot.index, "canonical", pron, text=slot.text)
            alternatives.append(f"/1/ {name}")
        for k, (_, variant) in enumerate(slot.variants):
            name = f"g{uid}w{slot.index}v{k}"
            decoder.add_word(name, " ".join(variant.phones), False)
            grammar.choices[name] = Choice(slot.index, "variant", variant.phones, variant, text=slot.text)
            alternatives.append(f"/{weights.variant}/ {name}")
        if not prefix:
            alternatives.append(f"/{weights.omission}/ <NULL>")
        parts.append("( " + " | ".join(alternatives) + " )")
    gap = "<gap>"
    if prefix:
        body = parts[-1]
        for part in reversed(parts[:-1]):
            body = f"{part} [ {gap} {body} ]"
        body = f"[ {body} ]"  # nothing new may have been said
    else:
        body = f" {gap} ".join(parts)
    insertion_names = " | ".join(f"ins_{word}" for word in INSERTION_WORDS)
    grammar.jsgf = (
        "#JSGF V1.0;\n"
        f"grammar {grammar.name};\n"
        f"public <utterance> = {gap} {body} {gap};\n"
        f"<gap> = /1/ <NULL> | /{weights.filler}/ <fill> | /{weights.insertion}/ ( {insertion_names} );\n"
        f"<fill> = ( {' | '.join(FILLER_WORDS)} ) [ ( {' | '.join(FILLER_WORDS)} ) ];\n"
    )
    decoder.add_jsgf_string(grammar.name, grammar.jsgf)
    return grammar


@dataclass(frozen=True)
class DecodedWord:
    name: str
    choice: Choice
    start_frame: int
    end_frame: int  # inclusive


_SKIP = re.compile(r"^(<s>|</s>|<sil>|\(NULL\)|\[NOISE\]|\[SPEECH\])$")


def decoded_words(decoder: pocketsphinx.Decoder, grammar: SentenceGrammar) -> list[DecodedWord]:
    """The current best path (partial during an utterance, final after end_utt) as grammar choices."""
    result = []
    for segment in decoder.seg():
        if _SKIP.match(segment.word) or segment.word not in grammar.choices:
            continue
        result.append(DecodedWord(segment.word, grammar.choices[segment.word], segment.start_frame, segment.end_frame))
    return result


@dataclass(frozen=True)
class AlignedPhone:
    phone: str
    start_frame: int
    frames: int
    score: int


@dataclass(frozen=True)
class AlignedWord:
    name: str
    start_frame: int
    frames: int
    score: int
    phones: tuple[AlignedPhone, ...]


def force_align(decoder: pocketsphinx.Decoder, pcm: bytes, names: list[str]) -> list[AlignedWord] | None:
    """Forced alignment of dictionary entries `names` to PCM16 16 kHz audio; None if it fails."""
    if not names:
        return []
    try:
        decoder.set_align_text(" ".join(names))
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        decoder.set_alignment()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        alignment = decoder.get_alignment()
    except RuntimeError:
        return None
    if alignment is None:
        return None
    words = []
    for word in alignment:  # phones must be read inside this loop (segfault otherwise)
        phones = tuple(AlignedPhone(p.name, p.start, p.duration, p.score) for p in word)
        words.append(AlignedWord(word.name, word.start, word.duration, word.score, phones))
    return words


def align_score(decoder: pocketsphinx.Decoder, pcm: bytes, names: list[str]) -> float | None:
    """Total score of the best forced alignment of `names` to the audio (one pass, no phone detail)."""
    try:
        decoder.set_align_text(" ".join(names))
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
    except RuntimeError:
        return None
    if hypothesis is None or hypothesis.score <= 0:
        return None
    return math.log(hypothesis.score) / math.log(float(decoder.config["logbase"]))


@dataclass(frozen=True)
class LoopPhone:
    phone: str
    start_frame: int
    end_frame: int  # inclusive
    score: float  # acoustic score, same scale as alignment scores


def phone_loop(decoder: pocketsphinx.Decoder, pcm: bytes) -> list[LoopPhone]:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    # Segment.ascore is a density (logbase ** score); alignment scores are the score itself
    log_base = math.log(float(decoder.config["logbase"]))
    return [
        LoopPhone(s.word, s.start_frame, s.end_frame, math.log(max(s.ascore, 1e-300)) / log_base) for s in decoder.seg()
    ]


def loop_score_per_frame(loop: list[LoopPhone], n_frames: int) -> list[float]:
    """Spread each phone-loop segment's acoustic score evenly over its frames."""
    per_frame = [0.0] * n_frames
    for phone in loop:
        length = phone.end_frame - phone.start_frame + 1
        if length <= 0:
            continue
        share = phone.score / length
        for frame in range(max(phone.start_frame, 0), min(phone.end_frame + 1, n_frames)):
            per_frame[frame] = share
    return per_frame


def loop_phone_per_frame(loop: list[LoopPhone], n_frames: int) -> list[str]:
    """The phone the free phone loop heard in each frame ("" where it heard none)."""
    per_frame = [""] * n_frames
    for phone in loop:
        for frame in range(max(phone.start_frame, 0), min(phone.end_frame + 1, n_frames)):
            per_frame[frame] = phone.phone
    return per_frame
