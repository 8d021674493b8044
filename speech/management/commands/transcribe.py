"""python manage.py transcribe WAV [--lang xx] [--json]: Whisper transcript with word times."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from speech.audio import AudioInputError, load_learner_audio


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # needs neither the database nor the URL configuration
    help = "Transcribe a WAV recording (up to 60 s) with Whisper base; prints words with times and probabilities."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("wav", help="path to a PCM WAV file")
        parser.add_argument("--lang", default=None, help='language code ("en", "en-us", "fr-fr"); default: detect')
        parser.add_argument("--json", action="store_true", help="print the transcript as JSON")

    def handle(self, *args: object, **options: object) -> None:
        try:
            audio = load_learner_audio(str(options["wav"]))
        except AudioInputError as error:
            raise CommandError(str(error)) from None
        from speech.transcriber import Transcriber  # torch loads only once the input is known to be usable

        try:
            transcriber = Transcriber.get(options["lang"])  # type: ignore[arg-type]
        except ValueError as error:
            raise CommandError(str(error)) from None
        transcript = transcriber.transcribe(audio)
        if options["json"]:
            self.stdout.write(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{transcript.text}\n[{transcript.language}, {transcript.seconds:.2f} s]")
        for word in transcript.words:
            self.stdout.write(f"{word.start:7.2f} {word.end:7.2f}  {word.probability:5.2f}  {word.text}")
