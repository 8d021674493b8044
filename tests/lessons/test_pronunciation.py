"""The pronunciation adapter (CMUdict + espeak-ng) and the minimal-pair suggestions from the lexicon."""

from __future__ import annotations

from lessons import pronunciation, suggestions


def test_lexicon_words_get_ipa_with_stress_and_schwa():
    spoken = pronunciation.pronounce("Think about the weather")
    assert [word.source for word in spoken.words] == ["cmudict"] * 4
    assert spoken.ipa == "ˈθɪŋk əˌbaʊt ðə ˈwɛðɚ"
    assert pronunciation.ipa("a cup of tea").startswith("ə ˈkʌp")
    assert spoken.words[0].arpabet == ["TH", "IH", "NG", "K"]


def test_unknown_words_are_guessed_and_listed():
    spoken = pronunciation.pronounce("Hello Zorblax 42")
    assert spoken.fallback_words == ["Zorblax", "42"]
    assert spoken.words[1].source == "espeak" and spoken.words[1].ipa


def test_other_languages_use_espeak():
    spoken = pronunciation.pronounce("bonjour", "fr-fr")
    assert spoken.words[0].source == "espeak" and spoken.fallback_words == []


def test_phonemes_of_ipa_reads_two_symbol_phonemes():
    assert pronunciation.phonemes_of_ipa("ˈtʃiːz ˈθɪŋk") == {"tʃ", "iː", "z", "θ", "ɪ", "ŋ", "k"}


def test_minimal_pairs_for_th_are_common_words_that_differ_in_one_sound():
    pairs = suggestions.minimal_pairs("θ")
    assert ("think", "sink") in [(pair.target.text, pair.contrast.text) for pair in pairs]
    for pair in pairs:
        assert "θ" in pair.target.ipa and pair.contrast_phoneme in suggestions.CONFUSABLE["θ"]


def test_r_and_l_pairs_contrast_before_a_vowel():
    pairs = [(pair.target.text, pair.contrast.text) for pair in suggestions.minimal_pairs("r")]
    assert ("right", "light") in pairs and ("for", "fall") not in pairs


def test_example_words_for_the_schwa():
    words = suggestions.example_words("ə", 5)
    assert len(words) == 5 and all("ə" in word.ipa for word in words)
