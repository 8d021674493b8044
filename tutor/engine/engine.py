"""The per-session conversation engine.

Every 200 ms of learner audio (a *tick*), and at once when the learner stops
speaking, the engine updates what it hears —
voice activity, the streaming pronunciation verdicts on the expected sentence —
builds a `TickState` and asks its policy for one `Action`, which it carries
out: stay silent, backchannel, take the turn, yield to a barge-in, correct a
word now or at the next pause, or nudge. Model work (VAD, decoding) runs in the
session's own worker thread, never on the event loop; speech is rendered by the
shared synthesiser and played by the `TutorSpeaker`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np

from speech.audio import resample
from speech.pronunciation.scorer import reference_words
from speech.scoring import (
    LearnerChannel,
    StreamingAssessor,
    UnknownWordError,
    UnsupportedLanguageError,
    WordVerdict,
)
from speech.teaching import contrast_pair

from .echo import EchoGate
from .pace import LearnerPace
from .plan import LessonItem, LessonPlan
from .policy import Action, ExpectationPolicy, Policy, TickState
from .speaker import TutorSpeaker
from .vad import VoiceActivity, VoiceState
from .voice import TutorVoice, tutor_voice

log = logging.getLogger(__name__)

TICK_SECONDS = 0.2
TICK_BYTES = int(16000 * TICK_SECONDS) * 2
PREROLL_BYTES = int(16000 * 0.4) * 2  # audio before the detected onset that the decoder also gets
MAX_ANSWER_BYTES = 60 * 16000 * 2  # a free answer handed to the background workers is at most 60 s

MIN_TURN_SPEECH_S = 0.15  # shorter speech (a click, the end of the tutor's own echo) does not start a turn
ECHO_CHECK_EVERY_S = 0.1
ECHO_TAIL_S = 0.6  # the room (or the bench) still returns the tutor's voice this long after it stops

HandOff = Callable[[int, str, bytes, str, tuple[str, ...]], Awaitable[None]]

SendEvent = Callable[..., Awaitable[None]]


@dataclass
class ItemProgress:
    """What happened during the current item; reset when the next item is presented."""

    index: int
    presented_at: float  # learner-audio time at which the prompt started
    assessor: StreamingAssessor | None
    audio_offset: float  # learner-audio time of the assessor's time zero (set when decoding starts)
    expected_words: int  # words of the sentence the learner is expected to say (0: a free answer)
    verdicts: list[WordVerdict] = field(default_factory=list)
    learner_has_spoken: bool = False
    corrections_pending: list[WordVerdict] = field(default_factory=list)
    corrected: set[int] = field(default_factory=set)
    decoding: bool = False  # the assessor is fed from the learner's first speech onset on
    preroll: bytearray = field(default_factory=bytearray)
    answer: bytearray = field(default_factory=bytearray)  # a free answer, from its onset, for the hand-off
    assessor_pending: bool = False  # the decoder is still being built
    backlog: bytearray = field(default_factory=bytearray)  # speech heard before the decoder was ready
    tutor_last_spoke: float = 0.0  # waiting for the learner counts from the end of the tutor's turn
    last_backchannel: float = -1e9
    last_nudge: float = -1e9
    finished: bool = False
    time_up_ticked: bool = False
    turn_speech_s: float = 0.0  # the learner's speech in this item while the tutor was quiet
    last_tick_at: float | None = None
    talked_over: bool = False  # at the last tick the learner was speaking over the tutor
    tutor_interrupted: bool = False  # the tutor stopped while the learner spoke over it during this item


@dataclass
class EngineStats:
    ticks: int = 0
    tick_cpu_ms: list[float] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    max_backlog_s: float = 0.0
    hear_cpu_ms: float = 0.0  # voice activity and echo work since the last tick

    def summary(self) -> dict:
        cpu = sorted(self.tick_cpu_ms)
        return {
            "ticks": self.ticks,
            "tick_cpu_ms_p50": round(cpu[len(cpu) // 2], 2) if cpu else None,
            "tick_cpu_ms_p95": round(cpu[min(len(cpu) - 1, int(len(cpu) * 0.95))], 2) if cpu else None,
            "max_backlog_s": round(self.max_backlog_s, 3),
            "actions": dict(self.actions),
        }


def streaming_assessor_for(plan: LessonPlan, item: LessonItem, channel: LearnerChannel) -> StreamingAssessor | None:
    """Word verdicts for a reading item, in the plan's language and the learner's accent, starting from
    what the session's earlier readings left in `channel`."""
    if item.kind != "repeat":
        return None
    try:
        return StreamingAssessor(item.text, plan.lang, accent=plan.accent, channel=channel)
    except (UnsupportedLanguageError, UnknownWordError, ValueError) as error:
        log.warning("no streaming verdicts for %r: %s", item.text, error)
        return None


class ConversationEngine:
    def __init__(
        self,
        plan: LessonPlan,
        speaker: TutorSpeaker,
        send_event: SendEvent,
        voice: TutorVoice,
        policy: Policy | None = None,
        hand_off: HandOff | None = None,
        trace: bool = False,
        learner_channel: LearnerChannel | None = None,
    ):
        self.plan = plan
        self.policy = policy or ExpectationPolicy()
        self._hand_off = hand_off
        self.trace = trace  # send every tick's state and action as a "tick" event (training data, debugging)
        self._feedback: list[tuple[int, str]] = []
        self._assessors: dict[int, asyncio.Future] = {}
        # this session's learner, as their last session left them: their reading items' assessors share it
        self.learner_channel = learner_channel if learner_channel is not None else LearnerChannel()
        self.stats = EngineStats()
        self._speaker = speaker
        speaker.on_audio = self.tutor_audio_played
        self._send_event = send_event
        self._voice = voice
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-engine")
        self._vad: VoiceActivity | None = None
        self._pending_audio = bytearray()
        self._item: ItemProgress | None = None
        self._done = False
        self._audio_arrived = asyncio.Event()
        self._unticked = bytearray()
        self._echo = EchoGate()
        self._echo_now = False
        self._echo_checked_at = -1.0
        self._last_echo_at = -1e9
        self._tutor_stopped_at = -1e9
        self._was_tutor_speaking = False
        self._learner = VoiceState(False, None, None, 0.0)
        self._voice_at_last_tick = self._learner
        self.pace = LearnerPace(plan.patience)
        self._runner: asyncio.Task | None = None
        self.scores: list[dict] = []

    @classmethod
    async def create(
        cls, plan: LessonPlan, speaker: TutorSpeaker, send_event: SendEvent, **options
    ) -> ConversationEngine:
        voice = await asyncio.to_thread(tutor_voice, plan.lang)
        engine = cls(plan, speaker, send_event, voice, **options)
        engine._vad = await asyncio.get_running_loop().run_in_executor(engine._worker, VoiceActivity)
        return engine

    @property
    def now(self) -> float:
        """Learner-audio time in seconds: the engine's clock."""
        return self._vad.time if self._vad else 0.0

    async def start(self, resume_at: int = 0) -> None:
        """Greet and present the first item, or, for a resumed session, present again the item it was on."""
        self._runner = asyncio.create_task(self._run())
        await self._send_event("lesson", title=self.plan.title, items=len(self.plan.items), lang=self.plan.lang)
        if resume_at == 0:
            self._speaker.say(self._voice.synthesizer.speak(self.plan.greeting), "greeting")
        await self._present(min(resume_at, len(self.plan.items) - 1))

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        await self._speaker.close()
        self._worker.shutdown(wait=False, cancel_futures=True)

    # --- listening ------------------------------------------------------------------------

    def feed(self, pcm: bytes) -> None:
        """Learner audio in arrival order; returns at once (the ticks run in the engine's own task)."""
        self._pending_audio += pcm
        self._audio_arrived.set()

    @property
    def backlog_seconds(self) -> float:
        return len(self._pending_audio) / 2 / 16000

    async def _run(self) -> None:
        """Hear every arriving frame (voice activity, echo, barge-in); think every 200 ms (a tick)."""
        loop = asyncio.get_running_loop()
        while True:
            await self._audio_arrived.wait()
            self._audio_arrived.clear()
            while self._pending_audio:
                self.stats.max_backlog_s = max(self.stats.max_backlog_s, self.backlog_seconds - TICK_SECONDS)
                fresh = bytes(self._pending_audio)
                self._pending_audio.clear()
                try:
                    was_speaking = self._learner.speaking
                    voice = await loop.run_in_executor(self._worker, self._hear, fresh, self._speaker.speaking)
                    await self._barge_in_if_needed(voice)
                    self._unticked += fresh
                    while len(self._unticked) >= TICK_BYTES:
                        chunk = bytes(self._unticked[:TICK_BYTES])
                        del self._unticked[:TICK_BYTES]
                        await self._tick(chunk, voice)
                    if self._unticked and ((was_speaking and not voice.speaking) or self._time_just_ran_out()):
                        # the learner just stopped, or a timed activity is over: think now rather than
                        # at the next 200 ms boundary
                        chunk = bytes(self._unticked)
                        self._unticked.clear()
                        await self._tick(chunk, voice)
                except Exception:
                    log.exception("listening failed; the conversation goes on")

    def _time_just_ran_out(self) -> bool:
        """The current item's time limit passed since the last tick (once per item)."""
        item = self._item
        if item is None or item.time_up_ticked:
            return False
        limit = self.plan.items[item.index].time_limit_s
        if limit is None or self.now < item.presented_at + limit:
            return False
        item.time_up_ticked = True
        return True

    def _hear(self, pcm: bytes, tutor_speaking: bool) -> VoiceState:
        """Voice activity on new audio, with the tutor's own voice (echo) not counted as the learner's."""
        started = time.thread_time()
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        self._echo.add_microphone(samples)
        heard = self._vad.push(pcm)
        now = self._vad.time
        if not tutor_speaking and self._was_tutor_speaking:
            self._tutor_stopped_at = now
        self._was_tutor_speaking = tutor_speaking
        if heard.speaking and (tutor_speaking or now - self._tutor_stopped_at < ECHO_TAIL_S):
            if now - self._echo_checked_at >= ECHO_CHECK_EVERY_S:
                self._echo_checked_at = now
                verdict = self._echo.is_echo()
                self._echo_now = True if verdict is None else verdict  # while the tutor talks, unsure means echo
            if self._echo_now:
                self._last_echo_at = now
        else:
            self._echo_now = False
        self._learner = _learner_voice(self._learner, heard, self._echo_now, self._last_echo_at, now)
        self.stats.hear_cpu_ms += (time.thread_time() - started) * 1000
        return self._learner

    async def _barge_in_if_needed(self, voice: VoiceState) -> None:
        """Between ticks: the learner has talked over the tutor long enough to be more than a backchannel."""
        barge_in_s = getattr(self.policy, "barge_in_s", None)
        if barge_in_s is None or not self._speaker.speaking:
            return
        if voice.speaking and voice.speech_seconds(self.now) >= barge_in_s:
            self.stats.actions["yield"] = self.stats.actions.get("yield", 0) + 1
            log.info("barge-in at %.2f s (echo correlation %.2f)", self.now, self._echo.last_correlation)
            await self._speaker.stop("barge_in")

    async def _tick(self, chunk: bytes, voice: VoiceState) -> None:
        item = self._item
        started = time.thread_time()
        verdicts, cpu_ms = await asyncio.get_running_loop().run_in_executor(
            self._worker, self._listen, chunk, voice, item
        )
        hear_ms, self.stats.hear_cpu_ms = self.stats.hear_cpu_ms, 0.0
        self.stats.ticks += 1
        self.stats.tick_cpu_ms.append(cpu_ms + hear_ms + (time.thread_time() - started) * 1000)
        if item is None:
            await self._after_lesson(voice)
            return
        if item is not self._item:
            return
        self._note_resumed_pause(item, voice)
        since_last_tick = self.now - item.last_tick_at if item.last_tick_at is not None else 0.0
        item.last_tick_at = self.now
        if voice.speaking and not self._speaker.speaking:
            item.turn_speech_s += since_last_tick
        if item.talked_over and not self._speaker.speaking:
            item.tutor_interrupted = True
        item.talked_over = voice.speaking and self._speaker.speaking
        if voice.speaking and not self._speaker.speaking and voice.speech_seconds(self.now) >= MIN_TURN_SPEECH_S:
            # speech over the tutor is a backchannel until it makes the tutor yield, and a blip is not a turn
            item.learner_has_spoken = True
        if self._speaker.speaking:
            item.tutor_last_spoke = self.now
        for verdict in verdicts:
            await self._on_verdict(item, verdict)
        state = self._state(item, voice)
        action = self.policy.decide(state)
        self.stats.actions[action.value] = self.stats.actions.get(action.value, 0) + 1
        if self.trace:
            await self._send_event("tick", item=item.index, action=action.value, **_rounded(asdict(state)))
        await self._act(action, item)

    def _note_resumed_pause(self, item: ItemProgress, voice: VoiceState) -> None:
        before = self._voice_at_last_tick
        self._voice_at_last_tick = voice
        resumed = voice.speaking and not before.speaking and item.learner_has_spoken
        if resumed and before.speech_ended_at is not None and voice.speech_started_at is not None:
            self.pace.resumed_after(voice.speech_started_at - before.speech_ended_at)

    def _listen(self, chunk: bytes, voice: VoiceState, item: ItemProgress | None) -> tuple[list[WordVerdict], float]:
        """Decoding of the expected sentence from the first speech onset on.

        Decoding starts at the onset (with a short pre-roll) rather than at the prompt, so the
        seconds of silence while the tutor presents the item do not reach the decoder.
        """
        started = time.thread_time()
        verdicts: list[WordVerdict] = []
        if item is None:
            return verdicts, (time.thread_time() - started) * 1000
        audio = b""
        if item.decoding:
            audio = chunk
        elif voice.speaking:
            audio = bytes(item.preroll[-PREROLL_BYTES:]) + chunk
            item.decoding = True
            item.audio_offset = self._vad.time - len(audio) / 2 / 16000
        else:
            item.preroll = (item.preroll + chunk)[-PREROLL_BYTES:]
        if audio and item.assessor is not None:
            if item.backlog:
                audio, item.backlog = bytes(item.backlog) + audio, bytearray()
            verdicts = item.assessor.push(audio)
        elif audio and item.assessor_pending:
            item.backlog += audio
        elif audio and len(item.answer) < MAX_ANSWER_BYTES:
            item.answer += audio
        return verdicts, (time.thread_time() - started) * 1000

    def tutor_audio_played(self, pcm: bytes, rate: int) -> None:
        """What the tutor sends to the loudspeaker, kept as the echo reference."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        self._echo.add_reference(resample(samples, rate, 16000))

    def _state(self, item: ItemProgress, voice: VoiceState) -> TickState:
        now = self.now
        expected = item.expected_words if (item.assessor or item.assessor_pending) else 0
        judged = len(item.verdicts)
        since_speech = voice.silence_seconds(now) if item.learner_has_spoken else now - item.tutor_last_spoke
        assessor = item.assessor
        pending = None
        if item.corrections_pending:
            pending = self.plan.items[item.index].correction_policy
        return TickState(
            now=now,
            learner_speaking=voice.speaking,
            speech_s=voice.speech_seconds(now),
            silence_s=since_speech,
            learner_has_spoken=item.learner_has_spoken,
            tutor_speaking=self._speaker.speaking,
            expected_words=expected,
            words_judged=judged,
            pending_correction=pending,
            pending_feedback=bool(self._feedback),
            since_backchannel_s=now - item.last_backchannel,
            since_nudge_s=now - item.last_nudge,
            item_elapsed_s=now - item.presented_at,
            time_limit_s=self.plan.items[item.index].time_limit_s,
            patience=self.pace.patience,
            voice_probability=voice.probability,
            last_speech_s=_last_speech_seconds(voice),
            turn_speech_s=item.turn_speech_s,
            tutor_interrupted=item.tutor_interrupted,
            can_resume=self._speaker.can_resume,
            words_heard=assessor.words_heard if assessor else 0,
            decoder_silence_s=(
                assessor.audio_seconds - assessor.last_word_end_s
                if assessor and assessor.last_word_end_s is not None
                else 0.0
            ),
        )

    async def _on_verdict(self, item: ItemProgress, verdict: WordVerdict) -> None:
        item.verdicts.append(verdict)
        fields = verdict.to_dict()
        fields["start"] = round(verdict.start + item.audio_offset, 3)
        fields["end"] = round(verdict.end + item.audio_offset, 3)
        fields["decided_at"] = round(verdict.decided_at + item.audio_offset, 3)
        fields["word_index"] = verdict.index
        fields["word"] = verdict.text
        await self._send_event("verdict", item=item.index, **fields)
        policy = self.plan.items[item.index].correction_policy
        # every flagged word is shown; only those the scorer is sure of are corrected aloud (a false
        # correction interrupts a learner who read well)
        if verdict.correct_aloud and policy != "off" and verdict.index not in item.corrected:
            item.corrections_pending.append(verdict)

    # --- speaking -------------------------------------------------------------------------

    async def _act(self, action: Action, item: ItemProgress) -> None:
        if action is Action.YIELD:
            await self._speaker.stop("barge_in")
        elif action is Action.KEEP_SPEAKING and self._speaker.can_resume:
            self._speaker.resume(self._voice.synthesizer)
        elif action in (Action.CORRECT_NOW, Action.CORRECT_AT_PAUSE):
            await self._correct(item, "immediate" if action is Action.CORRECT_NOW else "at_pause")
        elif action is Action.BACKCHANNEL:
            item.last_backchannel = self.now
            self._speaker.say(self._voice.phrases.get("backchannel"), "backchannel")
        elif action is Action.NUDGE:
            item.last_nudge = self.now
            self._speaker.say(self._voice.phrases.get("encourage"), "nudge")
        elif action is Action.TAKE_TURN:
            await self._finish_item(item)
        elif action is Action.FEEDBACK_AT_PAUSE:
            item_index, text = self._feedback.pop(0)
            await self._send_event("feedback", item=item_index, text=text)
            self._speaker.say(self._voice.synthesizer.speak(text), "answer")

    def deliver_feedback(self, item_index: int, text: str) -> None:
        """A background result to say at the next natural pause (never over the learner)."""
        self._feedback.append((item_index, text))

    async def _after_lesson(self, voice: VoiceState) -> None:
        """Once the lesson is over, results still arriving from the workers are said in the next silence."""
        if self._feedback and not voice.speaking and not self._speaker.speaking:
            item_index, text = self._feedback.pop(0)
            await self._send_event("feedback", item=item_index, text=text)
            self._speaker.say(self._voice.synthesizer.speak(text), "answer")

    async def _correct(self, item: ItemProgress, when: str) -> None:
        verdict = item.corrections_pending.pop(0)
        item.corrected.add(verdict.index)
        text = f"not {verdict.heard_ipa or '?'}, {verdict.text}"
        await self._send_event(
            "correction",
            item=item.index,
            word=verdict.text,
            word_index=verdict.index,
            expected_ipa=verdict.expected_ipa,
            heard_ipa=verdict.heard_ipa,
            rule=verdict.rule,
            when=when,
            text=text,
        )
        if verdict.heard_ipa and verdict.expected_ipa:
            clip = await asyncio.to_thread(
                contrast_pair,
                verdict.heard_ipa,
                verdict.expected_ipa,
                self._voice.rate,
                said_word=None,
                meant_word=verdict.text,
            )
            self._speaker.say(clip.stream(), "correction")
        else:
            self._speaker.say(self._voice.synthesizer.speak(f"Listen: {verdict.text}."), "correction")

    async def _finish_item(self, item: ItemProgress) -> None:
        if item.finished:
            return
        item.finished = True
        lesson_item = self.plan.items[item.index]
        await self._judge_the_rest(item)
        mispronounced = [verdict for verdict in item.verdicts if verdict.error != "none"]
        if item.verdicts:
            accuracy = round(sum(verdict.accuracy for verdict in item.verdicts) / len(item.verdicts), 1)
            self.scores.append({"item": item.index, "accuracy": accuracy, "errors": len(mispronounced)})
            await self._send_event("item_result", item=item.index, accuracy=accuracy, errors=len(mispronounced))
        if lesson_item.kind == "repeat" and not mispronounced:
            self._speaker.say(self._voice.phrases.get("praise"), "praise")
        elif lesson_item.kind != "repeat":
            self._speaker.say(self._voice.phrases.get("backchannel"), "acknowledge")
            if self._hand_off is not None and item.answer:
                answer_text = lesson_item.spoken_prompt
                await self._hand_off(
                    item.index, lesson_item.kind, bytes(item.answer), answer_text, lesson_item.accepted
                )
        await self._present(item.index + 1)

    async def _judge_the_rest(self, item: ItemProgress) -> None:
        """The turn is taken before the last words are final: judge them now, and correct one if it is due."""
        assessor = item.assessor
        if assessor is None or not item.decoding or assessor.done:
            return
        verdicts = await asyncio.get_running_loop().run_in_executor(self._worker, assessor.finish)
        for verdict in verdicts:
            await self._on_verdict(item, verdict)
        while item.corrections_pending:
            await self._correct(item, "at_pause")

    async def _present(self, index: int) -> None:
        if index >= len(self.plan.items):
            await self._close_lesson()
            return
        lesson_item = self.plan.items[index]
        expects_sentence = lesson_item.kind == "repeat"
        item = ItemProgress(
            index=index,
            presented_at=self.now,
            assessor=None,
            audio_offset=self.now,
            expected_words=len(reference_words(lesson_item.text)) if expects_sentence else 0,
            assessor_pending=expects_sentence,
        )
        self._item = item
        # The learner may start before the decoder is built: their audio waits in the item's backlog.
        self._prepare_assessor(index).add_done_callback(lambda future: _assessor_arrived(item, future))
        if index + 1 < len(self.plan.items):
            self._prepare_assessor(index + 1)
        await self._send_event(
            "item",
            index=index,
            total=len(self.plan.items),
            kind=lesson_item.kind,
            text=lesson_item.text,
            ipa=await asyncio.to_thread(_ipa_or_empty, lesson_item.text, self.plan.lang),
            prompt=lesson_item.spoken_prompt,
            time_limit_s=lesson_item.time_limit_s,
        )
        await self._send_event("progress", index=index + 1, total=len(self.plan.items))
        self._speaker.say(self._voice.synthesizer.speak(lesson_item.spoken_prompt), "prompt")

    def _prepare_assessor(self, index: int) -> asyncio.Future:
        """Build an item's decoder ahead of time, beside the session's listening thread, never in it."""
        if index not in self._assessors:
            self._assessors[index] = asyncio.ensure_future(
                asyncio.to_thread(streaming_assessor_for, self.plan, self.plan.items[index], self.learner_channel)
            )
        return self._assessors[index]

    async def _close_lesson(self) -> None:
        self._done = True
        self._item = None
        overall = round(sum(score["accuracy"] for score in self.scores) / len(self.scores), 1) if self.scores else None
        scores = {"accuracy": overall / 100} if overall is not None else {}
        await self._send_event("summary", items=self.scores, accuracy=overall, scores=scores, text=self.plan.closing)
        self._speaker.say(self._voice.synthesizer.speak(self.plan.closing), "closing")


def _ipa_or_empty(text: str, lang: str) -> str:
    if not text:
        return ""
    from speech.g2p import ipa

    try:
        return ipa(text, lang)
    except Exception:  # IPA is a display aid; a language espeak lacks must not stop the lesson
        log.warning("no IPA for %r in %s", text, lang, exc_info=True)
        return ""


def _learner_voice(previous: VoiceState, heard: VoiceState, echo: bool, last_echo_at: float, now: float) -> VoiceState:
    """The learner's own speech: voice activity minus stretches that are the tutor's echo."""
    speaking = heard.speaking and not echo
    if speaking and not previous.speaking:
        onset = max(heard.speech_started_at or now, min(last_echo_at, now))
        return VoiceState(True, onset, None, heard.probability)
    if not speaking and previous.speaking:
        return VoiceState(False, previous.speech_started_at, heard.speech_ended_at or now, heard.probability)
    return VoiceState(speaking, previous.speech_started_at, previous.speech_ended_at, heard.probability)


def _last_speech_seconds(voice: VoiceState) -> float:
    if voice.speaking or voice.speech_started_at is None or voice.speech_ended_at is None:
        return 0.0
    return max(0.0, voice.speech_ended_at - voice.speech_started_at)


def _rounded(fields: dict) -> dict:
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in fields.items()}


def _assessor_arrived(item: ItemProgress, future: asyncio.Future) -> None:
    assessor = None if future.cancelled() or future.exception() else future.result()
    if assessor is None:
        item.expected_words = 0  # no decoder for this sentence: the answer is judged as a free one
    item.assessor = assessor
    item.assessor_pending = False
