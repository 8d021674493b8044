"""Accepted answers match by wording (normalised, fuzzy) and by meaning (sentence embeddings)."""

from __future__ import annotations

import pytest

from lessons.answers import match_answer, normalize_answer

AGE = ["I am twenty years old", "Twenty"]


def test_normalisation_handles_case_punctuation_contractions_fillers_and_numbers():
    assert normalize_answer("Um, I'm TWENTY years old!") == "i am 20 years old"
    assert normalize_answer("I’m 20 years old.") == "i am 20 years old"


@pytest.mark.parametrize(
    ("answer", "method"),
    [
        ("i'm twenty years old", "exact"),
        ("Uh... I am 20 years old.", "exact"),
        ("I am twenty yeas old", "wording"),
    ],
)
def test_wording_matches_without_the_model(answer, method):
    result = match_answer(answer, AGE, use_meaning=False)
    assert result.accepted and result.method == method


@pytest.mark.parametrize("answer", ["I'm thirty years old", "I am not twenty years old"])
def test_different_number_or_a_negation_is_not_a_wording_match(answer):
    assert not match_answer(answer, AGE, use_meaning=False).accepted


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer", "accepted_answers"),
    [
        ("My age is twenty", AGE),
        ("The sun is shining", ["It is sunny", "The weather is nice"]),
        ("I usually take the bus to work", ["I go to work by bus"]),
    ],
)
def test_same_meaning_in_other_words_is_accepted(answer, accepted_answers):
    result = match_answer(answer, accepted_answers)
    assert result.accepted and result.method == "meaning" and result.meaning_score >= 0.7


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer", "accepted_answers"),
    [
        ("I live in Paris", AGE),
        ("It's raining", ["It is sunny"]),
        ("I don't go to work by bus", ["I go to work by bus"]),
        ("My age is thirty", AGE),
    ],
)
def test_other_meanings_are_refused(answer, accepted_answers):
    assert not match_answer(answer, accepted_answers).accepted
