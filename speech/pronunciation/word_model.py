"""The learned per-word decision: P(mispronounced) for a reference word from the scorer's features.

A tiny MLP (trained with torch by `train_word_model` on dev corpora only) over features the scorer already
has: how the grammar decoded the word (canonical, learner variant, skipped), the variant's rule family and
in-context evidence, its duration per phone, the skipped word's omission evidence and the speech left in
its gap, the neural phone model's CTC evidence and the family of the learner variant it prefers, and (whole
utterance only) the same from the Whisper phone head and the word's GOP figures relative to the
utterance's. Two heads share
the recipe: `full` for `assess`, `streaming` for `StreamingAssessor`, which has no phone loop and so no
GOP. Inference is a few dot products in numpy; the weights are JSON in speech/data/word_model.json.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speech.pronunciation.learner_variants import rule_family

if TYPE_CHECKING:
    from speech.pronunciation.phone_model import WordEvidence
    from speech.pronunciation.scorer import ExtraWord, SlotFeature

WORD_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "word_model.json"

RULE_FAMILIES = ("TH", "DH", "V", "W", "R", "L", "IH", "IY", "AE", "final-deletion", "epenthesis")
# from the neural phone recogniser (phone_model.py): CTC log-likelihoods of the reference with the word
# changed (streaming: of the reference up to the word, over the audio up to its end)
PHONE_MODEL_FEATURES = (
    "ctc_variant_margin",
    "ctc_no_variant",
    "ctc_variant_agrees",
    "ctc_omission_margin",
    "ctc_mean_posterior",
    "ctc_min_posterior",
    "ctc_missing",
    "ctc_variant_share",
    "ctc_free_margin",
    "ctc_free_over_omission",
)
# the same evidence from the Whisper phone head (whisper_phones.py), whole utterance only
WHISPER_PHONE_FEATURES = (
    "wctc_variant_margin",
    "wctc_no_variant",
    "wctc_variant_agrees",
    "wctc_omission_margin",
    "wctc_mean_posterior",
    "wctc_min_posterior",
    "wctc_missing",
    "wctc_variant_share",
    "wctc_posterior_vs_utterance",
    "wctc_free_margin",
    "wctc_free_over_omission",
    "wctc_free_vs_utterance",
)
_DECODING_FEATURES = ("variant", "skipped", *(f"family_{family}" for family in RULE_FAMILIES))
# the family of the learner variant that a phone recogniser scores best for the word, whether or not it
# beats the canonical forms; a family's margins mean different things (a schwa added at a word's end is
# cheap to hear before a vowel). Not TH and AE, which had 16 errors each in the first seven dev folders.
# Streaming (the phone model's), dev, seeds 1-3, out of voice / out of kind: F1 0.609 / 0.493 without
# these columns, 0.630 / 0.516 with all eleven families, 0.636 / 0.525 with these nine. `full` (both
# recognisers', since stop 20, when it also learnt from dev-sentences): out of voice 0.713 without them,
# 0.757 with them (docs/speech-scoring.md, "Which variant the recognisers prefer").
PREFERRED_FAMILIES = tuple(family for family in RULE_FAMILIES if family not in ("TH", "AE"))
CTC_PREFERRED_FAMILY_FEATURES = tuple(f"ctc_prefers_{family}" for family in PREFERRED_FAMILIES)
WCTC_PREFERRED_FAMILY_FEATURES = tuple(f"wctc_prefers_{family}" for family in PREFERRED_FAMILIES)
# pocketsphinx's in-context alignments of a decoded variant against the canonical forms: whole utterance
# only (in streaming they were the costliest step of a deciding chunk and added nothing on dev beside the
# phone model's evidence: out-of-voice F1 0.459 with them, 0.462 without)
_VARIANT_EVIDENCE_FEATURES = ("evidence", "evidence_missing")
_WORD_FEATURES = ("frames_per_phone", "expected_phones", "variants_in_grammar", "gap_speech")
_CONTEXT_FEATURES = ("previous_word_skipped", *PHONE_MODEL_FEATURES)
# pocketsphinx's alignments of a skipped word's window with and without it: whole utterance only (in
# streaming these alignments were most of the costliest chunks; the phone model's omission and free
# margins carry the same evidence)
_OMISSION_EVIDENCE_FEATURES = ("omission_evidence", "omission_evidence_missing")
STREAMING_FEATURES = (*_DECODING_FEATURES, *_WORD_FEATURES, *_CONTEXT_FEATURES)
FULL_FEATURES = (
    *_DECODING_FEATURES,
    *_VARIANT_EVIDENCE_FEATURES,
    *_WORD_FEATURES,
    *_OMISSION_EVIDENCE_FEATURES,
    *_CONTEXT_FEATURES,
    "word_gop",
    "min_phone_gop",
    "word_gop_vs_utterance",
    "loop_agreement",
    "edited_phone_gop",
    "edited_phone_loop_agreement",
    "gop_missing",
    "variant_margin",
    "variant_margin_vs_utterance",
    "variant_margin_missing",
    "utterance_variant_share",
    "next_word_skipped",
    "ctc_posterior_vs_utterance",
    "ctc_free_vs_utterance",
    *WHISPER_PHONE_FEATURES,
)
# P(omitted) of a word the grammar skipped that the mispronunciation head did not flag: "omission" in
# streaming; "full_omission" for whole utterances, which adds pocketsphinx's omission evidence and the
# Whisper phone head's (dev, out of voice: omission F1 0.911 without them, 0.952 with them)
FULL_OMISSION_FEATURES = (*STREAMING_FEATURES, *_OMISSION_EVIDENCE_FEATURES, *WHISPER_PHONE_FEATURES)
OMISSION_HEADS = {"full": "full_omission", "streaming": "omission"}
# whole utterance: is a word that the grammar decoded between two reference words really there?
INSERTION_FEATURES = (
    "sphinx_evidence",
    "sphinx_evidence_missing",
    "log_duration",
    "ctc_anything_margin",
    "ctc_filled_pause_margin",
    "ctc_anything_over_pause",
    "wctc_anything_margin",
    "wctc_filled_pause_margin",
    "wctc_anything_over_pause",
)
# whole utterance: a gap candidate (scorer.add_gap_candidates: no word decoded there, but the phone model
# hears something) has no pocketsphinx evidence, so its own head
GAP_INSERTION_FEATURES = tuple(name for name in INSERTION_FEATURES if not name.startswith("sphinx"))
HEAD_FEATURES = {
    "full": (*FULL_FEATURES, *CTC_PREFERRED_FAMILY_FEATURES, *WCTC_PREFERRED_FAMILY_FEATURES),
    "streaming": (*STREAMING_FEATURES, *CTC_PREFERRED_FAMILY_FEATURES),
    "omission": STREAMING_FEATURES,
    "full_omission": FULL_OMISSION_FEATURES,
    "insertion": INSERTION_FEATURES,
    "gap_insertion": GAP_INSERTION_FEATURES,
}
# heads whose words get the whole-utterance figures (pocketsphinx's GOP and evidence, the Whisper head's)
WHOLE_UTTERANCE_HEADS = frozenset(name for name, names in HEAD_FEATURES.items() if "wctc_missing" in names)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def word_features(feature: SlotFeature, head: str, utterance: UtteranceContext | None = None) -> np.ndarray:
    """The feature vector of one reference word for `head`; `utterance` is what is known of the word's
    utterance (streaming: only which earlier words were skipped)."""
    decoded = feature.decoded
    variant = decoded.choice.variant if decoded is not None else None
    values: dict[str, float] = dict.fromkeys(HEAD_FEATURES[head], 0.0)
    values["variant"] = float(variant is not None)
    values["skipped"] = float(decoded is None)
    if variant is not None:
        values[f"family_{rule_family(variant.rule)}"] = 1.0
    if head in WHOLE_UTTERANCE_HEADS:
        values["evidence"] = _clip(feature.evidence, -100.0, 100.0) / 20.0 if feature.evidence is not None else 0.0
        values["evidence_missing"] = float(variant is not None and feature.evidence is None)
    expected = len(feature.slot.canonical[0])
    values["expected_phones"] = expected / 5.0
    values["variants_in_grammar"] = len(feature.slot.variants) / 10.0
    if decoded is not None:
        frames = decoded.end_frame - decoded.start_frame + 1
        values["frames_per_phone"] = math.log(max(frames, 1) / max(len(decoded.choice.phones), 1))
    else:
        values["gap_speech"] = _clip(feature.gap_speech, 0.0, 2.0)
        if feature.omission_evidence is None:
            values["omission_evidence_missing"] = 1.0
        else:
            values["omission_evidence"] = _clip(feature.omission_evidence, -100.0, 100.0) / 20.0
    if utterance is not None:
        previous, following = utterance.neighbour_skipped(feature.slot.index)
        values["previous_word_skipped"] = float(previous)
    _add_phone_model_features(values, feature.phone_model, feature, utterance.phone_model if utterance else None)
    if utterance is not None:
        values["ctc_variant_share"] = utterance.ctc_variant_share
    if head in WHOLE_UTTERANCE_HEADS:
        typical = utterance.whisper_phones if utterance else None
        _add_phone_model_features(values, feature.whisper_phones, feature, typical, prefix="wctc")
        if utterance is not None:
            values["wctc_variant_share"] = utterance.whisper_variant_share
        _add_gop_features(values, feature, utterance.word_gop if utterance else None)
        _add_variant_margin_features(values, feature, utterance.variant_margin if utterance else None)
        if utterance is not None:
            values["utterance_variant_share"] = utterance.variant_share
            values["next_word_skipped"] = float(following)
    return np.array([values[name] for name in HEAD_FEATURES[head]], dtype=np.float64)


def insertion_features(extra: ExtraWord, names: tuple[str, ...] = INSERTION_FEATURES) -> np.ndarray:
    """An inserted-word head's feature vector (`names`: its features) for a candidate (whole utterance)."""
    values: dict[str, float] = dict.fromkeys(INSERTION_FEATURES, 0.0)
    if extra.evidence is None:
        values["sphinx_evidence_missing"] = 1.0
    else:
        values["sphinx_evidence"] = _clip(extra.evidence, -100.0, 100.0) / 20.0
    values["log_duration"] = math.log(max(extra.end_frame - extra.start_frame + 1, 1) / 100.0)
    for prefix, evidence in (("ctc", extra.phone_model), ("wctc", extra.whisper_phones)):
        if evidence is None:
            continue
        values[f"{prefix}_anything_margin"] = _clip(evidence.anything_margin, -10.0, 60.0) / 10.0
        values[f"{prefix}_filled_pause_margin"] = _clip(evidence.filled_pause_margin, -60.0, 60.0) / 10.0
        over_pause = evidence.anything_margin - max(evidence.filled_pause_margin, 0.0)
        values[f"{prefix}_anything_over_pause"] = _clip(over_pause, -10.0, 60.0) / 10.0
    return np.array([values[name] for name in names], dtype=np.float64)


def _add_gop_features(values: dict[str, float], feature: SlotFeature, utterance_word_gop: float | None) -> None:
    gop = feature.word_gop
    if gop is None:
        values["gop_missing"] = 1.0
        return
    values["word_gop"] = _clip(gop, -300.0, 50.0) / 50.0
    values["min_phone_gop"] = _clip(min(p.gop for p in feature.phones), -500.0, 50.0) / 100.0
    if utterance_word_gop is not None:
        values["word_gop_vs_utterance"] = _clip(gop - utterance_word_gop, -300.0, 300.0) / 50.0
    frames = sum(max(p.frames, 1) for p in feature.phones)
    values["loop_agreement"] = sum(p.loop_agreement * max(p.frames, 1) for p in feature.phones) / frames
    variant = feature.decoded.choice.variant
    if variant is None:
        return
    # the aligned phone at the edit (for a dropped phone: the one before it); the variant's own sound
    at = min(max(variant.edit.index - (variant.edit.produced is None), 0), len(feature.phones) - 1)
    values["edited_phone_gop"] = _clip(feature.phones[at].gop, -500.0, 50.0) / 100.0
    values["edited_phone_loop_agreement"] = feature.phones[at].loop_agreement


def _add_variant_margin_features(values: dict[str, float], feature: SlotFeature, typical: float | None) -> None:
    if feature.variant_margin is None:
        values["variant_margin_missing"] = 1.0
        return
    values["variant_margin"] = _clip(feature.variant_margin, -100.0, 100.0) / 20.0
    if typical is not None:
        values["variant_margin_vs_utterance"] = _clip(feature.variant_margin - typical, -100.0, 100.0) / 20.0


def _add_phone_model_features(
    values: dict[str, float],
    evidence: WordEvidence | None,
    feature: SlotFeature,
    typical: TypicalEvidence | None,
    prefix: str = "ctc",
) -> None:
    """CTC evidence of one phone recogniser (`prefix` "ctc": the phone model, "wctc": the Whisper head);
    `typical` is that recogniser's level over the utterance, where the head compares the word with it."""
    if evidence is None:
        values[f"{prefix}_missing"] = 1.0
        return
    if evidence.best_variant is None:
        values[f"{prefix}_no_variant"] = 1.0
    else:
        values[f"{prefix}_variant_margin"] = _clip(evidence.variant_margin, -40.0, 40.0) / 10.0
        decoded = feature.decoded
        chosen = feature.slot.variants[evidence.best_variant][1]
        values[f"{prefix}_variant_agrees"] = float(decoded is not None and decoded.choice.variant == chosen)
        preferred = f"{prefix}_prefers_{rule_family(chosen.rule)}"
        if preferred in values:  # the heads' CTC_ and WCTC_PREFERRED_FAMILY_FEATURES
            values[preferred] = 1.0
    values[f"{prefix}_omission_margin"] = _clip(evidence.omission_margin, -60.0, 20.0) / 10.0
    values[f"{prefix}_mean_posterior"] = _clip(evidence.mean_phone_posterior, -20.0, 0.0) / 5.0
    values[f"{prefix}_min_posterior"] = _clip(evidence.min_phone_posterior, -20.0, 0.0) / 5.0
    values[f"{prefix}_free_margin"] = _clip(evidence.free_margin, 0.0, 60.0) / 10.0
    # anything against nothing: near 0 for a word left out, large for a word replaced by another
    free_over_omission = evidence.free_margin - max(evidence.omission_margin, -60.0)
    values[f"{prefix}_free_over_omission"] = _clip(free_over_omission, 0.0, 60.0) / 10.0
    if typical is not None and f"{prefix}_posterior_vs_utterance" in values:
        relative = evidence.mean_phone_posterior - typical.posterior
        values[f"{prefix}_posterior_vs_utterance"] = _clip(relative, -20.0, 20.0) / 5.0
        relative = evidence.free_margin - typical.free_margin
        values[f"{prefix}_free_vs_utterance"] = _clip(relative, -30.0, 60.0) / 10.0


@dataclass(frozen=True)
class TypicalEvidence:
    """One phone recogniser's medians over an utterance's words: the voice's and recording's own level."""

    posterior: float  # of the words' mean phone posterior
    free_margin: float

    @classmethod
    def of(cls, evidence: list[WordEvidence]) -> TypicalEvidence | None:
        if not evidence:
            return None
        return cls(
            float(np.median([e.mean_phone_posterior for e in evidence])),
            float(np.median([e.free_margin for e in evidence])),
        )


def prefers_variant_share(ctc_variant_margins: list[float]) -> float:
    return sum(margin > 0 for margin in ctc_variant_margins) / len(ctc_variant_margins) if ctc_variant_margins else 0.0


@dataclass(frozen=True)
class UtteranceContext:
    """What the full head knows of a word's utterance: medians over its decoded words (the voice's and
    recording's own level, which a word's figures are compared with: GOP and variant margins differ a
    lot from voice to voice), and which reference words the grammar skipped (a skipped neighbour often
    means that the word's own audio was misplaced or replaced)."""

    word_gop: float | None
    variant_margin: float | None
    variant_share: float  # share of the reference words decoded as a learner variant (an accent raises it)
    skipped: tuple[bool, ...]  # per reference word
    phone_model: TypicalEvidence | None = None  # the phone model's medians over the words
    # share of the words (streaming: decided so far) for which the phone model prefers a learner variant
    # to every canonical form; a voice or accent that differs from the reference throughout raises it
    ctc_variant_share: float = 0.0
    whisper_phones: TypicalEvidence | None = None  # the same two from the Whisper phone head (whole utterance)
    whisper_variant_share: float = 0.0

    @classmethod
    def of(cls, features: list[SlotFeature]) -> UtteranceContext:
        gops = [f.word_gop for f in features if f.word_gop is not None]
        margins = [f.variant_margin for f in features if f.variant_margin is not None]
        variants = sum(1 for f in features if f.decoded is not None and f.decoded.choice.kind == "variant")
        phone_model = [f.phone_model for f in features if f.phone_model is not None]
        whisper = [f.whisper_phones for f in features if f.whisper_phones is not None]
        return cls(
            float(np.median(gops)) if gops else None,
            float(np.median(margins)) if margins else None,
            variants / max(len(features), 1),
            tuple(f.decoded is None for f in features),
            TypicalEvidence.of(phone_model),
            prefers_variant_share([e.variant_margin for e in phone_model]),
            TypicalEvidence.of(whisper),
            prefers_variant_share([e.variant_margin for e in whisper]),
        )

    @classmethod
    def so_far(cls, skipped: list[bool], ctc_variant_margins: list[float]) -> UtteranceContext:
        """Streaming: which of the words decided so far were skipped, and their phone-model margins."""
        return cls(None, None, 0.0, tuple(skipped), None, prefers_variant_share(ctc_variant_margins))

    def neighbour_skipped(self, index: int) -> tuple[bool, bool]:
        """Whether the reference words before and after `index` were skipped (False at the edges)."""
        return (index > 0 and self.skipped[index - 1], index + 1 < len(self.skipped) and self.skipped[index + 1])


@dataclass(frozen=True)
class WordHead:
    """One trained head: standardisation, logistic regression or an MLP with one hidden ReLU layer (when
    `hidden_weight` is not empty), and the decision threshold."""

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    hidden_weight: list[list[float]]  # hidden x features; empty for logistic regression
    hidden_bias: list[float]
    output_weight: list[float]  # hidden (or features)
    output_bias: float
    threshold: float  # flag when P(mispronounced) >= threshold

    @cached_property
    def fingerprint(self) -> str:
        """Names these weights and this threshold: a bar picked on this head's probabilities is for it only
        (computed once a head: hashing the weights costs about 5 ms, and every streamed reading asks)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def probability(self, vector: np.ndarray) -> float:
        inputs = (vector - np.asarray(self.mean)) / np.asarray(self.scale)
        if self.hidden_weight:
            inputs = np.maximum(np.asarray(self.hidden_weight) @ inputs + np.asarray(self.hidden_bias), 0.0)
        logit = float(np.asarray(self.output_weight) @ inputs + self.output_bias)
        return 1.0 / (1.0 + math.exp(-_clip(logit, -50.0, 50.0)))


@dataclass(frozen=True)
class WordModel:
    heads: dict[str, WordHead]
    source: str

    def probability(self, feature: SlotFeature, head: str, utterance: UtteranceContext | None = None) -> float:
        return self.heads[head].probability(word_features(feature, head, utterance))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, unchecked: frozenset[str] = frozenset()) -> WordModel:
        """`unchecked`: heads about to be retrained, whose features may be out of date."""
        data = json.loads(text)
        heads = {name: WordHead(**head | {"features": tuple(head["features"])}) for name, head in data["heads"].items()}
        for name, head in heads.items():
            if name not in unchecked and head.features != HEAD_FEATURES[name]:
                raise ValueError(f"word model head {name!r} was trained on other features; retrain it")
        return cls(heads, data["source"])


@cache
def default_word_model() -> WordModel:
    return WordModel.from_json(WORD_MODEL_PATH.read_text())
