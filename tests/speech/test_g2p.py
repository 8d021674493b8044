import pytest

from speech import g2p


def test_known_word_comes_from_cmudict_with_ipa_and_arpabet():
    (word,) = g2p.pronounce("think").words

    assert word.ipa == ["θ", "ɪ", "ŋ", "k"]
    assert word.arpabet == ["TH", "IH", "NG", "K"]
    assert word.source == "cmudict"


def test_casing_and_punctuation_do_not_change_the_words():
    loud = g2p.pronounce("THINK, “Don’t” stop!")
    quiet = g2p.pronounce("think don't stop")

    assert [w.text for w in loud.words] == ["think", "don't", "stop"]
    assert [w.ipa for w in loud.words] == [w.ipa for w in quiet.words]


def test_ipa_joins_words_with_spaces():
    assert g2p.ipa("I think") == "aɪ θɪŋk"


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (21, "twenty-one"),
        (100, "one hundred"),
        (1905, "one thousand nine hundred five"),
        (2_000_017, "two million seventeen"),
        (-40, "minus forty"),
    ],
)
def test_spell_number(number, spoken):
    assert g2p.spell_number(number) == spoken


@pytest.mark.parametrize(
    ("number", "spoken"), [(1, "first"), (3, "third"), (12, "twelfth"), (21, "twenty-first"), (40, "fortieth")]
)
def test_spell_ordinal(number, spoken):
    assert g2p.spell_ordinal(number) == spoken


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("21", ["twenty", "one"]),
        ("3rd", ["third"]),
        ("1,234", ["one", "thousand", "two", "hundred", "thirty", "four"]),
        ("2.5", ["two", "point", "five"]),
        ("50%", ["fifty", "percent"]),
        ("$4.50", ["four", "dollars", "fifty", "cents"]),
        ("COVID-19", ["covid", "nineteen"]),
    ],
)
def test_numbers_are_spelled_out_in_english(text, words):
    pronunciation = g2p.pronounce(text)

    assert [w.text for w in pronunciation.words] == words
    assert {w.written for w in pronunciation.words} == {text}


def test_word_missing_from_cmudict_falls_back_to_espeak_and_is_reported():
    pronunciation = g2p.pronounce("the zyzzlewop sings")

    assert pronunciation.fallback_words == ["zyzzlewop"]
    word = pronunciation.words[1]
    assert word.source == "espeak"
    assert word.ipa[:2] == ["z", "ɪ"]
    assert word.arpabet is not None and word.arpabet[:2] == ["Z", "IH"]
    assert [w.source for w in pronunciation.words] == ["cmudict", "espeak", "cmudict"]


def test_other_languages_use_espeak_and_keep_their_numbers():
    pronunciation = g2p.pronounce("Bonjour, 21 fois", "fr-fr")

    assert [w.text for w in pronunciation.words] == ["bonjour", "21", "fois"]
    assert pronunciation.words[0].ipa == ["b", "ɔ̃", "ʒ", "u", "ʁ"]
    assert all(w.source == "espeak" and w.arpabet is None for w in pronunciation.words)
    assert pronunciation.fallback_words == []
    assert pronunciation.words[1].ipa == ["v", "ɛ̃", "t", "e", "œ̃"]


def test_british_english_gets_british_phones_not_cmudict():
    british = g2p.pronounce("car", "en-gb")
    american = g2p.pronounce("car", "en-us")

    assert british.words[0].source == "espeak" and british.fallback_words == []
    assert "ɹ" not in british.words[0].ipa  # non-rhotic
    assert american.words[0].ipa == ["k", "ɑ", "ɹ"]
    assert british.words[0].arpabet == ["K", "AA"]
    assert [w.text for w in g2p.pronounce("21", "en-gb").words] == ["twenty", "one"]


def test_espeak_backend_is_created_once_per_language():
    assert g2p.espeak_backend("en-us") is g2p.espeak_backend("en-us")


@pytest.mark.parametrize("phone", sorted(g2p.ARPABET_TO_IPA))
def test_arpabet_ipa_round_trip_with_stress(phone):
    variants = [phone + digit for digit in "012"] if phone in g2p.ARPABET_VOWELS else [phone]
    for arpabet in variants:
        ipa = g2p.arpabet_to_ipa([arpabet], stress_marks=True)
        assert g2p.ipa_to_arpabet(ipa, stress_digits=phone in g2p.ARPABET_VOWELS) == [arpabet]


def test_arpabet_ipa_round_trip_without_stress():
    phones = sorted(g2p.ARPABET_TO_IPA)

    assert g2p.ipa_to_arpabet(g2p.arpabet_to_ipa(phones)) == phones
    assert g2p.arpabet_to_ipa(["AH0", "ER0", "AH1"]) == ["ə", "ɚ", "ʌ"]
    assert g2p.arpabet_to_ipa(["TH", "IH1", "NG", "K"], stress_marks=True) == ["θ", "ˈɪ", "ŋ", "k"]


def test_unknown_phones_are_refused():
    with pytest.raises(ValueError, match="XX"):
        g2p.arpabet_to_ipa(["XX"])
    with pytest.raises(ValueError, match="ʘ"):
        g2p.ipa_to_arpabet(["ʘ"])


def test_lexicon_words_with_phone_accepts_ipa_or_arpabet():
    with_theta = g2p.lexicon_words_with_phone("θ")

    assert with_theta == g2p.lexicon_words_with_phone("TH")
    assert {"think", "bath", "three"} <= set(with_theta)
    assert "sink" not in with_theta
