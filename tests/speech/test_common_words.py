"""Common English words, and naming a run of heard phones after the nearest of them."""

from speech.common_words import common_words, nearest_word


def test_common_words_are_in_frequency_order_and_pronounceable():
    words = common_words()
    assert words.index("the") < words.index("weather") < words.index("pronunciation")
    assert "th" not in words and "a" in words


def test_heard_phones_are_named_after_the_nearest_common_word_when_it_is_near():
    assert nearest_word(("R", "IH", "L", "IY")) == "really"
    assert nearest_word(("S", "OW")) == "so"
    assert nearest_word(("P", "R", "AA", "B", "AH", "B", "L", "IY")) == "probably"
    assert nearest_word(("AY", "JH", "AH", "S", "T")) == "just"  # one phone of a neighbour: one edit in five


def test_nothing_is_named_when_no_common_word_is_near():
    assert nearest_word(()) is None
    assert nearest_word(("S", "AA")) is None  # two phones: only an exact match names them
    assert nearest_word(("ZH", "NG", "ZH", "OY", "TH", "UH")) is None
