from lessons.tasks import compose_feedback


def test_a_right_answer_is_praised_and_a_wrong_one_gets_a_model_answer():
    assert compose_feedback("question", "It is blue", ["blue", "it is blue"], 1.0)[0] == "That's right."
    text, facts = compose_feedback("question", "green", ["blue"], 1.0)
    assert text == "A good answer would be: blue" and facts["accepted"] is False


def test_free_talk_feedback_counts_words_and_silence_is_not_judged():
    text, facts = compose_feedback("free", "I went to the park with my sister and we played", [], 6.0)
    assert facts == {"word_count": 11, "words_per_minute": 110} and "11 words" in text
    assert compose_feedback("free", "", [], 2.0)[1] == {"word_count": 0}
