"""A learner's native accent: its own forms of each word count as correct, learner errors still count."""

import json

import pytest

from speech.accents import ENGLISH_ACCENTS, UnknownAccentError
from speech.corpus import speaker_accent
from speech.g2p import accent_arpabet
from speech.pronunciation import StreamingAssessor, assess
from speech.pronunciation.sphinx import word_slots
from tests.speech.test_scoring import CHUNK, SENTENCE, reading, run_assess, word

# "think" said the Caribbean way (TH-stopping) and "very" as "berry", a learner error in every accent
THINK_STOPPED_VERY_AS_BERRY = {"think": ("T", "IH", "NG", "K"), "very": ("B", "EH", "R", "IY")}


@pytest.fixture(scope="module")
def stopped_reading():
    return reading(THINK_STOPPED_VERY_AS_BERRY)


def test_accent_forms_come_from_espeak_rules_in_the_nearest_arpabet():
    assert accent_arpabet("think", "en-029") == ("T", "IH", "NG", "K")  # dental t̪ written T
    assert accent_arpabet("car", "en-gb") == ("K", "AA")
    assert accent_arpabet("car", "en-gb-scotland") == ("K", "AA", "R")
    with pytest.raises(UnknownAccentError, match="en-029"):
        accent_arpabet("think", "klingon")


def test_an_accent_form_is_accepted_and_no_longer_a_learner_variant():
    (us,) = word_slots(["think"])
    (caribbean,) = word_slots(["think"], accent="en-029")
    stopped = ("T", "IH", "NG", "K")
    assert stopped not in us.canonical and stopped in [v.phones for _, v in us.variants]
    assert stopped in caribbean.canonical and stopped not in [v.phones for _, v in caribbean.variants]
    assert us.canonical == caribbean.canonical[: len(us.canonical)]  # the US forms stay accepted


def test_the_accent_accepts_its_form_and_still_catches_a_learner_error(stopped_reading):
    flagged = {w.text: w.rule for w in assess(stopped_reading, SENTENCE).words if w.error == "mispronunciation"}
    assert flagged == {"think": "TH>T", "very": "V>B"}
    caribbean = assess(stopped_reading, SENTENCE, accent="en-029")
    assert caribbean.accent == "en-029" and word(caribbean, "think").error == "none"
    assert {w.text: w.rule for w in caribbean.words if w.error == "mispronunciation"} == {"very": "V>B"}
    british = assess(stopped_reading, SENTENCE, accent="en-gb")  # British English says "think" with /θ/
    assert word(british, "think").error == "mispronunciation"


def test_streaming_takes_the_accent_too(stopped_reading):
    assessor = StreamingAssessor(SENTENCE, accent="en-029")
    pcm = stopped_reading.pcm16()
    verdicts = [v for offset in range(0, len(pcm), CHUNK) for v in assessor.push(pcm[offset : offset + CHUNK])]
    verdicts += assessor.finish()
    errors = {v.text: v.error for v in verdicts}
    assert errors["think"] == "none" and errors["very"] == "mispronunciation"
    with pytest.raises(UnknownAccentError):
        StreamingAssessor(SENTENCE, accent="en-xx")


def test_corpus_voices_map_to_the_accent_their_learner_would_set():
    assert speaker_accent("espeak:en-029@160") == "en-029"
    assert speaker_accent("espeak:en@155") == "en-gb"
    assert speaker_accent("espeak:en-us+m4@160") is None
    assert speaker_accent("piper:joe@1") is None and speaker_accent("festival:kal_diphone@1") is None
    assert all(speaker_accent(f"espeak:{code}@150") == code for code in ENGLISH_ACCENTS)


def test_assess_command_takes_an_accent_and_refuses_an_unknown_one(tmp_path, stopped_reading):
    from speech.audio import write_wav

    path = tmp_path / "tink.wav"
    write_wav(path, stopped_reading)
    done = run_assess(str(path), "--text", SENTENCE, "--accent", "en-029", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["accent"] == "en-029"
    assert [w["text"] for w in result["words"] if w["error"] == "mispronunciation"] == ["very"]
    refused = run_assess(str(path), "--text", SENTENCE, "--accent", "martian")
    assert refused.returncode != 0 and "unknown accent 'martian'" in refused.stderr


def test_the_benchmark_knows_which_correct_accent_words_are_said_as_a_learner_error():
    from speech.pronunciation.evaluation import said_as_a_learner_error

    def said(word: str, voice: str, accent: str | None = None) -> bool:
        (slot,) = word_slots([word], accent)
        return said_as_a_learner_error(voice, word, slot)

    assert said("this", "espeak:en-029@160")  # "dis": DH>D
    assert not said("nice", "espeak:en-029@160")  # said as in the US
    assert not said("this", "espeak:en-us+m4@160")  # a US voice: no accent
    assert not said("this", "espeak:en-029@160", accent="en-029")  # accent set
