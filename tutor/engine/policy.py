"""Deciding what to do each tick: the state the engine sees and the action it takes.

`ExpectationPolicy` is the hand-written policy that uses what the lesson
expects the learner to say; `SilenceTimeoutPolicy` is the walkie-talkie
baseline every full-duplex system is compared with (answer after N ms of
silence). Both map one `TickState` to one `Action`, so the bench can run either.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Action(enum.StrEnum):
    SILENT = "silent"
    BACKCHANNEL = "backchannel"
    TAKE_TURN = "take_turn"
    KEEP_SPEAKING = "keep_speaking"  # while quiet after a barge-in: say again what it cut off
    YIELD = "yield"
    CORRECT_NOW = "correct_now"
    CORRECT_AT_PAUSE = "correct_at_pause"
    NUDGE = "nudge"
    FEEDBACK_AT_PAUSE = "feedback_at_pause"  # a background worker's verdict on an earlier answer


@dataclass(frozen=True)
class TickState:
    now: float  # learner-audio time, seconds
    learner_speaking: bool
    speech_s: float  # length of the current stretch of speech
    silence_s: float  # since the learner last stopped speaking (or since the item was presented)
    learner_has_spoken: bool  # during the current item
    tutor_speaking: bool
    expected_words: int  # 0 when the item has no expected sentence
    words_judged: int
    pending_correction: str | None  # None, "immediate" or "at_pause"
    pending_feedback: bool  # a background result waits to be said
    since_backchannel_s: float
    since_nudge_s: float
    item_elapsed_s: float
    time_limit_s: float | None
    patience: float
    voice_probability: float = 0.0  # silero's speech probability on the latest window
    last_speech_s: float = 0.0  # length of the learner's last finished stretch of speech
    turn_speech_s: float = 0.0  # all the learner's speech in this item while the tutor was quiet
    tutor_interrupted: bool = False  # the tutor stopped while the learner spoke over it during this item
    can_resume: bool = False  # what the learner cut off can be said again (keep speaking while quiet resumes it)
    words_heard: int = 0  # reference words the decoder's partial path has reached, final or not
    decoder_silence_s: float = 0.0  # decoded audio since the partial path's last word ended

    @property
    def expected_done(self) -> bool:
        return self.expected_words > 0 and self.words_judged >= self.expected_words


class Policy(Protocol):
    name: str

    def decide(self, state: TickState) -> Action: ...


@dataclass(frozen=True)
class ExpectationPolicy:
    name: str = "expectation"
    barge_in_s: float = 0.3  # continuous learner speech that stops the tutor; shorter is a backchannel
    correction_pause_s: float = 0.25
    backchannel_pause_s: float = 0.5
    backchannel_min_speech_s: float = 1.0
    backchannel_every_s: float = 4.0
    free_answer_pause_s: float = 0.8
    nudge_after_s: float = 5.0
    give_up_after_s: float = 9.0  # the learner stopped part-way and does not go on

    def decide(self, state: TickState) -> Action:
        patience = state.patience
        if state.tutor_speaking:
            if state.learner_speaking and state.speech_s >= self.barge_in_s:
                return Action.YIELD
            return Action.KEEP_SPEAKING
        if state.pending_correction == "immediate":
            return Action.CORRECT_NOW
        if state.time_limit_s is not None and state.item_elapsed_s >= state.time_limit_s:
            return Action.TAKE_TURN
        if state.expected_done and not state.learner_speaking:
            return Action.TAKE_TURN
        if state.learner_speaking:
            return Action.SILENT
        if state.pending_correction == "at_pause" and state.silence_s >= self.correction_pause_s:
            return Action.CORRECT_AT_PAUSE
        if state.pending_feedback and state.silence_s >= self.correction_pause_s:
            return Action.FEEDBACK_AT_PAUSE
        if state.learner_has_spoken:
            if state.silence_s >= self.give_up_after_s * patience:
                return Action.TAKE_TURN
            if state.expected_words:
                if (
                    state.silence_s >= self.backchannel_pause_s * patience
                    and state.since_backchannel_s >= self.backchannel_every_s
                    and state.silence_s < self.nudge_after_s * patience
                ):
                    return Action.BACKCHANNEL
            elif state.time_limit_s is None and state.silence_s >= self.free_answer_pause_s * patience:
                return Action.TAKE_TURN
        if state.silence_s >= self.nudge_after_s * patience and state.since_nudge_s >= self.nudge_after_s * patience:
            return Action.NUDGE
        return Action.SILENT


@dataclass(frozen=True)
class SilenceTimeoutPolicy:
    """Answer after `timeout_s` of silence; stop when the learner speaks over the tutor."""

    name: str = "silence_timeout"
    timeout_s: float = 0.7
    barge_in_s: float = 0.3

    def decide(self, state: TickState) -> Action:
        if state.tutor_speaking:
            if state.learner_speaking and state.speech_s >= self.barge_in_s:
                return Action.YIELD
            return Action.KEEP_SPEAKING
        if state.learner_has_spoken and not state.learner_speaking and state.silence_s >= self.timeout_s:
            return Action.TAKE_TURN
        if state.pending_feedback and not state.learner_speaking and state.silence_s >= self.timeout_s:
            return Action.FEEDBACK_AT_PAUSE
        return Action.SILENT


def _learned_policy() -> Policy:
    from .interaction import LearnedPolicy  # loads the trained weights, so only when asked for

    return LearnedPolicy()


def _patient_silence_timeout() -> Policy:
    """The baseline at a timeout long enough not to take over the scenarios' pauses (up to 1.2 s)."""
    return SilenceTimeoutPolicy(name="silence_timeout_1200", timeout_s=1.2)


POLICIES = {
    "learned": _learned_policy,
    "expectation": ExpectationPolicy,
    "silence_timeout": SilenceTimeoutPolicy,
    "silence_timeout_1200": _patient_silence_timeout,
}
DEFAULT_POLICY = "learned"  # the trained interaction model; the others stay selectable for the bench
