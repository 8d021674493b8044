"""The learned interaction model: labels from annotations, masks, the committed weights, deterministic training."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from tutor.engine.interaction import (
    ACTIONS,
    FEATURES,
    WEIGHTS,
    LearnedPolicy,
    allowed_actions,
    load_weights,
    state_features,
)
from tutor.engine.policy import Action, TickState
from tutor.engine.train_interaction import Example, _with_turn_speech, load_examples, target_action, train

SENTENCE = 8


def tick(**changes) -> TickState:
    """A learner reading an 8-word sentence, tutor quiet, 10 s into the item."""
    state = TickState(
        now=10.0,
        learner_speaking=True,
        speech_s=1.5,
        silence_s=0.0,
        learner_has_spoken=True,
        tutor_speaking=False,
        expected_words=SENTENCE,
        words_judged=3,
        pending_correction=None,
        pending_feedback=False,
        since_backchannel_s=1e9,
        since_nudge_s=1e9,
        item_elapsed_s=10.0,
        time_limit_s=None,
        patience=1.0,
        voice_probability=0.9,
        last_speech_s=0.0,
        turn_speech_s=1.5,
        words_heard=5,
        decoder_silence_s=0.0,
    )
    return replace(state, **changes)


def finished_sentence(**changes) -> TickState:
    finished = {
        "learner_speaking": False,
        "speech_s": 0.0,
        "silence_s": 0.2,
        "words_judged": SENTENCE - 1,
        "words_heard": SENTENCE,
        "voice_probability": 0.05,
        "last_speech_s": 3.0,
        "turn_speech_s": 3.0,
        "decoder_silence_s": 0.25,
    }
    return tick(**{**finished, **changes})


def mid_sentence_pause(**changes) -> TickState:
    paused = {
        "learner_speaking": False,
        "speech_s": 0.0,
        "silence_s": 0.8,
        "words_judged": 4,
        "words_heard": 4,
        "voice_probability": 0.02,
        "last_speech_s": 1.5,
        "turn_speech_s": 1.5,
        "decoder_silence_s": 0.8,
    }
    return tick(**{**paused, **changes})


# --- labels ------------------------------------------------------------------------------------------


def test_labels_follow_the_annotations():
    turn_end = [{"type": "turn_end", "t": 9.9}]
    assert target_action(finished_sentence(), turn_end) is Action.TAKE_TURN
    pause = [{"type": "pause", "start": 9.0, "end": 10.5}, {"type": "turn_end", "t": 14.0}]
    assert target_action(mid_sentence_pause(since_backchannel_s=1.0), pause) is Action.SILENT
    assert target_action(mid_sentence_pause(), pause) is Action.BACKCHANNEL  # the teacher's "mm-hm" in a pause
    assert target_action(tick(), turn_end) is Action.SILENT  # still speaking by the VAD
    barge_in = [{"type": "barge_in", "t": 9.8}]
    assert target_action(tick(tutor_speaking=True), barge_in) is Action.YIELD
    backchannel = [{"type": "learner_backchannel", "start": 9.7, "end": 10.2}]
    assert target_action(tick(tutor_speaking=True), backchannel) is Action.KEEP_SPEAKING


def test_labels_take_rule_governed_actions_from_the_teacher_policy():
    assert target_action(tick(pending_correction="immediate"), []) is Action.CORRECT_NOW
    timed = tick(expected_words=0, words_heard=0, words_judged=0, time_limit_s=8.0, item_elapsed_s=8.1)
    assert target_action(timed, []) is Action.TAKE_TURN
    # the hand-written policy would answer a free answer after 0.8 s of silence; the annotations say not yet
    free = mid_sentence_pause(expected_words=0, words_heard=0, words_judged=0, silence_s=1.0)
    assert target_action(free, [{"type": "turn_end", "t": 15.0}]) is Action.SILENT


# --- masks and features ----------------------------------------------------------------------------


def test_impossible_actions_are_masked():
    mask = dict(zip(ACTIONS, allowed_actions(tick(tutor_speaking=True)), strict=True))
    assert {action for action, ok in mask.items() if ok} == {Action.KEEP_SPEAKING, Action.YIELD}
    mask = dict(zip(ACTIONS, allowed_actions(tick()), strict=True))
    assert not mask[Action.TAKE_TURN] and not mask[Action.BACKCHANNEL] and not mask[Action.CORRECT_NOW]
    talking = tick(expected_words=0, words_heard=0, words_judged=0, time_limit_s=30.0, item_elapsed_s=12.0)
    mask = dict(zip(ACTIONS, allowed_actions(replace(talking, learner_speaking=False, silence_s=2.0)), strict=True))
    assert not mask[Action.TAKE_TURN] and mask[Action.SILENT]  # the learner keeps the floor until the time is up
    mask = dict(zip(ACTIONS, allowed_actions(replace(talking, item_elapsed_s=30.0)), strict=True))
    assert mask[Action.TAKE_TURN] and not mask[Action.SILENT]  # and then the tutor speaks
    mask = dict(zip(ACTIONS, allowed_actions(finished_sentence(pending_correction="at_pause")), strict=True))
    assert mask[Action.CORRECT_AT_PAUSE] and not mask[Action.CORRECT_NOW] and not mask[Action.FEEDBACK_AT_PAUSE]


def test_features_are_finite_and_bounded_for_extreme_states():
    extreme = tick(since_backchannel_s=1e12, item_elapsed_s=1e6, silence_s=1e6, patience=0.0, expected_words=0)
    values = state_features(extreme)
    assert values.shape == (len(FEATURES),)
    assert np.isfinite(values).all() and np.abs(values).max() <= 60


# --- the committed model ---------------------------------------------------------------------------


def test_the_committed_model_answers_a_finished_sentence_and_waits_through_a_pause():
    policy = LearnedPolicy()
    assert policy.decide(finished_sentence()) is Action.TAKE_TURN
    assert policy.decide(mid_sentence_pause()) in (Action.SILENT, Action.BACKCHANNEL)
    assert policy.decide(tick()) is Action.SILENT
    assert policy.decide(tick(pending_correction="immediate")) is Action.CORRECT_NOW
    assert policy.decide(tick(tutor_speaking=True, speech_s=0.1)) is Action.KEEP_SPEAKING


def test_weights_for_other_features_are_refused(tmp_path):
    import torch

    saved = torch.load(WEIGHTS, weights_only=True)
    saved["features"] = saved["features"][:-1]
    path = tmp_path / "old.pt"
    torch.save(saved, path)
    with pytest.raises(ValueError, match="retrain"):
        load_weights(path)
    with pytest.raises(FileNotFoundError, match="train_interaction"):
        load_weights(tmp_path / "missing.pt")


# --- training ----------------------------------------------------------------------------------------


def small_training_set() -> list[Example]:
    examples = []
    for index in range(6):
        annotations = [{"type": "turn_end", "t": 9.9}]
        for state in (finished_sentence(), mid_sentence_pause(now=9.0 + index * 0.01), tick()):
            examples.append(Example(f"dev-{index}", state, target_action(state, annotations)))
    return examples


def test_training_is_deterministic_and_learns_the_examples():
    first, second = train(small_training_set(), seed=3), train(small_training_set(), seed=3)
    for (name, a), (_name, b) in zip(first.state_dict().items(), second.state_dict().items(), strict=True):
        assert torch_equal(a, b), name
    features = np.stack([state_features(e.state) for e in small_training_set()])
    import torch

    with torch.no_grad():
        logits = first.layers((torch.from_numpy(features) - first.mean) / first.std).numpy()
    masks = np.stack([allowed_actions(e.state) for e in small_training_set()])
    chosen = [ACTIONS[i] for i in np.where(masks, logits, -np.inf).argmax(axis=1)]
    assert chosen == [e.target for e in small_training_set()]


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_turn_speech_is_counted_from_old_traces_the_way_the_engine_counts_it():
    ticks = [
        {"item": 0, "now": 1.0, "learner_speaking": True, "tutor_speaking": True},  # over the tutor: not the turn
        {"item": 0, "now": 1.2, "learner_speaking": True, "tutor_speaking": False},
        {"item": 0, "now": 1.4, "learner_speaking": False, "tutor_speaking": False},
        {"item": 0, "now": 1.5, "learner_speaking": True, "tutor_speaking": False},
        {"item": 1, "now": 1.7, "learner_speaking": True, "tutor_speaking": False},  # a new item starts at zero
    ]
    filled = _with_turn_speech(ticks)
    assert [tick["turn_speech_s"] for tick in filled] == [0.0, 0.2, 0.2, 0.3, 0.0]
    assert [tick["tutor_interrupted"] for tick in filled] == [False, True, True, True, False]


def test_records_of_eval_scenarios_are_refused(tmp_path):
    record = {"scenario": "eval-000-read", "annotations": [], "events": []}
    (tmp_path / "eval-000-read-expectation.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="dev scenarios only"):
        load_examples([tmp_path])
    with pytest.raises(FileNotFoundError):
        load_examples([tmp_path / "empty"])
