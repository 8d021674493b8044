"""Stock phrases and backchannels: pre-rendered, varied, never the same twice running."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from speech.phrases import STOCK_PHRASES, PhraseBank, PhraseNotWarmError
from speech.synthesis import MAX_CHUNK_MS, Synthesizer, voice_for

SOME_PHRASES = {
    "backchannel": STOCK_PHRASES["backchannel"][:3],
    "hum": STOCK_PHRASES["hum"],
    "retry": STOCK_PHRASES["retry"][:1],
}


@pytest.fixture(scope="module")
def bank() -> PhraseBank:
    return PhraseBank(Synthesizer(voice_for("en-us")), phrases=SOME_PHRASES, variants_per_phrase=3, seed=7).warm()


def test_every_phrase_has_distinct_variants(bank: PhraseBank) -> None:
    assert bank.warmed
    for key in ("mm-hm", "uh-huh", "yeah", "let's try that again"):
        variants = bank.variants(key)
        assert len(variants) == 3
        assert len({variant.variant for variant in variants}) == 3
        for first, second in itertools.combinations(variants, 2):
            same_length = len(first.samples) == len(second.samples)
            assert not (same_length and np.allclose(first.samples, second.samples))


def test_no_immediate_repetition(bank: PhraseBank) -> None:
    kinds = [bank.pick("backchannel").phrase.key for _ in range(40)]
    assert all(a != b for a, b in itertools.pairwise(kinds))
    assert set(kinds) == {"uh-huh", "yeah", "right"}
    variants = [bank.pick("mm-hm").variant for _ in range(40)]
    assert all(a != b for a, b in itertools.pairwise(variants))


def test_get_streams_short_chunks_with_a_caption(bank: PhraseBank) -> None:
    chunks = list(bank.get("let's try that again"))
    assert chunks
    assert all(chunk.sample_count <= chunk.rate * MAX_CHUNK_MS // 1000 for chunk in chunks)
    assert {chunk.text for chunk in chunks} == {"Let's try that again"}
    assert chunks[-1].final


def test_backchannels_are_said_not_spelled(bank: PhraseBank) -> None:
    # "Mm-hm" through a text front end comes out as the letters "M M H M" (about 0.9 s).
    for variant in bank.variants("mm-hm"):
        assert 0.2 < len(variant.samples) / bank.synthesizer.rate < 0.75


def test_a_cancelled_phrase_stops(bank: PhraseBank) -> None:
    stream = bank.get("backchannel")
    next(stream)
    stream.cancel()
    assert list(stream) == []


def test_unknown_and_unwarmed_phrases_are_refused(bank: PhraseBank) -> None:
    with pytest.raises(KeyError):
        bank.get("hooray")
    cold = PhraseBank(bank.synthesizer, phrases=SOME_PHRASES)
    with pytest.raises(PhraseNotWarmError):
        cold.get("backchannel")


def test_bank_can_warm_in_the_background(bank: PhraseBank) -> None:
    cold = PhraseBank(bank.synthesizer, phrases={"retry": STOCK_PHRASES["retry"][:1]}, variants_per_phrase=2)
    cold.warm_in_background().join()
    assert cold.warmed
    assert list(cold.get("retry"))


def test_espeak_voice_can_say_the_ipa_phrases() -> None:
    small = {"hum": STOCK_PHRASES["hum"], "backchannel": STOCK_PHRASES["backchannel"][:1]}
    bank = PhraseBank(Synthesizer(voice_for("en-gb")), phrases=small, variants_per_phrase=2).warm()
    assert all(len(variant.samples) > 0 for variant in bank.variants("mm-hm"))
