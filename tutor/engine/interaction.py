"""The learned interaction model: each tick's state to an action, by a small torch network.

The network is trained by `python -m tutor.engine.train_interaction` on the
engine's own tick traces from dev scenarios, labelled from the scenarios'
annotations (docs/duplexbench.md, "The interaction model"); its weights are
committed in `tutor/engine/data/interaction.pt`. At run time the forward pass
is done in numpy (two small matrix products per tick, a few microseconds).

Actions that make no sense in a state are masked before the arg-max, so the
model chooses among the possible ones: only "keep speaking" or "yield" while
the tutor talks, and "yield" only to the learner's speech; "keep speaking"
while quiet only when a barge-in cut something off (it is said again); a
correction only when one is waiting, in the mode the lesson asked for;
backchannels and nudges no more often than the hand-written policy allows; a
free answer (no expected sentence) never answered before 0.6 s of silence
(times the learner's patience); nothing said over the learner's speech; and
in a timed activity the turn is taken exactly when the time is up, never
before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from .policy import Action, ExpectationPolicy, TickState

WEIGHTS = Path(__file__).with_name("data") / "interaction.pt"
ACTIONS: tuple[Action, ...] = tuple(Action)
# "not too often" is a rule, not a guess: the hand-written policy's spacing of backchannels and nudges
BACKCHANNEL_EVERY_S = ExpectationPolicy.backchannel_every_s
NUDGE_EVERY_S = ExpectationPolicy.nudge_after_s
# a free answer has no expected end to hear: the network decides when, but never before this much silence
FREE_ANSWER_FLOOR_S = 0.6

FEATURES = (
    "learner_speaking",
    "speech_s",
    "silence_s",
    "silence_over_patience",
    "learner_has_spoken",
    "turn_speech_s",
    "tutor_interrupted",
    "can_resume",
    "tutor_speaking",
    "has_expected_sentence",
    "judged_share",
    "heard_share",
    "heard_all",
    "decoder_silence_s",
    "correction_immediate",
    "correction_at_pause",
    "feedback_waiting",
    "has_time_limit",
    "time_left_s",
    "patience",
)


def state_features(state: TickState) -> np.ndarray:
    expected = state.expected_words
    time_left = 0.0
    if state.time_limit_s is not None:
        time_left = float(np.clip(state.time_limit_s - state.item_elapsed_s, -5.0, 30.0))
    values = [
        float(state.learner_speaking),
        min(state.speech_s, 5.0),
        min(state.silence_s, 12.0),
        min(state.silence_s / max(state.patience, 0.1), 12.0),
        float(state.learner_has_spoken),
        min(state.turn_speech_s, 10.0),
        float(state.tutor_interrupted),
        float(state.can_resume),
        float(state.tutor_speaking),
        float(expected > 0),
        state.words_judged / expected if expected else 0.0,
        min(state.words_heard / expected, 1.0) if expected else 0.0,
        float(expected > 0 and state.words_heard >= expected),
        min(state.decoder_silence_s, 3.0),
        float(state.pending_correction == "immediate"),
        float(state.pending_correction == "at_pause"),
        float(state.pending_feedback),
        float(state.time_limit_s is not None),
        time_left,
        state.patience,
    ]
    return np.asarray(values, dtype=np.float32)


def allowed_actions(state: TickState) -> np.ndarray:
    """A boolean mask over ACTIONS of what may be done in this state."""
    allowed = {action: True for action in ACTIONS}
    speaking_only = {Action.KEEP_SPEAKING, Action.YIELD}
    for action in ACTIONS:
        if (action in speaking_only) != state.tutor_speaking:
            allowed[action] = False
    if state.can_resume and not state.tutor_speaking and not state.learner_speaking:
        allowed[Action.KEEP_SPEAKING] = True  # say again what a barge-in cut off
    if not state.learner_speaking:
        allowed[Action.YIELD] = False  # the tutor gives way to the learner's speech, not to silence
    if state.pending_correction != "immediate":
        allowed[Action.CORRECT_NOW] = False
    if state.pending_correction != "at_pause" or state.learner_speaking:
        allowed[Action.CORRECT_AT_PAUSE] = False
    if not state.pending_feedback or state.learner_speaking:
        allowed[Action.FEEDBACK_AT_PAUSE] = False
    if state.since_backchannel_s < BACKCHANNEL_EVERY_S:
        allowed[Action.BACKCHANNEL] = False
    if state.since_nudge_s < NUDGE_EVERY_S * state.patience:
        allowed[Action.NUDGE] = False
    if state.learner_speaking:
        allowed[Action.BACKCHANNEL] = False
        allowed[Action.NUDGE] = False
        allowed[Action.TAKE_TURN] = False
    if state.expected_words == 0 and state.silence_s < FREE_ANSWER_FLOOR_S * state.patience:
        allowed[Action.TAKE_TURN] = False  # overridden below when a timed activity's time is up
    if state.time_limit_s is not None and not state.tutor_speaking:
        # a timed activity is the lesson's plan, not a guess: the learner keeps the floor until the time is
        # up, and then the tutor speaks (after a correction that is due)
        time_up = state.item_elapsed_s >= state.time_limit_s
        for action in (Action.SILENT, Action.BACKCHANNEL, Action.NUDGE):
            allowed[action] = allowed[action] and not time_up
        allowed[Action.TAKE_TURN] = time_up
    return np.asarray([allowed[action] for action in ACTIONS])


@dataclass(frozen=True)
class InteractionWeights:
    """The trained network as arrays: normalisation, then Linear-tanh-Linear-tanh-Linear."""

    mean: np.ndarray
    std: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    features: tuple[str, ...]
    actions: tuple[str, ...]

    def logits(self, features: np.ndarray) -> np.ndarray:
        hidden = (features - self.mean) / self.std
        for index, (weight, bias) in enumerate(self.layers):
            hidden = hidden @ weight.T + bias
            if index < len(self.layers) - 1:
                hidden = np.tanh(hidden)
        return hidden


def load_weights(path: Path = WEIGHTS) -> InteractionWeights:
    import torch

    if not path.exists():
        raise FileNotFoundError(f"{path}: no interaction model; train one: python -m tutor.engine.train_interaction")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if tuple(saved["features"]) != FEATURES or tuple(saved["actions"]) != tuple(a.value for a in ACTIONS):
        raise ValueError(f"{path}: trained for other features or actions; retrain it")
    state = saved["state_dict"]
    linear = sorted({key.rsplit(".", 1)[0] for key in state if key.startswith("layers.")}, key=_layer_order)
    layers = tuple((state[f"{name}.weight"].numpy(), state[f"{name}.bias"].numpy()) for name in linear)
    return InteractionWeights(
        mean=state["mean"].numpy(),
        std=state["std"].numpy(),
        layers=layers,
        features=tuple(saved["features"]),
        actions=tuple(saved["actions"]),
    )


def _layer_order(name: str) -> int:
    return int(name.split(".")[1])


@cache
def default_weights() -> InteractionWeights:
    return load_weights()


@dataclass(frozen=True)
class LearnedPolicy:
    """The trained interaction model as a policy; barge-in between ticks uses the same rule as the others."""

    name: str = "learned"
    barge_in_s: float = 0.15  # between ticks; the echo gate keeps the tutor's own voice out of this
    weights: InteractionWeights = field(default_factory=default_weights, repr=False)

    def decide(self, state: TickState) -> Action:
        logits = self.weights.logits(state_features(state))
        logits = np.where(allowed_actions(state), logits, -np.inf)
        return ACTIONS[int(np.argmax(logits))]
