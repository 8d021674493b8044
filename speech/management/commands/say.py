"""`manage.py say "text" [--lang xx] [--ipa] -o out.wav`: synthesise, report time to first audio and RTF."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from speech.audio import Audio, pcm16_to_float, write_wav
from speech.synthesis import DEFAULT_OUTPUT_RATE, Synthesizer, UnknownLanguageError, voice_for
from speech.synthesis.ipa import UnknownPhoneError
from speech.teaching import from_ipa


class Command(BaseCommand):
    # Synthesis touches neither the database nor URLs; skip the project-wide checks (and their cost).
    requires_system_checks: list[str] = []
    help = "Synthesise text (or English IPA with --ipa) to a WAV file; prints time to first audio and real-time factor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help="what to say; with --ipa, English IPA such as 'θɪŋk'")
        parser.add_argument("--lang", default="en-us", help="language code (en-us: neural voice; others: espeak-ng)")
        parser.add_argument("--ipa", action="store_true", help="TEXT is English IPA, said exactly (espeak-ng)")
        parser.add_argument("--rate", type=int, default=DEFAULT_OUTPUT_RATE, help="output sample rate in Hz")
        parser.add_argument("-o", "--output", required=True, help="WAV file to write")

    def handle(self, *args: object, **options: object) -> None:
        text = str(options["text"]).strip()
        if not text:
            raise CommandError("nothing to say: the text is empty")
        rate = int(options["rate"])
        if not 8000 <= rate <= 48000:
            raise CommandError(f"--rate must be between 8000 and 48000 Hz, not {rate}")

        if options["ipa"] and not str(options["lang"]).lower().startswith("en"):
            raise CommandError("--ipa reads English IPA only; leave --lang out or give an English code")

        load_started = time.perf_counter()
        try:
            if options["ipa"]:
                stream = None
                load_seconds = 0.0
            else:
                synthesizer = Synthesizer(voice_for(str(options["lang"])), rate=rate)
                load_seconds = time.perf_counter() - load_started
                stream = synthesizer.speak(text)
        except UnknownLanguageError as error:
            raise CommandError(f"{error}; use a code espeak-ng knows, e.g. en-us, es, fr, de") from None

        started = time.perf_counter()
        first_audio: float | None = None
        pieces: list[bytes] = []
        if stream is None:
            try:
                clip = from_ipa(text, rate=rate)
            except UnknownPhoneError as error:
                raise CommandError(str(error)) from None
            first_audio = time.perf_counter() - started
            audio = clip.audio
        else:
            for chunk in stream:
                if first_audio is None:
                    first_audio = time.perf_counter() - started
                pieces.append(chunk.pcm)
            audio = Audio(pcm16_to_float(b"".join(pieces)), rate)
        elapsed = time.perf_counter() - started
        if audio.seconds == 0:
            raise CommandError("the voice produced no audio for this text")

        write_wav(str(options["output"]), audio)
        self.stdout.write(
            f"wrote {options['output']}: {audio.seconds:.2f} s at {rate} Hz; "
            f"voice load {load_seconds * 1000:.0f} ms, first audio {first_audio * 1000:.0f} ms, "
            f"real-time factor {elapsed / audio.seconds:.3f}"
        )
