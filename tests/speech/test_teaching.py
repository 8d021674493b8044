"""Teaching renderings and the IPA -> espeak-ng table, checked by round trip through espeak-ng."""

from __future__ import annotations

import pytest

from speech.synthesis import Synthesizer, voice_for
from speech.synthesis.espeak import espeak_engine
from speech.synthesis.ipa import UnknownPhoneError, comparable_ipa, ipa_to_espeak
from speech.teaching import contrast_pair, from_ipa, slow_word, sound_in_isolation

# Dictionary-style General American IPA as a lesson author would write it (stress before the syllable).
LESSON_WORDS = {
    "three": "θɹiː",
    "tree": "tɹiː",
    "this": "ðɪs",
    "vest": "vɛst",
    "west": "wɛst",
    "light": "laɪt",
    "right": "ɹaɪt",
    "ship": "ʃɪp",
    "sheep": "ʃiːp",
    "pull": "pʊl",
    "pool": "puːl",
    "bed": "bɛd",
    "bad": "bæd",
    "cup": "kʌp",
    "boy": "bɔɪ",
    "go": "ɡoʊ",
    "now": "naʊ",
    "day": "deɪ",
    "girl": "ɡɝl",
    "nurse": "ˈnɜːrs",
    "teacher": "ˈtiːtʃɚ",
    "jungle": "ˈdʒʌŋɡəl",
    "vision": "ˈvɪʒən",
    "yellow": "ˈjɛloʊ",
    "morning": "ˈmɔːɹnɪŋ",
    "hair": "hɛɹ",
    "hello": "həˈloʊ",
    "mother": "ˈmʌðɚ",
    "around": "əˈɹaʊnd",
    "thanks": "θæŋks",
}


def rendered_ipa(ipa: str) -> str:
    return espeak_engine().synthesize_with_ipa(f"[[{ipa_to_espeak(ipa)}]]", "en-us")[1]


@pytest.mark.parametrize(("word", "ipa"), sorted(LESSON_WORDS.items()))
def test_ipa_round_trips_through_espeak(word: str, ipa: str) -> None:
    assert comparable_ipa(rendered_ipa(ipa)) == comparable_ipa(ipa), word


def test_espeaks_own_ipa_round_trips() -> None:
    engine = espeak_engine()
    for word in ["weather", "thirty", "measure", "orange", "question", "usually", "bottle", "either"]:
        own = engine.synthesize_with_ipa(word, "en-us")[1]
        assert comparable_ipa(rendered_ipa(own)) == comparable_ipa(own), word


def test_table_spells_espeak_mnemonics() -> None:
    assert ipa_to_espeak("θɪŋk") == "TINk"
    assert ipa_to_espeak("/ˈwɔːtɚ/") == "'wO:t3"
    assert ipa_to_espeak("ˈvɛri") == "'vEri"  # the r starts the next syllable
    assert ipa_to_espeak("kɛɹ") == "ke@"
    with pytest.raises(UnknownPhoneError, match="'q'"):
        ipa_to_espeak("qθ")


def test_contrast_pair_plays_the_wrong_sound_then_the_right_one() -> None:
    clip = contrast_pair("sɪŋk", "θɪŋk", said_word="sink", meant_word="think")
    said, meant = clip.rendered_ipa
    assert comparable_ipa(said) == comparable_ipa("sɪŋk")
    assert comparable_ipa(meant) == comparable_ipa("θɪŋk")
    assert clip.caption == "not sink — think"
    alone = from_ipa("sɪŋk").audio.seconds + from_ipa("θɪŋk").audio.seconds
    assert alone < clip.audio.seconds < alone + 2.5


def test_contrast_pair_without_words_captions_the_ipa() -> None:
    clip = contrast_pair("bɛɹi", "vɛɹi")
    assert clip.caption == "not /bɛɹi/ — /vɛɹi/"
    assert [comparable_ipa(part) for part in clip.rendered_ipa] == ["bɛɹi", "vɛɹi"]


def test_sound_in_isolation_is_only_that_sound() -> None:
    clip = sound_in_isolation("θ", repeats=3)
    assert [comparable_ipa(part) for part in clip.rendered_ipa] == ["θθθ", "θ", "θ", "θ"]
    vowel = sound_in_isolation("ɪ", repeats=2)
    assert [comparable_ipa(part) for part in vowel.rendered_ipa] == ["ɪ", "ɪ"]
    assert clip.audio.seconds > 1.0


def test_slow_word_is_slower_than_normal_speech() -> None:
    synthesizer = Synthesizer(voice_for("en-us"))
    normal = synthesizer.render("beautiful")
    slow = slow_word(synthesizer, "beautiful")
    assert slow.audio.seconds > 1.3 * len(normal) / synthesizer.rate
    assert slow.caption == "beautiful"


def test_teaching_clip_streams_in_short_chunks() -> None:
    chunks = list(contrast_pair("lɪp", "ɹɪp").stream())
    assert all(chunk.sample_count <= 882 for chunk in chunks)
    assert chunks[-1].final
