"""Whole-utterance pronunciation scoring.

Two kinds of evidence, as RESOURCES.md found:
1. *Which sound*: each sentence is decoded with a grammar in which every reference word may also be one
   of its typical learner variants ("think" as "sink"), omitted, or surrounded by fillers and inserted
   short words; the variants are weighted below the canonical forms.
2. *How sure*: when the grammar picks a variant, the word's audio is force-aligned to the variant and to
   each canonical form; the score difference per frame is the `evidence`. Every decoded word's variants
   are also scored that way (`variant_margin`), and every phone gets a GOP score (forced alignment minus
   the free phone loop, per frame), which gives phone accuracies.
3. *A second ear*: the neural phone model (phone_model.py) scores the reference with each word changed
   into each of its variants or left out, as whole CTC sequences (`add_phone_model_evidence`).
4. *A third ear*, whole utterance only: the same CTC evidence from a phone head on Whisper base's
   frozen encoder (whisper_phones.py), which hears natural-sounding voices better
   (`add_whisper_phone_evidence`).

Features are computed first (`extract_features`), decisions second (`decide_slot`: the dev-trained word
model of word_model.py), so that training can reuse features without decoding again.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import numpy as np
import pocketsphinx

from speech.accents import check_accent
from speech.audio import LEARNER_RATE, Audio
from speech.common_words import nearest_word
from speech.g2p import arpabet_to_ipa, normalise
from speech.pronunciation.calibration import Calibration, default_calibration
from speech.pronunciation.learner_variants import LearnerVariant, PhoneEdit
from speech.pronunciation.phone_model import (
    GapEvidence,
    PhoneRecognizer,
    WordEvidence,
    default_phone_recognizer,
    gap_evidence,
    word_evidence,
)
from speech.pronunciation.sphinx import (
    FRAME_SECONDS,
    SAMPLES_PER_FRAME,
    DecodedWord,
    GrammarWeights,
    WordSlot,
    align_score,
    build_grammar,
    decoded_words,
    ensure_word,
    force_align,
    loop_phone_per_frame,
    loop_score_per_frame,
    new_decoder,
    phone_loop,
    phone_loop_decoder,
    pronunciation_name,
    word_slots,
)
from speech.pronunciation.types import (
    Assessment,
    Fluency,
    PhoneAssessment,
    WordAssessment,
    WordError,
    check_language,
)
from speech.pronunciation.whisper_phones import WhisperPhoneRecognizer, default_whisper_phone_recognizer
from speech.pronunciation.word_model import (
    OMISSION_HEADS,
    UtteranceContext,
    WordHead,
    WordModel,
    default_word_model,
    insertion_features,
)

EVIDENCE_PAD_FRAMES = 5
GAP_CANDIDATE_MARGIN = 1.0  # nats: see add_gap_candidates
LONG_PAUSE_SECONDS = 0.3


def ipa(phones: tuple[str, ...] | list[str]) -> str:
    return "".join(arpabet_to_ipa(phones)) if phones else ""


def reference_words(text: str) -> list[str]:
    return [spoken for spoken, _ in normalise(text)]


# --------------------------------------------------------------------------------------------------- features


@dataclass
class PhoneFeature:
    phone: str  # ARPAbet as aligned (the decoded pronunciation)
    start_frame: int
    frames: int
    gop: float  # (aligned score - phone loop score) per frame; higher is better
    loop_agreement: float = 1.0  # share of its frames where the free phone loop heard the same phone


@dataclass
class SlotFeature:
    slot: WordSlot
    decoded: DecodedWord | None  # None: the grammar skipped the word
    evidence: float | None = None  # variant minus best canonical, per frame (variants only)
    phones: list[PhoneFeature] = field(default_factory=list)
    gap_speech: float = 0.0  # skipped words only: seconds of speech between the neighbouring reference words
    omission_evidence: float | None = None  # skipped words only: see VariantEvidence.omission
    gap: tuple[int, int] = (0, 0)  # skipped words only: frames between the neighbouring reference words
    # whole utterance, decoded words only: best learner variant minus best canonical form, per frame, in
    # context, whichever form the grammar chose (see VariantEvidence.best_variant_margin)
    variant_margin: float | None = None
    phone_model: WordEvidence | None = None  # the neural phone recogniser's view (streaming: in a window)
    whisper_phones: WordEvidence | None = None  # the Whisper phone head's view (whole utterance only)

    @property
    def word_gop(self) -> float | None:
        frames = sum(p.frames for p in self.phones)
        return sum(p.gop * p.frames for p in self.phones) / frames if frames else None


@dataclass
class ExtraWord:
    text: str
    kind: str  # "filler" | "insertion"
    start_frame: int
    end_frame: int
    evidence: float | None = None  # insertions: see VariantEvidence.insertion
    phone_model: GapEvidence | None = None  # whole utterance, insertions: the phone recognisers' view
    whisper_phones: GapEvidence | None = None
    # found by the phone model's gap evidence where the grammar decoded nothing: the gap it is in (see
    # add_gap_candidates); None for the grammar's own inserted words and fillers
    gap: int | None = None


@dataclass
class UtteranceFeatures:
    slots: list[SlotFeature]
    extras: list[ExtraWord]
    n_frames: int


class VariantEvidence:
    """Scores a decoded learner variant against the canonical forms in context.

    The window runs from the start of the previous decoded word to the end of the next one; it is
    force-aligned twice (or more), once with the variant and once with each canonical form in the middle,
    the neighbours unchanged. The difference of the total scores, per frame of the word, is the evidence.
    """

    def __init__(self, aligner: pocketsphinx.Decoder) -> None:
        self.aligner = aligner

    def __call__(self, pcm: bytes, path: list[DecodedWord], position: int, slot: WordSlot) -> float | None:
        decoded = path[position]
        before = path[position - 1] if position > 0 else None
        after = path[position + 1] if position + 1 < len(path) else None
        piece = self._window(pcm, before, after, decoded.start_frame, decoded.end_frame)
        variant_score = self._score(piece, before, decoded.choice.phones, after)
        canonical_scores = [s for pron in slot.canonical if (s := self._score(piece, before, pron, after)) is not None]
        if variant_score is None or not canonical_scores:
            return None
        # per frame of the word (normalising by the changed sound's own frames was tried: dev F1 0.40 vs 0.43)
        frames = max(decoded.end_frame - decoded.start_frame + 1, 1)
        return (variant_score - max(canonical_scores)) / frames

    def best_variant_margin(self, pcm: bytes, path: list[DecodedWord], position: int, slot: WordSlot) -> float | None:
        """(best score with any learner variant of the word - best with a canonical form) per frame, in the
        same window as the evidence: how much a variant explains the audio, even where the grammar's prior
        kept the canonical form."""
        decoded = path[position]
        if not slot.variants:
            return None
        before = path[position - 1] if position > 0 else None
        after = path[position + 1] if position + 1 < len(path) else None
        piece = self._window(pcm, before, after, decoded.start_frame, decoded.end_frame)
        canonical = [s for pron in slot.canonical if (s := self._score(piece, before, pron, after)) is not None]
        variants = [s for _, v in slot.variants if (s := self._score(piece, before, v.phones, after)) is not None]
        if not canonical or not variants:
            return None
        return (max(variants) - max(canonical)) / max(decoded.end_frame - decoded.start_frame + 1, 1)

    def omission(self, pcm: bytes, path: list[DecodedWord], slot: WordSlot) -> float | None:
        """For a word the grammar skipped: (score without it - best score with it) per frame of the window.
        Near zero or negative: the word is there after all (short, reduced); high: it really is missing."""
        later = [i for i, d in enumerate(path) if d.choice.slot is not None and d.choice.slot > slot.index]
        position = later[0] if later else len(path)
        before = path[position - 1] if position > 0 else None
        after = path[position] if position < len(path) else None
        total = len(pcm) // (2 * SAMPLES_PER_FRAME)
        gap_start = before.end_frame + 1 if before is not None else 0
        gap_end = after.start_frame - 1 if after is not None else total - 1
        piece = self._window(pcm, before, after, gap_start, max(gap_end, gap_start))
        without = self._score(piece, before, None, after)
        with_word = [s for pron in slot.canonical if (s := self._score(piece, before, pron, after)) is not None]
        if without is None or not with_word:
            return None
        frames = max(len(piece) // (2 * SAMPLES_PER_FRAME), 1)
        return (without - max(with_word)) / frames

    def insertion(self, pcm: bytes, path: list[DecodedWord], position: int) -> float | None:
        """For a decoded inserted word: (best score with it - score without it) per frame of the window."""
        decoded = path[position]
        before = path[position - 1] if position > 0 else None
        after = path[position + 1] if position + 1 < len(path) else None
        piece = self._window(pcm, before, after, decoded.start_frame, decoded.end_frame)
        with_word = self._score(piece, before, decoded.choice.phones, after)
        without = self._score(piece, before, None, after)
        if with_word is None or without is None:
            return None
        return (with_word - without) / max(len(piece) // (2 * SAMPLES_PER_FRAME), 1)

    @staticmethod
    def _window(pcm: bytes, before: DecodedWord | None, after: DecodedWord | None, start: int, end: int) -> bytes:
        total_frames = len(pcm) // (2 * SAMPLES_PER_FRAME)
        first = before.start_frame if before is not None else max(start - EVIDENCE_PAD_FRAMES, 0)
        last = after.end_frame + 1 if after is not None else end + 1 + EVIDENCE_PAD_FRAMES
        last = min(last + 2, total_frames)
        return pcm[first * SAMPLES_PER_FRAME * 2 : last * SAMPLES_PER_FRAME * 2]

    def _score(
        self, piece: bytes, before: DecodedWord | None, middle: tuple[str, ...] | None, after: DecodedWord | None
    ) -> float | None:
        sequence = [d.choice.phones for d in (before,) if d is not None]
        sequence += [middle] if middle is not None else []
        sequence += [d.choice.phones for d in (after,) if d is not None]
        if not sequence:
            return None
        names = []
        for phones in sequence:
            name = pronunciation_name(phones)
            ensure_word(self.aligner, name, phones)
            names.append(name)
        return align_score(self.aligner, piece, names)


class CtcRecognizer(Protocol):
    def log_posteriors(self, samples: np.ndarray) -> np.ndarray: ...


def speech_frames(audio: Audio) -> np.ndarray:
    """Per 10 ms frame: True where the level is within 25 dB of the utterance's loud frames."""
    frames = len(audio.samples) // SAMPLES_PER_FRAME
    blocks = audio.samples[: frames * SAMPLES_PER_FRAME].reshape(frames, SAMPLES_PER_FRAME)
    level = 10 * np.log10(np.mean(blocks.astype(np.float64) ** 2, axis=1) + 1e-10)
    loud = np.percentile(level, 90) if frames else 0.0
    return level > loud - 25.0


def add_gap_speech(audio: Audio, path: list[DecodedWord], features: list[SlotFeature]) -> None:
    """For each skipped word, how much speech lies between its decoded neighbours (a replaced word, not
    an omitted one, leaves speech there); filler words in the gap do not count."""
    if not any(f.decoded is None for f in features):
        return
    is_speech = speech_frames(audio)
    references = [d for d in path if d.choice.slot is not None]
    for feature in features:
        if feature.decoded is not None:
            continue
        before = [d for d in references if d.choice.slot < feature.slot.index]
        after = [d for d in references if d.choice.slot > feature.slot.index]
        start = before[-1].end_frame + 1 if before else 0
        end = after[0].start_frame if after else len(is_speech)
        feature.gap = (start, max(end, start))
        mask = is_speech[start:end].copy()
        for d in path:
            if d.choice.kind == "filler":
                mask[max(d.start_frame - start, 0) : max(d.end_frame + 1 - start, 0)] = False
        feature.gap_speech = float(np.sum(mask)) * FRAME_SECONDS


class PronunciationScorer:
    """Holds the decoders (one grammar decoder, one aligner, one phone loop); not thread-safe by itself."""

    def __init__(
        self,
        calibration: Calibration | None = None,
        phones: PhoneRecognizer | None = None,
        whisper_phones: WhisperPhoneRecognizer | None = None,
    ) -> None:
        self.calibration = calibration or default_calibration()
        self.phones = phones or default_phone_recognizer()
        self._whisper_phones = whisper_phones
        self.decoder = new_decoder()
        self.aligner = new_decoder()
        self.loop = phone_loop_decoder()
        self.evidence = VariantEvidence(self.aligner)
        self.lock = threading.Lock()  # its decoders serve one utterance at a time (assess holds it)

    @property
    def whisper_phones(self) -> WhisperPhoneRecognizer:
        return self._whisper_phones or default_whisper_phone_recognizer()

    def extract_features(
        self, audio: Audio, words: list[str], weights: GrammarWeights | None = None, accent: str | None = None
    ) -> UtteranceFeatures:
        audio = audio if audio.rate == LEARNER_RATE else audio.to(LEARNER_RATE)
        pcm = audio.pcm16()
        slots = word_slots(words, accent)
        grammar = build_grammar(self.decoder, slots, weights or self.calibration.grammar)
        self.decoder.activate_search(grammar.name)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        path = decoded_words(self.decoder, grammar) if self.decoder.hyp() is not None else []
        self.decoder.remove_search(grammar.name)

        by_slot: dict[int, DecodedWord] = {d.choice.slot: d for d in path if d.choice.slot is not None}
        features = [SlotFeature(slot, by_slot.get(slot.index)) for slot in slots]
        extras = [
            ExtraWord(
                d.choice.text,
                d.choice.kind,
                d.start_frame,
                d.end_frame,
                self.evidence.insertion(pcm, path, position) if d.choice.kind == "insertion" else None,
            )
            for position, d in enumerate(path)
            if d.choice.slot is None
        ]
        for position, decoded in enumerate(path):
            if decoded.choice.kind == "variant" and decoded.choice.slot is not None:
                feature = features[decoded.choice.slot]
                feature.evidence = self.evidence(pcm, path, position, feature.slot)

        for position, decoded in enumerate(path):
            if decoded.choice.slot is not None:
                feature = features[decoded.choice.slot]
                feature.variant_margin = self.evidence.best_variant_margin(pcm, path, position, feature.slot)
        for feature in features:
            if feature.decoded is None:
                feature.omission_evidence = self.evidence.omission(pcm, path, feature.slot)
        n_frames = len(pcm) // (2 * SAMPLES_PER_FRAME)
        add_gap_speech(audio, path, features)
        self._add_phone_gops(pcm, path, features, n_frames)
        add_phone_model_evidence(self.phones, audio, features, extras)
        add_whisper_phone_evidence(self.whisper_phones, audio, features, extras)
        return UtteranceFeatures(features, extras, n_frames)

    def _add_phone_gops(self, pcm: bytes, path: list[DecodedWord], features: list[SlotFeature], n_frames: int) -> None:
        names = [d.name for d in path]
        aligned = force_align(self.decoder, pcm, names) if names else None
        if not aligned:
            return
        loop_phones = phone_loop(self.loop, pcm)
        loop = loop_score_per_frame(loop_phones, n_frames + 1)
        heard = loop_phone_per_frame(loop_phones, n_frames + 1)
        by_name = {f.decoded.name: f for f in features if f.decoded is not None}
        for word in aligned:
            feature = by_name.get(word.name)
            if feature is None:
                continue
            for phone in word.phones:
                frames = max(phone.frames, 1)
                window = loop[phone.start_frame : phone.start_frame + frames]
                gop = (phone.score - sum(window)) / frames
                same = sum(1 for p in heard[phone.start_frame : phone.start_frame + frames] if p == phone.phone)
                feature.phones.append(PhoneFeature(phone.phone, phone.start_frame, phone.frames, gop, same / frames))


def slot_evidence(
    log_probs: np.ndarray,
    slots: list[WordSlot],
    judged: list[int] | None = None,
    open_end: bool = False,
    followed_by: WordSlot | None = None,
) -> list[WordEvidence]:
    """CTC evidence (phone_model.word_evidence) for reference words: their accepted forms and variants.
    With `followed_by` (the reference word after `slots`), its first sound must come before the open end:
    otherwise the open end would take a vowel added to the last word (epenthesis) for free."""
    canonical = [list(slot.canonical) for slot in slots]
    variants = [[variant.phones for _, variant in slot.variants] for slot in slots]
    if followed_by is not None:
        canonical.append(sorted({form[:1] for form in followed_by.canonical if form}))
        variants.append([])
        judged = list(range(len(slots))) if judged is None else judged
    return word_evidence(log_probs, canonical, variants, judged, open_end)[: len(slots)]


def phone_evidence(
    recognizer: CtcRecognizer, audio: Audio, features: list[SlotFeature]
) -> tuple[list[WordEvidence], list[GapEvidence]]:
    """CTC evidence on every reference word, and on every gap between them (g: before reference word g;
    len(features): after the last)."""
    log_probs = recognizer.log_posteriors(audio.to(LEARNER_RATE).samples)
    slots = [f.slot for f in features]
    canonical = [list(slot.canonical) for slot in slots]
    return slot_evidence(log_probs, slots), gap_evidence(log_probs, canonical, list(range(len(slots) + 1)))


def inserted_words(extras: list[ExtraWord]) -> list[ExtraWord]:
    """The extra words that may be inserted words (the grammar's and the gap candidates, not filled pauses)."""
    return [extra for extra in extras if extra.kind == "insertion"]


def inserted_word_gap(extra: ExtraWord, features: list[SlotFeature]) -> int:
    """The gap an extra word sits in: g when it follows reference word g - 1 (0: before any)."""
    if extra.gap is not None:
        return extra.gap
    before = [f.slot.index + 1 for f in features if f.decoded is not None and f.decoded.end_frame < extra.start_frame]
    return max(before, default=0)


def add_gap_candidates(features: list[SlotFeature], extras: list[ExtraWord], gaps: list[GapEvidence]) -> None:
    """A candidate inserted word in every gap where the grammar decoded none and the phone model hears
    something there (ANYTHING inserted fits at least GAP_CANDIDATE_MARGIN better than nothing), timed by
    the frames ANYTHING takes; the `gap_insertion` head decides on it. Idempotent."""
    covered = {inserted_word_gap(extra, features) for extra in inserted_words(extras)}
    for gap, evidence in enumerate(gaps):
        if gap in covered or evidence.frames[0] < 0 or evidence.anything_margin < GAP_CANDIDATE_MARGIN:
            continue
        # the recogniser's 20 ms frames, pocketsphinx's 10 ms ones
        start, end = 2 * evidence.frames[0], 2 * evidence.frames[1] + 1
        extras.append(ExtraWord("", "insertion", start, end, None, gap=gap))


def add_phone_model_evidence(
    recognizer: PhoneRecognizer, audio: Audio, features: list[SlotFeature], extras: list[ExtraWord]
) -> None:
    words, gaps = phone_evidence(recognizer, audio, features)
    for feature, evidence in zip(features, words, strict=True):
        feature.phone_model = evidence
    add_gap_candidates(features, extras, gaps)
    for extra in inserted_words(extras):
        extra.phone_model = gaps[inserted_word_gap(extra, features)]


def add_whisper_phone_evidence(
    recognizer: WhisperPhoneRecognizer, audio: Audio, features: list[SlotFeature], extras: list[ExtraWord]
) -> None:
    words, gaps = phone_evidence(recognizer, audio, features)
    for feature, evidence in zip(features, words, strict=True):
        feature.whisper_phones = evidence
    for extra in inserted_words(extras):
        extra.whisper_phones = gaps[inserted_word_gap(extra, features)]


# -------------------------------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class SlotDecision:
    error: WordError
    rule: str | None
    heard: tuple[str, ...] | None  # ARPAbet heard, when known
    confidence: float  # 0..1 that the decision "mispronounced" is right (or 1 - that for "none")
    variant: LearnerVariant | None = None  # the learner variant blamed for a mispronunciation, if one is


def blamed_variant(feature: SlotFeature) -> LearnerVariant | None:
    """Which learner variant explains the word best: the Whisper phone head's choice (whole utterance)
    or else the phone model's, when it prefers a variant to every canonical form; else the grammar's
    decoded variant; else none."""
    for evidence in (feature.whisper_phones, feature.phone_model):
        if evidence is not None and evidence.best_variant is not None and evidence.variant_margin > 0:
            return feature.slot.variants[evidence.best_variant][1]
    decoded = feature.decoded
    return decoded.choice.variant if decoded is not None else None


def decide_slot(
    feature: SlotFeature,
    word_model: WordModel,
    head: str = "full",
    utterance: UtteranceContext | None = None,
) -> SlotDecision:
    """The learned model says whether the word was mispronounced; a skipped word it does not flag is an
    omission if the path's omission head (`OMISSION_HEADS`) says so, else it was said (a short, reduced
    word the decoder swallowed)."""
    decoded = feature.decoded
    probability = word_model.probability(feature, head, utterance)
    flagged = probability >= word_model.heads[head].threshold
    if decoded is None:
        if flagged:
            return SlotDecision("mispronunciation", "word-substitution", None, probability)
        omission_head = OMISSION_HEADS[head]
        omitted = word_model.probability(feature, omission_head, utterance)
        if omitted >= word_model.heads[omission_head].threshold:
            return SlotDecision("omission", None, (), omitted)
        return SlotDecision("none", None, None, 1.0 - omitted)
    if not flagged:
        return SlotDecision("none", None, None, 1.0 - probability)
    variant = blamed_variant(feature)
    if variant is not None:
        return SlotDecision("mispronunciation", variant.rule, variant.phones, probability, variant)
    return SlotDecision("mispronunciation", None, None, probability)


def _insertion_head(extra: ExtraWord, word_model: WordModel) -> WordHead:
    return word_model.heads["insertion" if extra.gap is None else "gap_insertion"]


def insertion_probability(extra: ExtraWord, word_model: WordModel) -> float:
    """Whole utterance: P(said) of a candidate inserted word, from the `insertion` head (a word the grammar
    decoded: pocketsphinx's evidence and both phone recognisers' evidence on its gap) or the
    `gap_insertion` head (a gap candidate: the recognisers' evidence only)."""
    head = _insertion_head(extra, word_model)
    return head.probability(insertion_features(extra, head.features))


def confirmed_insertions(extras: list[ExtraWord], word_model: WordModel) -> list[ExtraWord]:
    """The candidates reported as inserted words (see one_per_stretch)."""
    scored = [(extra, insertion_probability(extra, word_model)) for extra in inserted_words(extras)]
    return one_per_stretch([(e, p) for e, p in scored if p >= _insertion_head(e, word_model).threshold])


def one_per_stretch(confirmed: list[tuple[ExtraWord, float]]) -> list[ExtraWord]:
    """One report per stretch of speech: a word said between two reference words raises the gap evidence
    of the gaps beside it too (the reference can shift around it), so of confirmed candidates whose
    frames overlap only the first is kept: the grammar's decoded words first, then gap candidates by
    probability. In time order."""
    kept: list[ExtraWord] = []
    for extra, _ in sorted(confirmed, key=lambda item: (item[0].gap is not None, -item[1])):
        if all(extra.end_frame < other.start_frame or other.end_frame < extra.start_frame for other in kept):
            kept.append(extra)
    return sorted(kept, key=lambda e: e.start_frame)


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(value, 50.0), -50.0)))


def phone_accuracy(gop: float, calibration: Calibration) -> float:
    return round(100.0 * _sigmoid((gop - calibration.gop_centre) / calibration.gop_scale), 1)


def build_assessment(
    features: UtteranceFeatures,
    calibration: Calibration,
    reference_text: str,
    lang: str,
    unscripted: bool = False,
    accent: str | None = None,
) -> Assessment:
    word_model = default_word_model()
    levels = UtteranceContext.of(features.slots)
    words: list[WordAssessment] = []
    for feature in features.slots:
        decision = decide_slot(feature, word_model, "full", levels)
        words.append(_word_assessment(feature, decision, calibration))
    for extra in confirmed_insertions(features.extras, word_model):
        heard = heard_in_gap(extra)
        words.append(
            WordAssessment(
                text=inserted_word_text(extra),
                start=extra.start_frame * FRAME_SECONDS,
                end=(extra.end_frame + 1) * FRAME_SECONDS,
                accuracy=0.0,
                error="insertion",
                expected_ipa="",
                heard_ipa="".join(arpabet_to_ipa(list(heard))) if heard else None,
            )
        )
    words.sort(key=lambda w: (w.start, w.error != "insertion"))
    reference = [w for w in words if w.error != "insertion"]
    accuracy = sum(w.accuracy for w in reference) / len(reference) if reference else 0.0
    insertions = len(words) - len(reference)
    accuracy = max(accuracy - 5.0 * insertions, 0.0)
    completeness = 100.0 * sum(w.error != "omission" for w in reference) / len(reference) if reference else 0.0
    fluency = _fluency(features)
    overall = 0.6 * accuracy + 0.2 * fluency.score + 0.2 * completeness
    return Assessment(
        lang=lang,
        mode="unscripted" if unscripted else "scripted",
        confidence="low" if unscripted else "normal",
        reference_text=reference_text,
        words=words,
        accuracy=round(accuracy, 1),
        fluency=fluency,
        completeness=round(completeness, 1),
        overall=round(overall, 1),
        duration=round(features.n_frames * FRAME_SECONDS, 2),
        accent=accent,
    )


def heard_in_gap(extra: ExtraWord) -> tuple[str, ...]:
    """The phones heard where an inserted word was said (the Whisper head's, else the phone model's)."""
    ears = (extra.whisper_phones, extra.phone_model)
    return next((ear.heard for ear in ears if ear is not None and ear.heard), ())


def inserted_word_text(extra: ExtraWord) -> str:
    """The common word nearest to the phones heard; failing one, the grammar's nearest short word; for a
    gap candidate, the phones heard in IPA between slashes."""
    heard = heard_in_gap(extra)
    return nearest_word(heard) or extra.text or ("/" + "".join(arpabet_to_ipa(list(heard))) + "/" if heard else "?")


def _word_assessment(feature: SlotFeature, decision: SlotDecision, calibration: Calibration) -> WordAssessment:
    slot, decoded = feature.slot, feature.decoded
    canonical = slot.canonical[0]
    if decision.variant is not None:
        canonical = edited_from(decision.variant, slot) or canonical
    elif decoded is not None and decoded.choice.kind == "canonical":
        canonical = decoded.choice.phones
    elif decoded is not None and decoded.choice.variant is not None:
        canonical = edited_from(decoded.choice.variant, slot) or canonical
    if decoded is None:
        start, end = round(feature.gap[0] * FRAME_SECONDS, 2), round(feature.gap[1] * FRAME_SECONDS, 2)
        if decision.error == "omission":
            return WordAssessment(slot.text, start, start, 0.0, "omission", ipa(canonical), heard_ipa="")
        # skipped by the grammar but judged said (reduced) or replaced by another word
        accuracy = 100.0 * decision.confidence if decision.error == "none" else 0.0
        return WordAssessment(
            slot.text, start, end, round(accuracy, 1), decision.error, ipa(canonical), rule=decision.rule
        )
    start = decoded.start_frame * FRAME_SECONDS
    end = (decoded.end_frame + 1) * FRAME_SECONDS
    phones = _phone_assessments(feature, decision, canonical, calibration)
    accuracy = sum(p.accuracy for p in phones) / len(phones) if phones else 100.0 * decision.confidence
    if decision.error == "mispronunciation":
        accuracy = min(accuracy, 100.0 * (1.0 - decision.confidence), 60.0)
    return WordAssessment(
        text=slot.text,
        start=round(start, 2),
        end=round(end, 2),
        accuracy=round(accuracy, 1),
        error=decision.error,
        expected_ipa=ipa(canonical),
        heard_ipa=ipa(decision.heard) if decision.heard is not None else None,
        rule=decision.rule,
        phones=phones,
    )


def edited_from(variant: LearnerVariant, slot: WordSlot) -> tuple[str, ...] | None:
    """The canonical pronunciation of the slot that the learner variant edits."""
    for which, candidate in slot.variants:
        if candidate == variant:
            return slot.canonical[which]
    return None


def _phone_assessments(
    feature: SlotFeature, decision: SlotDecision, canonical: tuple[str, ...], calibration: Calibration
) -> list[PhoneAssessment]:
    """Per expected phone. A flagged variant's edit is reported on the phone it changed."""
    aligned = feature.phones
    decoded = feature.decoded
    variant = decoded.choice.variant if decoded is not None else None
    if not aligned:
        return []

    low = round(100.0 * (1.0 - decision.confidence), 1)
    blamed = decision.variant if decision.error == "mispronunciation" else None
    if blamed is not None and blamed != variant:
        # the phone model blamed a variant the grammar did not decode: mark its edit on the aligned phones
        # when they are the form the variant edits
        if tuple(p.phone for p in aligned) == canonical:
            return _phones_with_edit(aligned, blamed.edit, low, calibration)
        return [PhoneAssessment(_ipa1(p.phone), *_timed(p), phone_accuracy(p.gop, calibration)) for p in aligned]
    timed = _timed
    flagged = decision.error == "mispronunciation" and variant is not None
    if variant is None or len(aligned) != len(decoded.choice.phones):
        # canonical decoded (or alignment shape unexpected): aligned phones are the expected ones
        return [PhoneAssessment(_ipa1(p.phone), *timed(p), phone_accuracy(p.gop, calibration)) for p in aligned]
    edit = variant.edit
    result: list[PhoneAssessment] = []
    produced_index = 0
    for index, expected in enumerate(canonical):
        if edit.expected is None and index == edit.index:  # epenthesis before this phone
            inserted = aligned[produced_index]
            produced_index += 1
            if flagged:
                result.append(PhoneAssessment(None, *timed(inserted), low, heard=_ipa1(inserted.phone)))
        if edit.produced is None and index == edit.index:  # a dropped phone
            at = timed(aligned[produced_index - 1])[1] if produced_index else timed(aligned[0])[0]
            if flagged:
                result.append(PhoneAssessment(_ipa1(expected), at, at, low, heard=""))
            else:
                result.append(PhoneAssessment(_ipa1(expected), at, at, 100.0 * decision.confidence))
            continue
        phone = aligned[produced_index]
        produced_index += 1
        if flagged and index == edit.index:
            result.append(PhoneAssessment(_ipa1(expected), *timed(phone), low, heard=_ipa1(phone.phone)))
        else:
            result.append(PhoneAssessment(_ipa1(expected), *timed(phone), phone_accuracy(phone.gop, calibration)))
    if edit.expected is None and edit.index == len(canonical) and produced_index < len(aligned) and flagged:
        inserted = aligned[produced_index]
        result.append(PhoneAssessment(None, *timed(inserted), low, heard=_ipa1(inserted.phone)))
    return result


def _timed(phone: PhoneFeature) -> tuple[float, float]:
    return round(phone.start_frame * FRAME_SECONDS, 2), round((phone.start_frame + phone.frames) * FRAME_SECONDS, 2)


def _phones_with_edit(
    aligned: list[PhoneFeature], edit: PhoneEdit, low: float, calibration: Calibration
) -> list[PhoneAssessment]:
    """Aligned canonical phones with one learner edit marked: a phone heard as another or not at all, or
    a vowel added before a phone (or after the last)."""
    heard = _ipa1(edit.produced) if edit.produced is not None else ""
    result = []
    for index, phone in enumerate(aligned):
        if edit.expected is None and index == edit.index:
            at = _timed(phone)[0]
            result.append(PhoneAssessment(None, at, at, low, heard=heard))
        if edit.expected is not None and index == edit.index:
            result.append(PhoneAssessment(_ipa1(phone.phone), *_timed(phone), low, heard=heard))
        else:
            result.append(PhoneAssessment(_ipa1(phone.phone), *_timed(phone), phone_accuracy(phone.gop, calibration)))
    if edit.expected is None and edit.index >= len(aligned):
        at = _timed(aligned[-1])[1]
        result.append(PhoneAssessment(None, at, at, low, heard=heard))
    return result


def _ipa1(phone: str) -> str:
    return "".join(arpabet_to_ipa([phone]))


def _fluency(features: UtteranceFeatures) -> Fluency:
    spoken = sorted(
        [
            (f.decoded.start_frame, f.decoded.end_frame, len(f.decoded.choice.phones))
            for f in features.slots
            if f.decoded
        ]
        # the decoded path only: a gap candidate's frames may be a pause that ANYTHING took
        + [(e.start_frame, e.end_frame, 0) for e in features.extras if e.kind == "insertion" and e.gap is None]
    )
    fillers = sum(1 for e in features.extras if e.kind == "filler")
    if not spoken:
        return Fluency(0.0, 0.0, 0.0, 0, fillers)
    first, last = spoken[0][0], spoken[-1][1]
    pauses = [
        (nxt[0] - cur[1] - 1) * FRAME_SECONDS
        for cur, nxt in zip(spoken, spoken[1:], strict=False)
        if (nxt[0] - cur[1] - 1) * FRAME_SECONDS > LONG_PAUSE_SECONDS
    ]
    speaking_seconds = max((last - first + 1) * FRAME_SECONDS - sum(pauses), 0.1)
    phones = sum(n for _, _, n in spoken)
    rate = phones / speaking_seconds
    wpm = 60.0 * len(spoken) / max((last - first + 1) * FRAME_SECONDS, 0.1)
    # 8-16 phones/s is fluent conversational speech; slower reading and each hesitation cost points
    rate_penalty = max(0.0, 8.0 - rate) * 6.0 + max(0.0, rate - 18.0) * 4.0
    score = 100.0 - rate_penalty - 10.0 * len(pauses) - 8.0 * fillers - 2.0 * sum(pauses)
    return Fluency(round(max(score, 0.0), 1), round(rate, 2), round(wpm, 1), len(pauses), fillers)


# ------------------------------------------------------------------------------------------------------ public


@cache
def shared_scorer() -> PronunciationScorer:
    return PronunciationScorer()


def assess(audio: Audio, reference_text: str | None, lang: str = "en-us", accent: str | None = None) -> Assessment:
    """Score an utterance against its reference text; with no reference, against what was recognised.
    With an `accent` (a key of ENGLISH_ACCENTS), that accent's own forms of each word count as correct."""
    check_language(lang)
    check_accent(accent)
    scorer = shared_scorer()
    with scorer.lock:
        if reference_text is None:
            from speech.pronunciation.unscripted import recognise_words

            words = recognise_words(audio)
            features = scorer.extract_features(audio, words, accent=accent)
            return build_assessment(features, scorer.calibration, " ".join(words), lang, unscripted=True, accent=accent)
        words = reference_words(reference_text)
        if not words:
            raise ValueError("the reference text has no words")
        features = scorer.extract_features(audio, words, accent=accent)
        return build_assessment(features, scorer.calibration, reference_text, lang, accent=accent)
