"""`manage.py assess WAV --text "..." [--lang en-us] [--accent en-029] [--json] [--stream]`: score a reading."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from speech.audio import AudioInputError, load_learner_audio
from speech.pronunciation import (
    ENGLISH_ACCENTS,
    StreamingAssessor,
    UnknownAccentError,
    UnknownWordError,
    UnsupportedLanguageError,
    assess,
)
from speech.pronunciation.streaming import STREAM_CHUNK_BYTES


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # needs neither the database nor URLs
    help = "Score the pronunciation of a WAV recording against a reference text (or, without --text, unscripted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wav", help="recording: WAV of any rate and channel count, at most 60 s")
        parser.add_argument("--text", default=None, help="what the learner meant to say; omit for unscripted mode")
        parser.add_argument("--lang", default="en-us", help="language code (implemented: en-us)")
        parser.add_argument(
            "--accent",
            default=None,
            help=f"the learner's native accent, whose own forms count as correct: {', '.join(ENGLISH_ACCENTS)}",
        )
        parser.add_argument("--json", action="store_true", help="print the assessment as JSON")
        parser.add_argument(
            "--stream", action="store_true", help="feed the audio in 200 ms chunks and print each word's verdict"
        )

    def handle(self, *args: object, **options: object) -> None:
        text = options["text"]
        accent = str(options["accent"]) if options["accent"] else None
        if text is not None and not str(text).strip():
            raise CommandError("--text is empty")
        try:
            audio = load_learner_audio(str(options["wav"]))
            if options["stream"]:
                if text is None:
                    raise CommandError("--stream needs --text: streaming verdicts follow a known sentence")
                self._stream(audio.pcm16(), str(text), str(options["lang"]), accent, bool(options["json"]))
                return
            assessment = assess(audio, text, lang=str(options["lang"]), accent=accent)
        except (AudioInputError, UnsupportedLanguageError, UnknownAccentError, UnknownWordError, ValueError) as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(assessment.to_dict(), indent=1, ensure_ascii=False))
            return
        self._print(assessment)

    def _stream(self, pcm: bytes, text: str, lang: str, accent: str | None, as_json: bool) -> None:
        assessor = StreamingAssessor(text, lang=lang, accent=accent)
        verdicts = []
        for offset in range(0, len(pcm), STREAM_CHUNK_BYTES):
            verdicts += self._emit(assessor.push(pcm[offset : offset + STREAM_CHUNK_BYTES]), as_json)
        verdicts += self._emit(assessor.finish(), as_json)

    def _emit(self, verdicts: list, as_json: bool) -> list:
        for verdict in verdicts:
            if as_json:
                self.stdout.write(json.dumps(verdict.to_dict(), ensure_ascii=False))
                continue
            heard = f" heard /{verdict.heard_ipa}/" if verdict.heard_ipa else ""
            rule = f" ({verdict.rule})" if verdict.rule else ""
            sure = f" P {verdict.confidence:.2f}" if verdict.error == "mispronunciation" else ""
            aloud = ", corrected aloud" if verdict.correct_aloud else ""
            self.stdout.write(
                f"at {verdict.decided_at:6.2f} s  {verdict.text:<14} {verdict.start:5.2f}-{verdict.end:5.2f}  "
                f"{verdict.error}{rule}{heard}{sure}{aloud}"
            )
        return verdicts

    def _print(self, assessment) -> None:
        self.stdout.write(
            f"{assessment.mode} ({assessment.confidence} confidence): overall {assessment.overall:.0f}  "
            f"accuracy {assessment.accuracy:.0f}  fluency {assessment.fluency.score:.0f}  "
            f"completeness {assessment.completeness:.0f}"
        )
        for word in assessment.words:
            heard = f"  heard /{word.heard_ipa}/" if word.heard_ipa else ""
            rule = f" ({word.rule})" if word.rule else ""
            self.stdout.write(
                f"  {word.text:<14} {word.start:5.2f}-{word.end:5.2f}  {word.accuracy:5.1f}  "
                f"/{word.expected_ipa}/ {word.error}{rule}{heard}"
            )
